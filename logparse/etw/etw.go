// Package etw follows Windows Update live: it runs a real-time ETW session
// on the Windows Update TraceLogging provider (WUTraceLogging,
// {0b7a6f19-47c4-454e-8c5c-e868d637e4d8}) and yields each event as a
// logparse.Record, through the same mapping as .etl files
// (logparse/etl/wu.Map).
//
// It is the only package of wulog that imports github.com/0xrawsec/golang-etw,
// which is GPL-3.0: Windows binaries built with it are covered by the GPL.
// Build with -tags noetw to leave it out; [Open] then returns [ErrNoETW].
// The session part is Windows-only and as thin as possible; everything else
// (turning an event into a record, the Scan loop) is plain Go tested on
// every OS. On other systems [Open] returns [ErrNeedsWindows].
//
// The session has a fixed name, [SessionName]. A session outlives the
// process that started it, and keeps its name busy until it is stopped or
// the machine restarts, so [Watcher.Close] always stops it, and Open stops
// a session of the same name left behind by a process that was killed.
package etw

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/logparse/etl/guid"
	"github.com/wulog/wulog/logparse/etl/wu"
)

// SessionName is the name of wulog's real-time ETW session.
const SessionName = "wulog-watch"

// ErrNeedsWindows is returned by Open on systems other than Windows.
var ErrNeedsWindows = errors.New("live ETW needs Windows; on other systems analyze .etl files, or a bundle made by `wulog collect` on the Windows machine")

// ErrNoETW is returned by Open in binaries built with the noetw tag.
var ErrNoETW = errors.New("this wulog was built with -tags noetw, without live ETW (golang-etw is GPL-3.0); use a build without the tag, or `wulog collect` and analyze the bundle")

// eventData is what the Windows layer copies out of a golang-etw event:
// plain values, so that the mapping is tested on every OS.
type eventData struct {
	ProviderGUID string // "{0B7A6F19-47C4-454E-8C5C-E868D637E4D8}"
	ProviderName string
	// Name is the TraceLogging event name, which TDH reports as the task
	// name; for Windows Update it is the component.
	Name     string
	Time     time.Time
	PID, TID uint32
	Level    uint8
	Keyword  uint64
	// Data holds the decoded properties: golang-etw renders every value as
	// a string, arrays as []string, structs as []map[string]string.
	Data map[string]any
}

// toWU turns an event into the mapping's input. The "Info" field comes
// first, then the others by name (golang-etw gives them as a map).
func toWU(d eventData, ev *wu.Event) {
	ev.ProviderID, _ = guid.Parse(d.ProviderGUID) // zero when unreadable: the name decides
	ev.ProviderName = d.ProviderName
	ev.Name = d.Name
	ev.Time = d.Time
	ev.PID, ev.TID = d.PID, d.TID
	ev.Level, ev.Keyword = d.Level, d.Keyword
	ev.Fields = ev.Fields[:0]
	names := slices.Sorted(maps.Keys(d.Data))
	if i := slices.Index(names, wu.InfoField); i > 0 {
		names = append(append([]string{wu.InfoField}, names[:i]...), names[i+1:]...)
	}
	for _, n := range names {
		ev.Fields = append(ev.Fields, wu.Field{Name: n, Value: []byte(valueText(d.Data[n]))})
	}
}

// valueText renders a property value as text.
func valueText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []string:
		var parts []string
		for _, s := range x {
			if s != "" { // golang-etw pads its arrays with empty strings
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	case []map[string]string:
		var parts []string
		for _, m := range x {
			var kv []string
			for _, k := range slices.Sorted(maps.Keys(m)) {
				kv = append(kv, k+"="+m[k])
			}
			parts = append(parts, "{"+strings.Join(kv, " ")+"}")
		}
		return strings.Join(parts, ", ")
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// Watcher yields the Windows Update events of a live ETW session as
// records. It implements logparse.Source; Scan blocks until the next
// event, and returns false when the context given to Open ends (Err is
// then nil: stopping is the normal way to end) or the session fails.
// Always call Close.
type Watcher struct {
	ctx    context.Context
	events <-chan eventData
	errf   func() error // the session's error once events is closed
	stop   func() error

	rec   logparse.Record
	ev    wu.Event
	stats logparse.Stats
	err   error

	closeOnce sync.Once
	closeErr  error
}

var _ logparse.Source = (*Watcher)(nil)

// newWatcher wraps a channel of events; stop ends the session and must
// close events.
func newWatcher(ctx context.Context, events <-chan eventData, errf, stop func() error) *Watcher {
	w := &Watcher{ctx: ctx, events: events, errf: errf, stop: stop}
	w.stats.Encoding = "etw"
	return w
}

// Scan waits for the next Windows Update event.
func (w *Watcher) Scan() bool {
	for w.err == nil {
		select {
		case <-w.ctx.Done():
			return false
		case d, ok := <-w.events:
			if !ok {
				if w.ctx.Err() != nil {
					return false // stopped by the caller
				}
				if w.errf != nil {
					w.err = w.errf()
				}
				return false
			}
			toWU(d, &w.ev)
			if !wu.IsWindowsUpdate(w.ev.ProviderID, w.ev.ProviderName) {
				continue
			}
			w.stats.Lines++
			wu.Map(&w.rec, &w.ev)
			w.rec.File = "ETW session " + SessionName
			w.rec.Line = w.stats.Lines
			w.rec.Offset = 0
			w.stats.Records++
			w.stats.Formats[logparse.ETL]++
			w.stats.Bytes += int64(len(w.rec.Message))
			w.stats.Codes += int64(len(w.rec.Codes))
			w.stats.Failures += int64(len(w.rec.Failures()))
			return true
		}
	}
	return false
}

// Record returns the record of the last successful Scan; it is valid
// until the next Scan.
func (w *Watcher) Record() *logparse.Record { return &w.rec }

// Err returns the session's error, or nil when it ended because the
// context ended.
func (w *Watcher) Err() error { return w.err }

// Stats returns the totals so far: Lines counts the Windows Update events.
func (w *Watcher) Stats() logparse.Stats { return w.stats }

// Close stops the ETW session. It is safe to call more than once.
func (w *Watcher) Close() error {
	w.closeOnce.Do(func() {
		if w.stop != nil {
			w.closeErr = w.stop()
		}
	})
	return w.closeErr
}
