package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wulog/wulog/bundle"
	"github.com/wulog/wulog/diagnose/sample"
)

// wulog runs the CLI and returns its exit code, stdout and stderr.
func wulog(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

const scenarios = "../../testdata/scenarios"

func TestAnalyzeSample(t *testing.T) {
	code, out, errs := wulog(t, "", "analyze", "--sample")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"ROOT CAUSE  WU1003", "0x80072F8F ERROR_WINHTTP_SECURE_FAILURE at slscr.update.microsoft.com",
		"DisallowedCertLastSyncTime", "protected (inheritance disabled)", "SetAccessRuleProtection($false, $true)", "Risk:", "Verify:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if i, j := strings.Index(out, "WU1003"), strings.Index(out, "WU1000"); i < 0 || j < 0 || j < i {
		t.Error("the root cause must come before the symptom it explains")
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour codes written to a non-terminal")
	}
}

func TestAnalyzeJSON(t *testing.T) {
	code, out, errs := wulog(t, "", "analyze", "--sample", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Schema string `json:"schema"`
		Inputs []struct {
			Name       string   `json:"name"`
			Host       string   `json:"host"`
			RootCauses []string `json:"root_causes"`
			Log        *struct {
				Records int64 `json:"records"`
			} `json:"log"`
			Facts *struct {
				Source string `json:"source"`
			} `json:"facts"`
		} `json:"inputs"`
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "wulog.report/v1" || len(doc.Inputs) != 1 || doc.Inputs[0].Host != "DESK-7" || doc.Inputs[0].Log == nil || doc.Inputs[0].Facts == nil {
		t.Fatalf("document %+v", doc)
	}
	if rc := doc.Inputs[0].RootCauses; len(rc) != 1 || rc[0] != "WU1003" {
		t.Errorf("root causes %v", rc)
	}
	for _, f := range doc.Findings {
		for _, k := range []string{"input", "rule", "severity", "confidence", "title", "chain", "evidence", "remediation", "root_cause"} {
			if _, ok := f[k]; !ok {
				t.Errorf("finding %v lacks %q", f["rule"], k)
			}
		}
		for _, e := range f["evidence"].([]any) {
			ev := e.(map[string]any)
			if ev["source"] == "" || ev["text"] == "" {
				t.Errorf("evidence %v", ev)
			}
		}
	}
}

func TestAnalyzeMarkdown(t *testing.T) {
	code, out, _ := wulog(t, "", "analyze", "--sample", "-f", "markdown")
	if code != 0 || !strings.Contains(out, "### root cause `WU1003`") || !strings.Contains(out, "```powershell") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestAnalyzeExitCodes(t *testing.T) {
	seed := filepath.Join(scenarios, "seed-snapshot")
	healthy := filepath.Join(scenarios, "healthy")
	cases := []struct {
		args []string
		want int
	}{
		{[]string{"analyze", "--sample", "--fail-on", "error"}, exitFindings},
		{[]string{"analyze", "--sample", "--fail-on", "none"}, exitOK},
		{[]string{"analyze", "--facts", filepath.Join(healthy, "snapshot.json"), "--fail-on", "info", filepath.Join(healthy, "WindowsUpdate.log")}, exitOK},
		{[]string{"analyze", "--facts", filepath.Join(seed, "snapshot.json"), "--fail-on", "warning", filepath.Join(seed, "WindowsUpdate.log")}, exitFindings},
		{[]string{"analyze"}, exitUsage},
		{[]string{"analyze", "--sample", "x.log"}, exitUsage},
		{[]string{"analyze", "--now", "yesterday", "--sample"}, exitUsage},
		{[]string{"analyze", "--format", "xml", "--sample"}, exitUsage},
		{[]string{"analyze", filepath.Join(seed, "no-such.log")}, exitUsage},
		{[]string{"analyze", "--facts", filepath.Join(seed, "snapshot.json"), "--live", filepath.Join(seed, "WindowsUpdate.log")}, exitUsage},
	}
	for _, c := range cases {
		if code, _, errs := wulog(t, "", c.args...); code != c.want {
			t.Errorf("%v: exit %d, want %d (%s)", c.args, code, c.want, errs)
		}
	}
}

// A missing input is an error (exit 2), but the inputs that can be read
// are still reported.
func TestAnalyzePartialInputError(t *testing.T) {
	code, out, errs := wulog(t, "", "analyze", filepath.Join(scenarios, "name-not-resolved", "WindowsUpdate.log"), "missing.log")
	if code != exitUsage || !strings.Contains(errs, "missing.log") {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if !strings.Contains(out, "WU2001") || !strings.Contains(out, "missing.log") {
		t.Errorf("report lacks the readable input or the failed one:\n%s", out)
	}
}

func TestAnalyzeStdin(t *testing.T) {
	code, out, errs := wulog(t, string(sample.Log()), "analyze", "-")
	if code != 0 || !strings.Contains(out, "WU1000") || !strings.Contains(out, "cause not determined") {
		t.Fatalf("exit %d (%s):\n%s", code, errs, out)
	}
}

func TestAnalyzeHives(t *testing.T) {
	hives := "../../testdata/hives/seed-authroot-acl"
	code, out, errs := wulog(t, "", "analyze", "--software-hive", filepath.Join(hives, "SOFTWARE"), "--system-hive", filepath.Join(hives, "SYSTEM"),
		"--user-hive", filepath.Join(hives, "NTUSER.DAT"), "--now", "2023-03-21T22:19:04Z", filepath.Join(scenarios, "seed-snapshot", "WindowsUpdate.log"))
	if code != 0 || !strings.Contains(out, "ROOT CAUSE  WU1003") || !strings.Contains(out, "hives SOFTWARE, SYSTEM, NTUSER.DAT") {
		t.Fatalf("exit %d (%s):\n%s", code, errs, out)
	}
}

func TestAnalyzeLiveNeedsWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("live facts work here")
	}
	code, out, errs := wulog(t, "", "analyze", "--live", filepath.Join(scenarios, "healthy", "WindowsUpdate.log"))
	if code != exitUsage || !strings.Contains(out+errs, "Windows") {
		t.Errorf("exit %d, output %q %q", code, out, errs)
	}
}

// makeBundle writes a wulog bundle of a scenario's log and snapshot.
func makeBundle(t *testing.T, dir, scenario, host string, withLog bool) string {
	t.Helper()
	p := filepath.Join(dir, host+".zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := bundle.NewWriter(f, bundle.Manifest{Tool: "wulog test", Host: host, CreatedAt: time.Date(2024, 2, 10, 9, 45, 0, 0, time.UTC)})
	add := func(name, src string) {
		b, err := os.ReadFile(filepath.Join(scenarios, scenario, src))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Add(bundle.File{Name: name}, bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	add(bundle.SnapshotName, "snapshot.json")
	if withLog {
		add(bundle.LogName, "WindowsUpdate.log")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAnalyzeBundle(t *testing.T) {
	dir := t.TempDir()
	p := makeBundle(t, dir, "seed-snapshot", "PC-SEED", true)
	code, out, errs := wulog(t, "", "analyze", "--format", "json", p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Inputs []struct {
			Host       string   `json:"host"`
			RootCauses []string `json:"root_causes"`
		} `json:"inputs"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Inputs) != 1 || doc.Inputs[0].Host != "PC-SEED" || strings.Join(doc.Inputs[0].RootCauses, ",") != "WU1003" {
		t.Errorf("%+v", doc)
	}
	// A bundle whose manifest does not match its content is an input
	// error.
	bad := filepath.Join(dir, "bad.zip")
	f, err := os.Create(bad)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	mw, _ := zw.Create(bundle.ManifestName)
	mw.Write([]byte(`{"format":"wulog.bundle/v1","host":"X","files":[{"name":"WindowsUpdate.log","size":5,"sha256":"00"}]}`))
	lw, _ := zw.Create(bundle.LogName)
	lw.Write(sample.Log())
	zw.Close()
	f.Close()
	if code, _, errs := wulog(t, "", "analyze", bad); code != exitUsage || !strings.Contains(errs, "bad.zip: WindowsUpdate.log is") || !strings.Contains(errs, "5 in the manifest") {
		t.Errorf("corrupt bundle: exit %d, %s (want the bundle's own error, not a zip of logs)", code, errs)
	}
}

// A folder of machines: one report per machine folder and a summary of
// which machines share which root cause.
func TestAnalyzeFleet(t *testing.T) {
	dir := t.TempDir()
	for host, sc := range map[string]string{"pc1": "name-not-resolved", "pc2": "healthy", "pc3": "name-not-resolved"} {
		os.MkdirAll(filepath.Join(dir, host), 0o755)
		b, err := os.ReadFile(filepath.Join(scenarios, sc, "WindowsUpdate.log"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, host, "WindowsUpdate.log"), b, 0o644)
	}
	bundleZip := makeBundle(t, dir, "seed-snapshot", "pc4", true)
	code, out, errs := wulog(t, "", "analyze", "--jobs", "3", dir, bundleZip)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "Summary of 4 inputs") {
		t.Fatalf("no summary:\n%s", out)
	}
	sum := out[strings.Index(out, "Summary of 4 inputs"):]
	for _, want := range []string{"WU2001", "WU1003", "no root cause found"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary lacks %q:\n%s", want, sum)
		}
	}
	for _, line := range strings.Split(sum, "\n") {
		if strings.Contains(line, "WU2001") && !(strings.Contains(line, "pc1") && strings.Contains(line, "pc3") && !strings.Contains(line, "pc2")) {
			t.Errorf("WU2001 row does not list pc1 and pc3 only: %q", line)
		}
	}
}

func TestRulesCommand(t *testing.T) {
	code, out, _ := wulog(t, "", "rules", "--short")
	if code != 0 {
		t.Fatal(code)
	}
	for _, id := range []string{"WU1000", "WU1003", "WU1050", "WU2001", "WU2008"} {
		if !strings.Contains(out, id) {
			t.Errorf("rules --short lacks %s", id)
		}
	}
	code, out, _ = wulog(t, "", "rules", "--format", "json")
	var docs []struct {
		ID, Title, Doc string
		Requires       []string
	}
	if code != 0 || json.Unmarshal([]byte(out), &docs) != nil || len(docs) < 20 {
		t.Fatalf("rules json: exit %d, %d rules", code, len(docs))
	}
	code, out, _ = wulog(t, "", "rules", "WU1003")
	if code != 0 || !strings.Contains(out, "gyojir") || !strings.Contains(out, "WU1001, WU1002") {
		t.Errorf("rules WU1003:\n%s", out)
	}
	if code, _, _ := wulog(t, "", "rules", "WU9999"); code != exitUsage {
		t.Errorf("unknown rule: exit %d", code)
	}
}

func TestAnalyzeProgress(t *testing.T) {
	code, _, errs := wulog(t, "", "analyze", "--progress", "always", "--sample")
	if code != 0 || !strings.Contains(errs, "analyzing [") || !strings.HasSuffix(errs, "\r\x1b[K") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if _, _, errs := wulog(t, "", "analyze", "--sample"); errs != "" {
		t.Errorf("progress drawn on a non-terminal: %q", errs)
	}
}

func TestAnalyzeInputsWithoutRecords(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.log")
	notLog := filepath.Join(dir, "notes.txt")
	good := filepath.Join(dir, "WindowsUpdate.log")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notLog, []byte("name\tvalue\nalpha\t1\nbeta\t2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	line := "2023/03/21 22:19:01.8143606 19924 14968 Misc            *FAILED* [80072F8F] Send request\r\n"
	if err := os.WriteFile(good, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := wulog(t, "", "analyze", empty, notLog, good)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d (input error)", code, exitUsage)
	}
	if !strings.Contains(errs, empty+": empty: no Windows Update records") {
		t.Errorf("stderr does not name the empty file:\n%s", errs)
	}
	if !strings.Contains(errs, notLog+": not a Windows Update log: none of its 3 lines") {
		t.Errorf("stderr does not name the file that is not a log:\n%s", errs)
	}
	if !strings.Contains(out, "WU1000") {
		t.Errorf("the readable log was not analysed:\n%s", out)
	}
}

func TestAnalyzeWarnsWithoutSymbols(t *testing.T) {
	log := filepath.Join(t.TempDir(), "WindowsUpdate.log")
	text := "2017/01/05 10:00:00.1234567 1000  2000  Unknown( 10): GUID=cb2b9e8e-bf47-3a84-7e52-d3a4b91e1e28 (No Format Information found).\r\n" +
		"2017/01/05 10:00:00.1234568 1000  2000  Unknown( 10): GUID=cb2b9e8e-bf47-3a84-7e52-d3a4b91e1e28 (No Format Information found).\r\n" +
		"2017/01/05 10:00:00.2234567 1000  2000  Agent           * START * Finding updates\r\n"
	if err := os.WriteFile(log, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := wulog(t, "", "analyze", log)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "warning: 2 line(s) were decoded without symbols") {
		t.Errorf("no warning about the missing symbols:\n%s", out)
	}
	code, out, errs = wulog(t, "", "analyze", "--format", "json", log)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, `"no_symbols": 2`) {
		t.Errorf("JSON report lacks no_symbols = 2:\n%s", out)
	}
}

// TestAnalyzeEmptyFileNamedFacts checks that an input is judged by what
// it is, not by its name: an empty log named "facts" is an input error
// like any other, not a facts-only analysis.
func TestAnalyzeEmptyFileNamedFacts(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("facts", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := wulog(t, "", "analyze", "facts")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d (input error)", code, exitUsage)
	}
	if !strings.Contains(errs, "facts: empty: no Windows Update records") {
		t.Errorf("stderr does not name the empty file:\n%s", errs)
	}
}
