package wu

import (
	"fmt"
	"time"

	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/logparse/etl"
)

// Options change what a Source returns.
type Options struct {
	// AllProviders maps the TraceLogging events of every provider, not
	// only Windows Update's (Get-WindowsUpdateLog keeps only
	// WUTraceLogging).
	AllProviders bool
}

// Source reads the Windows Update records of ETL files (one file or a
// time-merged set, see etl.Merge) and implements logparse.Source.
//
// Besides one record per Windows Update event, it returns Unparsed records
// with a Reason for what it cannot decode, so that nothing is dropped
// silently: one per file holding WPP messages (Windows Update before
// Windows 10 1709, see NeedsSymbols), one per damaged buffer, and one per
// Windows Update event whose payload does not match its metadata. Events of
// other providers are skipped (counted in Stats().Lines).
type Source struct {
	ev      etl.Events
	opts    Options
	rec     logparse.Record
	wev     Event
	fields  []Field
	text    []byte
	stats   logparse.Stats
	nprob   int
	wppSeen map[string]bool
}

var _ logparse.Source = (*Source)(nil)

// NewSource returns a Source over events (an *etl.Reader or *etl.Multi).
func NewSource(events etl.Events, opts *Options) *Source {
	s := &Source{ev: events, wppSeen: map[string]bool{}}
	if opts != nil {
		s.opts = *opts
	}
	s.stats.Encoding = "etl"
	return s
}

// Record returns the current record, valid until the next Scan.
func (s *Source) Record() *logparse.Record { return &s.rec }

// Err returns the I/O error that stopped the source, or nil.
func (s *Source) Err() error { return s.ev.Err() }

// Stats returns the totals so far: Lines counts the events read (of every
// provider), Bytes the ETL buffer bytes read, NoSymbols the WPP messages
// that need Microsoft's symbols.
func (s *Source) Stats() logparse.Stats {
	st := s.stats
	st.Bytes = s.ev.Stats().Bytes
	return st
}

// Events returns the underlying event stream.
func (s *Source) Events() etl.Events { return s.ev }

func (s *Source) unparsed(file string, offset int64, reason string) {
	r := &s.rec
	r.Format = logparse.Unparsed
	r.Time, r.ZoneKnown, r.PID, r.TID, r.Component = time.Time{}, false, 0, 0, ""
	r.Message = r.Message[:0]
	r.File, r.Offset, r.Size, r.Line = file, offset, 0, 0
	r.Reason = reason
	r.ExtractTokens()
	s.stats.Unparsed++
	s.stats.Formats[logparse.Unparsed]++
}

// Scan advances to the next record.
func (s *Source) Scan() bool {
	for {
		if ps := s.ev.Problems(); s.nprob < len(ps) {
			p := ps[s.nprob]
			s.nprob++
			s.unparsed(p.File, p.Offset, "damaged ETL data skipped: "+p.Err.Error())
			return true
		}
		if !s.ev.Scan() {
			if ps := s.ev.Problems(); s.nprob < len(ps) {
				continue
			}
			return false
		}
		e := s.ev.Event()
		s.stats.Lines++
		if e.Reason == etl.ReasonWPP {
			s.stats.NoSymbols++
			if s.wppSeen[e.File] {
				continue
			}
			s.wppSeen[e.File] = true
			s.unparsed(e.File, e.FileOffset, wppReason(e))
			s.rec.Time, s.rec.ZoneKnown = e.Time, true
			s.rec.Line = e.Number
			return true
		}
		if !IsWindowsUpdate(e.ProviderID, e.ProviderName) && !(s.opts.AllProviders && e.IsTraceLogging()) {
			continue
		}
		s.mapEvent(e)
		return true
	}
}

func wppReason(e *etl.Event) string {
	build := ""
	if e.Header != nil && e.Header.OSBuild != 0 {
		build = fmt.Sprintf(", logged on Windows build %d", e.Header.OSBuild)
		if e.Header.OSBuild < Build1709 {
			build += ", before Windows 10 1709"
		}
	}
	return "WPP trace messages (the format Windows Update used before Windows 10 1709" + build + "): " + NeedsSymbols
}

// mapEvent maps a decoded event, or reports an undecodable one.
func (s *Source) mapEvent(e *etl.Event) {
	s.wev = Event{
		ProviderID: e.ProviderID, ProviderName: e.ProviderName, Name: e.Name,
		Time: e.Time, PID: e.PID, TID: e.TID, Level: e.Level, Keyword: e.Keyword,
	}
	s.fields = s.fields[:0]
	s.text = s.text[:0]
	if info := e.Field(InfoField); info != nil {
		s.text = info.AppendString(s.text)
		s.fields = append(s.fields, Field{Name: InfoField, Value: s.text})
	} else {
		// Convert all fields into one buffer, then slice it.
		ends := make([]int, 0, len(e.Fields))
		for i := range e.Fields {
			s.text = e.Fields[i].AppendString(s.text)
			ends = append(ends, len(s.text))
		}
		start := 0
		for i := range e.Fields {
			s.fields = append(s.fields, Field{Name: e.Fields[i].Schema.Name, Value: s.text[start:ends[i]]})
			start = ends[i]
		}
	}
	s.wev.Fields = s.fields
	r := &s.rec
	Map(r, &s.wev)
	r.File, r.Line, r.Offset, r.Size = e.File, e.Number, e.FileOffset, int64(len(e.Record.Data))
	if !e.Decoded {
		r.Format = logparse.Unparsed
		r.Reason = "Windows Update event not decoded: " + e.Reason
		s.stats.Unparsed++
	} else {
		s.stats.Records++
	}
	s.stats.Formats[r.Format]++
	s.stats.Codes += int64(len(r.Codes))
	for _, c := range r.Codes {
		if !c.Success {
			s.stats.Failures++
		}
	}
}
