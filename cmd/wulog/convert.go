package main

import (
	"bufio"
	"fmt"
	"os"
	"time"
	_ "time/tzdata" // IANA zones for --tz on machines without a zone database

	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/logparse/etl"
	"github.com/wulog/wulog/logparse/etl/wu"
)

// ConvertCmd writes the Windows Update events of .etl files as
// Get-WindowsUpdateLog does.
type ConvertCmd struct {
	Output string   `help:"Output file (- for standard output)." short:"o" default:"WindowsUpdate.log"`
	TZ     string   `name:"tz" help:"Time zone of the output times: Local (the default, as Get-WindowsUpdateLog on this machine), UTC, or an IANA name such as Europe/Berlin, to match a log converted on the original machine." default:"Local"`
	Paths  []string `arg:"" name:"path" help:"Windows Update .etl files, or directories of them (C:\\Windows\\Logs\\WindowsUpdate); all are merged by time." type:"path"`
}

// Run converts. Files holding only WPP messages (Windows Update before
// Windows 10 1709) are reported with the advice to use Get-WindowsUpdateLog.
func (c *ConvertCmd) Run(g *Globals) error {
	loc, err := time.LoadLocation(c.TZ)
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("--tz %s: %v", c.TZ, err)}
	}
	paths, err := expandETL(c.Paths)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	m, err := etl.OpenAll(paths...)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	defer m.Close()
	out := g.Stdout
	var f *os.File
	if c.Output != "-" {
		if f, err = os.Create(c.Output); err != nil {
			return &exitError{exitUsage, err}
		}
		defer f.Close()
		out = f
	}
	w := bufio.NewWriterSize(out, 256<<10)
	src := wu.NewSource(m, nil)
	n, err := wu.WriteLog(w, src, loc, func(r *logparse.Record) {
		if r.Reason != "" {
			fmt.Fprintf(g.Stderr, "wulog: %s: %s\n", r.File, r.Reason)
		}
	})
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("writing %s: %w", c.Output, err)}
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return &exitError{exitUsage, err}
		}
	}
	if err := src.Err(); err != nil {
		return &exitError{exitUsage, err}
	}
	if n == 0 {
		if src.Stats().NoSymbols > 0 {
			return &exitError{exitUsage, fmt.Errorf("no Windows Update events decoded: %s", wu.NeedsSymbols)}
		}
		return &exitError{exitUsage, fmt.Errorf("no Windows Update (WUTraceLogging) events in %d file(s)", len(paths))}
	}
	if c.Output != "-" {
		fmt.Fprintf(g.Stderr, "wulog: wrote %d records to %s\n", n, c.Output)
	}
	return nil
}
