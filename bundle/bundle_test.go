package bundle

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/logparse/etl/etltest"
	"github.com/wulog/wulog/logparse/etl/wu"
)

// factsSource is a FactSource with fixed facts.
type factsSource struct {
	f   *diagnose.Facts
	err error
}

func (s factsSource) Name() string { return "test facts" }
func (s factsSource) Facts(context.Context) (*diagnose.Facts, error) {
	return s.f, s.err
}

var collected = time.Date(2024, 5, 2, 10, 0, 0, 0, time.UTC)

func testFacts() *diagnose.Facts {
	return &diagnose.Facts{
		Host: "PC1", CollectedAt: collected, Live: true,
		Registry: map[string]diagnose.Fact[diagnose.RegValue]{
			diagnose.RegDisallowedSync: {Known: true, Value: diagnose.RegValue{Exists: true, Type: diagnose.RegBinary, Data: []byte{0, 0x80, 0x3e, 0xd5, 0xde, 0xb1, 0xd9, 0x01}}},
		},
		KeySecurity: map[string]diagnose.Fact[[]byte]{},
		Services:    map[string]diagnose.Fact[diagnose.Service]{},
	}
}

// writeETL writes a Windows Update .etl file with one event per message,
// a second apart from start.
func writeETL(t *testing.T, path string, start time.Time, msgs ...string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := etltest.NewWriter(f, etltest.Options{Start: start})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range msgs {
		err := w.Add(etltest.Event{Provider: wu.ProviderName, ProviderID: wu.ProviderID, Name: "Misc",
			Fields: []etltest.Field{etltest.String(wu.InfoField, m)},
			Time:   start.Add(time.Duration(i+1) * time.Second), PID: 1234, TID: 5678})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCollectWritesWhatAnalyzeReads(t *testing.T) {
	dir := t.TempDir()
	etlDir := filepath.Join(dir, "WindowsUpdate")
	os.Mkdir(etlDir, 0o755)
	t0 := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	writeETL(t, filepath.Join(etlDir, "WindowsUpdate.20240501.080000.1.etl"), t0, "*FAILED* [80072F8F] Send request", "*FAILED* [80072F8F] Library download error. Will retry. Retry Counter:0")
	writeETL(t, filepath.Join(etlDir, "WindowsUpdate.20240501.090000.2.etl"), t0.Add(time.Hour), "* END * Finding updates Exit code = 0x80072F8F")
	os.WriteFile(filepath.Join(etlDir, "readme.txt"), []byte("not a trace"), 0o644)

	var zipped bytes.Buffer
	m, err := Collect(context.Background(), &zipped, CollectOptions{Facts: factsSource{f: testFacts()}, ETLDir: etlDir, TempDir: dir, ToolVersion: "1.2.3", Now: func() time.Time { return collected }})
	if err != nil {
		t.Fatal(err)
	}
	if m.Host != "PC1" || m.ToolVersion != "1.2.3" || len(m.Files) != 4 || m.LogTimeZone != "UTC" || len(m.Notes) != 0 {
		t.Fatalf("manifest %+v", m)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "wulog-etl-*")); len(left) != 0 {
		t.Errorf("temporary copies left: %v", left)
	}

	b, err := NewReader(bytes.NewReader(zipped.Bytes()), int64(zipped.Len()), "bundle.zip")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(); err != nil {
		t.Fatal(err)
	}
	etls := b.Manifest.ETLFiles()
	if len(etls) != 2 || etls[0] != "etl/WindowsUpdate.20240501.080000.1.etl" {
		t.Errorf("etl files %v", etls)
	}
	if f, _ := b.Manifest.File(etls[0]); f.Source != filepath.Join(etlDir, "WindowsUpdate.20240501.080000.1.etl") || f.ModTime.IsZero() {
		t.Errorf("etl entry %+v", f)
	}
	facts, err := b.Facts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if facts.Host != "PC1" || !facts.CollectedAt.Equal(collected) {
		t.Errorf("facts %+v", facts)
	}
	if tm, err := facts.Registry[diagnose.RegDisallowedSync].Value.FileTime(); err != nil || tm.Year() != 2023 {
		t.Errorf("FILETIME through the bundle: %v %v", tm, err)
	}

	// The log reads back with the text scanner, in time order across files.
	rc, err := b.Open(LogName)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	sc := logparse.NewScanner(rc)
	var recs []*logparse.Record
	for sc.Scan() {
		recs = append(recs, sc.Record().Clone())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records in WindowsUpdate.log", len(recs))
	}
	if !recs[0].Time.Equal(t0.Add(time.Second)) || recs[0].Component != "Misc" || recs[0].PID != 1234 || len(recs[0].Codes) != 1 || recs[0].Codes[0].Value != 0x80072F8F {
		t.Errorf("first record %+v", recs[0])
	}
	if !recs[2].Time.Equal(t0.Add(time.Hour+time.Second)) || !strings.Contains(string(recs[2].Message), "Exit code = 0x80072F8F") {
		t.Errorf("last record %+v", recs[2])
	}
}

func TestCollectNotesWhatIsMissing(t *testing.T) {
	var zipped bytes.Buffer
	m, err := Collect(context.Background(), &zipped, CollectOptions{Facts: factsSource{f: testFacts()}, ETLDir: filepath.Join(t.TempDir(), "none")})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 1 || m.Files[0].Name != SnapshotName || len(m.Notes) != 1 || !strings.Contains(m.Notes[0], "no .etl files collected") {
		t.Errorf("manifest %+v", m)
	}
	// A source that cannot work at all stops the collection.
	_, err = Collect(context.Background(), io.Discard, CollectOptions{Facts: factsSource{err: errors.New("needs Windows")}})
	if err == nil || !strings.Contains(err.Error(), "needs Windows") {
		t.Errorf("err = %v", err)
	}
}

func TestCollectNotesUndecodableTraces(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "WindowsUpdate.1.etl"), []byte("garbage, not an ETL file at all"), 0o644)
	var zipped bytes.Buffer
	m, err := Collect(context.Background(), &zipped, CollectOptions{Facts: factsSource{f: testFacts()}, ETLDir: dir, TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.File(LogName); ok || len(m.ETLFiles()) != 1 {
		t.Errorf("files %+v", m.Files)
	}
	notes := strings.Join(m.Notes, "\n")
	if !strings.Contains(notes, "WindowsUpdate.log not written") || !strings.Contains(notes, filepath.Join(dir, "WindowsUpdate.1.etl")) {
		t.Errorf("notes %q", notes)
	}
}

// rezip copies a bundle's entries, letting edit change each (nil drops it).
func rezip(t *testing.T, src []byte, edit func(name string, data []byte) []byte, extra map[string][]byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if data = edit(f.Name, data); data == nil {
			continue
		}
		w, _ := zw.Create(f.Name)
		w.Write(data)
	}
	for n, d := range extra {
		w, _ := zw.Create(n)
		w.Write(d)
	}
	zw.Close()
	return out.Bytes()
}

func smallBundle(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf, Manifest{Host: "PC1", CreatedAt: collected})
	if err := w.Add(File{Name: LogName}, strings.NewReader("2024/05/02 10:00:00.0000000 1 2 Misc            *FAILED* [80072F8F] Send request\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Create(File{Name: "../evil"}); err == nil {
		t.Error("unsafe name accepted by the writer")
	}
	if err := w.Add(File{Name: LogName}, strings.NewReader("")); err == nil {
		t.Error("duplicate name accepted by the writer")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func open(b []byte) (*Bundle, error) { return NewReader(bytes.NewReader(b), int64(len(b)), "b.zip") }

func TestReaderRefusesDamagedBundles(t *testing.T) {
	good := smallBundle(t)
	if b, err := open(good); err != nil || b.Verify() != nil {
		t.Fatalf("good bundle: %v", err)
	}
	same := func(_ string, d []byte) []byte { return d }
	cases := []struct {
		name string
		zip  []byte
		want string
	}{
		{"tampered, same size", rezip(t, good, func(n string, d []byte) []byte {
			if n == LogName {
				return bytes.Replace(d, []byte("80072F8F"), []byte("80072EFD"), 1)
			}
			return d
		}, nil), "SHA-256"},
		{"file missing", rezip(t, good, func(n string, d []byte) []byte {
			if n == LogName {
				return nil
			}
			return d
		}, nil), "which the zip lacks"},
		{"file not listed", rezip(t, good, same, map[string][]byte{"etl/x.etl": []byte("x")}), "not in the manifest"},
		{"unsafe name", rezip(t, good, func(n string, d []byte) []byte {
			return bytes.ReplaceAll(d, []byte(`"WindowsUpdate.log"`), []byte(`"../WindowsUpdate.log"`))
		}, nil), "unsafe file name"},
		{"future format", rezip(t, good, func(n string, d []byte) []byte {
			return bytes.ReplaceAll(d, []byte(Format), []byte("wulog.bundle/v9"))
		}, nil), "not supported"},
		{"no manifest", rezip(t, good, func(n string, d []byte) []byte {
			if n == ManifestName {
				return nil
			}
			return d
		}, nil), "not a wulog bundle"},
		{"not a zip", []byte("PK\x03\x04 nonsense"), "zip"},
	}
	for _, c := range cases {
		b, err := open(c.zip)
		// A zip with a wulog manifest that does not check out is a broken
		// bundle; a zip without one, or no zip at all, is not a bundle.
		var broken *BrokenError
		wantBroken := c.name != "no manifest" && c.name != "not a zip"
		if err != nil && errors.As(err, &broken) != wantBroken {
			t.Errorf("%s: BrokenError = %v, want %v (err %v)", c.name, !wantBroken, wantBroken, err)
		}
		if err == nil {
			err = b.Verify()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "b.zip: ") {
			t.Errorf("%s: error %q does not start with the bundle's name", c.name, err)
		}
	}
	if _, err := open(rezip(t, good, func(n string, d []byte) []byte {
		if n == ManifestName {
			return nil
		}
		return d
	}, nil)); !errors.Is(err, ErrNotBundle) {
		t.Errorf("plain zip: %v, want ErrNotBundle", err)
	}
}

func TestOpenAndIsBundle(t *testing.T) {
	p := filepath.Join(t.TempDir(), "b.zip")
	os.WriteFile(p, smallBundle(t), 0o644)
	if !IsBundle(p) || IsBundle(filepath.Join(t.TempDir(), "none.zip")) {
		t.Error("IsBundle")
	}
	b, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !strings.Contains(b.Name(), "b.zip") || !strings.Contains(b.Name(), "PC1") || !b.Has(LogName) || b.Has(SnapshotName) {
		t.Errorf("name %q", b.Name())
	}
	if _, err := b.Facts(context.Background()); err == nil || !strings.Contains(err.Error(), "no snapshot.json") {
		t.Errorf("facts of a bundle without snapshot: %v", err)
	}
}

func FuzzNewReader(f *testing.F) {
	f.Add(smallBundleForFuzz())
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := NewReader(bytes.NewReader(data), int64(len(data)), "fuzz.zip")
		if err != nil {
			return
		}
		for _, f := range b.Manifest.Files {
			if checkName(f.Name) != nil {
				t.Fatalf("unsafe name %q accepted", f.Name)
			}
		}
		_ = b.Verify()
	})
}

func smallBundleForFuzz() []byte {
	var buf bytes.Buffer
	w := NewWriter(&buf, Manifest{Host: "h", CreatedAt: collected})
	w.Add(File{Name: LogName}, strings.NewReader("x"))
	w.Close()
	return buf.Bytes()
}
