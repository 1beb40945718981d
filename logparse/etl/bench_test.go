package etl_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/wulog/wulog/logparse/etl"
	"github.com/wulog/wulog/logparse/etl/etltest"
)

func benchRead(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := etl.NewReader(bytes.NewReader(data), int64(len(data)), "bench.etl", nil)
		if err != nil {
			b.Fatal(err)
		}
		for r.Scan() {
		}
	}
}

// BenchmarkSamples decodes each real sample (all events, TraceLogging
// payloads decoded) from memory.
func BenchmarkSamples(b *testing.B) {
	dir := samplesDir(b)
	for _, name := range sampleNames {
		data, err := os.ReadFile(filepath.Join(dir, name+".etl"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) { benchRead(b, data) })
	}
}

// BenchmarkReaderWU decodes a 32 MiB generated Windows Update file into
// events (no record mapping).
func BenchmarkReaderWU(b *testing.B) {
	var buf bytes.Buffer
	if _, err := etltest.GenerateWU(&buf, 32<<20, etltest.Options{}); err != nil {
		b.Fatal(err)
	}
	benchRead(b, buf.Bytes())
}
