package diagnose

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wulog/wulog/logparse"
)

// scan folds text through the real scanner.
func scan(t testing.TB, text string) *Evidence {
	t.Helper()
	sc := logparse.NewScanner(strings.NewReader(text))
	sc.SetName("t.log")
	ev := NewEvidence()
	for sc.Scan() {
		ev.Add(sc.Record())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	ev.Finish()
	return ev
}

func TestHostOf(t *testing.T) {
	for in, want := range map[string]string{
		"HTTPS://slscr.update.microsoft.com/SLS/{9482}/x64": "slscr.update.microsoft.com",
		"http://wsus12.birzeit.edu:8530/ClientWebService":   "wsus12.birzeit.edu",
		"https://user@host.example/x":                       "host.example",
		"http://mywsusurl//selfupdate/wuident.cab":          "mywsusurl",
		"no url here": "",
		"https://fe3cr.delivery.mp.microsoft.com": "fe3cr.delivery.mp.microsoft.com",
	} {
		if got := string(hostOf([]byte(in))); got != want {
			t.Errorf("hostOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeOp(t *testing.T) {
	for in, want := range map[string]string{
		"*FAILED* [80072F8F] Library download error. Will retry. Retry Counter:2":                            "Library download error. Will retry. Retry #",
		"*FAILED* [80246007] Could not find a locked revision for the child of the update C01629FC-64EA.200": "Could not find a locked revision for the child of the update #",
		"WARNING: Send failed with hr = 80072efd.":                                                           "Send failed with hr = #",
		"*FAILED* [80246007] ISusInternal:: IsCommitRequired":                                                "ISusInternal:: IsCommitRequired",
	} {
		if got := string(normalizeOp(nil, []byte(in))); got != want {
			t.Errorf("normalizeOp(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRoundingArtefact(t *testing.T) {
	base := time.Date(2024, 4, 11, 12, 48, 14, 374982700, time.UTC)
	rounded := time.Date(2024, 4, 11, 12, 47, 14, 375000000, time.UTC)
	if !isRoundingArtefact(rounded.Sub(base), rounded) {
		t.Error("the 60 s early, millisecond-rounded record is the artefact")
	}
	notRounded := rounded.Add(100 * time.Nanosecond)
	if isRoundingArtefact(notRounded.Sub(base), notRounded) {
		t.Error("a fraction that is not rounded is not the artefact")
	}
	twoMin := base.Add(-2 * time.Minute).Truncate(time.Millisecond)
	if isRoundingArtefact(twoMin.Sub(base), twoMin) {
		t.Error("a 2 minute step is not the artefact")
	}
}

// The fold keeps at most MaxChains chains and counts what it drops.
func TestEvidenceBounded(t *testing.T) {
	ev := NewEvidence()
	ev.MaxChains = 100
	rec := &logparse.Record{Format: logparse.Win10, Component: "Misc", File: "big.log"}
	const n = 20000
	for i := range n {
		rec.Line = int64(i + 1)
		rec.Time = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
		msg := fmt.Sprintf("*FAILED* [%08X] Method failed [X::Y:%d]", 0x80240000+i, i)
		rec.Message = []byte(msg)
		rec.Marker = logparse.MarkerFailed
		rec.Codes = []logparse.Code{{Value: uint32(0x80240000 + i), At: logparse.Span{Start: 10, End: 18}}}
		ev.Add(rec)
	}
	ev.Finish()
	if len(ev.Chains) != 100 || ev.ChainOverflow != n-100 {
		t.Errorf("%d chains, %d overflow; want 100 and %d", len(ev.Chains), ev.ChainOverflow, n-100)
	}
	if len(ev.Codes) != maxCodes || ev.CodeOverflow != n-maxCodes {
		t.Errorf("%d codes, %d overflow; want %d and %d", len(ev.Codes), ev.CodeOverflow, maxCodes, n-maxCodes)
	}
	for _, c := range ev.Chains {
		if len(c.Samples) > 3 || len(c.Ops) > maxOps {
			t.Fatalf("chain keeps %d samples and %d ops", len(c.Samples), len(c.Ops))
		}
	}
}

// One chain repeated many times keeps two first samples and the last.
func TestEvidenceChainSamples(t *testing.T) {
	var b strings.Builder
	b.WriteString("2023/03/21 22:19:01.0000000 100   200   SLS             Making request with URL HTTPS://slscr.update.microsoft.com/SLS/x and send SLS events.\n")
	for i := range 50 {
		fmt.Fprintf(&b, "2023/03/21 22:19:%02d.1000000 100   200   Misc            *FAILED* [80072F8F] Library download error. Will retry. Retry Counter:%d\n", 2+i/10, i%3)
	}
	b.WriteString("2023/03/21 22:23:05.0000000 100   200   Misc            *FAILED* [80072F8F] Send request\n")
	ev := scan(t, b.String())
	if len(ev.Chains) != 1 {
		t.Fatalf("%d chains, want 1", len(ev.Chains))
	}
	c := ev.Chains[0]
	if c.Count != 51 || c.Endpoint != "slscr.update.microsoft.com" {
		t.Fatalf("chain %+v", c)
	}
	if c.MaxRetryCounter != 2 || c.Retries != 50 {
		t.Errorf("retry counter %d, retries %d; want 2 and 50", c.MaxRetryCounter, c.Retries)
	}
	if len(c.Samples) != 3 || c.Samples[0].Line != 2 || c.Samples[2].Line != 52 || c.Samples[2].Text != "*FAILED* [80072F8F] Send request" {
		t.Errorf("samples %+v", c.Samples)
	}
	if len(c.Ops) != 2 || c.Ops[0].Count != 50 {
		t.Errorf("ops %+v, want the retry op (50) then send request (1)", c.Ops)
	}
}

// The endpoint of a failure is the URL seen on its thread shortly before,
// and only on that thread.
func TestEvidenceEndpointContext(t *testing.T) {
	ev := scan(t, ""+
		"2023/03/21 22:19:01.0000000 100   200   SLS             Making request with URL HTTPS://slscr.update.microsoft.com/SLS/x and send SLS events.\n"+
		"2023/03/21 22:19:02.0000000 100   200   Misc            *FAILED* [80072F8F] Send request\n"+
		"2023/03/21 22:19:02.0000000 100   201   Misc            *FAILED* [80072F8F] Send request\n"+
		"2023/03/21 22:29:02.0000000 100   200   Agent           *FAILED* [80072F8F] Send request\n")
	got := map[string]string{}
	for _, c := range ev.Chains {
		got[c.Component+fmt.Sprint(c.Samples[0].Line)] = c.Endpoint
	}
	want := map[string]string{"Misc2": "slscr.update.microsoft.com", "Agent4": ""}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: endpoint %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if len(ev.Chains) != 3 {
		t.Errorf("%d chains, want 3 (thread 201 has no endpoint: a chain of its own)", len(ev.Chains))
	}
}

// Win10 scan outcomes come from "* END * Finding updates ... Exit code";
// legacy ones from the START/WARNING Exit code/END block of a thread.
func TestEvidenceOutcomes(t *testing.T) {
	ev := scan(t, ""+
		"2024/02/10 08:00:00.0000000 4120  6240  Agent           * START * Finding updates CallerId = UpdateOrchestrator  Id = 1\n"+
		"2024/02/10 08:00:01.0000000 4120  6240  Agent           * END * Finding updates CallerId = UpdateOrchestrator, Id = 1, Exit code = 0x8024402C (cV = a.1)\n"+
		"2024/02/10 08:01:00.0000000 4120  6240  Agent           * END * Queueing Finding updates [CallerId = UpdateOrchestrator  Id = 2]\n"+
		"2024/02/10 09:00:01.0000000 4120  6240  Agent           * END * Finding updates CallerId = Windows Defender, Id = 2, Exit code = 0x00240010 (cV = a.2)\n"+
		"2024/02/10 09:10:01.0000000 4120  6240  UDP             Deployment job Id 0C3E : Ending Installing updates, CallerId = UpdateOrchestrator, Exit code = 0x800F0922\n")
	s := ev.Ops[Scan]
	if s.Succeeded != 1 || s.Failed != 1 || s.LastFailure.Code != 0x8024402C || s.Last.Caller != "Windows Defender" || s.FailingNow() {
		t.Errorf("scans %+v (last %+v)", s, s.Last)
	}
	if i := ev.Ops[Install]; i.Failed != 1 || i.LastFailure.Code != 0x800F0922 || i.LastFailure.Caller != "UpdateOrchestrator" {
		t.Errorf("installs %+v", i)
	}
	legacy := scan(t, ""+
		"2016-09-08\t10:48:19:500\t 848\t604\tAgent\t** START **  Agent: Finding updates [CallerId = AutomaticUpdates]\n"+
		"2016-09-08\t10:48:43:109\t 848\t604\tAgent\t  * WARNING: Exit code = 0x80072EE2\n"+
		"2016-09-08\t10:48:43:110\t 848\t604\tAgent\t**  END  **  Agent: Finding updates [CallerId = AutomaticUpdates]\n"+
		"2016-09-08\t11:48:19:500\t 848\t608\tAgent\t** START **  Agent: Finding updates [CallerId = AutomaticUpdates]\n"+
		"2016-09-08\t11:48:43:110\t 848\t608\tAgent\t**  END  **  Agent: Finding updates [CallerId = AutomaticUpdates]\n")
	if s := legacy.Ops[Scan]; s.Failed != 1 || s.Succeeded != 1 || s.LastFailure.Code != 0x80072EE2 || s.LastFailure.Caller != "AutomaticUpdates" {
		t.Errorf("legacy scans %+v", s)
	}
}

// Versions, the update server and proxies are picked up where the log
// states them.
func TestEvidenceContext(t *testing.T) {
	ev := scan(t, ""+
		"2024/02/10 08:00:00.0000000 4120  4200  Agent           WU client version 10.0.19041.3996\n"+
		"2024/02/10 08:00:00.1000000 4120  4200  Agent           WSUS server: https://wsus01.corp.contoso.com:8531\n"+
		"2024/02/10 08:00:01.0000000 4120  6240  SLS             Making request with URL HTTPS://slscr.update.microsoft.com/SLS/{9482F4B4-E343-43B6-B170-9A65BC822C77}/x64/10.0.19045.3930/0?CH=402&WUA=10.0.19041.3996&MK=X and send SLS events.\n"+
		"2024/02/10 08:00:02.0000000 4120  6240  WebServices     WS error: The given proxy cannot be reached.\n"+
		"2024/02/10 08:00:03.0000000 4120  6240  Misc            WARNING: SendRequest failed with hr = 80072efd. Proxy List used: <proxy.contoso.com:8080> Bypass List used : <(null)> Auth Schemes used : <>\n")
	if len(ev.AgentVersions) != 1 || ev.AgentVersions[0].Value != "10.0.19041.3996" || ev.AgentVersions[0].Count != 2 {
		t.Errorf("agent versions %+v", ev.AgentVersions)
	}
	if len(ev.OSVersions) != 1 || ev.OSVersions[0].Value != "10.0.19045.3930" {
		t.Errorf("OS versions %+v", ev.OSVersions)
	}
	if ev.Server.WSUS != "https://wsus01.corp.contoso.com:8531" {
		t.Errorf("WSUS %q", ev.Server.WSUS)
	}
	if ev.ProxyErrors != 1 || ev.FirstProxyError.Line != 4 || len(ev.Proxies) != 1 || ev.Proxies[0].Value != "proxy.contoso.com:8080" {
		t.Errorf("proxy errors %d at %d, proxies %+v", ev.ProxyErrors, ev.FirstProxyError.Line, ev.Proxies)
	}
}
