package diagnose

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Severity ranks a finding.
type Severity uint8

// Severities, in increasing order.
const (
	// Info is an observation that explains the log but needs no action
	// (a transient failure that recovered, a corrected clock step).
	Info Severity = iota + 1
	// Warning is a problem that degrades Windows Update or will make it
	// fail, but that the evidence does not show failing now.
	Warning
	// Error is a problem that makes Windows Update fail now.
	Error
)

var severityNames = [...]string{Info: "info", Warning: "warning", Error: "error"}

// String returns "info", "warning" or "error".
func (s Severity) String() string {
	if int(s) < len(severityNames) && severityNames[s] != "" {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", uint8(s))
}

// ParseSeverity parses a severity name as printed by [Severity.String].
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if n != "" && strings.EqualFold(n, s) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want info, warning or error)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	*s = v
	return err
}

// Confidence says how a finding was established.
type Confidence uint8

// Confidences.
const (
	// Suspected findings rest on the log alone, or on facts that are
	// consistent with the cause without proving it; Finding.Confirm says
	// which facts would settle it.
	Suspected Confidence = iota + 1
	// Confirmed findings rest on facts read from the machine.
	Confirmed
)

// String returns "suspected" or "confirmed".
func (c Confidence) String() string {
	switch c {
	case Suspected:
		return "suspected"
	case Confirmed:
		return "confirmed"
	}
	return fmt.Sprintf("confidence(%d)", uint8(c))
}

// MarshalText implements encoding.TextMarshaler.
func (c Confidence) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Confidence) UnmarshalText(b []byte) error {
	switch string(b) {
	case "suspected":
		*c = Suspected
	case "confirmed":
		*c = Confirmed
	default:
		return fmt.Errorf("unknown confidence %q", b)
	}
	return nil
}

// Citation is one piece of evidence behind a finding: a log line, or a
// fact with the source it was read from.
type Citation struct {
	// Source is where the evidence is: the log file name for a line, or
	// the fact source and the fact's name (for example
	// "snapshot pc1.json: HKLM\...\DisallowedCertLastSyncTime").
	Source string `json:"source"`
	// Line is the 1-based line number in Source, or 0 for a fact.
	Line int64 `json:"line,omitempty"`
	// Text is the log line (component and message) or the fact's value
	// as interpreted.
	Text string `json:"text"`
	// Fact is the fact's name (a registry path, "clock", "chain
	// slscr.update.microsoft.com:443", "service CryptSvc"), empty for a
	// log line.
	Fact string `json:"fact,omitempty"`
}

// IsFact reports whether the citation is a fact rather than a log line.
func (c Citation) IsFact() bool { return c.Fact != "" }

// Where returns "file:line" for a log line or the source for a fact.
func (c Citation) Where() string {
	if c.Line > 0 {
		return fmt.Sprintf("%s:%d", c.Source, c.Line)
	}
	return c.Source
}

// StepKind tells what a remediation step is for.
type StepKind string

// Kinds of remediation steps.
const (
	// Fix is a step of the recommended fix, in order.
	Fix StepKind = "fix"
	// Alternative is another way to fix it, with its risk stated.
	Alternative StepKind = "alternative"
	// Verify is how to check afterwards that the fix worked.
	Verify StepKind = "verify"
	// Investigate is how to collect what would confirm a suspected cause.
	Investigate StepKind = "investigate"
)

// Step is one remediation step: what to do, the exact commands, and the
// risk when there is one.
type Step struct {
	Kind StepKind `json:"kind"`
	// Text says what the step does and why.
	Text string `json:"text"`
	// Shell names the shell the commands are for: "powershell" or "cmd".
	Shell string `json:"shell,omitempty"`
	// Commands are the exact commands, one per element, to run as an
	// administrator unless Text says otherwise.
	Commands []string `json:"commands,omitempty"`
	// Risk states what can go wrong, for steps that are not harmless.
	Risk string `json:"risk,omitempty"`
}

// Finding is what a rule reports: a named cause (or symptom) with its
// causal chain, the evidence, the fix and, when only suspected, the facts
// that would confirm it.
type Finding struct {
	// Rule is the reporting rule's ID, e.g. "WU1003".
	Rule string `json:"rule"`
	// Severity ranks the finding.
	Severity Severity `json:"severity"`
	// Confidence says whether facts confirm it.
	Confidence Confidence `json:"confidence"`
	// Title is a one-line statement of the finding.
	Title string `json:"title"`
	// RootCause is true when the finding names a cause rather than a
	// symptom or an observation.
	RootCause bool `json:"root_cause"`
	// Chain is the causal chain, symptom first: each element is caused by
	// the next one ("0x80072F8F at slscr.update.microsoft.com",
	// "0x80092013 revocation offline", "DisallowedCertLastSyncTime 9 days
	// old", "AutoUpdate key DACL protected without CryptSvc").
	Chain []string `json:"chain"`
	// Evidence cites the log lines and facts the finding rests on.
	Evidence []Citation `json:"evidence"`
	// Remediation lists the fix, alternatives, verification and
	// investigation steps.
	Remediation []Step `json:"remediation"`
	// Confirm lists the facts that would confirm (or rule out) a suspected
	// finding.
	Confirm []string `json:"confirm,omitempty"`
	// Explains lists the rule IDs of other findings that this finding
	// explains (symptoms of this cause).
	Explains []string `json:"explains,omitempty"`
	// ExplainedBy is the rule ID of a root-cause finding that explains
	// this one; set by the engine.
	ExplainedBy string `json:"explained_by,omitempty"`
}

// String returns "WU1003 error confirmed: title".
func (f *Finding) String() string {
	return fmt.Sprintf("%s %s %s: %s", f.Rule, f.Severity, f.Confidence, f.Title)
}

// findingJSON keeps Finding's JSON free of null slices.
type findingJSON Finding

// MarshalJSON writes empty arrays rather than null for chain, evidence and
// remediation, as the documented schema promises.
func (f Finding) MarshalJSON() ([]byte, error) {
	if f.Chain == nil {
		f.Chain = []string{}
	}
	if f.Evidence == nil {
		f.Evidence = []Citation{}
	}
	if f.Remediation == nil {
		f.Remediation = []Step{}
	}
	return json.Marshal(findingJSON(f))
}
