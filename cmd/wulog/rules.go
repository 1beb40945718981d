package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wulog/wulog/diagnose"
)

// RulesCmd lists the diagnosis rules.
type RulesCmd struct {
	Format string   `short:"f" help:"Output format: text, json or markdown." enum:"text,json,markdown" default:"text"`
	Short  bool     `help:"One line per rule: ID, name and title."`
	IDs    []string `arg:"" optional:"" name:"rule" help:"Rule IDs or names to show (default: all)."`
}

type ruleDoc struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Title    string   `json:"title"`
	Doc      string   `json:"doc"`
	Evidence []string `json:"evidence"`
	Facts    []string `json:"facts"`
	Requires []string `json:"requires"`
}

// Run prints the rules.
func (c *RulesCmd) Run(g *Globals) error {
	rules := diagnose.DefaultRules()
	if len(c.IDs) > 0 {
		var sel []*diagnose.Rule
		for _, id := range c.IDs {
			r := diagnose.Lookup(id)
			if r == nil {
				return &exitError{exitUsage, fmt.Errorf("rules: no rule %q (wulog rules --short lists them)", id)}
			}
			sel = append(sel, r)
		}
		rules = sel
	}
	w := bufio.NewWriter(g.Stdout)
	defer w.Flush()
	var docs []ruleDoc
	for _, r := range rules {
		d := ruleDoc{ID: r.ID, Name: r.Name, Title: r.Title, Doc: unwrap(r.Doc), Evidence: nonEmpty(r.Evidence), Facts: nonEmpty(r.Facts), Requires: []string{}}
		for _, q := range r.Requires {
			d.Requires = append(d.Requires, q.ID)
		}
		docs = append(docs, d)
	}
	switch {
	case c.Format == "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(docs)
	case c.Short:
		for _, d := range docs {
			fmt.Fprintf(w, "%s  %-28s %s\n", d.ID, d.Name, d.Title)
		}
	case c.Format == "markdown":
		for _, d := range docs {
			fmt.Fprintf(w, "## %s `%s`: %s\n\n%s\n\n", d.ID, d.Name, d.Title, d.Doc)
			if len(d.Evidence) > 0 {
				fmt.Fprintf(w, "- Evidence: %s\n", strings.Join(d.Evidence, "; "))
			}
			if len(d.Facts) > 0 {
				fmt.Fprintf(w, "- Facts: `%s`\n", strings.Join(d.Facts, "`, `"))
			}
			if len(d.Requires) > 0 {
				fmt.Fprintf(w, "- Uses the results of: %s\n", strings.Join(d.Requires, ", "))
			}
			fmt.Fprintln(w)
		}
	default:
		for i, d := range docs {
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "%s %s\n  %s\n\n", d.ID, d.Name, d.Title)
			for _, l := range wrap(d.Doc, 76) {
				if l == "" {
					fmt.Fprintln(w)
					continue
				}
				fmt.Fprintf(w, "  %s\n", l)
			}
			if len(d.Evidence) > 0 {
				fmt.Fprintf(w, "\n  Evidence: %s\n", strings.Join(d.Evidence, "; "))
			}
			if len(d.Facts) > 0 {
				fmt.Fprintf(w, "  Facts:    %s\n", strings.Join(d.Facts, "\n            "))
			}
			if len(d.Requires) > 0 {
				fmt.Fprintf(w, "  Uses:     %s\n", strings.Join(d.Requires, ", "))
			}
		}
	}
	return nil
}

func nonEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// unwrap joins the hard-wrapped lines of a doc into paragraphs separated
// by blank lines.
func unwrap(doc string) string {
	var paras []string
	for _, p := range strings.Split(doc, "\n\n") {
		paras = append(paras, strings.Join(strings.Fields(p), " "))
	}
	return strings.Join(paras, "\n\n")
}

// wrap wraps the paragraphs of doc at width columns.
func wrap(doc string, width int) []string {
	var out []string
	for i, p := range strings.Split(doc, "\n\n") {
		if i > 0 {
			out = append(out, "")
		}
		line := ""
		for _, w := range strings.Fields(p) {
			if line != "" && len(line)+1+len(w) > width {
				out = append(out, line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += w
		}
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}
