package xpress_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand"
	"strings"
	"testing"

	"github.com/wulog/wulog/logparse/etl/etltest"
	"github.com/wulog/wulog/logparse/etl/xpress"
)

// The two examples of [MS-XCA] section 3.1 (plain LZ77).
func TestSpecExamples(t *testing.T) {
	alphabet := "abcdefghijklmnopqrstuvwxyz"
	in1 := append([]byte{0x3f, 0, 0, 0}, alphabet...)
	dst := make([]byte, len(alphabet))
	n, err := xpress.Decompress(dst, in1)
	if err != nil || string(dst[:n]) != alphabet {
		t.Errorf("example 1: %q, %v", dst[:n], err)
	}
	in2 := []byte{0xff, 0xff, 0xff, 0x1f, 0x61, 0x62, 0x63, 0x17, 0x00, 0x0f, 0xff, 0x26, 0x01}
	want := strings.Repeat("abc", 100)
	dst = make([]byte, 300)
	n, err = xpress.Decompress(dst, in2)
	if err != nil || string(dst[:n]) != want {
		t.Errorf("example 2: %d bytes %q, %v", n, dst[:n], err)
	}
	// The same stream into a larger destination ends at the end marker.
	dst = make([]byte, 400)
	if n, err = xpress.Decompress(dst, in2); err != nil || n != 300 {
		t.Errorf("example 2 into 400 bytes: n=%d err=%v", n, err)
	}
}

func TestCorrupt(t *testing.T) {
	// A match before the start of the output.
	if _, err := xpress.Decompress(make([]byte, 10), []byte{0, 0, 0, 0x80, 0x08, 0x00}); !errors.Is(err, xpress.ErrCorrupt) {
		t.Errorf("err = %v", err)
	}
	// A match longer than the destination.
	in := []byte{0xff, 0xff, 0xff, 0x1f, 0x61, 0x62, 0x63, 0x17, 0x00, 0x0f, 0xff, 0x26, 0x01}
	if n, err := xpress.Decompress(make([]byte, 100), in); !errors.Is(err, xpress.ErrCorrupt) || n != 3 {
		t.Errorf("n=%d err=%v", n, err)
	}
	// Input cut inside a token.
	if _, err := xpress.Decompress(make([]byte, 300), in[:8]); !errors.Is(err, xpress.ErrTruncated) {
		t.Errorf("err = %v", err)
	}
}

// TestRoundTrip compresses data of several shapes with the test writer's
// compressor (which uses every length escape) and decompresses it.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	random := make([]byte, 70000)
	rng.Read(random)
	cases := map[string][]byte{
		"empty":  {},
		"one":    {42},
		"random": random,
		"zeros":  make([]byte, 100000), // 32-bit length escape
		"text":   []byte(strings.Repeat("2024/03/05 06:07:08.1234567 1234  5678  Agent           * START *  Finding updates\r\n", 500)),
		"mixed":  append(append([]byte("abc"), bytes.Repeat([]byte{7}, 30)...), random[:100]...),
	}
	for name, in := range cases {
		c := etltest.CompressXpress(in)
		out := make([]byte, len(in))
		n, err := xpress.Decompress(out, c)
		if err != nil || n != len(in) || !bytes.Equal(out, in) {
			t.Errorf("%s: n=%d/%d err=%v", name, n, len(in), err)
		}
	}
}

// FuzzDecompress: arbitrary input never panics nor writes past the
// destination, whose size the fuzzer also picks (capped at 64 KiB); and
// data compressed by the test compressor comes back unchanged.
func FuzzDecompress(f *testing.F) {
	f.Add([]byte{0xff, 0xff, 0xff, 0x1f, 0x61, 0x62, 0x63, 0x17, 0x00, 0x0f, 0xff, 0x26, 0x01}, uint16(300))
	f.Add(append([]byte{0x3f, 0, 0, 0}, "abcdefghijklmnopqrstuvwxyz"...), uint16(26))
	f.Fuzz(func(t *testing.T, src []byte, size uint16) {
		dst := make([]byte, size)
		n, _ := xpress.Decompress(dst, src)
		if n < 0 || n > len(dst) {
			t.Fatalf("n = %d for %d-byte destination", n, len(dst))
		}
		c := etltest.CompressXpress(src)
		out := make([]byte, len(src))
		if n, err := xpress.Decompress(out, c); err != nil || n != len(src) || !bytes.Equal(out, src) {
			t.Fatalf("round trip: n=%d err=%v", n, err)
		}
	})
}

// BenchmarkDecompress decompresses one 64 KiB buffer of a generated
// Windows Update ETL file, compressed as the test writer does.
func BenchmarkDecompress(b *testing.B) {
	var file bytes.Buffer
	if _, err := etltest.GenerateWU(&file, 256<<10, etltest.Options{}); err != nil {
		b.Fatal(err)
	}
	buf := file.Bytes()[64<<10 : 128<<10] // the second buffer
	in := buf[0x48:binary.LittleEndian.Uint32(buf[0x30:])]
	c := etltest.CompressXpress(in)
	out := make([]byte, len(in))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if n, err := xpress.Decompress(out, c); err != nil || n != len(in) {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(len(in))/float64(len(c)), "ratio")
}
