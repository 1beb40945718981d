package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/logparse/etl/etltest"
)

// findingsOf runs analyze and returns the rule IDs of its findings and the
// root causes of the first input.
func findingsOf(t *testing.T, args ...string) (rules, roots []string) {
	t.Helper()
	code, out, stderr := runWulog(t, append([]string{"analyze", "-f", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("analyze %v: exit %d: %s", args, code, stderr)
	}
	var rep struct {
		Inputs []struct {
			RootCauses []string `json:"root_causes"`
			Log        struct {
				Records   int  `json:"records"`
				ZoneKnown bool `json:"zone_known"`
			} `json:"log"`
		} `json:"inputs"`
		Findings []struct {
			Rule string `json:"rule"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, f := range rep.Findings {
		rules = append(rules, f.Rule)
	}
	if len(rep.Inputs) > 0 {
		roots = rep.Inputs[0].RootCauses
	}
	return rules, roots
}

// TestAnalyzeETL: the seed case written as Windows Update ETL files (its
// records as WUTraceLogging events over three processors, one file plain
// and one compressed) gives the same findings and root cause as the text
// log, through input, the .etl decoder and the rules.
func TestAnalyzeETL(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	seed := filepath.Join(filepath.Dir(file), "..", "..", "diagnose", "sample", "seed")
	text, err := os.ReadFile(filepath.Join(seed, "WindowsUpdate.log"))
	if err != nil {
		t.Skipf("seed sample not found: %v", err)
	}
	facts := filepath.Join(seed, "snapshot.json")
	sc := logparse.NewScanner(bytes.NewReader(text))
	var evs []etltest.Event
	for sc.Scan() {
		r := sc.Record()
		if r.Format != logparse.Win10 {
			t.Fatalf("seed line %d is not a record", r.Line)
		}
		// The log's wall clock taken as UTC, as the snapshot's times are.
		evs = append(evs, etltest.WU(r.Time, uint16(r.Line%3), r.PID, r.TID, r.Component, string(r.Message)))
	}
	wantRules, wantRoots := findingsOf(t, filepath.Join(seed, "WindowsUpdate.log"), "--facts", facts)
	if len(wantRoots) == 0 {
		t.Fatal("the seed text log has no root cause")
	}
	dir := filepath.Join(t.TempDir(), "WindowsUpdate")
	os.MkdirAll(dir, 0o755)
	half := len(evs) / 2
	for i, part := range [][]etltest.Event{evs[:half], evs[half:]} {
		data, err := etltest.Write(etltest.Options{BufferSize: 1024, Compressed: i == 1}, part...)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "WindowsUpdate.20230321.2218"+string(rune('0'+i))+".etl"), data, 0o644)
	}
	gotRules, gotRoots := findingsOf(t, dir, "--facts", facts)
	if jsonText(gotRules) != jsonText(wantRules) || jsonText(gotRoots) != jsonText(wantRoots) {
		t.Errorf("ETL findings %v root causes %v\ntext findings %v root causes %v", gotRules, gotRoots, wantRules, wantRoots)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
