package diagnose

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Rule is one diagnosis, modelled on golang.org/x/tools/go/analysis's
// Analyzer: a value with a stable ID, documentation, the evidence and
// facts it reads, the rules whose results it needs, and a Run function
// that reports findings through its [Pass]. Rules do no I/O: everything
// they know comes from the Pass.
type Rule struct {
	// ID is the stable identifier, "WU" and four digits ("WU1003").
	ID string
	// Name is a short kebab-case name ("ctl-updater-blocked").
	Name string
	// Title is a one-line summary.
	Title string
	// Doc explains what the rule detects, how, its thresholds, and what
	// rules it out.
	Doc string
	// Evidence names the log evidence the rule reads (for documentation).
	Evidence []string
	// Facts names the facts the rule reads: registry paths from
	// [RegistryValues] or "clock", "chains", "services", "boot time",
	// "hosts file".
	Facts []string
	// Requires are rules whose results this rule reads through
	// Pass.ResultOf; they run first.
	Requires []*Rule
	// Run applies the rule. Its result, if any, is available to rules
	// that require this one.
	Run func(*Pass) (any, error)
}

// String returns the rule's ID and name, e.g. "WU1003 ctl-updater-blocked-by-acl".
func (r *Rule) String() string { return r.ID + " " + r.Name }

var ruleID = regexp.MustCompile(`^WU[0-9]{4}$`)

// Validate checks that rules have well-formed, unique IDs and names,
// a title, a doc and a Run function, and that their requirements are
// acyclic and part of the set.
func Validate(rules []*Rule) error {
	ids := make(map[string]bool)
	names := make(map[string]bool)
	in := make(map[*Rule]bool)
	for _, r := range rules {
		in[r] = true
	}
	for _, r := range rules {
		switch {
		case !ruleID.MatchString(r.ID):
			return fmt.Errorf("rule %q: ID must be WU and four digits", r.ID)
		case ids[r.ID]:
			return fmt.Errorf("rule %s: duplicate ID", r.ID)
		case r.Name == "" || names[r.Name]:
			return fmt.Errorf("rule %s: missing or duplicate name %q", r.ID, r.Name)
		case r.Title == "" || r.Doc == "":
			return fmt.Errorf("rule %s: missing title or doc", r.ID)
		case r.Run == nil:
			return fmt.Errorf("rule %s: no Run function", r.ID)
		}
		ids[r.ID], names[r.Name] = true, true
		for _, q := range r.Requires {
			if !in[q] {
				return fmt.Errorf("rule %s requires %s, which is not in the set", r.ID, q.ID)
			}
		}
	}
	_, err := order(rules)
	return err
}

// order returns rules with every rule after the rules it requires.
func order(rules []*Rule) ([]*Rule, error) {
	const (
		unseen = iota
		active
		done
	)
	state := make(map[*Rule]int)
	var out []*Rule
	var visit func(r *Rule) error
	visit = func(r *Rule) error {
		switch state[r] {
		case active:
			return fmt.Errorf("rule %s: cyclic Requires", r.ID)
		case done:
			return nil
		}
		state[r] = active
		for _, q := range r.Requires {
			if err := visit(q); err != nil {
				return err
			}
		}
		state[r] = done
		out = append(out, r)
		return nil
	}
	for _, r := range rules {
		if err := visit(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Pass is what a rule sees when it runs: the evidence, the facts, the
// reference time and the results of the rules it requires.
type Pass struct {
	// Rule is the rule being run.
	Rule *Rule
	// Evidence is the folded log; it is empty (not nil) when no log was
	// given.
	Evidence *Evidence
	// Facts are the machine's facts, nil when no facts source was given.
	Facts *Facts
	// FactSource names the facts source ("snapshot pc1.json").
	FactSource string
	// Now is the reference time for ages: the log's last record for an
	// old log, the time facts were read, or the current time for live
	// facts (see [Reference]).
	Now time.Time
	// NowSlack is how uncertain Now is against UTC facts (up to 14 h when
	// the log's time zone is unknown); thresholds are widened by it.
	NowSlack time.Duration
	// NowFrom says what Now is ("last log record", "facts read time",
	// "current time").
	NowFrom string
	// ResultOf holds the results of the rules in Rule.Requires.
	ResultOf map[*Rule]any

	findings []Finding
}

// Report records a finding. Rule defaults to the pass's rule ID. The
// chain starts with what the rest explains, so a "<- " before its first
// element is dropped: rules append links with "<- " whatever comes first.
func (p *Pass) Report(f Finding) {
	if f.Rule == "" {
		f.Rule = p.Rule.ID
	}
	if f.Severity == 0 {
		f.Severity = Warning
	}
	if f.Confidence == 0 {
		f.Confidence = Suspected
	}
	if f.Severity == Info {
		f.RootCause = false // an observation names no cause to fix
	}
	if len(f.Chain) > 0 {
		f.Chain[0] = strings.TrimPrefix(f.Chain[0], "<- ")
	}
	p.findings = append(p.findings, f)
}

// HasLog reports whether a log with at least one record was given.
func (p *Pass) HasLog() bool { return p.Evidence != nil && p.Evidence.Records > 0 }

// HasFacts reports whether facts were given.
func (p *Pass) HasFacts() bool { return p.Facts != nil }
