package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/wulog/wulog/diagnose"
)

// WriteMarkdown writes r as Markdown for a ticket: per input the root
// causes with chain, evidence table and fix (commands in fenced blocks),
// the other findings as a list, and a summary table across inputs.
func WriteMarkdown(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# wulog report")
	if len(r.Inputs) > 1 {
		fmt.Fprintln(bw)
		fmt.Fprintf(bw, "## Summary of %d inputs\n\n", len(r.Inputs))
		fmt.Fprintln(bw, "| Rule | Severity | Confidence | Inputs | Root cause | Where |")
		fmt.Fprintln(bw, "|---|---|---|---|---|---|")
		for _, row := range r.Summary() {
			rule, sev := "-", "-"
			if row.Rule != "" {
				rule, sev = "`"+row.Rule+"`", row.Severity.String()
			}
			var names []string
			for _, i := range row.Inputs {
				names = append(names, r.Inputs[i].Label())
			}
			fmt.Fprintf(bw, "| %s | %s | %s | %d | %s | %s |\n", rule, sev, row.confidence(), len(row.Inputs), mdCell(row.Title), mdCell(strings.Join(names, ", ")))
		}
	}
	for i := range r.Inputs {
		in := &r.Inputs[i]
		fmt.Fprintf(bw, "\n## %s\n\n", mdText(in.Label()))
		if in.Err != nil {
			fmt.Fprintf(bw, "**Input error:** %s\n", mdText(in.Err.Error()))
			continue
		}
		for _, l := range describeInput(in.Result) {
			fmt.Fprintf(bw, "- %s\n", mdText(l))
		}
		var main, rest []*diagnose.Finding
		for j := range in.Result.Findings {
			f := &in.Result.Findings[j]
			if kind(f) != "" {
				main = append(main, f)
			} else {
				rest = append(rest, f)
			}
		}
		if len(main) == 0 {
			fmt.Fprintf(bw, "\n**No root cause found.** %s\n", healthLine(in.Result))
		}
		for _, f := range main {
			writeMarkdownFinding(bw, f)
		}
		if len(rest) > 0 {
			fmt.Fprintln(bw, "\n### Other findings")
			fmt.Fprintln(bw)
			for _, f := range rest {
				line := fmt.Sprintf("- `%s` %s, %s: %s", f.Rule, f.Severity, f.Confidence, mdText(f.Title))
				if f.ExplainedBy != "" {
					line += " (explained by `" + f.ExplainedBy + "`)"
				}
				fmt.Fprintln(bw, line)
			}
		}
	}
	return bw.Flush()
}

func writeMarkdownFinding(w *bufio.Writer, f *diagnose.Finding) {
	fmt.Fprintf(w, "\n### %s `%s`: %s\n\n", strings.ToLower(kind(f)), f.Rule, mdText(f.Title))
	fmt.Fprintf(w, "Severity **%s**, %s.\n", f.Severity, f.Confidence)
	if len(f.Chain) > 0 {
		fmt.Fprintln(w, "\n**Causal chain**")
		fmt.Fprintln(w)
		for _, c := range f.Chain {
			fmt.Fprintf(w, "1. %s\n", mdText(strings.TrimPrefix(c, "<- ")))
		}
	}
	if len(f.Evidence) > 0 {
		fmt.Fprintln(w, "\n**Evidence**")
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| Source | Line | Text |")
		fmt.Fprintln(w, "|---|---|---|")
		for _, c := range f.Evidence {
			line := ""
			if c.Line > 0 {
				line = fmt.Sprint(c.Line)
			}
			src := c.Source
			text := c.Text
			if c.IsFact() {
				text = c.Fact + " = " + c.Text
			}
			fmt.Fprintf(w, "| %s | %s | %s |\n", mdCell(src), line, mdCell(text))
		}
	}
	if len(f.Confirm) > 0 {
		fmt.Fprintln(w, "\n**Would confirm or rule out**")
		fmt.Fprintln(w)
		for _, c := range f.Confirm {
			fmt.Fprintf(w, "- %s\n", mdText(c))
		}
	}
	if len(f.Remediation) > 0 {
		fmt.Fprintln(w, "\n**What to do**")
		fmt.Fprintln(w)
		for _, s := range f.Remediation {
			fmt.Fprintf(w, "- *%s*: %s", stepLabels[s.Kind], mdText(s.Text))
			if s.Shell != "" {
				fmt.Fprintf(w, " (%s)", shellName(s.Shell))
			}
			fmt.Fprintln(w)
			if len(s.Commands) > 0 {
				lang := s.Shell
				if lang == "cmd" {
					lang = "bat"
				}
				fmt.Fprintf(w, "\n  ```%s\n", lang)
				for _, c := range s.Commands {
					fmt.Fprintf(w, "  %s\n", c)
				}
				fmt.Fprintln(w, "  ```")
				fmt.Fprintln(w)
			}
			if s.Risk != "" {
				fmt.Fprintf(w, "  **Risk:** %s\n", mdText(s.Risk))
			}
		}
	}
}

// mdEscaper escapes the characters that Markdown would interpret in
// running text.
var mdEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`, "`", "\\`")

// mdText escapes characters that Markdown would interpret in running text.
func mdText(s string) string { return mdEscaper.Replace(s) }

// mdCell escapes text for a table cell.
func mdCell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(mdText(s), "|", `\|`), "\n", " ")
}
