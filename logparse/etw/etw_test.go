package etw

import (
	"bufio"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wulog/wulog/internal/shared"
	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/logparse/etl/wu"
)

// corpusFile returns a file of ../shared/corpus, or skips.
func corpusFile(t *testing.T, name string) string {
	t.Helper()
	p := shared.Path("corpus", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared corpus not available: %v", err)
	}
	return p
}

const wuGUID = "{0B7A6F19-47C4-454E-8C5C-E868D637E4D8}"

// TestLiveEventsMatchTheTextLog feeds the events behind a real
// Get-WindowsUpdateLog excerpt through the Watcher, as golang-etw would
// deliver them, and checks that every record equals the one the text
// scanner reads from the printed line (apart from time zone, format and
// position, which differ by nature).
func TestLiveEventsMatchTheTextLog(t *testing.T) {
	path := corpusFile(t, "excerpt_win10-22H2_gyojir-blog_80072F8F_SLS-cert-revocation_2023-03-21.txt")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := logparse.NewScanner(f)
	var want []*logparse.Record
	for sc.Scan() {
		if r := sc.Record(); r.Format == logparse.Win10 {
			want = append(want, r.Clone())
		}
	}
	if err := sc.Err(); err != nil || len(want) < 10 {
		t.Fatalf("%d win10 records, err %v", len(want), err)
	}

	ch := make(chan eventData, len(want)+1)
	// An event of another provider in the same session is skipped.
	ch <- eventData{ProviderGUID: "{22FB2CD6-0E7B-422B-A0C7-2FAD1FD0E716}", Name: "Other", Data: map[string]any{"Info": "x"}}
	for _, r := range want {
		ch <- eventData{
			ProviderGUID: wuGUID, ProviderName: "WUTraceLogging", Name: r.Component,
			Time: r.Time, PID: r.PID, TID: r.TID, Level: 4, Keyword: 0x20,
			Data: map[string]any{"Info": string(r.Message)},
		}
	}
	close(ch)
	w := newWatcher(context.Background(), ch, func() error { return nil }, func() error { return nil })
	defer w.Close()
	i := 0
	for w.Scan() {
		got := w.Record()
		if i >= len(want) {
			t.Fatalf("more records than events")
		}
		exp := want[i]
		if got.Format != logparse.ETL || !got.ZoneKnown || got.Time.Location() != time.UTC || !got.Time.Equal(exp.Time) {
			t.Errorf("record %d: format %v zone %v time %v", i, got.Format, got.ZoneKnown, got.Time)
		}
		if got.Component != exp.Component || string(got.Message) != string(exp.Message) || got.PID != exp.PID || got.TID != exp.TID {
			t.Errorf("record %d: %s %q, want %s %q", i, got.Component, got.Message, exp.Component, exp.Message)
		}
		if got.Marker != exp.Marker || len(got.Codes) != len(exp.Codes) || len(got.URLs) != len(exp.URLs) || got.Method != exp.Method {
			t.Errorf("record %d: tokens %v %v %v %v, text scanner %v %v %v %v", i, got.Marker, got.Codes, got.URLs, got.Method, exp.Marker, exp.Codes, exp.URLs, exp.Method)
		}
		for j := range got.Codes {
			if got.Codes[j] != exp.Codes[j] {
				t.Errorf("record %d code %d: %+v, want %+v", i, j, got.Codes[j], exp.Codes[j])
			}
		}
		if got.Line != int64(i+1) || !strings.Contains(got.File, SessionName) {
			t.Errorf("record %d: line %d file %q", i, got.Line, got.File)
		}
		i++
	}
	if w.Err() != nil || i != len(want) {
		t.Fatalf("%d of %d records, err %v", i, len(want), w.Err())
	}
	st := w.Stats()
	if st.Lines != int64(len(want)) || st.Formats[logparse.ETL] != int64(len(want)) || st.Failures == 0 || st.Encoding != "etw" {
		t.Errorf("stats %+v", st)
	}
}

func TestToWUOrdersFields(t *testing.T) {
	var ev wu.Event
	toWU(eventData{ProviderGUID: "not a guid", ProviderName: "WUTraceLogging", Name: "Agent",
		Data: map[string]any{"b": []string{"", "", "x", "y"}, "Info": "hello", "a": 7, "s": []map[string]string{{"k": "v", "j": "w"}}}}, &ev)
	var names, values []string
	for _, f := range ev.Fields {
		names = append(names, f.Name)
		values = append(values, string(f.Value))
	}
	if strings.Join(names, ",") != "Info,a,b,s" || strings.Join(values, "|") != "hello|7|x, y|{j=w k=v}" {
		t.Errorf("fields %v = %q", names, values)
	}
	if !ev.ProviderID.IsZero() || !wu.IsWindowsUpdate(ev.ProviderID, ev.ProviderName) {
		t.Errorf("an unreadable GUID must leave the name to decide: %v", ev.ProviderID)
	}
}

func TestWatcherStopsOnCancelAndReportsSessionErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan eventData)
	stops := 0
	w := newWatcher(ctx, ch, func() error { return errors.New("never asked") }, func() error { stops++; close(ch); return nil })
	done := make(chan bool)
	go func() { done <- w.Scan() }()
	cancel()
	if <-done || w.Err() != nil {
		t.Errorf("cancelled watcher: scan true or err %v", w.Err())
	}
	w.Close()
	w.Close()
	if stops != 1 {
		t.Errorf("session stopped %d times", stops)
	}

	ch2 := make(chan eventData)
	close(ch2)
	boom := errors.New("ProcessTrace: access denied")
	w2 := newWatcher(context.Background(), ch2, func() error { return boom }, nil)
	if w2.Scan() || !errors.Is(w2.Err(), boom) {
		t.Errorf("session failure: err %v", w2.Err())
	}
	if w2.Close() != nil {
		t.Error("Close without a session")
	}
}

func ExampleWatcher() {
	// On Windows, from an elevated prompt: follow Windows Update until
	// Ctrl-C (cancel ctx), then stop the session.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	w, err := Open(ctx)
	if err != nil {
		// On Linux: ErrNeedsWindows.
		return
	}
	defer w.Close()
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for w.Scan() {
		r := w.Record()
		out.WriteString(r.Component + " " + string(r.Message) + "\n")
	}
}

// BenchmarkEventToRecord measures the per-event work of a live session:
// the golang-etw property map to a wu.Event, then wu.Map to a record.
func BenchmarkEventToRecord(b *testing.B) {
	d := eventData{ProviderGUID: wuGUID, ProviderName: "WUTraceLogging", Name: "SLS", Time: time.Now(), PID: 19924, TID: 14968,
		Data: map[string]any{"Info": "Complete the request URL HTTPS://slscr.update.microsoft.com/SLS/{9482F4B4-E343-43B6-B170-9A65BC822C77}/x64/10.0.19045.2728/0?CH=584 with [80072F8F] and http status code[0] and send SLS events."}}
	var ev wu.Event
	var rec logparse.Record
	b.SetBytes(int64(len(d.Data["Info"].(string))))
	b.ReportAllocs()
	for b.Loop() {
		toWU(d, &ev)
		wu.Map(&rec, &ev)
	}
}
