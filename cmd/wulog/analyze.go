package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"github.com/wulog/wulog/bundle"
	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/hive"
	"github.com/wulog/wulog/diagnose/live"
	"github.com/wulog/wulog/diagnose/sample"
	"github.com/wulog/wulog/diagnose/snapshot"
	"github.com/wulog/wulog/input"
	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/logparse/etl"
	"github.com/wulog/wulog/logparse/etl/wu"
	"github.com/wulog/wulog/report"
)

// AnalyzeCmd names the root cause of Windows Update failures.
type AnalyzeCmd struct {
	Paths []string `arg:"" optional:"" name:"path" help:"Windows Update logs: files, directories (searched for WindowsUpdate*.log), .gz and .zip archives, bundles made by 'wulog collect', or - for standard input."`

	Sample       bool   `help:"Analyse the embedded seed case: a WindowsUpdate.log with 0x80072F8F at slscr.update.microsoft.com and the snapshot of facts that explains it."`
	Facts        string `help:"Snapshot of the machine's facts (wulog.snapshot/v1 JSON, see docs/snapshot.md)." placeholder:"SNAPSHOT.json" type:"existingfile"`
	SoftwareHive string `name:"software-hive" help:"Offline SOFTWARE registry hive copied from the machine." placeholder:"SOFTWARE" type:"existingfile"`
	SystemHive   string `name:"system-hive" help:"Offline SYSTEM registry hive copied from the machine." placeholder:"SYSTEM" type:"existingfile"`
	UserHive     string `name:"user-hive" help:"Offline NTUSER.DAT of the user whose HKCU sync times count." placeholder:"NTUSER.DAT" type:"existingfile"`
	Live         bool   `help:"Read the facts from this machine now (Windows only; run elevated to read key permissions)."`

	Format    string `short:"f" help:"Output format: text, json or markdown." enum:"text,json,markdown" default:"text"`
	FailOn    string `name:"fail-on" help:"Exit with status 1 when a finding at or above this severity is found: none, info, warning or error." enum:"none,info,warning,error" default:"none"`
	Now       string `help:"Reference time for ages (RFC 3339, e.g. 2023-03-21T22:30:00Z) instead of the log's last record or the current time."`
	Verbose   bool   `short:"v" help:"Show every finding in full, including those a root cause explains."`
	Jobs      int    `help:"Inputs analysed in parallel (0: GOMAXPROCS)." default:"0"`
	MaxChains int    `name:"max-chains" help:"Distinct failure chains kept per input; more are counted, not grouped." default:"2048"`
	Progress  string `help:"Progress bar on stderr: auto (when stderr is a terminal and the inputs are large), always or never." enum:"auto,always,never" default:"auto"`
}

// analyzeJob is one report: a log, a bundle, or facts alone.
type analyzeJob struct {
	name      string
	inputs    []input.Input
	bundle    string
	sample    bool
	factsOnly bool
	size      int64
}

// Run analyses the inputs and writes the report. Exit status: 0 analysed,
// 1 a finding at or above --fail-on, 2 usage or input error (the report is
// still written for the inputs that could be read).
func (c *AnalyzeCmd) Run(g *Globals) error {
	if c.Sample && len(c.Paths) > 0 {
		return &exitError{exitUsage, errors.New("analyze: --sample takes no paths")}
	}
	hasFacts := c.Facts != "" || c.SoftwareHive != "" || c.SystemHive != "" || c.UserHive != "" || c.Live
	if c.Sample && hasFacts {
		return &exitError{exitUsage, errors.New("analyze: --sample brings its own facts; drop --facts, the hive flags and --live")}
	}
	if !c.Sample && len(c.Paths) == 0 && !hasFacts {
		return &exitError{exitUsage, errors.New("analyze: nothing to analyse: give log paths, a facts source (--facts, --software-hive, --live) or --sample")}
	}
	if c.Facts != "" && (c.SoftwareHive != "" || c.SystemHive != "" || c.UserHive != "" || c.Live) || c.Live && (c.SoftwareHive != "" || c.SystemHive != "" || c.UserHive != "") {
		return &exitError{exitUsage, errors.New("analyze: use one facts source: --facts, the hive flags, or --live")}
	}
	opts := diagnose.Options{MaxChains: c.MaxChains}
	if c.Now != "" {
		t, err := parseNow(c.Now)
		if err != nil {
			return &exitError{exitUsage, fmt.Errorf("analyze: --now: %w", err)}
		}
		opts.Now = t
	}
	failOn := diagnose.Severity(0)
	if c.FailOn != "none" {
		failOn, _ = diagnose.ParseSeverity(c.FailOn)
	}
	facts, err := c.factSource()
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("analyze: %w", err)}
	}

	jobs, inputErrs := c.jobs(g)
	if len(jobs) == 0 && hasFacts && len(c.Paths) == 0 {
		jobs = append(jobs, analyzeJob{name: "facts", factsOnly: true})
	}
	ctx := context.Background()
	rep := &report.Report{Inputs: make([]report.Input, len(jobs))}
	var total int64
	for _, j := range jobs {
		total += j.size
	}
	prog := newProgress(g.Stderr, c.Progress, total, len(jobs))
	work := make(chan int)
	var wg sync.WaitGroup
	workers := c.Jobs
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	for range min(workers, max(len(jobs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				rep.Inputs[i] = c.analyze(ctx, jobs[i], facts, opts, prog)
				prog.done()
			}
		}()
	}
	for i := range jobs {
		work <- i
	}
	close(work)
	wg.Wait()
	prog.stop()
	for _, err := range inputErrs {
		rep.Inputs = append(rep.Inputs, report.Input{Name: errName(err), Err: err})
	}

	color := c.Format == "text" && !g.NoColor && os.Getenv("NO_COLOR") == "" && isTerminal(g.Stdout)
	if err := report.Write(g.Stdout, rep, report.Format(c.Format), report.Options{Color: color, Verbose: c.Verbose}); err != nil {
		return &exitError{exitUsage, fmt.Errorf("writing the report: %w", err)}
	}
	failed := 0
	for _, in := range rep.Inputs {
		if in.Err != nil {
			failed++
			fmt.Fprintf(g.Stderr, "wulog: %v\n", in.Err)
		}
	}
	if failed > 0 {
		return &exitError{exitUsage, fmt.Errorf("analyze: %d of %d inputs could not be analysed", failed, len(rep.Inputs))}
	}
	if failOn > 0 && rep.Max() >= failOn {
		return &exitError{code: exitFindings}
	}
	return nil
}

// errName returns the input an error names ("x.log: ..." -> "x.log").
func errName(err error) string {
	s := err.Error()
	if i := strings.Index(s, ": "); i > 0 {
		return s[:i]
	}
	return s
}

// parseNow reads --now: RFC 3339, or a date and time without zone (UTC).
func parseNow(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time like 2023-03-21T22:30:00Z", s)
}

// factSource returns the facts source of the flags, nil for none.
func (c *AnalyzeCmd) factSource() (diagnose.FactSource, error) {
	var fs diagnose.FactSource
	switch {
	case c.Facts != "":
		fs = snapshot.Load(c.Facts)
	case c.SoftwareHive != "" || c.SystemHive != "" || c.UserHive != "":
		fs = hive.Load(hive.Files{Software: c.SoftwareHive, System: c.SystemHive, User: c.UserHive})
	case c.Live:
		fs = live.New(live.Options{})
	default:
		return nil, nil
	}
	return &onceFacts{src: fs}, nil
}

// onceFacts reads a facts source once for every job that uses it.
type onceFacts struct {
	src   diagnose.FactSource
	once  sync.Once
	facts *diagnose.Facts
	err   error
}

func (o *onceFacts) Name() string { return o.src.Name() }

func (o *onceFacts) Facts(ctx context.Context) (*diagnose.Facts, error) {
	o.once.Do(func() { o.facts, o.err = o.src.Facts(ctx) })
	return o.facts, o.err
}

// jobs turns the paths into analysis jobs: one per bundle (its log and
// its facts), one per folder of .etl files (a trace split in time), and
// one per text log, whether named, found in a directory or a zip archive,
// or read from standard input.
func (c *AnalyzeCmd) jobs(g *Globals) ([]analyzeJob, []error) {
	if c.Sample {
		return []analyzeJob{{name: sample.LogName, sample: true, size: int64(len(sample.Log()))}}, nil
	}
	var jobs []analyzeJob
	var errs []error
	bundles := map[string]bool{}
	// isBundle adds a bundle job for a zip that is a wulog bundle, once.
	isBundle := func(zipPath string) bool {
		if done, seen := bundles[zipPath]; seen {
			return done
		}
		b, err := bundle.Open(zipPath)
		var broken *bundle.BrokenError
		switch {
		case err == nil:
			b.Close()
			jobs = append(jobs, analyzeJob{name: zipPath, bundle: zipPath, size: fileSize(zipPath)})
		case errors.As(err, &broken): // a bundle, but not a valid one
			errs = append(errs, err)
		default: // not a bundle (or not readable): input handles it as a zip of logs
			bundles[zipPath] = false
			return false
		}
		bundles[zipPath] = true
		return true
	}
	for _, arg := range c.Paths {
		if strings.EqualFold(filepath.Ext(arg), ".zip") && isBundle(arg) {
			continue
		}
		ins, ierrs := input.Expand([]string{arg}, input.Options{Stdin: g.Stdin})
		errs = append(errs, ierrs...)
		// Bundles found in a directory are bundles, not zips of logs.
		ins = slices.DeleteFunc(ins, func(in input.Input) bool { return in.Member != "" && isBundle(in.Path) })
		// The .etl files of one folder are one machine's trace, split in
		// time: one job. Text logs are one job each.
		etlDirs := map[string]int{}
		for _, in := range ins {
			if !isETL(in) {
				jobs = append(jobs, analyzeJob{name: in.Name, inputs: []input.Input{in}, size: inputSize(in)})
				continue
			}
			dir := filepath.Dir(in.Name)
			k, ok := etlDirs[dir]
			if !ok {
				k = len(jobs)
				etlDirs[dir] = k
				jobs = append(jobs, analyzeJob{name: dir})
			}
			jobs[k].inputs = append(jobs[k].inputs, in)
			jobs[k].size += inputSize(in)
		}
		for _, k := range etlDirs {
			if len(jobs[k].inputs) == 1 {
				jobs[k].name = jobs[k].inputs[0].Name
			}
		}
	}
	return jobs, errs
}

// isETL reports whether an input is an .etl file (by name).
func isETL(in input.Input) bool {
	name := in.Path
	if in.Member != "" {
		name = in.Member
	}
	return strings.EqualFold(filepath.Ext(name), ".etl")
}

func fileSize(p string) int64 {
	if fi, err := os.Stat(p); err == nil {
		return fi.Size()
	}
	return 0
}

func inputSize(in input.Input) int64 {
	if in.Member == "" && in.Path != "" {
		return fileSize(in.Path)
	}
	return 0
}

// analyze runs one job.
func (c *AnalyzeCmd) analyze(ctx context.Context, j analyzeJob, facts diagnose.FactSource, opts diagnose.Options, prog *progress) report.Input {
	out := report.Input{Name: j.name}
	ev := diagnose.NewEvidence()
	if c.MaxChains > 0 {
		ev.MaxChains = c.MaxChains
	}
	var stats logparse.Stats
	fold := func(src logparse.Source) error {
		err := diagnose.Fold(ctx, prog.wrap(src), ev)
		stats.Add(src.Stats())
		return err
	}
	switch {
	case j.sample:
		if err := fold(sample.Records()); err != nil {
			out.Err = err
			return out
		}
		facts = sample.Facts{}
	case j.bundle != "":
		b, err := bundle.Open(j.bundle)
		if err != nil {
			out.Err = err
			return out
		}
		defer b.Close()
		out.Host = b.Manifest.Host
		if err := foldBundle(b, j.bundle, fold); err != nil {
			out.Err = err
			return out
		}
		if b.Has(bundle.SnapshotName) {
			facts = b
		}
	default:
		for _, in := range j.inputs {
			l, err := in.Open()
			if err != nil {
				out.Err = err
				return out
			}
			err = fold(l.Source) // the reader itself: no wrapper call per record
			l.Close()
			if err != nil {
				out.Err = err
				return out
			}
		}
	}
	ev.Finish()
	if !j.sample && !j.factsOnly && stats.Records == 0 {
		out.Err = noRecords(j.name, stats)
		return out
	}
	var f *diagnose.Facts
	name := ""
	if facts != nil {
		var err error
		f, err = facts.Facts(ctx)
		if err != nil {
			out.Err = fmt.Errorf("%s: %w", facts.Name(), err)
			return out
		}
		name = facts.Name()
		if out.Host == "" {
			out.Host = f.Host
		}
	}
	res := diagnose.Run(ev, f, name, opts)
	res.Stats = stats
	out.Result = res
	return out
}

// noRecords is the error for an input in which no Windows Update record
// was found: an empty file, or a text that is not a Windows Update log.
func noRecords(name string, st logparse.Stats) error {
	if st.Lines == 0 {
		return fmt.Errorf("%s: empty: no Windows Update records to analyse", name)
	}
	return fmt.Errorf("%s: not a Windows Update log: none of its %d lines is a Windows Update record (see wulog parse %s)", name, st.Lines, name)
}

// foldBundle folds a bundle's WindowsUpdate.log, or its .etl files when it
// has no converted log.
func foldBundle(b *bundle.Bundle, name string, fold func(logparse.Source) error) error {
	if b.Has(bundle.LogName) {
		rc, err := b.Open(bundle.LogName)
		if err != nil {
			return err
		}
		defer rc.Close()
		sc := logparse.NewScanner(rc)
		sc.SetName(name + ":" + bundle.LogName)
		var src logparse.Source = sc
		if strings.EqualFold(b.Manifest.LogTimeZone, "UTC") {
			src = utcSource{sc}
		}
		return fold(src)
	}
	var readers []*etl.Reader
	for _, e := range b.Manifest.ETLFiles() {
		rc, err := b.Open(e)
		if err != nil {
			return err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		r, err := etl.NewReader(bytes.NewReader(data), int64(len(data)), name+":"+e, nil)
		if err != nil {
			return err
		}
		readers = append(readers, r)
	}
	if len(readers) == 0 {
		return nil // facts only
	}
	return fold(wu.NewSource(etl.Merge(readers...), nil))
}

// utcSource marks the wall-clock times of a converted log as UTC, for
// bundles whose manifest says the log was written in UTC.
type utcSource struct{ logparse.Source }

func (u utcSource) Record() *logparse.Record {
	r := u.Source.Record()
	if !r.Time.IsZero() && !r.ZoneKnown {
		r.ZoneKnown = true
	}
	return r
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress draws a progress bar on stderr for big inputs.
type progress struct {
	w           io.Writer
	on          bool
	total       int64
	jobs        int
	read, ndone atomic.Int64
	stopc       chan struct{}
	wg          sync.WaitGroup
}

// progressThreshold is the total input size above which "auto" shows the
// bar.
const progressThreshold = 4 << 20

func newProgress(w io.Writer, mode string, total int64, jobs int) *progress {
	p := &progress{w: w, total: total, jobs: jobs}
	p.on = mode == "always" || mode == "auto" && total > progressThreshold && isTerminal(w)
	if p.on {
		p.stopc = make(chan struct{})
		p.wg.Add(1)
		go p.loop()
	}
	return p
}

func (p *progress) loop() {
	defer p.wg.Done()
	p.draw()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stopc:
			fmt.Fprint(p.w, "\r\x1b[K")
			return
		case <-t.C:
			p.draw()
		}
	}
}

func (p *progress) draw() {
	read, done := p.read.Load(), p.ndone.Load()
	frac := 0.0
	if p.total > 0 {
		frac = min(float64(read)/float64(p.total), 1)
	}
	const width = 30
	n := int(frac * width)
	fmt.Fprintf(p.w, "\r\x1b[Kanalyzing [%s%s] %3.0f%%  %d/%d MB  %d/%d inputs",
		strings.Repeat("=", n), strings.Repeat(" ", width-n), frac*100, read>>20, p.total>>20, done, p.jobs)
}

func (p *progress) done() {
	if p.on {
		p.ndone.Add(1)
	}
}

func (p *progress) stop() {
	if p.on {
		close(p.stopc)
		p.wg.Wait()
	}
}

// wrap counts the bytes a source reads.
func (p *progress) wrap(src logparse.Source) logparse.Source {
	if !p.on {
		return src
	}
	return &countingSource{Source: src, p: p}
}

type countingSource struct {
	logparse.Source
	p    *progress
	n    int
	last int64
}

func (c *countingSource) Scan() bool {
	ok := c.Source.Scan()
	if c.n++; c.n&1023 == 0 || !ok {
		b := c.Source.Stats().Bytes
		c.p.read.Add(b - c.last)
		c.last = b
	}
	return ok
}
