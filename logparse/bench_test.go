package logparse_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/wulog/wulog/logparse"
)

// benchInput concatenates the corpus files matching pattern, or skips.
func benchInput(b *testing.B, pattern string) []byte {
	b.Helper()
	files, _ := filepath.Glob(filepath.Join(corpusDir(), pattern))
	if len(files) == 0 {
		b.Skipf("no corpus files %s in %s", pattern, corpusDir())
	}
	var buf bytes.Buffer
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		buf.Write(data)
	}
	return buf.Bytes()
}

func benchScan(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var records int64
	for b.Loop() {
		s := logparse.NewScanner(bytes.NewReader(data))
		for s.Scan() {
			records++
		}
		if err := s.Err(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(records)/float64(b.N), "records/op")
}

// BenchmarkScanWin10 scans the Windows 10/11 corpus logs.
func BenchmarkScanWin10(b *testing.B) { benchScan(b, benchInput(b, "win1*.log")) }

// BenchmarkScanLegacy scans the legacy Windows 7 corpus logs.
func BenchmarkScanLegacy(b *testing.B) { benchScan(b, benchInput(b, "legacy-*")) }
