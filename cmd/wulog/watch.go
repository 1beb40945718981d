package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/live"
	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/logparse/etl/wu"
	"github.com/wulog/wulog/logparse/etw"
)

// WatchCmd follows Windows Update live through ETW.
type WatchCmd struct {
	liveFlags
	NoFacts bool          `help:"Do not read the machine's facts; judge from the events alone."`
	Show    string        `help:"Which events to print as they arrive: failures (events with a failure code), all, or none." enum:"failures,all,none" default:"failures"`
	Every   time.Duration `help:"How often the rules run again while events arrive." default:"2s"`
}

// Run starts the ETW session, feeds its records to the rules and prints
// new findings until Ctrl-C; the session is always stopped.
func (c *WatchCmd) Run(g *Globals) error {
	if runtime.GOOS != "windows" {
		return &exitError{exitUsage, errNeedsWindows("watch")}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	w, err := etw.Open(ctx)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	defer w.Close()
	fmt.Fprintf(g.Stderr, "Following Windows Update through the ETW session %q; Ctrl-C stops it.\n", etw.SessionName)
	var facts chan factsResult
	if !c.NoFacts {
		facts = make(chan factsResult, 1)
		src := live.New(c.options())
		go func() {
			f, err := src.Facts(ctx)
			facts <- factsResult{f, src.Name(), err}
		}()
	}
	err = watchLoop(ctx, w, facts, g.Stdout, watchOptions{every: c.Every, show: c.Show})
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("stopping the ETW session %q: %w", etw.SessionName, cerr)
	}
	return err
}

// factsResult carries the live facts read while watching.
type factsResult struct {
	facts *diagnose.Facts
	name  string
	err   error
}

// watchOptions tune watchLoop.
type watchOptions struct {
	every      time.Duration // how often the rules run while records arrive
	show       string        // "failures", "all" or "none"
	maxRecords int           // records kept for the rules (oldest dropped)
	clock      func() time.Time
}

// watchState is what watchLoop keeps between evaluations.
type watchState struct {
	out       io.Writer
	opts      watchOptions
	kept      []*logparse.Record
	dropped   int64
	facts     *diagnose.Facts
	factsName string
	seen      map[string]bool
	dirty     bool
	line      []byte
}

// watchLoop reads records from src until ctx ends or src stops, prints
// them as opts.show says, and runs the rules on everything kept so far
// (and the facts, once they arrive) every opts.every while records come
// in, printing each finding the first time it appears. The rules run over
// the whole window each time because folding evidence is final
// (Evidence.Finish).
func watchLoop(ctx context.Context, src logparse.Source, facts <-chan factsResult, out io.Writer, opts watchOptions) error {
	if opts.every <= 0 {
		opts.every = 2 * time.Second
	}
	if opts.maxRecords <= 0 {
		opts.maxRecords = 200000
	}
	st := &watchState{out: out, opts: opts, seen: map[string]bool{}}
	recs := make(chan *logparse.Record, 256)
	go func() {
		defer close(recs)
		for src.Scan() {
			select {
			case recs <- src.Record().Clone():
			case <-ctx.Done():
				return
			}
		}
	}()
	tick := time.NewTicker(opts.every)
	defer tick.Stop()
	for {
		select {
		case r, ok := <-recs:
			if !ok {
				st.evaluate()
				st.summary()
				return src.Err()
			}
			st.add(r)
		case fr := <-facts:
			facts = nil
			if fr.err != nil {
				fmt.Fprintf(out, "facts not read (%v); judging from the events alone\n", fr.err)
				continue
			}
			st.facts, st.factsName, st.dirty = fr.facts, fr.name, true
			fmt.Fprintf(out, "facts read from %s\n", fr.name)
		case <-tick.C:
			if st.dirty {
				st.evaluate()
			}
		case <-ctx.Done():
			st.evaluate()
			st.summary()
			return nil
		}
	}
}

// add keeps a record and prints it if asked.
func (st *watchState) add(r *logparse.Record) {
	if len(st.kept) == st.opts.maxRecords {
		half := st.opts.maxRecords / 2
		st.kept = append(st.kept[:0], st.kept[half:]...)
		st.dropped += int64(half)
	}
	st.kept = append(st.kept, r)
	st.dirty = true
	if st.opts.show == "all" || (st.opts.show == "failures" && r.HasFailure()) {
		st.line = wu.AppendLine(st.line[:0], r, time.Local)
		st.out.Write(st.line[:len(st.line)-2]) // without CRLF
		io.WriteString(st.out, "\n")
	}
}

// evaluate runs the rules and prints the findings not printed before.
func (st *watchState) evaluate() {
	st.dirty = false
	if len(st.kept) == 0 && st.facts == nil {
		return
	}
	ev := diagnose.NewEvidence()
	for _, r := range st.kept {
		ev.Add(r)
	}
	res := diagnose.Run(ev, st.facts, st.factsName, diagnose.Options{Clock: st.opts.clock})
	for _, f := range res.Findings {
		key := f.Rule + "\x00" + f.Title
		if st.seen[key] {
			continue
		}
		st.seen[key] = true
		kind := "finding"
		if f.RootCause {
			kind = "root cause"
		}
		fmt.Fprintf(st.out, "\n>> %s %s [%s, %s]: %s\n", kind, f.Rule, f.Severity, f.Confidence, f.Title)
		for i, c := range f.Chain {
			if i > 0 && !strings.HasPrefix(c, "<-") && !strings.HasPrefix(c, "(") {
				c = "<- " + c
			}
			fmt.Fprintf(st.out, "   %s\n", c)
		}
		if f.ExplainedBy != "" {
			fmt.Fprintf(st.out, "   explained by %s\n", f.ExplainedBy)
		}
		if len(f.Remediation) > 0 {
			fmt.Fprintf(st.out, "   fix: %s\n", f.Remediation[0].Text)
		}
	}
	for _, err := range res.RuleErrors {
		key := "error\x00" + err.Error()
		if !st.seen[key] {
			st.seen[key] = true
			fmt.Fprintf(st.out, "rule error: %v\n", err)
		}
	}
}

// summary says what the watch saw.
func (st *watchState) summary() {
	n := int64(len(st.kept)) + st.dropped
	findings := 0
	for k := range st.seen {
		if !strings.HasPrefix(k, "error\x00") {
			findings++
		}
	}
	fmt.Fprintf(st.out, "\n%d Windows Update events, %d findings.\n", n, findings)
}
