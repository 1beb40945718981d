// Package report renders diagnosis results as text for terminals (with
// optional colour), as JSON with a stable, documented schema
// (docs/report-json.md) and as Markdown for tickets.
//
// A [Report] holds one [Input] per analysed host or log, each with its
// [diagnose.Result]; with several inputs every format adds a fleet summary
// that shows which machines share which root cause.
package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/wulog/wulog/diagnose"
)

// Schema is the value of the "schema" field of the JSON report.
const Schema = "wulog.report/v1"

// Input is one analysed input: a log file (or the logs of one host), a
// bundle, or facts alone.
type Input struct {
	// Name is the input as given on the command line ("pc1/WindowsUpdate.log",
	// "bundle.zip", "-"), or "facts" for a facts-only analysis.
	Name string
	// Host is the machine's name when known (from facts or a bundle).
	Host string
	// Result is the analysis; nil when Err is set.
	Result *diagnose.Result
	// Err is why the input could not be analysed.
	Err error
}

// Label names the input for people: "pc1 (pc1/WindowsUpdate.log)".
func (in *Input) Label() string {
	if in.Host != "" && !strings.Contains(in.Name, in.Host) {
		return in.Host + " (" + in.Name + ")"
	}
	return in.Name
}

// Report is the analysis of one or more inputs.
type Report struct {
	Inputs []Input
}

// Format is an output format.
type Format string

// Output formats.
const (
	Text     Format = "text"
	JSON     Format = "json"
	Markdown Format = "markdown"
)

// Options control rendering.
type Options struct {
	// Color enables ANSI colour in text output.
	Color bool
	// Verbose shows findings explained by a root cause and information
	// findings in full rather than as one line each.
	Verbose bool
}

// Write renders r in format f.
func Write(w io.Writer, r *Report, f Format, opts Options) error {
	switch f {
	case Text, "":
		return WriteText(w, r, opts)
	case JSON:
		return WriteJSON(w, r)
	case Markdown:
		return WriteMarkdown(w, r)
	}
	return fmt.Errorf("unknown format %q (want text, json or markdown)", f)
}

// Max returns the highest severity of any finding in the report (0 when
// there is none).
func (r *Report) Max() diagnose.Severity {
	var m diagnose.Severity
	for _, in := range r.Inputs {
		if in.Result != nil {
			m = max(m, in.Result.Max())
		}
	}
	return m
}

// SummaryRow says which inputs share a root cause.
type SummaryRow struct {
	Rule     string
	Title    string
	Severity diagnose.Severity
	// Confirmed and Suspected count the inputs where the root cause is
	// confirmed or only suspected.
	Confirmed, Suspected int
	// Inputs are the indexes of the inputs, in order.
	Inputs []int
}

// Summary lists the root causes (findings that name a cause, at warning
// or above, not explained by another) across inputs, most widespread
// first, plus a row with Rule "" for the inputs that have none.
func (r *Report) Summary() []SummaryRow {
	rows := map[string]*SummaryRow{}
	var order []string
	var none []int
	for i, in := range r.Inputs {
		if in.Result == nil {
			continue
		}
		seen := map[string]bool{}
		for _, f := range in.Result.RootCauses() {
			if seen[f.Rule] {
				continue
			}
			seen[f.Rule] = true
			row := rows[f.Rule]
			if row == nil {
				row = &SummaryRow{Rule: f.Rule, Title: ruleTitle(f)}
				rows[f.Rule] = row
				order = append(order, f.Rule)
			}
			row.Severity = max(row.Severity, f.Severity)
			if f.Confidence == diagnose.Confirmed {
				row.Confirmed++
			} else {
				row.Suspected++
			}
			row.Inputs = append(row.Inputs, i)
		}
		if len(seen) == 0 {
			none = append(none, i)
		}
	}
	var out []SummaryRow
	for _, id := range order {
		out = append(out, *rows[id])
	}
	slices.SortStableFunc(out, func(a, b SummaryRow) int {
		if len(a.Inputs) != len(b.Inputs) {
			return len(b.Inputs) - len(a.Inputs)
		}
		if a.Severity != b.Severity {
			return int(b.Severity) - int(a.Severity)
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	if len(none) > 0 {
		out = append(out, SummaryRow{Title: "no root cause found", Inputs: none})
	}
	return out
}

// ruleTitle is the rule's title when it is shipped, else the finding's.
func ruleTitle(f diagnose.Finding) string {
	if r := diagnose.Lookup(f.Rule); r != nil {
		return r.Title
	}
	return f.Title
}

// confidence describes how the root cause of a row is established:
// "confirmed", "suspected", or "2 confirmed, 1 suspected".
func (row SummaryRow) confidence() string {
	switch {
	case row.Rule == "":
		return "-"
	case row.Suspected == 0:
		return "confirmed"
	case row.Confirmed == 0:
		return "suspected"
	}
	return fmt.Sprintf("%d confirmed, %d suspected", row.Confirmed, row.Suspected)
}
