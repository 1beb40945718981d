package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wulog/wulog/diagnose"
)

// style applies ANSI colours when enabled.
type style struct{ on bool }

func (s style) wrap(code, t string) string {
	if !s.on || t == "" {
		return t
	}
	return "\x1b[" + code + "m" + t + "\x1b[0m"
}

func (s style) bold(t string) string { return s.wrap("1", t) }
func (s style) dim(t string) string  { return s.wrap("2", t) }
func (s style) head(t string) string { return s.wrap("1;4", t) }

func (s style) sev(sev diagnose.Severity, t string) string {
	switch sev {
	case diagnose.Error:
		return s.wrap("1;31", t)
	case diagnose.Warning:
		return s.wrap("1;33", t)
	case diagnose.Info:
		return s.wrap("36", t)
	}
	return t
}

// kind labels how a finding is shown.
func kind(f *diagnose.Finding) string {
	switch {
	case f.ExplainedBy != "" || f.Severity < diagnose.Warning:
		return ""
	case f.RootCause && f.Confidence == diagnose.Confirmed:
		return "ROOT CAUSE"
	case f.RootCause:
		return "SUSPECTED CAUSE"
	}
	return "PROBLEM"
}

// WriteText writes r for people: for each input, its root causes first
// with their causal chain, evidence and fix, then the other findings; a
// summary table across inputs when there are several.
func WriteText(w io.Writer, r *Report, opts Options) error {
	bw := bufio.NewWriter(w)
	st := style{on: opts.Color}
	for i := range r.Inputs {
		if i > 0 {
			fmt.Fprintln(bw)
		}
		writeTextInput(bw, &r.Inputs[i], st, opts)
	}
	if len(r.Inputs) > 1 {
		fmt.Fprintln(bw)
		writeTextSummary(bw, r, st)
	}
	return bw.Flush()
}

func writeTextInput(w *bufio.Writer, in *Input, st style, opts Options) {
	fmt.Fprintln(w, st.head(in.Label()))
	if in.Err != nil {
		fmt.Fprintf(w, "  %s %v\n", st.sev(diagnose.Error, "input error:"), in.Err)
		return
	}
	res := in.Result
	for _, l := range describeInput(res) {
		fmt.Fprintln(w, st.dim("  "+l))
	}
	for _, e := range res.RuleErrors {
		fmt.Fprintf(w, "  %s %v\n", st.sev(diagnose.Warning, "rule error:"), e)
	}
	var shown, rest []*diagnose.Finding
	for i := range res.Findings {
		f := &res.Findings[i]
		if kind(f) != "" || opts.Verbose {
			shown = append(shown, f)
		} else {
			rest = append(rest, f)
		}
	}
	if len(shown) == 0 {
		fmt.Fprintln(w)
		line := "  " + st.bold("No problem found.")
		if len(res.Findings) > 0 {
			line = "  " + st.bold("No root cause found:") + " only the observations below."
		}
		if h := healthLine(res); h != "" {
			line += " " + h
		}
		fmt.Fprintln(w, line)
	}
	for _, f := range shown {
		fmt.Fprintln(w)
		writeTextFinding(w, f, st)
	}
	if len(rest) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "  "+st.bold("Also found:"))
		for _, f := range rest {
			line := fmt.Sprintf("    %s %s %s", st.sev(f.Severity, fmt.Sprintf("[%s, %s]", f.Severity, f.Confidence)), f.Rule, f.Title)
			if f.ExplainedBy != "" {
				line += st.dim(" (explained by " + f.ExplainedBy + ")")
			} else if n := len(f.Chain); n > 0 && strings.HasPrefix(f.Chain[n-1], "(") {
				line += "\n      " + st.dim(f.Chain[n-1])
			}
			fmt.Fprintln(w, line)
		}
		if !opts.Verbose {
			fmt.Fprintln(w, st.dim("    (--verbose shows these in full)"))
		}
	}
}

// healthLine summarizes the operations seen in a log.
func healthLine(res *diagnose.Result) string {
	ev := res.Evidence
	if ev == nil || ev.Records == 0 {
		return ""
	}
	var parts []string
	for k := diagnose.Scan; k <= diagnose.Install; k++ {
		s := ev.Ops[k]
		if s.Total() > 0 {
			parts = append(parts, fmt.Sprintf("%d of %d %ss succeeded", s.Succeeded, s.Total(), k))
		}
	}
	if len(parts) == 0 {
		return "No scan, download or install outcome in the log."
	}
	return strings.Join(parts, ", ") + "."
}

// describeInput returns the header lines of an input: log, facts,
// reference time.
func describeInput(res *diagnose.Result) []string {
	var out []string
	ev := res.Evidence
	if ev != nil && (ev.Records > 0 || ev.Unparsed > 0) {
		s := fmt.Sprintf("log: %d records", ev.Records)
		if ev.Unparsed > 0 {
			s += fmt.Sprintf(" (+%d unparsed lines)", ev.Unparsed)
		}
		if !ev.First.IsZero() {
			s += ", " + textTime(ev.First, ev.ZoneKnown) + " .. " + textTime(ev.Last, ev.ZoneKnown)
		}
		var extra []string
		if len(ev.AgentVersions) > 0 {
			extra = append(extra, "agent "+observed(ev.AgentVersions))
		}
		if len(ev.OSVersions) > 0 {
			extra = append(extra, "OS "+observed(ev.OSVersions))
		}
		switch {
		case ev.Server.WSUS != "":
			extra = append(extra, "WSUS "+ev.Server.WSUS)
		case ev.Server.Seen:
			extra = append(extra, "Microsoft Update")
		}
		if len(extra) > 0 {
			s += "; " + strings.Join(extra, ", ")
		}
		out = append(out, s)
		if n := res.Stats.NoSymbols; n > 0 {
			out = append(out, fmt.Sprintf("warning: %d line(s) were decoded without symbols (\"Unknown( 10): GUID=... (No Format Information found)\" or pre-1709 WPP events): their text is lost, so causes may be missed; decode the .etl files again with Get-WindowsUpdateLog on a Windows machine that reaches Microsoft's symbol server", n))
		}
		if ev.ChainOverflow > 0 {
			out = append(out, fmt.Sprintf("note: %d failures beyond the first %d failure chains were counted but not grouped", ev.ChainOverflow, len(ev.Chains)))
		}
	}
	if res.Facts != nil {
		s := "facts: " + res.FactSource
		if !res.Facts.CollectedAt.IsZero() {
			s += " (collected " + textTime(res.Facts.CollectedAt, true) + ")"
		}
		out = append(out, s)
		for _, n := range res.Facts.Notes {
			out = append(out, "facts note: "+n)
		}
	} else {
		out = append(out, "facts: none (log-only analysis: causes are suspected; --facts, --software-hive or --live confirm them)")
	}
	out = append(out, "ages measured at "+textTime(res.Now, res.NowSlack == 0)+" ("+res.NowFrom+")")
	return out
}

func observed(list []diagnose.Observed) string {
	var s []string
	for _, o := range list {
		s = append(s, o.Value)
	}
	return strings.Join(s, " -> ")
}

func textTime(t time.Time, zoneKnown bool) string {
	if t.IsZero() {
		return "-"
	}
	if zoneKnown {
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	return t.Format("2006-01-02 15:04:05")
}

var stepLabels = map[diagnose.StepKind]string{
	diagnose.Fix:         "Fix",
	diagnose.Alternative: "Alternative",
	diagnose.Verify:      "Verify",
	diagnose.Investigate: "Investigate",
}

func writeTextFinding(w *bufio.Writer, f *diagnose.Finding, st style) {
	label := kind(f)
	if label == "" {
		label = strings.ToUpper(f.Severity.String())
	}
	fmt.Fprintf(w, "  %s  %s  %s\n", st.sev(f.Severity, label), st.bold(f.Rule), st.dim(fmt.Sprintf("%s, %s", f.Severity, f.Confidence)))
	fmt.Fprintf(w, "  %s\n", st.bold(f.Title))
	if f.ExplainedBy != "" {
		fmt.Fprintf(w, "  %s\n", st.dim("(explained by "+f.ExplainedBy+")"))
	}
	if len(f.Chain) > 0 {
		fmt.Fprintln(w, "\n  Causal chain:")
		for i, c := range f.Chain {
			indent := "    "
			if i > 0 && strings.HasPrefix(c, "<-") {
				indent += strings.Repeat(" ", min(i, 4)*2)
			}
			fmt.Fprintln(w, indent+c)
		}
	}
	if len(f.Evidence) > 0 {
		fmt.Fprintln(w, "\n  Evidence:")
		for _, c := range f.Evidence {
			if c.IsFact() {
				fmt.Fprintf(w, "    %s %s\n      = %s\n", st.dim(c.Source+":"), c.Fact, c.Text)
			} else {
				fmt.Fprintf(w, "    %s  %s\n", st.dim(c.Where()), c.Text)
			}
		}
	}
	if len(f.Confirm) > 0 {
		fmt.Fprintln(w, "\n  Would confirm or rule out:")
		for _, c := range f.Confirm {
			fmt.Fprintln(w, "    - "+c)
		}
	}
	if len(f.Remediation) > 0 {
		fmt.Fprintln(w, "\n  What to do:")
		n := 0
		for _, s := range f.Remediation {
			head := stepLabels[s.Kind]
			if s.Kind == diagnose.Fix {
				n++
				head = fmt.Sprintf("%d.", n)
			} else {
				head += ":"
			}
			shell := ""
			if s.Shell != "" {
				shell = st.dim(" (" + shellName(s.Shell) + ")")
			}
			fmt.Fprintf(w, "    %s %s%s\n", st.bold(head), s.Text, shell)
			for _, c := range s.Commands {
				fmt.Fprintf(w, "         %s\n", c)
			}
			if s.Risk != "" {
				fmt.Fprintf(w, "       %s %s\n", st.sev(diagnose.Warning, "Risk:"), s.Risk)
			}
		}
	}
	if len(f.Explains) > 0 && f.ExplainedBy == "" {
		fmt.Fprintf(w, "\n  %s\n", st.dim("Explains: "+strings.Join(f.Explains, ", ")))
	}
}

func shellName(s string) string {
	switch s {
	case "powershell":
		return "PowerShell as administrator"
	case "cmd":
		return "Command Prompt as administrator"
	}
	return s
}

func writeTextSummary(w *bufio.Writer, r *Report, st style) {
	fmt.Fprintln(w, st.head(fmt.Sprintf("Summary of %d inputs: shared root causes", len(r.Inputs))))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  RULE\tSEVERITY\tCONFIDENCE\tINPUTS\tROOT CAUSE\tWHERE")
	for _, row := range r.Summary() {
		rule, sev := row.Rule, "-"
		if rule == "" {
			rule = "-"
		} else {
			sev = row.Severity.String()
		}
		var names []string
		for _, i := range row.Inputs {
			names = append(names, r.Inputs[i].Label())
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\t%s\n", rule, sev, row.confidence(), len(row.Inputs), row.Title, strings.Join(names, ", "))
	}
	var failed []string
	for _, in := range r.Inputs {
		if in.Err != nil {
			failed = append(failed, in.Name)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(tw, "  -\terror\t-\t%d\tinput could not be analysed\t%s\n", len(failed), strings.Join(failed, ", "))
	}
	tw.Flush()
}
