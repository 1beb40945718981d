package wu_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/wulog/wulog/logparse/etl"
	"github.com/wulog/wulog/logparse/etl/etltest"
	"github.com/wulog/wulog/logparse/etl/wu"
)

func genWU(tb testing.TB, size int64, compressed bool) []byte {
	var buf bytes.Buffer
	if _, err := etltest.GenerateWU(&buf, size, etltest.Options{Compressed: compressed}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func writeWU(tb testing.TB, path string, size int64) {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := etltest.GenerateWU(w, size, etltest.Options{}); err != nil {
		tb.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// benchSource reads data through wu.Source and reports MB/s of ETL input.
func benchSource(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		r, err := etl.NewReader(bytes.NewReader(data), int64(len(data)), "bench.etl", nil)
		if err != nil {
			b.Fatal(err)
		}
		src := wu.NewSource(r, nil)
		n = 0
		for src.Scan() {
			n++
		}
	}
	b.ReportMetric(float64(n), "records/op")
	// The rate of decompressed ETL data, for compressed files.
	r, _ := etl.NewReader(bytes.NewReader(data), int64(len(data)), "bench.etl", nil)
	var plain int64
	for _, bi := range r.Buffers() {
		plain += int64(bi.Filled)
	}
	b.ReportMetric(float64(plain)/1e6/(b.Elapsed().Seconds()/float64(b.N)), "MB/s-unpacked")
}

// BenchmarkSourceWU decodes a 32 MiB generated Windows Update ETL (4
// processors, 64 KiB buffers) into logparse records with tokens.
func BenchmarkSourceWU(b *testing.B) {
	benchSource(b, genWU(b, 32<<20, false))
}

// BenchmarkSourceWUCompressed is the same with XPRESS-compressed buffers
// (MB/s of the compressed input).
func BenchmarkSourceWUCompressed(b *testing.B) {
	benchSource(b, genWU(b, 32<<20, true))
}

// BenchmarkSourceWU500MB reads a 500 MB generated Windows Update ETL from
// a file in a temporary directory (written once, not committed). It runs
// only with WULOG_BENCH_500MB=1, as it writes 500 MB to disk.
func BenchmarkSourceWU500MB(b *testing.B) {
	if os.Getenv("WULOG_BENCH_500MB") == "" {
		b.Skip("set WULOG_BENCH_500MB=1 to write and read a 500 MB ETL file")
	}
	path := filepath.Join(b.TempDir(), "WindowsUpdate.500MB.etl")
	writeWU(b, path, 500<<20)
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		m, err := etl.OpenAll(path)
		if err != nil {
			b.Fatal(err)
		}
		src := wu.NewSource(m, nil)
		n := 0
		for src.Scan() {
			if n++; n%500000 == 0 {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
		m.Close()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// TestMemoryBounded reads a 64 MiB generated file from disk and checks
// that the reader's allocations stay within a few buffers per processor
// (4 processors x 64 KiB), independent of the file size.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 64 MiB")
	}
	path := filepath.Join(t.TempDir(), "wu.etl")
	writeWU(t, path, 64<<20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := etl.OpenAll(path)
	if err != nil {
		t.Fatal(err)
	}
	src := wu.NewSource(m, nil)
	n := 0
	for src.Scan() {
		n++
	}
	m.Close()
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d records, %d bytes allocated in total", n, alloc)
	if n < 200000 {
		t.Fatalf("only %d records", n)
	}
	if alloc > 4<<20 {
		t.Errorf("allocated %d bytes to read a 64 MiB file: not bounded by buffer size x processors", alloc)
	}
}
