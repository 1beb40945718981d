package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/wulog/wulog/logparse/etl"
	"github.com/wulog/wulog/logparse/etl/tracelogging"
	"github.com/wulog/wulog/logparse/etl/wu"
)

// EtlCmd groups the commands that inspect any ETL trace file.
type EtlCmd struct {
	Dump EtlDumpCmd `cmd:"" help:"Print the events of ETL files (text or JSON lines), Windows Update or not."`
	Info EtlInfoCmd `cmd:"" help:"Print the container facts of an ETL file as JSON: header, buffers, clock, event counts."`
}

// EtlDumpCmd prints the events of ETL files.
type EtlDumpCmd struct {
	Format  string   `help:"Output format: text or jsonl." enum:"text,jsonl" default:"text" short:"f"`
	SkipRaw bool     `help:"Leave out the events that are not self-describing (manifest-based, MOF, kernel, WPP): only TraceLogging events are printed."`
	Order   string   `help:"Event order: time (buffers per processor merged by timestamp, several files merged by time) or file (as stored)." enum:"time,file" default:"time"`
	Paths   []string `arg:"" name:"path" help:".etl files, or directories of them (merged by time)." type:"path"`
}

// EtlInfoCmd prints the summary of each file.
type EtlInfoCmd struct {
	Paths []string `arg:"" name:"path" help:".etl files." type:"path"`
}

// Run prints one JSON summary per file.
func (c *EtlInfoCmd) Run(g *Globals) error {
	failed := false
	for _, p := range c.Paths {
		f, err := etl.Open(p, nil)
		if err != nil {
			fmt.Fprintf(g.Stderr, "wulog: %v\n", err)
			failed = true
			continue
		}
		s, err := f.Summarize()
		f.Close()
		if err != nil {
			fmt.Fprintf(g.Stderr, "wulog: %v\n", err)
			failed = true
			continue
		}
		out, _ := json.MarshalIndent(s, "", " ")
		fmt.Fprintf(g.Stdout, "%s\n", out)
	}
	if failed {
		return &exitError{code: exitUsage}
	}
	return nil
}

// Run prints the events. Damage inside a file is reported on stderr and
// does not fail the command; a file that cannot be read as ETL does.
func (c *EtlDumpCmd) Run(g *Globals) error {
	var readers []*etl.Reader
	var files []*etl.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	paths, err := expandETL(c.Paths)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	for _, p := range paths {
		f, err := etl.Open(p, &etl.Options{FileOrder: c.Order == "file"})
		if err != nil {
			return &exitError{exitUsage, err}
		}
		files = append(files, f)
		readers = append(readers, f.Reader)
	}
	orders := map[*etl.Reader]etl.FileOrder{}
	if c.Format == "jsonl" {
		for _, r := range readers {
			o, err := r.FileOrder()
			if err != nil {
				return &exitError{exitUsage, err}
			}
			orders[r] = o
		}
	}
	var events *etl.Multi
	if c.Order == "file" {
		events = etl.Concat(readers...)
	} else {
		events = etl.Merge(readers...)
	}
	w := bufio.NewWriterSize(g.Stdout, 256<<10)
	var buf []byte
	for events.Scan() {
		e := events.Event()
		if c.SkipRaw && !e.IsTraceLogging() {
			continue
		}
		buf = buf[:0]
		if c.Format == "jsonl" {
			buf = etl.AppendJSON(buf, e, orders[events.Reader()].Of(e))
			buf = append(buf, '\n')
		} else {
			buf = appendEventText(buf, e)
		}
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		return &exitError{exitUsage, fmt.Errorf("writing output: %w", err)}
	}
	reportDamage(g.Stderr, events)
	return events.Err()
}

// reportDamage prints the problems and the WPP note of an event stream to
// stderr.
func reportDamage(stderr io.Writer, events etl.Events) {
	for _, p := range events.Problems() {
		fmt.Fprintf(stderr, "wulog: warning: %v\n", p)
	}
	if st := events.Stats(); st.WPP > 0 {
		fmt.Fprintf(stderr, "wulog: note: %d WPP trace messages cannot be decoded without the provider's private symbols; if this is a Windows Update log from before Windows 10 1709: %s\n", st.WPP, wu.NeedsSymbols)
	}
}

// expandETL replaces directories by the .etl files in them.
func expandETL(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		names, err := etl.List(p)
		if err == nil {
			if len(names) == 0 {
				return nil, fmt.Errorf("%s: directory without .etl files", p)
			}
			out = append(out, names...)
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, errors.New("no input")
	}
	return out, nil
}

// appendEventText appends one line describing an event:
// time [cpu] pid.tid provider/event level kw op: fields, or the raw
// header facts and the reason for events that are not decoded.
func appendEventText(b []byte, e *etl.Event) []byte {
	b = e.Time.AppendFormat(b, tracelogging.TimeLayout)
	b = append(b, " ["...)
	b = strconv.AppendUint(b, uint64(e.Processor), 10)
	b = append(b, "] "...)
	b = strconv.AppendUint(b, uint64(e.PID), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(e.TID), 10)
	b = append(b, ' ')
	if e.IsTraceLogging() {
		b = append(b, e.ProviderName...)
		b = append(b, '/')
		b = append(b, e.Name...)
	} else {
		b = append(b, e.Kind.String()...)
		b = append(b, ' ')
		b = e.ProviderID.AppendText(b)
		b = append(b, " id="...)
		b = strconv.AppendUint(b, uint64(e.ID), 10)
	}
	b = append(b, " level="...)
	b = strconv.AppendUint(b, uint64(e.Level), 10)
	b = append(b, " kw=0x"...)
	b = strconv.AppendUint(b, e.Keyword, 16)
	b = append(b, " op="...)
	b = strconv.AppendUint(b, uint64(e.Opcode), 10)
	if len(e.Fields) > 0 {
		b = append(b, ':')
		for i := range e.Fields {
			f := &e.Fields[i]
			b = append(b, ' ')
			b = append(b, f.Schema.Name...)
			b = append(b, '=')
			v := f.AppendText(nil)
			if f.IsString() || strings.ContainsAny(string(v), " \t\r\n\"") {
				b = strconv.AppendQuote(b, string(v))
			} else {
				b = append(b, v...)
			}
		}
	}
	if !e.Decoded {
		b = append(b, " (not decoded: "...)
		b = append(b, e.Reason...)
		b = append(b, "; "...)
		b = strconv.AppendInt(b, int64(len(e.UserData)), 10)
		b = append(b, " payload bytes)"...)
	}
	return append(b, '\n')
}
