package wu_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/logparse/etl"
	"github.com/wulog/wulog/logparse/etl/etltest"
	"github.com/wulog/wulog/logparse/etl/wu"
)

var update = flag.Bool("update", false, "rewrite testdata/etl/seed from diagnose/sample/seed")

// TestSeedETLFile checks testdata/etl/seed/*.etl, the seed case (the
// embedded sample's WindowsUpdate.log, times taken as UTC) written as a
// Windows Update ETL file for the README's examples and for tests: it must
// be what the writer makes from the log today (go test -run
// TestSeedETLFile -update rewrites it), and it must read back as the log's
// records.
func TestSeedETLFile(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	text, err := os.ReadFile(filepath.Join(root, "diagnose", "sample", "seed", "WindowsUpdate.log"))
	if err != nil {
		t.Skipf("seed sample not found: %v", err)
	}
	want := scanText(t, bytes.NewReader(text), "seed")
	var evs []etltest.Event
	for _, r := range want {
		evs = append(evs, etltest.WU(r.Time, uint16(r.Line%2), r.PID, r.TID, r.Component, string(r.Message)))
	}
	data, err := etltest.Write(etltest.Options{BufferSize: 4096, OSBuild: 19045, Processors: 2,
		LogFileName: `C:\WINDOWS\Logs\WindowsUpdate\WindowsUpdate.20230321.221854.102.1.etl`}, evs...)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "testdata", "etl", "seed", "WindowsUpdate.20230321.221854.102.1.etl")
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run TestSeedETLFile -update writes it)", err)
	}
	if !bytes.Equal(committed, data) {
		t.Fatalf("%s is not what the writer makes from the seed log; rerun with -update", path)
	}
	f, err := etl.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := readSource(t, wu.NewSource(f, nil))
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		if want[i].Format != logparse.Win10 {
			t.Fatalf("seed line %d is not a record", want[i].Line)
		}
		if d := sameRecord(want[i], got[i]); d != "" {
			t.Errorf("record %d: %s", i, d)
		}
	}
}
