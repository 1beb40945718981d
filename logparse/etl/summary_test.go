package etl_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/wulog/wulog/logparse/etl"
)

// toolKeys are facts about other decoders in the reference summaries.
var toolKeys = map[string]bool{
	"undecoded": true, "header_field_mismatches_dissect_vs_etlparser": true,
	"disagreements": true, "tool_level_disagreements": true,
}

// TestSamplesSummary checks the container facts of every real sample
// (buffers, compression, pointer size, clock, start time, records per
// header kind, event counts, the non-TraceLogging samples) against the
// reference summaries, key by key.
func TestSamplesSummary(t *testing.T) {
	dir := samplesDir(t)
	for _, name := range sampleNames {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "expected", name+".summary.json"))
			if err != nil {
				t.Fatal(err)
			}
			var want map[string]any
			d := json.NewDecoder(bytes.NewReader(data))
			d.UseNumber()
			if err := d.Decode(&want); err != nil {
				t.Fatal(err)
			}
			f, err := etl.Open(filepath.Join(dir, name+".etl"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			s, err := f.Summarize()
			if err != nil {
				t.Fatal(err)
			}
			ours, _ := json.Marshal(s)
			var got map[string]any
			d = json.NewDecoder(bytes.NewReader(ours))
			d.UseNumber()
			if err := d.Decode(&got); err != nil {
				t.Fatal(err)
			}
			checked := 0
			for k, w := range want {
				if toolKeys[k] {
					continue
				}
				g, ok := got[k]
				if !ok {
					t.Errorf("summary lacks %q", k)
					continue
				}
				if k == "sample_non_tl_event_header_records" {
					// Ours add reason and header_kind: compare the reference keys.
					gl, wl := g.([]any), w.([]any)
					if len(gl) != len(wl) {
						t.Errorf("%s: %d samples, want %d", k, len(gl), len(wl))
						continue
					}
					for i := range wl {
						for kk, wv := range wl[i].(map[string]any) {
							if gv := gl[i].(map[string]any)[kk]; !reflect.DeepEqual(gv, wv) {
								t.Errorf("%s[%d].%s = %v, want %v", k, i, kk, gv, wv)
							}
						}
					}
					checked++
					continue
				}
				if !reflect.DeepEqual(g, w) {
					t.Errorf("%s = %v, want %v", k, g, w)
				}
				checked++
			}
			if checked < 25 {
				t.Errorf("only %d keys compared", checked)
			}
			// Events that are not TraceLogging come back raw, with a
			// reason, never as an error.
			if s.RecordsTotal != s.TLEvents+sum(s.RawReasons) {
				t.Errorf("records %d != TraceLogging %d + raw %v", s.RecordsTotal, s.TLEvents, s.RawReasons)
			}
		})
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
