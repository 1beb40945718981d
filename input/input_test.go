package input_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wulog/wulog/input"
	"github.com/wulog/wulog/logparse"
)

// readAll opens in and returns its record count and failure count.
func readAll(t *testing.T, in input.Input) (records, failures int, err error) {
	t.Helper()
	l, err := in.Open()
	if err != nil {
		return 0, 0, err
	}
	defer l.Close()
	for l.Scan() {
		r := l.Record()
		if r.File != in.Name {
			t.Errorf("record File %q, want %q", r.File, in.Name)
		}
		if r.IsRecord() {
			records++
		}
		failures += len(r.Failures())
	}
	return records, failures, l.Err()
}

func TestExpandAndOpen(t *testing.T) {
	dir := t.TempDir()
	// A directory tree with logs, an archive, and files that are not logs.
	for name, src := range map[string]string{
		"a/WindowsUpdate.log":      "testdata/WindowsUpdate.log",
		"a/b/WindowsUpdate.log.gz": "testdata/WindowsUpdate.log.gz",
		"a/b/bundle.zip":           "testdata/bundle.zip",
		"a/notes.md":               "testdata/WindowsUpdate.log",
		"a/c/tool.exe":             "testdata/binary.dat",
	} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ins, errs := input.Expand([]string{filepath.Join(dir, "a")}, input.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var names []string
	for _, in := range ins {
		names = append(names, strings.TrimPrefix(in.Name, dir+string(filepath.Separator)))
	}
	want := []string{
		"a/WindowsUpdate.log",
		"a/b/WindowsUpdate.log.gz",
		"a/b/bundle.zip:WindowsUpdate.log",
		"a/b/bundle.zip:logs/old/WindowsUpdate.txt",
	}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Fatalf("inputs %q, want %q", names, want)
	}
	for _, in := range ins {
		recs, fails, err := readAll(t, in)
		if err != nil || recs != 2 || fails != 2 {
			t.Errorf("%s: %d records, %d failures, %v", in.Name, recs, fails, err)
		}
	}
}

func TestErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	missing := filepath.Join(dir, "missing.log")
	ins, errs := input.Expand([]string{missing, empty, "testdata/binary.dat", "testdata/WindowsUpdate.log"}, input.Options{})
	if len(errs) != 2 {
		t.Fatalf("errors %v", errs)
	}
	for i, want := range []string{missing + ": no such file or directory", empty + ": is a directory with no Windows Update logs"} {
		if !strings.HasPrefix(errs[i].Error(), want) || strings.Contains(errs[i].Error(), "\n") {
			t.Errorf("error %q, want prefix %q", errs[i], want)
		}
	}
	if len(ins) != 2 {
		t.Fatalf("inputs %v", ins)
	}
	_, err := ins[0].Open()
	if !errors.Is(err, input.ErrBinary) || !strings.HasPrefix(err.Error(), "testdata/binary.dat: binary file") {
		t.Errorf("binary file: %v", err)
	}
	if _, _, err := readAll(t, ins[1]); err != nil {
		t.Errorf("the other file: %v", err)
	}
}

func TestStdin(t *testing.T) {
	data, _ := os.ReadFile("testdata/WindowsUpdate.log.gz")
	ins, errs := input.Expand([]string{"-"}, input.Options{Stdin: strings.NewReader(string(data))})
	if len(errs) > 0 || len(ins) != 1 || ins[0].Name != input.StdinName {
		t.Fatalf("%v %v", ins, errs)
	}
	// Compressed standard input is recognised by its content.
	recs, fails, err := readAll(t, ins[0])
	if err != nil || recs != 2 || fails != 2 {
		t.Errorf("%d records, %d failures, %v", recs, fails, err)
	}
}

func TestRegisteredDecoder(t *testing.T) {
	input.Register(input.Decoder{
		Name:  "fake",
		Ext:   []string{".fake"},
		Sniff: func(head []byte) bool { return strings.HasPrefix(string(head), "FAKE\x00") },
		New: func(f input.File) (logparse.Source, error) {
			data, err := io.ReadAll(f)
			if err != nil {
				return nil, err
			}
			// Stand-in for a binary format: the text after the magic.
			s := logparse.NewScanner(strings.NewReader(string(data[5:])))
			s.SetName(f.Name)
			return s, nil
		},
	})
	if !input.LooksLikeLog("x/trace.FAKE") {
		t.Error("registered extension not taken")
	}
	log, _ := os.ReadFile("testdata/WindowsUpdate.log")
	p := filepath.Join(t.TempDir(), "trace.fake")
	os.WriteFile(p, append([]byte("FAKE\x00"), log...), 0o644)
	l, err := input.Input{Name: p, Path: p}.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	n := 0
	for l.Scan() {
		n++
	}
	if l.Format != "fake" || n != 2 {
		t.Errorf("format %q, %d records", l.Format, n)
	}
}

func ExampleExpand() {
	ins, errs := input.Expand([]string{"testdata/bundle.zip", "testdata/no-such.log"}, input.Options{})
	for _, err := range errs {
		fmt.Println("error:", err)
	}
	for _, in := range ins {
		l, err := in.Open()
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		for l.Scan() {
			r := l.Record()
			fmt.Println(r.File, r.Line, r.Component, r.Failures()[0].Value == 0x80072F8F)
		}
		l.Close()
	}
	// Output:
	// error: testdata/no-such.log: no such file or directory
	// testdata/bundle.zip:WindowsUpdate.log 1 Misc true
	// testdata/bundle.zip:WindowsUpdate.log 2 Agent true
	// testdata/bundle.zip:logs/old/WindowsUpdate.txt 1 Misc true
	// testdata/bundle.zip:logs/old/WindowsUpdate.txt 2 Agent true
}

// TestOpenUTF16 checks that UTF-16 logs, whose every other byte is NUL, are
// opened as text, not refused as binary, with and without byte order mark.
func TestOpenUTF16(t *testing.T) {
	for _, tc := range []struct{ file, enc string }{
		{"win10-utf16le-bom.log", logparse.EncodingUTF16LE},
		{"win10-utf16be-bom.log", logparse.EncodingUTF16BE},
		{"win10-utf16le-nobom.log", logparse.EncodingUTF16LE},
	} {
		p := filepath.Join("..", "logparse", "testdata", tc.file)
		l, err := input.Input{Name: p, Path: p}.Open()
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		n := 0
		for l.Scan() {
			if l.Record().Format == logparse.Win10 {
				n++
			}
		}
		if st := l.Stats(); l.Format != "text" || st.Encoding != tc.enc || n != 5 || l.Err() != nil {
			t.Errorf("%s: format %q, encoding %q, %d Win10 records, err %v; want text, %s, 5", tc.file, l.Format, st.Encoding, n, l.Err(), tc.enc)
		}
		l.Close()
	}
}
