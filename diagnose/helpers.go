package diagnose

import (
	"fmt"
	"strings"
	"time"

	"github.com/wulog/wulog/hresult"
)

// CodeLabel returns "0x80072F8F ERROR_WINHTTP_SECURE_FAILURE", or just the
// hex form when the code has no known name.
func CodeLabel(v uint32) string {
	c := hresult.Decode(v)
	if n := c.Name(); n != "" {
		return c.String() + " " + n
	}
	return c.String()
}

// Age formats a duration for people: "9 days 3 hours", "47 hours",
// "12 minutes", "40 seconds".
func Age(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	var s string
	switch {
	case d >= 72*time.Hour:
		days := int(d / (24 * time.Hour))
		h := int((d % (24 * time.Hour)) / time.Hour)
		s = plural(days, "day")
		if h > 0 {
			s += " " + plural(h, "hour")
		}
	case d >= 2*time.Hour:
		s = plural(int(d/time.Hour), "hour")
	case d >= 2*time.Minute:
		s = plural(int(d/time.Minute), "minute")
	default:
		s = plural(int(d/time.Second), "second")
	}
	if neg {
		return "-" + s
	}
	return s
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// fmtTime formats a time for findings: UTC with its zone, or the wall
// clock with "(local)" for times from logs that do not say their zone.
func fmtTime(t time.Time, zoneKnown bool) string {
	if t.IsZero() {
		return "(no time)"
	}
	if zoneKnown {
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	return t.Format("2006-01-02 15:04:05") + " (local)"
}

// span describes when a chain failed: "23 times between 22:19:01 and
// 22:19:04 on 2023-03-21".
func span(count int64, first, last time.Time) string {
	times := "once"
	if count != 1 {
		times = fmt.Sprintf("%d times", count)
	}
	switch {
	case first.IsZero():
		return times
	case count == 1 || first.Equal(last) || last.IsZero():
		return times + " at " + first.Format("2006-01-02 15:04:05")
	case first.YearDay() == last.YearDay() && first.Year() == last.Year():
		return fmt.Sprintf("%s between %s and %s on %s", times, first.Format("15:04:05"), last.Format("15:04:05"), first.Format("2006-01-02"))
	}
	return fmt.Sprintf("%s between %s and %s", times, first.Format("2006-01-02 15:04"), last.Format("2006-01-02 15:04"))
}

// chainGroup summarizes several chains of the same code(s).
type chainGroup struct {
	chains      []*FailureChain
	count       int64
	first, last time.Time
	components  []string
	endpoints   []string
	codes       []uint32
	maxRetry    int
}

func group(chains []*FailureChain) chainGroup {
	g := chainGroup{chains: chains, maxRetry: -1}
	for _, c := range chains {
		g.count += c.Count
		if !c.First.IsZero() && (g.first.IsZero() || c.First.Before(g.first)) {
			g.first = c.First
		}
		if c.Last.After(g.last) {
			g.last = c.Last
		}
		g.components = addUnique(g.components, c.Component)
		if c.Endpoint != "" {
			g.endpoints = addUnique(g.endpoints, c.Endpoint)
		}
		if !containsCode(g.codes, c.Code) {
			g.codes = append(g.codes, c.Code)
		}
		g.maxRetry = max(g.maxRetry, c.MaxRetryCounter)
	}
	return g
}

func addUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func containsCode(list []uint32, v uint32) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// where names the endpoints of a group: "at slscr.update.microsoft.com".
func (g chainGroup) where() string {
	if len(g.endpoints) == 0 {
		return ""
	}
	return " at " + strings.Join(g.endpoints, ", ")
}

func (g chainGroup) codesLabel() string {
	var s []string
	for _, c := range g.codes {
		s = append(s, CodeLabel(c))
	}
	return strings.Join(s, " / ")
}

// describe is the first link of a chain: what failed, where, how often.
func (g chainGroup) describe() string {
	s := fmt.Sprintf("%s%s in %s: %s", g.codesLabel(), g.where(), strings.Join(g.components, "/"), span(g.count, g.first, g.last))
	if g.maxRetry >= 0 {
		s += fmt.Sprintf(" (retry counter reached %d)", g.maxRetry)
	}
	return s
}

// cite returns up to n sample lines of the group: the first line of each
// chain in order, then their last lines.
func (g chainGroup) cite(n int) []Citation {
	var out []Citation
	seen := make(map[string]bool)
	add := func(l Line) {
		k := l.Where()
		if len(out) < n && !seen[k] {
			seen[k] = true
			out = append(out, l.Cite())
		}
	}
	for _, c := range g.chains {
		if len(c.Samples) > 0 {
			add(c.Samples[0])
		}
	}
	for _, c := range g.chains {
		if len(c.Samples) > 1 {
			add(c.Samples[len(c.Samples)-1])
		}
	}
	return out
}

// isWUHost reports whether host is a Windows Update service endpoint.
func isWUHost(h string) bool {
	for _, s := range []string{"update.microsoft.com", "windowsupdate.com", "windowsupdate.microsoft.com", "delivery.mp.microsoft.com"} {
		if h == s || strings.HasSuffix(h, "."+s) {
			return true
		}
	}
	return false
}

// persistence grades a failure by what happened after it. Information:
// an operation of one of the kinds succeeded after the last failure.
// Error: the last such operation failed with one of the codes, and did so
// more than once (or, without any outcome in the log, the failure
// repeated at least 3 times up to the end). Warning: otherwise (a single
// failed operation, or the last operation failed with another code that
// its own rule reports and this failure repeated).
func persistence(ev *Evidence, g chainGroup, kinds ...OpKind) (Severity, string) {
	var lastOK, last *Outcome
	var failedWith int64
	for _, k := range kinds {
		s := &ev.Ops[k]
		if o := s.LastSuccess; o != nil && (lastOK == nil || o.Line.Time.After(lastOK.Line.Time)) {
			lastOK = o
		}
		if o := s.Last; o != nil && (last == nil || o.Line.Time.After(last.Line.Time)) {
			last = o
		}
		for _, c := range g.codes {
			failedWith += s.FailCodes[c]
		}
	}
	failingNow := last != nil && last.Failed()
	if lastOK != nil && !g.last.IsZero() && lastOK.Line.Time.After(g.last) && !failingNow {
		return Info, fmt.Sprintf("a later %s succeeded (%s, %s): the failure did not persist",
			kindsLabel(kinds), fmtTime(lastOK.Line.Time, ev.ZoneKnown), lastOK.Line.Where())
	}
	switch {
	case last == nil && g.count >= 3:
		return Error, "the failure repeats up to the end of the log with no successful operation after it"
	case last == nil:
		return Warning, "no successful operation after it in the log"
	case failingNow && containsCode(g.codes, last.Code) && (failedWith >= 2 || g.count >= 3):
		return Error, fmt.Sprintf("the last %s failed with %s (%s)", last.Kind, CodeLabel(last.Code), last.Line.Where())
	case failingNow && containsCode(g.codes, last.Code):
		return Warning, fmt.Sprintf("the last %s failed with %s (%s), the only failure of that kind", last.Kind, CodeLabel(last.Code), last.Line.Where())
	case failingNow && g.count >= 3:
		return Warning, fmt.Sprintf("the last %s failed, with %s (reported by its own rule)", last.Kind, CodeLabel(last.Code))
	case failingNow:
		return Info, fmt.Sprintf("the last %s failed with another code, %s, reported by its own rule", last.Kind, CodeLabel(last.Code))
	}
	if g.count >= 3 {
		return Warning, "no successful operation after it in the log"
	}
	return Info, "an isolated failure with no failed operation after it"
}

func kindsLabel(kinds []OpKind) string {
	var s []string
	for _, k := range kinds {
		s = append(s, k.String())
	}
	return strings.Join(s, "/")
}
