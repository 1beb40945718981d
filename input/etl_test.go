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

// TestETLInputs opens Windows Update .etl files through input: the .etl
// files of a folder (one input), a zip member (as in a wulog bundle) and
// gzip data, each giving its records.
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
		got = append(got, fmt.Sprintf("%s %s %d", strings.TrimPrefix(filepath.ToSlash(in.Name), filepath.ToSlash(dir)+"/"), format, n))
	}
	want := []string{
		"Logs/WindowsUpdate/ (2 .etl files) etl 50",
		"bundle.zip:etl/WindowsUpdate.20240102.030405.001.1.etl etl 30",
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

// TestETLFolder: the .etl files of a folder are one input whose records
// come merged by time from all of them (here two files whose events
// alternate, as when several sessions log at once), while a folder with a
// single .etl file, an .etl file named on the command line and the text
// log beside them stay inputs of their own.
func TestETLFolder(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	both := filepath.Join(dir, "both")
	one := filepath.Join(dir, "both", "one")
	os.MkdirAll(one, 0o755)
	var a, b []etltest.Event
	for i := 0; i < 40; i++ {
		ev := etltest.WU(t0.Add(time.Duration(i)*time.Second), uint16(i%2), 100, uint32(i), "Agent", fmt.Sprintf("event %d hr=0x80070005", i))
		if i%2 == 0 {
			a = append(a, ev)
		} else {
			b = append(b, ev)
		}
	}
	for name, evs := range map[string][]etltest.Event{"WindowsUpdate.20240102.030405.001.1.etl": a, "WindowsUpdate.20240102.030405.002.1.etl": b} {
		data, err := etltest.Write(etltest.Options{BufferSize: 4096}, evs...)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(both, name), data, 0o644)
	}
	os.WriteFile(filepath.Join(one, "WindowsUpdate.20240102.050000.001.1.etl"), wuETL(t, 7, t0.Add(time.Hour)), 0o644)
	os.WriteFile(filepath.Join(both, "WindowsUpdate.log"), []byte("2024/01/02 03:04:05.0000000 100   1     Agent           text\n"), 0o644)

	ins, errs := input.Expand([]string{dir, filepath.Join(both, "WindowsUpdate.20240102.030405.002.1.etl")}, input.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var names []string
	for _, in := range ins {
		names = append(names, in.Name)
	}
	sep := string(os.PathSeparator)
	want := []string{
		both + sep + " (2 .etl files)",
		filepath.Join(both, "WindowsUpdate.log"),
		filepath.Join(one, "WindowsUpdate.20240102.050000.001.1.etl"),
		filepath.Join(both, "WindowsUpdate.20240102.030405.002.1.etl"),
	}
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Fatalf("inputs:\n%s\nwant\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	if got := ins[0].Files; len(got) != 2 || filepath.Dir(got[0]) != both || filepath.Dir(got[1]) != both {
		t.Errorf("files %q", got)
	}

	// The folder: every event of both files, in time order, each record
	// naming the file it came from.
	l, err := ins[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Name != ins[0].Name || l.Format != "etl" {
		t.Errorf("log %q format %q", l.Name, l.Format)
	}
	n := 0
	files := map[string]int{}
	for l.Scan() {
		r := l.Record()
		if r.Format != logparse.ETL || r.TID != uint32(n) || !r.Time.Equal(t0.Add(time.Duration(n)*time.Second)) ||
			string(r.Message) != fmt.Sprintf("event %d hr=0x80070005", n) || len(r.Codes) != 1 {
			t.Fatalf("record %d: %+v", n, r)
		}
		files[filepath.Base(r.File)]++
		n++
	}
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 40 || files["WindowsUpdate.20240102.030405.001.1.etl"] != 20 || files["WindowsUpdate.20240102.030405.002.1.etl"] != 20 {
		t.Errorf("%d records, by file %v", n, files)
	}
	if st := l.Stats(); st.Records != 40 || st.Encoding != "etl" {
		t.Errorf("stats %+v", st)
	}
}

// TestETLFolderBadFile: an .etl file of a folder that is not an ETL file
// leaves the records of the others, and the Log's Err names it in one line;
// when no file of the folder can be read, Open fails naming each.
func TestETLFolderBadFile(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	good := filepath.Join(dir, "WindowsUpdate.20240102.030405.001.1.etl")
	bad := filepath.Join(dir, "WindowsUpdate.20240102.030405.001.2.etl")
	os.WriteFile(good, wuETL(t, 12, t0), 0o644)
	os.WriteFile(bad, []byte("not an ETL file at all, but long enough to be looked at as one"), 0o644)
	ins, errs := input.Expand([]string{dir}, input.Options{})
	if len(errs) > 0 || len(ins) != 1 || len(ins[0].Files) != 2 {
		t.Fatalf("inputs %+v, errors %v", ins, errs)
	}
	l, err := ins[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for l.Scan() {
		n++
	}
	l.Close()
	err = l.Err()
	if n != 12 || err == nil || !strings.Contains(err.Error(), bad) || strings.Contains(err.Error(), good) || strings.Contains(err.Error(), "\n") {
		t.Errorf("%d records, err %v", n, err)
	}

	os.WriteFile(good, []byte("not this one either, and long enough to be looked at as an ETL file"), 0o644)
	_, err = ins[0].Open()
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), good) || strings.Contains(err.Error(), "\n") {
		t.Errorf("err %v", err)
	}
}
