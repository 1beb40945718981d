package diagnose_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/internal/shared"
	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/report"
)

// corpusDir is the shared corpus of real WindowsUpdate.log files, read in
// place.
var corpusDir = shared.Path("corpus")

func corpusFiles(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*"))
	var logs []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".tsv") {
			logs = append(logs, f)
		}
	}
	if len(logs) == 0 {
		t.Skipf("the shared corpus is not at %s (it is read in place, never copied)", corpusDir)
	}
	return logs
}

// analyzeCorpus analyses one corpus file without facts.
func analyzeCorpus(t *testing.T, path string) *diagnose.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := logparse.NewScanner(f)
	sc.SetName(filepath.Base(path))
	res, err := diagnose.Analyze(context.Background(), sc, nil, diagnose.Options{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return res
}

// healthyCorpus are the corpus files of machines whose updates work
// (MANIFEST.tsv: scans succeed; the failures in them are transient or are
// status answers, such as josemct's 0x80246007 IsCommitRequired polls and
// appostarsi's 0x80092004 auth-token lookups).
var healthyCorpus = []string{
	"win10-1903_raja-fahad",
	"win10-21H2_josemct",
	"win10-22H2_appostarsi",
	"win11-22H2_waca0895",
	"win11-23H2_debajyati",
	"excerpt_win11-2026_DoorsOS",
	"excerpt_win10_DCourtel",
}

func isHealthy(path string) bool {
	for _, h := range healthyCorpus {
		if strings.HasPrefix(filepath.Base(path), h) {
			return true
		}
	}
	return false
}

// TestCorpus analyses the whole corpus: no rule fails, every report
// renders, and the healthy files get no root cause and no finding above
// information.
func TestCorpus(t *testing.T) {
	healthy := 0
	for _, path := range corpusFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			res := analyzeCorpus(t, path)
			for _, e := range res.RuleErrors {
				t.Error(e)
			}
			if res.Evidence.Records == 0 {
				t.Error("no records folded")
			}
			rep := &report.Report{Inputs: []report.Input{{Name: filepath.Base(path), Result: res}}}
			for _, f := range []report.Format{report.Text, report.JSON, report.Markdown} {
				var buf bytes.Buffer
				if err := report.Write(&buf, rep, f, report.Options{}); err != nil || buf.Len() == 0 {
					t.Errorf("%s report: %v", f, err)
				}
			}
			if !isHealthy(path) {
				return
			}
			healthy++
			if rc := res.RootCauses(); len(rc) > 0 {
				t.Errorf("healthy log got root cause %s: %s", rc[0].Rule, rc[0].Title)
			}
			for _, f := range res.Findings {
				if f.Severity > diagnose.Info {
					t.Errorf("healthy log got %s %s: %s", f.Rule, f.Severity, f.Title)
				}
			}
		})
	}
	if healthy != len(healthyCorpus) {
		t.Errorf("analysed %d healthy corpus files, want %d", healthy, len(healthyCorpus))
	}
}

func corpusFile(t *testing.T, prefix string) string {
	t.Helper()
	for _, f := range corpusFiles(t) {
		if strings.HasPrefix(filepath.Base(f), prefix) {
			return f
		}
	}
	t.Skipf("corpus file %s* not found", prefix)
	return ""
}

func finding(res *diagnose.Result, rule string) *diagnose.Finding {
	for i := range res.Findings {
		if res.Findings[i].Rule == rule {
			return &res.Findings[i]
		}
	}
	return nil
}

// The seed case: 0x80072F8F at slscr.update.microsoft.com, retry counters
// 0..2 (gyojir's blog). From the log alone the cause is suspected.
func TestCorpusSeedExcerpt(t *testing.T) {
	res := analyzeCorpus(t, corpusFile(t, "excerpt_win10-22H2_gyojir"))
	f := finding(res, "WU1000")
	if f == nil || f.Severity != diagnose.Error || f.Confidence != diagnose.Suspected {
		t.Fatalf("WU1000 = %+v, want an error, suspected", f)
	}
	if !strings.Contains(f.Title, "slscr.update.microsoft.com") || !strings.Contains(f.Title, "0x80072F8F") {
		t.Errorf("title %q does not name the code and endpoint", f.Title)
	}
	var misc *diagnose.FailureChain
	for _, c := range res.Evidence.Chains {
		if c.Component == "Misc" && c.Code == 0x80072F8F {
			misc = c
		}
	}
	if misc == nil || misc.Endpoint != "slscr.update.microsoft.com" || misc.MaxRetryCounter != 2 {
		t.Fatalf("Misc 0x80072F8F chain = %+v, want endpoint slscr.update.microsoft.com and retry counter 2", misc)
	}
	if len(f.Confirm) == 0 {
		t.Error("a log-only TLS failure must say which facts would confirm its cause")
	}
	if len(res.RootCauses()) != 0 {
		t.Errorf("log alone confirmed a root cause: %v", res.RootCauses())
	}
}

// The Microsoft support excerpt has no timestamps: the endpoint comes from
// the URL of the request on the same thread.
func TestCorpusNoTimestamps(t *testing.T) {
	res := analyzeCorpus(t, corpusFile(t, "excerpt_win10-1607-and-later_msdocs"))
	f := finding(res, "WU1000")
	if f == nil || !strings.Contains(f.Title, "sls.update.microsoft.com") {
		t.Fatalf("WU1000 = %+v, want the failure at sls.update.microsoft.com", f)
	}
}

// 0x80092004 on auth-token generation (47 times in the appostarsi log) is
// not a certificate or revocation problem.
func TestCorpusAuthTokenControl(t *testing.T) {
	res := analyzeCorpus(t, corpusFile(t, "win10-22H2_appostarsi"))
	if n := res.Evidence.Count(0x80092004); n != 47 {
		t.Errorf("0x80092004 counted %d times, MANIFEST says 47", n)
	}
	for _, r := range []string{"WU1000", "WU1001", "WU1003", "WU1022"} {
		if f := finding(res, r); f != nil {
			t.Errorf("negative control: %s reported: %s", r, f.Title)
		}
	}
}

// The debajyati log has 4 records 60 s early (the Get-WindowsUpdateLog
// rounding artefact) and no real clock change.
func TestCorpusRoundingArtefact(t *testing.T) {
	res := analyzeCorpus(t, corpusFile(t, "win11-23H2_debajyati"))
	ev := res.Evidence
	if ev.ClockArtefacts != 4 || ev.ClockJumpCount != 0 {
		t.Errorf("artefacts %d, jumps %d; want 4 and 0", ev.ClockArtefacts, ev.ClockJumpCount)
	}
	if finding(res, "WU1011") != nil {
		t.Error("the rounding artefact was reported as a clock jump")
	}
}

// The karthikvemula legacy log changes time zone (-0700 to +0530) between
// sessions while the wall clock continues: a 12.5 h step back in UTC.
func TestCorpusTimeZoneChange(t *testing.T) {
	res := analyzeCorpus(t, corpusFile(t, "legacy-win7_karthikvemula"))
	ev := res.Evidence
	if len(ev.ClockJumps) == 0 {
		t.Fatal("no clock jump found")
	}
	j := ev.ClockJumps[0]
	if j.ZoneChange != "-0700 -> +0530" || j.Line.Line != 52 {
		t.Errorf("jump %+v, want the zone change -0700 -> +0530 at line 52", j)
	}
	if d := -j.Delta().Hours(); d < 12 || d > 13 {
		t.Errorf("step back %.1f h, want about 12.5", d)
	}
	f := finding(res, "WU1011")
	if f == nil || f.Severity != diagnose.Info {
		t.Errorf("WU1011 = %+v, want information", f)
	}
}

// The reeceketley log ends with real network failures: DNS (0x80072EE7,
// 0x8024402C), an unreachable proxy and 0x80240438; its last scan fails.
func TestCorpusNetworkFailures(t *testing.T) {
	res := analyzeCorpus(t, corpusFile(t, "win10-22H2_reeceketley"))
	f := finding(res, "WU2001")
	if f == nil || f.Severity != diagnose.Error {
		t.Fatalf("WU2001 = %+v, want an error", f)
	}
	if finding(res, "WU2006") == nil || finding(res, "WU1030") == nil {
		t.Error("want WU2006 (0x80240438) and WU1030 (proxy cannot be reached)")
	}
	if !res.Evidence.Ops[diagnose.Scan].FailingNow() {
		t.Error("the last scan of the log failed")
	}
	var versions []string
	for _, o := range res.Evidence.AgentVersions {
		versions = append(versions, o.Value)
	}
	if !strings.Contains(strings.Join(versions, " "), "10.0.19041.4239") || !strings.Contains(strings.Join(versions, " "), "10.0.19041.4355") {
		t.Errorf("agent versions %v, want the update 4239 -> 4355 inside the file", versions)
	}
}

// josemct: 1194 records of 0x80246007, nearly all ConfigMgr polling
// IsCommitRequired: not a download failure.
func TestCorpusDownloadStorm(t *testing.T) {
	res := analyzeCorpus(t, corpusFile(t, "win10-21H2_josemct"))
	if n := res.Evidence.Count(0x80246007); n != 1194 {
		t.Errorf("0x80246007 counted %d times, MANIFEST says 1194", n)
	}
	if f := finding(res, "WU2004"); f != nil && f.Severity > diagnose.Info {
		t.Errorf("WU2004 = %s: %s", f.Severity, f.Title)
	}
	if res.Evidence.Server.WSUS == "" {
		t.Error("the log's WSUS server (ConfigMgr software update point) was not found")
	}
}

// Legacy logs: the Korean Win7 machine cannot connect (0x80072EFD); the
// Arabic one is a WSUS client of wsus12.birzeit.edu.
func TestCorpusLegacy(t *testing.T) {
	res := analyzeCorpus(t, corpusFile(t, "legacy-win7_happytk"))
	if f := finding(res, "WU2008"); f == nil || f.Severity != diagnose.Error {
		t.Errorf("happytk: WU2008 = %+v, want an error", f)
	}
	if s := res.Evidence.Ops[diagnose.Scan]; s.Failed < 100 {
		t.Errorf("happytk: %d failed scans, want the hundreds of 0x80072EFD scans", s.Failed)
	}
	res = analyzeCorpus(t, corpusFile(t, "legacy-win7_rsasbeih"))
	if !strings.Contains(res.Evidence.Server.WSUS, "wsus12.birzeit.edu:8530") {
		t.Errorf("rsasbeih: WSUS server %q", res.Evidence.Server.WSUS)
	}
	res = analyzeCorpus(t, corpusFile(t, "excerpt_legacy-win2008R2-7600_htb-bastard"))
	if f := finding(res, "WU2003"); f == nil || f.Severity != diagnose.Info {
		t.Errorf("bastard: WU2003 = %+v, want information (UpdateNow refused by AU configuration)", f)
	}
}
