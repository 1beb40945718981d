package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wulog/wulog/internal/shared"
)

// etlSamples returns ../shared/etl-samples or skips.
func etlSamples(t *testing.T) string {
	dir := shared.Path("etl-samples")
	if _, err := os.Stat(filepath.Join(dir, "expected")); err != nil {
		t.Skipf("real ETL samples not found at %s: %v", dir, err)
	}
	return dir
}

func runWulog(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestEtlDumpJSONLIsTheReference: "wulog etl dump -f jsonl --skip-raw"
// prints exactly the reference decoding of every real sample, minus the
// reference's cross_checks (facts about other tools): a plain diff.
func TestEtlDumpJSONLIsTheReference(t *testing.T) {
	dir := etlSamples(t)
	for _, name := range []string{"primitive-types", "SelfDescribingSingleEvent", "smallEtlFile", "AMSITrace", "powershell"} {
		code, out, stderr := runWulog(t, "etl", "dump", "-f", "jsonl", "--skip-raw", filepath.Join(dir, name+".etl"))
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		ref, err := os.ReadFile(filepath.Join(dir, "expected", name+".jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		var want strings.Builder
		for _, line := range strings.SplitAfter(string(ref), "\n") {
			if i := strings.LastIndex(line, `, "cross_checks": `); i >= 0 {
				want.WriteString(line[:i] + "}\n")
			}
		}
		if out != want.String() {
			t.Errorf("%s: output differs from the reference (%d vs %d bytes)", name, len(out), want.Len())
		}
	}
}

// TestEtlDumpRaw: without --skip-raw the manifest-based PowerShell events
// are listed raw with their reason, and the file is read to its end.
func TestEtlDumpRaw(t *testing.T) {
	dir := etlSamples(t)
	code, out, stderr := runWulog(t, "etl", "dump", filepath.Join(dir, "powershell.etl"))
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	manifest := 0
	for _, l := range lines {
		if strings.Contains(l, "{a0c1853b-5c40-4b15-8766-3cf1c58f985a} id=") && strings.Contains(l, "manifest-based") {
			manifest++
		}
	}
	if len(lines) != 114 || manifest != 112 {
		t.Errorf("%d lines, %d manifest-based PowerShell events", len(lines), manifest)
	}
	code, out, _ = runWulog(t, "etl", "dump", "-f", "jsonl", filepath.Join(dir, "smallEtlFile.etl"))
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, `"kind": "EVENT_HEADER32", "provider_guid": "{a669021c-c450-4609-a035-5af59af4df18}"`) {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestEtlInfo(t *testing.T) {
	dir := etlSamples(t)
	code, out, stderr := runWulog(t, "etl", "info", filepath.Join(dir, "smallEtlFile.etl"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if s["pointer_size"] != 4.0 || s["perf_freq"] != 3117777.0 || s["compressed_buffers"] != 1.0 || s["logger_name"] != "PerfWatsonGCHeapETLSession688" {
		t.Errorf("summary %v", s)
	}
	code, _, stderr = runWulog(t, "etl", "info", filepath.Join(dir, "README.md"))
	if code != 2 || !strings.Contains(stderr, "README.md") || !strings.Contains(stderr, "not an ETL file") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}
