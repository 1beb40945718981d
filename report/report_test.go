package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/sample"
	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/report"
)

func sampleResult(t testing.TB) *diagnose.Result {
	t.Helper()
	res, err := diagnose.Analyze(context.Background(), sample.Records(), sample.Facts{}, diagnose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func logResult(t testing.TB, path string) *diagnose.Result {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := logparse.NewScanner(f)
	sc.SetName("WindowsUpdate.log")
	res, err := diagnose.Analyze(context.Background(), sc, nil, diagnose.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func fleet(t testing.TB) *report.Report {
	return &report.Report{Inputs: []report.Input{
		{Name: "desk7/WindowsUpdate.log", Host: "DESK-7", Result: sampleResult(t)},
		{Name: "pc2/WindowsUpdate.log", Result: logResult(t, "../testdata/scenarios/healthy/WindowsUpdate.log")},
		{Name: "pc3/WindowsUpdate.log", Result: logResult(t, "../testdata/scenarios/name-not-resolved/WindowsUpdate.log")},
		{Name: "pc4/WindowsUpdate.log", Err: errors.New("pc4/WindowsUpdate.log: permission denied")},
	}}
}

func keys(m map[string]any) string {
	var k []string
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return strings.Join(k, " ")
}

// The JSON document has the fields docs/report-json.md promises, with
// arrays (never null) where it says so.
func TestJSONSchema(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, fleet(t)); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if got := keys(doc); got != "findings inputs schema summary" {
		t.Fatalf("top level %q", got)
	}
	inputs := doc["inputs"].([]any)
	if len(inputs) != 4 {
		t.Fatalf("%d inputs", len(inputs))
	}
	in0 := inputs[0].(map[string]any)
	for _, k := range []string{"index", "name", "host", "log", "facts", "reference", "max_severity", "root_causes"} {
		if _, ok := in0[k]; !ok {
			t.Errorf("input lacks %q: %s", k, keys(in0))
		}
	}
	log := in0["log"].(map[string]any)
	for _, k := range []string{"files", "records", "first", "last", "zone_known", "agent_versions", "os_versions", "update_server", "failure_chains", "clock_jumps", "clock_artefacts", "operations"} {
		if _, ok := log[k]; !ok {
			t.Errorf("log lacks %q", k)
		}
	}
	if log["update_server"] != "microsoft-update" || log["first"] != "2023-03-21T22:18:55.1021417" {
		t.Errorf("update_server %v, first %v (a zoneless time has no offset)", log["update_server"], log["first"])
	}
	if in := inputs[3].(map[string]any); in["error"] == nil || in["log"] != nil {
		t.Errorf("input error not reported: %v", in)
	}
	if in := inputs[1].(map[string]any); in["facts"] != nil || in["max_severity"] != "none" {
		t.Errorf("healthy log-only input: %v", in)
	}
	for _, fi := range doc["findings"].([]any) {
		f := fi.(map[string]any)
		for _, k := range []string{"chain", "evidence", "remediation", "confirm", "explains"} {
			if _, ok := f[k].([]any); !ok {
				t.Errorf("%v: %s is %T, want an array", f["rule"], k, f[k])
			}
		}
		for _, s := range f["remediation"].([]any) {
			if _, ok := s.(map[string]any)["commands"].([]any); !ok {
				t.Errorf("%v: remediation step without commands array", f["rule"])
			}
		}
	}
	sum := doc["summary"].([]any)
	if len(sum) != 3 {
		t.Fatalf("summary %v", sum)
	}
	last := sum[len(sum)-1].(map[string]any)
	if last["rule"] != "" || fmt.Sprint(last["inputs"]) != "[1]" {
		t.Errorf("last summary row %v, want the input without root cause", last)
	}
}

func TestText(t *testing.T) {
	var plain, color bytes.Buffer
	r := fleet(t)
	if err := report.WriteText(&plain, r, report.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteText(&color, r, report.Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Error("colour without Color")
	}
	if !strings.Contains(color.String(), "\x1b[1;31mROOT CAUSE\x1b[0m") {
		t.Error("no red ROOT CAUSE with Color")
	}
	out := plain.String()
	for _, want := range []string{"DESK-7 (desk7/WindowsUpdate.log)", "No problem found.", "input error: pc4/WindowsUpdate.log: permission denied",
		"Summary of 4 inputs", "SUSPECTED CAUSE  WU2001"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	verbose := &bytes.Buffer{}
	report.WriteText(verbose, &report.Report{Inputs: r.Inputs[:1]}, report.Options{Verbose: true})
	if strings.Count(verbose.String(), "Causal chain:") != 5 || strings.Contains(verbose.String(), "Also found") {
		t.Errorf("verbose shows %d findings in full", strings.Count(verbose.String(), "Causal chain:"))
	}
}

func TestMarkdown(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteMarkdown(&buf, fleet(t)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"# wulog report", "| Rule | Severity | Confidence | Inputs | Root cause | Where |",
		"### root cause `WU1003`", `NT SERVICE\\CryptSvc`, "```powershell", "**Input error:**"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

// Summary groups the inputs by shared root cause, most widespread first.
func ExampleReport_Summary() {
	ctx := context.Background()
	var r report.Report
	for _, name := range []string{"pc1", "pc2", "pc3"} {
		src := sample.Records()
		var facts diagnose.FactSource = sample.Facts{}
		if name == "pc2" {
			facts = nil // log only: the cause stays suspected, no root cause
		}
		res, err := diagnose.Analyze(ctx, src, facts, diagnose.Options{})
		if err != nil {
			fmt.Println(err)
			return
		}
		r.Inputs = append(r.Inputs, report.Input{Name: name, Result: res})
	}
	for _, row := range r.Summary() {
		var names []string
		for _, i := range row.Inputs {
			names = append(names, r.Inputs[i].Name)
		}
		fmt.Printf("%q %v: %s\n", row.Rule, names, row.Title)
	}
	// Output:
	// "WU1003" [pc1 pc3]: Root cause: CryptSvc cannot update the certificate trust lists because of the AutoUpdate key's permissions
	// "" [pc2]: no root cause found
}
