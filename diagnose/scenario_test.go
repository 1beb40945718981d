package diagnose_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/hive"
	"github.com/wulog/wulog/diagnose/snapshot"
	"github.com/wulog/wulog/logparse"
)

// scenarioSpec is testdata/scenarios/NAME/scenario.json: the inputs of a
// scenario and the findings it was designed to produce.
type scenarioSpec struct {
	Description string `json:"description"`
	Log         string `json:"log"`
	Facts       string `json:"facts"`
	Hives       *struct {
		Software, System, User string
	} `json:"hives"`
	Now    string            `json:"now"`
	Expect []expectedFinding `json:"expect"`
	// Absent are rules that must not report (negative controls).
	Absent []string `json:"absent"`
	// Exact: no finding beyond Expect.
	Exact bool `json:"exact"`
}

type expectedFinding struct {
	Rule        string `json:"rule"`
	Severity    string `json:"severity"`
	Confidence  string `json:"confidence"`
	RootCause   *bool  `json:"root_cause"`
	ExplainedBy string `json:"explained_by"`
}

const scenarioDir = "../testdata/scenarios"

// runScenario analyses one scenario directory.
func runScenario(t testing.TB, dir string) (scenarioSpec, *diagnose.Result) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "scenario.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sp scenarioSpec
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sp); err != nil {
		t.Fatalf("%s/scenario.json: %v", dir, err)
	}
	var src logparse.Source
	if sp.Log != "" {
		f, err := os.Open(filepath.Join(dir, sp.Log))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		sc := logparse.NewScanner(f)
		sc.SetName(sp.Log)
		src = sc
	}
	var fs diagnose.FactSource
	switch {
	case sp.Facts != "":
		fs = snapshot.Load(filepath.Join(dir, sp.Facts))
	case sp.Hives != nil:
		rel := func(p string) string {
			if p == "" {
				return ""
			}
			return filepath.Join(dir, p)
		}
		fs = hive.Load(hive.Files{Software: rel(sp.Hives.Software), System: rel(sp.Hives.System), User: rel(sp.Hives.User)})
	}
	var opts diagnose.Options
	if sp.Now != "" {
		now, err := time.Parse(time.RFC3339, sp.Now)
		if err != nil {
			t.Fatal(err)
		}
		opts.Now = now
	}
	// A fixed clock: scenarios must not depend on when the test runs.
	opts.Clock = func() time.Time { return time.Date(2024, 2, 10, 12, 0, 0, 0, time.UTC) }
	res, err := diagnose.Analyze(context.Background(), src, fs, opts)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	for _, e := range res.RuleErrors {
		t.Errorf("%s: %v", dir, e)
	}
	return sp, res
}

func scenarioDirs(t *testing.T) []string {
	dirs, err := filepath.Glob(filepath.Join(scenarioDir, "*", "scenario.json"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no scenarios under %s: %v", scenarioDir, err)
	}
	for i := range dirs {
		dirs[i] = filepath.Dir(dirs[i])
	}
	return dirs
}

func TestScenarios(t *testing.T) {
	for _, dir := range scenarioDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			sp, res := runScenario(t, dir)
			got := map[string]diagnose.Finding{}
			for _, f := range res.Findings {
				if _, dup := got[f.Rule]; dup {
					t.Errorf("%s reported twice", f.Rule)
				}
				got[f.Rule] = f
			}
			for _, want := range sp.Expect {
				f, ok := got[want.Rule]
				if !ok {
					t.Errorf("%s: not reported (want %s %s)", want.Rule, want.Severity, want.Confidence)
					continue
				}
				if f.Severity.String() != want.Severity || f.Confidence.String() != want.Confidence {
					t.Errorf("%s: got %s %s, want %s %s: %s", want.Rule, f.Severity, f.Confidence, want.Severity, want.Confidence, strings.Join(f.Chain, " | "))
				}
				if want.RootCause != nil && f.RootCause != *want.RootCause {
					t.Errorf("%s: root_cause %v, want %v", want.Rule, f.RootCause, *want.RootCause)
				}
				if f.ExplainedBy != want.ExplainedBy {
					t.Errorf("%s: explained by %q, want %q", want.Rule, f.ExplainedBy, want.ExplainedBy)
				}
				checkFinding(t, f)
			}
			for _, r := range sp.Absent {
				if f, ok := got[r]; ok {
					t.Errorf("negative control: %s reported: %s", r, f.Title)
				}
			}
			if sp.Exact {
				for r, f := range got {
					if !slices.ContainsFunc(sp.Expect, func(e expectedFinding) bool { return e.Rule == r }) {
						t.Errorf("unexpected finding %s %s %s: %s", r, f.Severity, f.Confidence, f.Title)
					}
				}
			}
		})
	}
}

// checkFinding checks what every finding must carry: a chain that starts
// with the symptom (no "<- " before its first element), evidence
// that cites lines with file:line or facts with their source, and a
// remediation; suspected causes say what would confirm them.
func checkFinding(t *testing.T, f diagnose.Finding) {
	t.Helper()
	if f.Title == "" || len(f.Chain) == 0 || len(f.Evidence) == 0 {
		t.Errorf("%s: missing title, chain or evidence", f.Rule)
	}
	if len(f.Chain) > 0 && strings.HasPrefix(f.Chain[0], "<-") {
		t.Errorf("%s: the chain starts with a link (\"<- \"), not with what it explains: %q", f.Rule, f.Chain[0])
	}
	for _, c := range f.Evidence {
		if c.Source == "" || c.Text == "" || (!c.IsFact() && c.Line <= 0) {
			t.Errorf("%s: evidence without source, line or text: %+v", f.Rule, c)
		}
	}
	if f.Severity >= diagnose.Warning && len(f.Remediation) == 0 {
		t.Errorf("%s: no remediation", f.Rule)
	}
	if f.RootCause && f.Confidence == diagnose.Suspected && len(f.Confirm) == 0 && f.Severity >= diagnose.Warning {
		t.Errorf("%s: suspected cause without the facts that would confirm it", f.Rule)
	}
	for _, s := range f.Remediation {
		if s.Text == "" || s.Kind == "" {
			t.Errorf("%s: empty remediation step %+v", f.Rule, s)
		}
	}
}

// TestScenariosCoverEveryRule checks that every shipped rule is the
// expected finding of at least one scenario, and that there are healthy
// scenarios and negative controls.
func TestScenariosCoverEveryRule(t *testing.T) {
	covered := map[string]bool{}
	healthy, controls := 0, 0
	for _, dir := range scenarioDirs(t) {
		b, err := os.ReadFile(filepath.Join(dir, "scenario.json"))
		if err != nil {
			t.Fatal(err)
		}
		var sp scenarioSpec
		if err := json.Unmarshal(b, &sp); err != nil {
			t.Fatal(err)
		}
		for _, e := range sp.Expect {
			covered[e.Rule] = true
		}
		if len(sp.Expect) == 0 {
			healthy++
		}
		if len(sp.Absent) > 0 {
			controls++
		}
	}
	var missing []string
	for _, r := range diagnose.DefaultRules() {
		if !covered[r.ID] {
			missing = append(missing, r.ID)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("rules without a scenario: %v", missing)
	}
	if healthy < 2 || controls < 3 {
		t.Errorf("want healthy scenarios and negative controls, got %d healthy, %d with absent rules", healthy, controls)
	}
}
