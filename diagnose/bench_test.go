package diagnose_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/sample"
	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/report"
)

// benchLog returns about 64 MiB of Windows 10 log: the corpus's Windows
// 10/11 logs repeated (or, without the corpus, the scenario logs).
func benchLog(b *testing.B) []byte {
	b.Helper()
	files, _ := filepath.Glob(filepath.Join(corpusDir, "win1*.log"))
	if len(files) == 0 {
		files, _ = filepath.Glob(filepath.Join(scenarioDir, "*", "WindowsUpdate.log"))
	}
	var one []byte
	for _, f := range files {
		d, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		one = append(one, d...)
		if len(d) > 0 && d[len(d)-1] != '\n' {
			one = append(one, '\n')
		}
	}
	if len(one) == 0 {
		b.Skip("no logs to benchmark with")
	}
	const size = 64 << 20
	out := make([]byte, 0, size+len(one))
	for len(out) < size {
		out = append(out, one...)
	}
	return out
}

// BenchmarkScan is the baseline: scanning alone.
func BenchmarkScan(b *testing.B) {
	data := benchLog(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		sc := logparse.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
		}
		if err := sc.Err(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnalyze is scanning plus the evidence fold and every rule; the
// goal is at most 30% more time than BenchmarkScan.
func BenchmarkAnalyze(b *testing.B) {
	data := benchLog(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		sc := logparse.NewScanner(bytes.NewReader(data))
		sc.SetName("bench.log")
		res, err := diagnose.Analyze(context.Background(), sc, nil, diagnose.Options{})
		if err != nil || res.Evidence.Records == 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkRules runs the rules alone on the sample's folded evidence and
// facts: the per-input cost that does not depend on the log's size.
func BenchmarkRules(b *testing.B) {
	ev := diagnose.NewEvidence()
	if err := diagnose.Fold(context.Background(), sample.Records(), ev); err != nil {
		b.Fatal(err)
	}
	ev.Finish()
	facts, err := sample.Facts{}.Facts(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		diagnose.Run(ev, facts, "sample", diagnose.Options{})
	}
}

// FuzzAnalyze feeds arbitrary text through the scanner, the fold, the
// rules and the three report formats: no panic, bounded evidence, and
// only shipped rules reporting.
func FuzzAnalyze(f *testing.F) {
	f.Add(sample.Log())
	f.Add([]byte("2016-09-08\t10:48:19:500\t 848\t604\tAgent\t** START **  Agent: Finding updates [CallerId = AutomaticUpdates]\n" +
		"2016-09-08\t10:48:43:109\t 848\t604\tAgent\t  * WARNING: Exit code = 0x80072EE2\n"))
	f.Add([]byte("2024-04-11 12:48:14.3749827 1980  5980  Handler         x\n2024-04-11 12:47:14.3750000 1980  5980  Handler         *FAILED* [8024402C] y\n"))
	facts, err := sample.Facts{}.Facts(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range diagnose.DefaultRules() {
		ids[r.ID] = true
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc := logparse.NewScanner(bytes.NewReader(data))
		ev := diagnose.NewEvidence()
		ev.MaxChains = 16
		for sc.Scan() {
			ev.Add(sc.Record())
		}
		ev.Finish()
		if len(ev.Chains) > 16 {
			t.Fatalf("%d chains over the cap", len(ev.Chains))
		}
		for _, fs := range []*diagnose.Facts{nil, facts} {
			res := diagnose.Run(ev, fs, "fuzz", diagnose.Options{})
			for _, e := range res.RuleErrors {
				t.Fatal(e)
			}
			for _, fd := range res.Findings {
				if !ids[fd.Rule] {
					t.Fatalf("finding from unknown rule %q", fd.Rule)
				}
			}
			renderAll(t, res)
		}
	})
}

// renderAll writes res in every report format.
func renderAll(t *testing.T, res *diagnose.Result) {
	t.Helper()
	rep := &report.Report{Inputs: []report.Input{{Name: "fuzz.log", Result: res}}}
	for _, f := range []report.Format{report.Text, report.JSON, report.Markdown} {
		var buf bytes.Buffer
		if err := report.Write(&buf, rep, f, report.Options{Color: true}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
}

// BenchmarkOverhead times scanning alone and scanning with the evidence
// fold and the rules back to back on the same input, alternating which
// goes first, in process CPU time (not wall time, which a busy machine
// inflates at random), and reports the median of the per-pair overheads
// ("overhead-%"; the goal is at most 30).
func BenchmarkOverhead(b *testing.B) {
	data := benchLog(b)
	b.SetBytes(int64(len(data)))
	scan := func() time.Duration {
		t0 := cpuTime()
		sc := logparse.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
		}
		return cpuTime() - t0
	}
	analyze := func() time.Duration {
		t0 := cpuTime()
		sc := logparse.NewScanner(bytes.NewReader(data))
		if _, err := diagnose.Analyze(context.Background(), sc, nil, diagnose.Options{}); err != nil {
			b.Fatal(err)
		}
		return cpuTime() - t0
	}
	var ratios []float64
	var bestScan, bestAnalyze time.Duration
	i := 0
	for b.Loop() {
		var s, a time.Duration
		if i%2 == 0 {
			s, a = scan(), analyze()
		} else {
			a, s = analyze(), scan()
		}
		i++
		ratios = append(ratios, float64(a)/float64(s))
		if bestScan == 0 || s < bestScan {
			bestScan = s
		}
		if bestAnalyze == 0 || a < bestAnalyze {
			bestAnalyze = a
		}
	}
	sort.Float64s(ratios)
	b.ReportMetric(100*(ratios[len(ratios)/2]-1), "overhead-%")
	b.ReportMetric(float64(len(data))/bestScan.Seconds()/1e6, "scan-MB/s")
	b.ReportMetric(float64(len(data))/bestAnalyze.Seconds()/1e6, "analyze-MB/s")
}
