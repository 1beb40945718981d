package input_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wulog/wulog/input"
	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/logparse/etl/etltest"
)

func wuETL(t *testing.T, n int, start time.Time) []byte {
	t.Helper()
	var evs []etltest.Event
	for i := 0; i < n; i++ {
		evs = append(evs, etltest.WU(start.Add(time.Duration(i)*time.Second), uint16(i%2), 100, 200, "Agent", fmt.Sprintf("event %d hr=0x80070005", i)))
	}
	data, err := etltest.Write(etltest.Options{BufferSize: 4096}, evs...)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func count(t *testing.T, in input.Input) (int, string) {
	t.Helper()
	l, err := in.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	n := 0
	for l.Scan() {
		if r := l.Record(); r.Format != logparse.ETL || r.Component != "Agent" || len(r.Codes) != 1 {
			t.Errorf("%s: record %+v", in.Name, r)
		}
		n++
	}
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	return n, l.Format
}

// TestETLInputs opens Windows Update .etl files through input: a plain
// file, the .etl files of a folder, a zip member (as in a wulog bundle)
// and gzip data, each giving its records.
func TestETLInputs(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	logs := filepath.Join(dir, "Logs", "WindowsUpdate")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	a := wuETL(t, 30, t0)
	b := wuETL(t, 20, t0.Add(time.Hour))
	os.WriteFile(filepath.Join(logs, "WindowsUpdate.20240102.030405.001.1.etl"), a, 0o644)
	os.WriteFile(filepath.Join(logs, "WindowsUpdate.20240102.040405.001.2.etl"), b, 0o644)
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("etl/WindowsUpdate.20240102.030405.001.1.etl")
	w.Write(a)
	zw.Close()
	os.WriteFile(filepath.Join(dir, "bundle.zip"), zb.Bytes(), 0o644)
	var gb bytes.Buffer
	gw := gzip.NewWriter(&gb)
	gw.Write(b)
	gw.Close()
	os.WriteFile(filepath.Join(dir, "copy.etl.gz"), gb.Bytes(), 0o644)

	ins, errs := input.Expand([]string{logs, filepath.Join(dir, "bundle.zip"), filepath.Join(dir, "copy.etl.gz")}, input.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var got []string
	for _, in := range ins {
		n, format := count(t, in)
		got = append(got, fmt.Sprintf("%s %s %d", filepath.Base(strings.ReplaceAll(in.Name, ":", "/")), format, n))
	}
	want := []string{
		"WindowsUpdate.20240102.030405.001.1.etl etl 30",
		"WindowsUpdate.20240102.040405.001.2.etl etl 20",
		"WindowsUpdate.20240102.030405.001.1.etl etl 30",
		"copy.etl.gz etl 20",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("inputs:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A damaged .etl (header cut short) is refused with one line naming it.
func TestETLDamagedInput(t *testing.T) {
	dir := t.TempDir()
	data := wuETL(t, 5, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
	p := filepath.Join(dir, "cut.etl")
	os.WriteFile(p, data[:0x60], 0o644)
	ins, _ := input.Expand([]string{p}, input.Options{})
	_, err := ins[0].Open()
	if err == nil || strings.Count(err.Error(), p) != 1 || strings.Contains(err.Error(), "\n") {
		t.Errorf("err = %v", err)
	}
}
