package diagnose

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wulog/wulog/logparse"
)

// ZoneSlack is how far a wall-clock log time with no zone can be from UTC.
const ZoneSlack = 14 * time.Hour

// Options configure an analysis.
type Options struct {
	// Rules to run; nil means [DefaultRules].
	Rules []*Rule
	// Now overrides the reference time for ages (wulog analyze --now).
	Now time.Time
	// Clock returns the current time; nil means time.Now. It is used for
	// live facts and when nothing else gives a reference.
	Clock func() time.Time
	// MaxChains caps the failure chains of the evidence folded by
	// [Analyze]; 0 means [DefaultMaxChains].
	MaxChains int
}

// Result is the outcome of an analysis.
type Result struct {
	// Evidence is the folded log (empty when no log was given).
	Evidence *Evidence
	// Facts and FactSource are the facts used, nil and "" when none.
	Facts      *Facts
	FactSource string
	// Now, NowSlack and NowFrom are the reference time (see [Reference]).
	Now      time.Time
	NowSlack time.Duration
	NowFrom  string
	// Stats are the totals of the record sources folded by [Analyze].
	Stats logparse.Stats
	// Findings are sorted: root causes that nothing explains first, then
	// by severity, confidence and rule ID.
	Findings []Finding
	// RuleErrors are failures of single rules; the other rules still ran.
	RuleErrors []error
}

// Max returns the highest severity among the findings, 0 when none.
func (r *Result) Max() Severity {
	var m Severity
	for _, f := range r.Findings {
		m = max(m, f.Severity)
	}
	return m
}

// RootCauses returns the findings that name a cause and are not explained
// by another finding.
func (r *Result) RootCauses() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.RootCause && f.ExplainedBy == "" && f.Severity >= Warning {
			out = append(out, f)
		}
	}
	return out
}

// Reference picks the reference time against which ages are measured:
// opts.Now when set; the current time for live facts; else the log's last
// record time (with [ZoneSlack] when the log's zone is unknown), or the
// time the facts were collected when that is earlier; else the time the
// facts were collected; else the current time.
func Reference(ev *Evidence, facts *Facts, opts Options) (now time.Time, slack time.Duration, from string) {
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	switch {
	case !opts.Now.IsZero():
		return opts.Now.UTC(), 0, "--now"
	case facts != nil && facts.Live:
		return clock().UTC(), 0, "current time (live facts)"
	case ev != nil && !ev.Last.IsZero() && facts != nil && !facts.CollectedAt.IsZero() && facts.CollectedAt.Before(ev.Last.Add(-ZoneSlack)):
		// Facts read before the log ended say nothing later than their
		// reading.
		return facts.CollectedAt.UTC(), 0, "facts collection time (before the log's end)"
	case ev != nil && !ev.Last.IsZero():
		if ev.ZoneKnown {
			return ev.Last.UTC(), 0, "last log record"
		}
		return ev.Last, ZoneSlack, "last log record; local time, zone unknown"
	case facts != nil && !facts.CollectedAt.IsZero():
		return facts.CollectedAt.UTC(), 0, "facts collection time"
	}
	return clock().UTC(), 0, "current time"
}

// Fold reads every record of src into ev. It stops early, with ctx's
// error, when ctx is done.
func Fold(ctx context.Context, src logparse.Source, ev *Evidence) error {
	if sc, ok := src.(*logparse.Scanner); ok {
		return foldScanner(ctx, sc, ev)
	}
	n := 0
	for src.Scan() {
		ev.Add(src.Record())
		if n++; n&4095 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return src.Err()
}

// foldScanner is Fold for the text scanner, the common source, with
// direct calls instead of interface calls for every record.
func foldScanner(ctx context.Context, sc *logparse.Scanner, ev *Evidence) error {
	n := 0
	for sc.Scan() {
		ev.Add(sc.Record())
		if n++; n&4095 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return sc.Err()
}

// Analyze folds src (which may be nil for a facts-only analysis), reads
// facts from fs (which may be nil for a log-only analysis) and runs the
// rules.
func Analyze(ctx context.Context, src logparse.Source, fs FactSource, opts Options) (*Result, error) {
	ev := NewEvidence()
	if opts.MaxChains > 0 {
		ev.MaxChains = opts.MaxChains
	}
	var stats logparse.Stats
	if src != nil {
		if err := Fold(ctx, src, ev); err != nil {
			return nil, err
		}
		stats = src.Stats()
	}
	ev.Finish()
	var facts *Facts
	name := ""
	if fs != nil {
		f, err := fs.Facts(ctx)
		if err != nil {
			return nil, fmt.Errorf("facts from %s: %w", fs.Name(), err)
		}
		facts, name = f, fs.Name()
	}
	res := Run(ev, facts, name, opts)
	res.Stats = stats
	return res, nil
}

// Run applies the rules to folded evidence (call [Evidence.Finish] first)
// and facts (nil when none). It never fails as a whole: a rule that
// returns an error or panics is recorded in Result.RuleErrors, and rules
// that require it are skipped.
func Run(ev *Evidence, facts *Facts, factSource string, opts Options) *Result {
	if ev == nil {
		ev = NewEvidence()
	}
	ev.Finish()
	rules := opts.Rules
	if rules == nil {
		rules = DefaultRules()
	}
	res := &Result{Evidence: ev, Facts: facts, FactSource: factSource}
	res.Now, res.NowSlack, res.NowFrom = Reference(ev, facts, opts)
	ordered, err := order(rules)
	if err != nil {
		res.RuleErrors = append(res.RuleErrors, err)
		return res
	}
	results := make(map[*Rule]any)
	failed := make(map[*Rule]bool)
	for _, r := range ordered {
		skip := false
		for _, q := range r.Requires {
			if failed[q] {
				skip = true
			}
		}
		if skip {
			failed[r] = true
			res.RuleErrors = append(res.RuleErrors, fmt.Errorf("rule %s skipped: a required rule failed", r.ID))
			continue
		}
		pass := &Pass{
			Rule: r, Evidence: ev, Facts: facts, FactSource: factSource,
			Now: res.Now, NowSlack: res.NowSlack, NowFrom: res.NowFrom,
			ResultOf: make(map[*Rule]any, len(r.Requires)),
		}
		for _, q := range r.Requires {
			pass.ResultOf[q] = results[q]
		}
		out, err := runRule(r, pass)
		if err != nil {
			failed[r] = true
			res.RuleErrors = append(res.RuleErrors, err)
			continue
		}
		results[r] = out
		res.Findings = append(res.Findings, pass.findings...)
	}
	link(res.Findings)
	return res
}

func runRule(r *Rule, p *Pass) (out any, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, fmt.Errorf("rule %s panicked: %v", r.ID, v)
		}
	}()
	out, err = r.Run(p)
	if err != nil {
		err = fmt.Errorf("rule %s: %w", r.ID, err)
	}
	return out, err
}

// link sorts findings and sets ExplainedBy on the findings that a root
// cause explains.
func link(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if a.RootCause != b.RootCause {
			if a.RootCause {
				return -1
			}
			return 1
		}
		if a.Severity != b.Severity {
			return int(b.Severity) - int(a.Severity)
		}
		if a.Confidence != b.Confidence {
			return int(b.Confidence) - int(a.Confidence)
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	for i := range fs {
		for _, id := range fs[i].Explains {
			for j := range fs {
				if j != i && fs[j].Rule == id && fs[j].ExplainedBy == "" && fs[i].ExplainedBy != fs[j].Rule {
					fs[j].ExplainedBy = fs[i].Rule
				}
			}
		}
	}
	// Resolve chains of explanation to the top: WU1003 explains WU1001,
	// which explains WU1000, so WU1000 is explained by WU1003.
	byRule := make(map[string]int, len(fs))
	for i := range fs {
		if _, ok := byRule[fs[i].Rule]; !ok {
			byRule[fs[i].Rule] = i
		}
	}
	for i := range fs {
		seen := map[string]bool{fs[i].Rule: true}
		for top := fs[i].ExplainedBy; top != ""; {
			j, ok := byRule[top]
			if !ok || fs[j].ExplainedBy == "" || seen[fs[j].ExplainedBy] {
				break
			}
			seen[top] = true
			top = fs[j].ExplainedBy
			fs[i].ExplainedBy = top
		}
	}
	// Findings explained by another move after the ones that explain
	// them, keeping the order otherwise.
	slices.SortStableFunc(fs, func(a, b Finding) int {
		ea, eb := a.ExplainedBy != "", b.ExplainedBy != ""
		switch {
		case ea == eb:
			return 0
		case eb:
			return -1
		}
		return 1
	})
}
