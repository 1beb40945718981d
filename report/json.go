package report

import (
	"encoding/json"
	"io"
	"time"

	"github.com/wulog/wulog/diagnose"
)

// The JSON report, documented in docs/report-json.md. Field names and
// meanings are stable within a schema version: additions only.
type jsonReport struct {
	Schema   string        `json:"schema"`
	Inputs   []jsonInput   `json:"inputs"`
	Findings []jsonFinding `json:"findings"`
	Summary  []jsonSummary `json:"summary"`
}

type jsonInput struct {
	Index       int        `json:"index"`
	Name        string     `json:"name"`
	Host        string     `json:"host,omitempty"`
	Error       string     `json:"error,omitempty"`
	Log         *jsonLog   `json:"log"`
	Facts       *jsonFacts `json:"facts"`
	Reference   *jsonRef   `json:"reference,omitempty"`
	MaxSeverity string     `json:"max_severity"`
	RootCauses  []string   `json:"root_causes"`
	RuleErrors  []string   `json:"rule_errors,omitempty"`
}

type jsonLog struct {
	Files          []string          `json:"files"`
	Records        int64             `json:"records"`
	Unparsed       int64             `json:"unparsed"`
	Bytes          int64             `json:"bytes"`
	Encoding       string            `json:"encoding,omitempty"`
	NoSymbols      int64             `json:"no_symbols"`
	First          string            `json:"first,omitempty"`
	Last           string            `json:"last,omitempty"`
	ZoneKnown      bool              `json:"zone_known"`
	AgentVersions  []string          `json:"agent_versions"`
	OSVersions     []string          `json:"os_versions"`
	UpdateServer   string            `json:"update_server"`
	WSUSServer     string            `json:"wsus_server,omitempty"`
	Proxies        []string          `json:"proxies"`
	FailureChains  int               `json:"failure_chains"`
	ChainOverflow  int64             `json:"chain_overflow"`
	ClockJumps     int64             `json:"clock_jumps"`
	ClockArtefacts int64             `json:"clock_artefacts"`
	ServiceStarts  int64             `json:"service_starts"`
	Operations     map[string]jsonOp `json:"operations"`
}

type jsonOp struct {
	Succeeded int64  `json:"succeeded"`
	Failed    int64  `json:"failed"`
	Last      string `json:"last,omitempty"`
	LastCode  string `json:"last_code,omitempty"`
}

type jsonFacts struct {
	Source      string   `json:"source"`
	Host        string   `json:"host,omitempty"`
	CollectedAt string   `json:"collected_at,omitempty"`
	Live        bool     `json:"live"`
	Notes       []string `json:"notes"`
}

type jsonRef struct {
	Time         string  `json:"time"`
	From         string  `json:"from"`
	SlackSeconds float64 `json:"slack_seconds"`
}

type jsonFinding struct {
	Input       int                 `json:"input"`
	Rule        string              `json:"rule"`
	Severity    diagnose.Severity   `json:"severity"`
	Confidence  diagnose.Confidence `json:"confidence"`
	RootCause   bool                `json:"root_cause"`
	Title       string              `json:"title"`
	Chain       []string            `json:"chain"`
	Evidence    []jsonCitation      `json:"evidence"`
	Remediation []jsonStep          `json:"remediation"`
	Confirm     []string            `json:"confirm"`
	Explains    []string            `json:"explains"`
	ExplainedBy string              `json:"explained_by,omitempty"`
}

type jsonCitation struct {
	Source string `json:"source"`
	Line   int64  `json:"line,omitempty"`
	Text   string `json:"text"`
	Fact   string `json:"fact,omitempty"`
}

type jsonStep struct {
	Kind     string   `json:"kind"`
	Text     string   `json:"text"`
	Shell    string   `json:"shell,omitempty"`
	Commands []string `json:"commands"`
	Risk     string   `json:"risk,omitempty"`
}

type jsonSummary struct {
	Rule      string `json:"rule"`
	Title     string `json:"title"`
	Severity  string `json:"severity,omitempty"`
	Confirmed int    `json:"confirmed"`
	Suspected int    `json:"suspected"`
	Inputs    []int  `json:"inputs"`
}

// jsonTime formats t as RFC 3339 in UTC, or, for wall-clock log times
// whose zone is unknown, as a local date-time without offset.
func jsonTime(t time.Time, zoneKnown bool) string {
	if t.IsZero() {
		return ""
	}
	if zoneKnown {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return t.Format("2006-01-02T15:04:05.999999999")
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Document builds the JSON document of r (exported for tests and tools
// that post-process it).
func Document(r *Report) any { return buildJSON(r) }

func buildJSON(r *Report) jsonReport {
	out := jsonReport{Schema: Schema, Inputs: []jsonInput{}, Findings: []jsonFinding{}, Summary: []jsonSummary{}}
	for i, in := range r.Inputs {
		ji := jsonInput{Index: i, Name: in.Name, Host: in.Host, MaxSeverity: "none", RootCauses: []string{}}
		if in.Err != nil {
			ji.Error = in.Err.Error()
		}
		res := in.Result
		if res != nil {
			ev := res.Evidence
			if ev != nil && (ev.Records > 0 || ev.Unparsed > 0 || len(ev.Files) > 0) {
				ji.Log = buildLog(res)
			}
			if res.Facts != nil {
				ji.Facts = &jsonFacts{Source: res.FactSource, Host: res.Facts.Host, CollectedAt: jsonTime(res.Facts.CollectedAt, true),
					Live: res.Facts.Live, Notes: nonNil(res.Facts.Notes)}
			}
			ji.Reference = &jsonRef{Time: jsonTime(res.Now, res.NowSlack == 0), From: res.NowFrom, SlackSeconds: res.NowSlack.Seconds()}
			if m := res.Max(); m > 0 {
				ji.MaxSeverity = m.String()
			}
			for _, f := range res.RootCauses() {
				ji.RootCauses = append(ji.RootCauses, f.Rule)
			}
			for _, e := range res.RuleErrors {
				ji.RuleErrors = append(ji.RuleErrors, e.Error())
			}
			for _, f := range res.Findings {
				out.Findings = append(out.Findings, buildFinding(i, f))
			}
		}
		out.Inputs = append(out.Inputs, ji)
	}
	for _, row := range r.Summary() {
		s := jsonSummary{Rule: row.Rule, Title: row.Title, Confirmed: row.Confirmed, Suspected: row.Suspected, Inputs: row.Inputs}
		if row.Severity > 0 {
			s.Severity = row.Severity.String()
		}
		out.Summary = append(out.Summary, s)
	}
	return out
}

func buildLog(res *diagnose.Result) *jsonLog {
	ev := res.Evidence
	l := &jsonLog{
		Files: nonNil(ev.Files), Records: ev.Records, Unparsed: ev.Unparsed, Bytes: res.Stats.Bytes, Encoding: res.Stats.Encoding, NoSymbols: res.Stats.NoSymbols,
		First: jsonTime(ev.First, ev.ZoneKnown), Last: jsonTime(ev.Last, ev.ZoneKnown), ZoneKnown: ev.ZoneKnown,
		AgentVersions: []string{}, OSVersions: []string{}, Proxies: []string{},
		FailureChains: len(ev.Chains), ChainOverflow: ev.ChainOverflow,
		ClockJumps: ev.ClockJumpCount, ClockArtefacts: ev.ClockArtefacts, ServiceStarts: ev.ServiceStarts,
		Operations: map[string]jsonOp{},
	}
	for _, o := range ev.AgentVersions {
		l.AgentVersions = append(l.AgentVersions, o.Value)
	}
	for _, o := range ev.OSVersions {
		l.OSVersions = append(l.OSVersions, o.Value)
	}
	for _, o := range ev.Proxies {
		l.Proxies = append(l.Proxies, o.Value)
	}
	switch {
	case ev.Server.WSUS != "":
		l.UpdateServer, l.WSUSServer = "wsus", ev.Server.WSUS
	case ev.Server.Seen:
		l.UpdateServer = "microsoft-update"
	default:
		l.UpdateServer = "unknown"
	}
	for k := diagnose.Scan; k <= diagnose.Install; k++ {
		s := ev.Ops[k]
		op := jsonOp{Succeeded: s.Succeeded, Failed: s.Failed}
		if s.Last != nil {
			op.Last = jsonTime(s.Last.Line.Time, ev.ZoneKnown)
			op.LastCode = diagnose.CodeLabel(s.Last.Code)
		}
		l.Operations[k.String()] = op
	}
	return l
}

func buildFinding(input int, f diagnose.Finding) jsonFinding {
	jf := jsonFinding{Input: input, Rule: f.Rule, Severity: f.Severity, Confidence: f.Confidence, RootCause: f.RootCause,
		Title: f.Title, Chain: nonNil(f.Chain), Evidence: []jsonCitation{}, Remediation: []jsonStep{},
		Confirm: nonNil(f.Confirm), Explains: nonNil(f.Explains), ExplainedBy: f.ExplainedBy}
	for _, c := range f.Evidence {
		jf.Evidence = append(jf.Evidence, jsonCitation{Source: c.Source, Line: c.Line, Text: c.Text, Fact: c.Fact})
	}
	for _, s := range f.Remediation {
		jf.Remediation = append(jf.Remediation, jsonStep{Kind: string(s.Kind), Text: s.Text, Shell: s.Shell, Commands: nonNil(s.Commands), Risk: s.Risk})
	}
	return jf
}

// WriteJSON writes r as one indented JSON document (schema
// wulog.report/v1, see docs/report-json.md).
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(buildJSON(r))
}
