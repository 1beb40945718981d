package etl_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/wulog/wulog/internal/shared"
	"github.com/wulog/wulog/logparse/etl"
)

// samplesDir returns ../shared/etl-samples relative to the repository root,
// or skips the test when it is absent.
func samplesDir(t testing.TB) string {
	dir := shared.Path("etl-samples")
	if _, err := os.Stat(filepath.Join(dir, "expected")); err != nil {
		t.Skipf("real ETL samples not found at %s (they live beside the repository in ../shared/etl-samples): %v", dir, err)
	}
	return dir
}

var sampleNames = []string{"primitive-types", "SelfDescribingSingleEvent", "smallEtlFile", "AMSITrace", "powershell"}

// readExpected returns the expected JSON lines of a sample, each decoded
// into a generic map without "cross_checks" (facts about other tools).
func readExpected(t *testing.T, dir, name string) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "expected", name+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		m := map[string]any{}
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatal(err)
		}
		delete(m, "cross_checks")
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func decodeLine(t *testing.T, line []byte) map[string]any {
	t.Helper()
	m := map[string]any{}
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatalf("our JSON does not parse: %v\n%s", err, line)
	}
	return m
}

// TestSamplesJSONL decodes every real sample and compares each TraceLogging
// event with the reference decoding, key by key and also as text: our line
// must equal the reference line with its cross_checks removed.
func TestSamplesJSONL(t *testing.T) {
	dir := samplesDir(t)
	for _, name := range sampleNames {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".etl")
			want := readExpected(t, dir, name)
			wantText := expectedText(t, dir, name)
			f, err := etl.Open(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			order, err := f.FileOrder()
			if err != nil {
				t.Fatal(err)
			}
			var got []map[string]any
			var gotText []string
			raw := 0
			for f.Scan() {
				e := f.Event()
				if !e.IsTraceLogging() {
					raw++
					if e.Reason == "" || e.Decoded {
						t.Errorf("raw event without reason: %+v", e)
					}
					continue
				}
				line := etl.AppendJSON(nil, e, order.Of(e))
				gotText = append(gotText, string(line))
				got = append(got, decodeLine(t, line))
			}
			if err := f.Err(); err != nil {
				t.Fatal(err)
			}
			if p := f.Problems(); len(p) > 0 {
				t.Errorf("problems reading a sound file: %v", p)
			}
			if len(got) != len(want) {
				t.Fatalf("%d TraceLogging events, want %d", len(got), len(want))
			}
			for i := range want {
				keys := make([]string, 0, len(want[i]))
				for k := range want[i] {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					g, ok := got[i][k]
					if !ok {
						t.Errorf("event %d: key %q missing", i, k)
						continue
					}
					if !reflect.DeepEqual(g, want[i][k]) {
						t.Errorf("event %d: %s = %v, want %v", i, k, short(g), short(want[i][k]))
					}
				}
				for k := range got[i] {
					if _, ok := want[i][k]; !ok {
						t.Errorf("event %d: extra key %q", i, k)
					}
				}
				if gotText[i] != wantText[i] {
					t.Errorf("event %d: JSON text differs from the reference:\n got %s\nwant %s", i, short(gotText[i]), short(wantText[i]))
				}
			}
		})
	}
}

func short(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

// expectedText returns the reference lines with the cross_checks member
// (always last) cut off, as a plain-text comparison target.
func expectedText(t *testing.T, dir, name string) []string {
	data, err := os.ReadFile(filepath.Join(dir, "expected", name+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" {
			continue
		}
		i := strings.LastIndex(line, `, "cross_checks": `)
		if i < 0 {
			t.Fatalf("reference line without cross_checks: %.80s", line)
		}
		out = append(out, line[:i]+"}")
	}
	return out
}
