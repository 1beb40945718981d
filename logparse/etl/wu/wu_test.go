package wu_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wulog/wulog/internal/shared"
	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/logparse/etl"
	"github.com/wulog/wulog/logparse/etl/etltest"
	"github.com/wulog/wulog/logparse/etl/guid"
	"github.com/wulog/wulog/logparse/etl/wu"
)

var t0 = time.Date(2023, 3, 21, 22, 19, 1, 814360600, time.UTC)

func corpusFile(t *testing.T, name string) string {
	p := shared.Path("corpus", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("real log corpus not found (it lives beside the repository in ../shared/corpus): %v", err)
	}
	return p
}

// scanText returns the records of a text log, cloned.
func scanText(t *testing.T, r *bytes.Reader, name string) []*logparse.Record {
	t.Helper()
	s := logparse.NewScanner(r)
	s.SetName(name)
	var out []*logparse.Record
	for s.Scan() {
		out = append(out, s.Record().Clone())
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func readSource(t *testing.T, src *wu.Source) []*logparse.Record {
	t.Helper()
	var out []*logparse.Record
	for src.Scan() {
		out = append(out, src.Record().Clone())
	}
	if err := src.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sameRecord compares what a text record and an ETL record must share.
func sameRecord(a, b *logparse.Record) string {
	switch {
	case !a.Time.Equal(b.Time):
		return fmt.Sprintf("time %v != %v", a.Time, b.Time)
	case a.PID != b.PID || a.TID != b.TID:
		return fmt.Sprintf("ids %d.%d != %d.%d", a.PID, a.TID, b.PID, b.TID)
	case a.Component != b.Component:
		return fmt.Sprintf("component %q != %q", a.Component, b.Component)
	case !bytes.Equal(a.Message, b.Message):
		return fmt.Sprintf("message %q != %q", a.Message, b.Message)
	case a.Marker != b.Marker:
		return fmt.Sprintf("marker %v != %v", a.Marker, b.Marker)
	case fmt.Sprint(a.Codes) != fmt.Sprint(b.Codes):
		return fmt.Sprintf("codes %v != %v", a.Codes, b.Codes)
	case fmt.Sprint(a.URLs) != fmt.Sprint(b.URLs) || a.Method != b.Method || a.CV != b.CV:
		return fmt.Sprintf("spans %v %v %v != %v %v %v", a.URLs, a.Method, a.CV, b.URLs, b.Method, b.CV)
	}
	return ""
}

// TestCorpusRoundTrip turns a real Get-WindowsUpdateLog file into an ETL
// file (one WUTraceLogging event per record, spread over four processors,
// compressed and not), reads it back through Source and checks every
// record equals the text scanner's record of the same line; then writes
// the records with AppendLine and checks the lines are the original
// lines, byte for byte.
func TestCorpusRoundTrip(t *testing.T) {
	path := corpusFile(t, "win10-1903_raja-fahad_wulogs_v1_2020-11-19.log")
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	all := scanText(t, bytes.NewReader(text), path)
	var recs []*logparse.Record
	for _, r := range all {
		if r.Format == logparse.Win10 {
			recs = append(recs, r)
		}
	}
	if len(recs) < 5000 {
		t.Fatalf("only %d Win10 records in the corpus file", len(recs))
	}
	// The converting machine's wall clock, taken as UTC for the round trip.
	var evs []etltest.Event
	for i, r := range recs {
		evs = append(evs, etltest.WU(r.Time, uint16(i%4), r.PID, r.TID, r.Component, string(r.Message)))
	}
	for _, compressed := range []bool{false, true} {
		t.Run(fmt.Sprintf("compressed=%v", compressed), func(t *testing.T) {
			// Events go to their processor in file order; the log is not
			// strictly in time order, so the reader's time merge is
			// compared after a stable sort by time.
			data, err := etltest.Write(etltest.Options{BufferSize: 16 << 10, Compressed: compressed, Start: recs[0].Time.Add(-time.Hour)}, evs...)
			if err != nil {
				t.Fatal(err)
			}
			r, err := etl.NewReader(bytes.NewReader(data), int64(len(data)), "wu.etl", nil)
			if err != nil {
				t.Fatal(err)
			}
			got := readSource(t, wu.NewSource(r, nil))
			if len(got) != len(recs) {
				t.Fatalf("%d ETL records, %d text records", len(got), len(recs))
			}
			want := append([]*logparse.Record(nil), recs...)
			key := func(l []*logparse.Record) {
				sort.SliceStable(l, func(i, j int) bool {
					if !l[i].Time.Equal(l[j].Time) {
						return l[i].Time.Before(l[j].Time)
					}
					return string(l[i].Message) < string(l[j].Message)
				})
			}
			key(want)
			key(got)
			bad := 0
			for i := range want {
				if got[i].Format != logparse.ETL || !got[i].ZoneKnown {
					t.Fatalf("record %d: format %v zone known %v", i, got[i].Format, got[i].ZoneKnown)
				}
				if d := sameRecord(want[i], got[i]); d != "" {
					if bad++; bad < 5 {
						t.Errorf("record %d (%s line %d): %s", i, want[i].File, want[i].Line, d)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d records differ", bad)
			}
		})
	}
	// The lines AppendLine writes are the original ones.
	lines := strings.Split(string(text), "\r\n")
	same, diff := 0, 0
	for _, r := range recs {
		line := string(wu.AppendLine(nil, r, time.UTC))
		if line == lines[r.Line-1]+"\r\n" {
			same++
		} else if diff++; diff < 5 {
			t.Errorf("line %d:\n got %q\nwant %q", r.Line, line, lines[r.Line-1])
		}
	}
	if diff > 0 {
		t.Errorf("%d of %d lines differ", diff, same+diff)
	}
}

// TestMapTokens maps an event whose Info holds the seed case's failure and
// checks the tokens logparse extracts.
func TestMapTokens(t *testing.T) {
	var rec logparse.Record
	ev := wu.Event{ProviderID: wu.ProviderID, Name: "SLS", Time: t0, PID: 19924, TID: 14968,
		Fields: []wu.Field{{Name: "Info", Value: []byte("*FAILED* [80072F8F] Method failed [CSLSClient::DownloadSLSFile:1140]\r\n")}}}
	wu.Map(&rec, &ev)
	if rec.Format != logparse.ETL || !rec.ZoneKnown || !rec.Time.Equal(t0) || rec.Component != "SLS" || rec.PID != 19924 {
		t.Errorf("record %+v", rec)
	}
	if string(rec.Message) != "*FAILED* [80072F8F] Method failed [CSLSClient::DownloadSLSFile:1140]" {
		t.Errorf("message %q", rec.Message)
	}
	if rec.Marker != logparse.MarkerFailed || len(rec.Codes) != 1 || rec.Codes[0].Value != 0x80072F8F || rec.Codes[0].Success {
		t.Errorf("tokens: marker %v codes %v", rec.Marker, rec.Codes)
	}
	if string(rec.Text(rec.Method)) != "CSLSClient::DownloadSLSFile:1140" {
		t.Errorf("method %q", rec.Text(rec.Method))
	}
	// Without an Info field the field texts are joined by spaces.
	ev.Fields = []wu.Field{{Name: "a", Value: []byte("one")}, {Name: "b", Value: []byte("two")}}
	wu.Map(&rec, &ev)
	if string(rec.Message) != "one two" {
		t.Errorf("joined message %q", rec.Message)
	}
}

func TestIsWindowsUpdate(t *testing.T) {
	if !wu.IsWindowsUpdate(guid.MustParse("{0b7a6f19-47c4-454e-8c5c-e868d637e4d8}"), "") {
		t.Error("WU GUID not recognised")
	}
	if wu.IsWindowsUpdate(guid.MustParse("{0b7a6f19-47c4-454e-8c5c-e868d637e4d9}"), "WUTraceLogging") {
		t.Error("the ...e4d9 GUID is not Windows Update's")
	}
	if !wu.IsWindowsUpdate(guid.Zero, "WUTraceLogging") {
		t.Error("name without GUID not recognised")
	}
}

// TestPre1709 reads a Windows Update file of build 14393 whose events are
// WPP messages: one Unparsed record says that it needs Microsoft's
// symbols, and Stats counts the messages in NoSymbols.
func TestPre1709(t *testing.T) {
	var buf bytes.Buffer
	w, err := etltest.NewWriter(&buf, etltest.Options{OSBuild: 14393, BufferSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		if err := w.AddWPP(uint16(i%2), 1000, 2000, t0.Add(time.Duration(i)*time.Millisecond), wu.ProviderID, uint16(i), []byte{1, 2, 3, 4}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := etl.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "WindowsUpdate.20170101.etl", nil)
	if err != nil {
		t.Fatal(err)
	}
	src := wu.NewSource(r, nil)
	got := readSource(t, src)
	if len(got) != 1 || got[0].Format != logparse.Unparsed || !strings.Contains(got[0].Reason, wu.NeedsSymbols) ||
		!strings.Contains(got[0].Reason, "build 14393") || got[0].File != "WindowsUpdate.20170101.etl" {
		t.Fatalf("records %+v", got)
	}
	if st := src.Stats(); st.NoSymbols != 50 || !st.DecodedWithoutSymbols() || st.Lines != 51 || st.Encoding != "etl" {
		t.Errorf("stats %+v", st)
	}
}

// TestDamagedAndOtherProviders: a truncated file gives an Unparsed record
// naming the damage; events of other providers are skipped unless asked.
func TestDamagedAndOtherProviders(t *testing.T) {
	var evs []etltest.Event
	for i := 0; i < 100; i++ {
		evs = append(evs, etltest.WU(t0.Add(time.Duration(i)*time.Second), 0, 1, 2, "Agent", fmt.Sprintf("message %d", i)))
		o := etltest.Event{Provider: "Other", ProviderID: guid.MustParse("{11111111-1111-1111-1111-111111111111}"), Name: "Ev",
			Fields: []etltest.Field{etltest.String("Text", "x")}, Time: t0.Add(time.Duration(i)*time.Second + 1)}
		evs = append(evs, o)
	}
	data, err := etltest.Write(etltest.Options{BufferSize: 2048}, evs...)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := etl.NewReader(bytes.NewReader(data), int64(len(data)), "a.etl", nil)
	if got := readSource(t, wu.NewSource(r, nil)); len(got) != 100 {
		t.Errorf("%d records, want the 100 Windows Update ones", len(got))
	}
	r, _ = etl.NewReader(bytes.NewReader(data), int64(len(data)), "a.etl", nil)
	if got := readSource(t, wu.NewSource(r, &wu.Options{AllProviders: true})); len(got) != 200 || got[1].Component != "Ev" || string(got[1].Message) != "x" {
		t.Errorf("%d records with all providers", len(got))
	}
	cut := data[:len(data)-1500]
	r, _ = etl.NewReader(bytes.NewReader(cut), int64(len(cut)), "cut.etl", nil)
	src := wu.NewSource(r, nil)
	got := readSource(t, src)
	var damaged []*logparse.Record
	for _, rec := range got {
		if rec.Format == logparse.Unparsed {
			damaged = append(damaged, rec)
		}
	}
	if len(damaged) != 1 || !strings.Contains(damaged[0].Reason, "cut short") || damaged[0].File != "cut.etl" {
		t.Errorf("damage records %v", damaged)
	}
	if st := src.Stats(); st.Records != int64(len(got)-1) || st.Unparsed != 1 {
		t.Errorf("stats %+v for %d records", st, len(got))
	}
}

// TestDamageInOverlappingFiles merges two files whose times interleave and
// whose damaged buffers are found alternately: each damaged buffer must
// give exactly one Unparsed record, none twice and none lost.
func TestDamageInOverlappingFiles(t *testing.T) {
	const bufSize = 1024
	var readers []*etl.Reader
	want := map[string]bool{}
	for f := 0; f < 2; f++ {
		var evs []etltest.Event
		for i := 0; i < 120; i++ {
			tt := t0.Add(time.Duration(2*i+f) * time.Second)
			evs = append(evs, etltest.WU(tt, 0, 1, uint32(f), "Agent", fmt.Sprintf("file %d event %d", f, i)))
		}
		data, err := etltest.Write(etltest.Options{BufferSize: bufSize, Start: t0.Add(time.Duration(f) * time.Second)}, evs...)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("f%d.etl", f)
		if n := len(data) / bufSize; n < 8 {
			t.Fatalf("%s has %d buffers, want at least 8", name, n)
		}
		// The first record of buffers 2 and 5 claims to run past its
		// buffer: both are found while reading, not when indexing.
		for _, b := range []int{2, 5} {
			binary.LittleEndian.PutUint16(data[b*bufSize+0x48:], 0xFFF0)
			want[fmt.Sprintf("%s@%d", name, b*bufSize)] = true
		}
		r, err := etl.NewReader(bytes.NewReader(data), int64(len(data)), name, nil)
		if err != nil {
			t.Fatal(err)
		}
		readers = append(readers, r)
	}
	m := etl.Merge(readers...)
	got := map[string]int{}
	for _, rec := range readSource(t, wu.NewSource(m, nil)) {
		if rec.Format == logparse.Unparsed {
			got[fmt.Sprintf("%s@%d", rec.File, rec.Offset)]++
		}
	}
	for k := range want {
		if got[k] != 1 {
			t.Errorf("damaged buffer %s reported %d times, want once", k, got[k])
		}
	}
	for k, n := range got {
		if !want[k] {
			t.Errorf("unexpected damage record %s (%d times)", k, n)
		}
	}
	if ps := m.Problems(); len(ps) != len(want) {
		t.Errorf("Problems() = %v, want %d", ps, len(want))
	}
}
