package diagnose

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wulog/wulog/diagnose/secdesc"
)

func TestValidate(t *testing.T) {
	ok := func(id, name string) *Rule {
		return &Rule{ID: id, Name: name, Title: "t", Doc: "d", Run: func(*Pass) (any, error) { return nil, nil }}
	}
	a, b := ok("WU9001", "a"), ok("WU9002", "b")
	if err := Validate([]*Rule{a, b}); err != nil {
		t.Fatal(err)
	}
	if err := Validate(DefaultRules()); err != nil {
		t.Fatalf("shipped rules: %v", err)
	}
	cases := map[string][]*Rule{
		"ID must be":     {ok("X1", "x")},
		"duplicate ID":   {ok("WU9001", "a"), ok("WU9001", "b")},
		"duplicate name": {ok("WU9001", "a"), ok("WU9002", "a")},
		"not in the set": {{ID: "WU9003", Name: "c", Title: "t", Doc: "d", Run: a.Run, Requires: []*Rule{ok("WU9004", "d")}}},
	}
	for want, rules := range cases {
		if err := Validate(rules); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
	c, d := ok("WU9005", "c"), ok("WU9006", "d")
	c.Requires, d.Requires = []*Rule{d}, []*Rule{c}
	if err := Validate([]*Rule{c, d}); err == nil || !strings.Contains(err.Error(), "cyclic") {
		t.Errorf("cycle: got %v", err)
	}
}

// A rule that fails or panics is recorded; the rules that need it are
// skipped; the others run.
func TestRunRuleFailures(t *testing.T) {
	boom := &Rule{ID: "WU9001", Name: "boom", Title: "t", Doc: "d", Run: func(*Pass) (any, error) { panic("bad input") }}
	fails := &Rule{ID: "WU9002", Name: "fails", Title: "t", Doc: "d", Run: func(*Pass) (any, error) { return nil, errors.New("no") }}
	after := &Rule{ID: "WU9003", Name: "after", Title: "t", Doc: "d", Requires: []*Rule{boom}, Run: func(*Pass) (any, error) { return nil, nil }}
	fine := &Rule{ID: "WU9004", Name: "fine", Title: "t", Doc: "d", Run: func(p *Pass) (any, error) {
		p.Report(Finding{Title: "x", Chain: []string{"x"}})
		return nil, nil
	}}
	res := Run(nil, nil, "", Options{Rules: []*Rule{boom, fails, after, fine}})
	if len(res.RuleErrors) != 3 || len(res.Findings) != 1 {
		t.Fatalf("errors %v, findings %v", res.RuleErrors, res.Findings)
	}
	if !strings.Contains(res.RuleErrors[0].Error(), "panicked: bad input") {
		t.Errorf("panic not recorded: %v", res.RuleErrors[0])
	}
	if f := res.Findings[0]; f.Rule != "WU9004" || f.Severity != Warning || f.Confidence != Suspected {
		t.Errorf("defaults not applied: %+v", f)
	}
}

// Explanations resolve to the top root cause and explained findings sort
// after the others.
func TestLink(t *testing.T) {
	fs := []Finding{
		{Rule: "WU1000", Severity: Error, Confidence: Suspected},
		{Rule: "WU1001", Severity: Error, Confidence: Confirmed, RootCause: true, Explains: []string{"WU1000"}},
		{Rule: "WU1003", Severity: Error, Confidence: Confirmed, RootCause: true, Explains: []string{"WU1001"}},
		{Rule: "WU1011", Severity: Info},
	}
	link(fs)
	var order []string
	by := map[string]string{}
	for _, f := range fs {
		order = append(order, f.Rule)
		by[f.Rule] = f.ExplainedBy
	}
	if by["WU1000"] != "WU1003" || by["WU1001"] != "WU1003" || by["WU1003"] != "" {
		t.Errorf("explained by: %v", by)
	}
	if strings.Join(order, " ") != "WU1003 WU1011 WU1001 WU1000" {
		t.Errorf("order %v, want the unexplained root cause, the observation, then the explained findings", order)
	}
}

func TestReference(t *testing.T) {
	last := time.Date(2023, 3, 21, 22, 19, 4, 0, time.UTC)
	ev := &Evidence{Last: last}
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	cases := []struct {
		name  string
		ev    *Evidence
		facts *Facts
		opts  Options
		want  time.Time
		slack time.Duration
	}{
		{"log", ev, nil, Options{Clock: clock}, last, ZoneSlack},
		{"log with zone", &Evidence{Last: last, ZoneKnown: true}, nil, Options{Clock: clock}, last, 0},
		{"override", ev, nil, Options{Now: now.Add(time.Hour), Clock: clock}, now.Add(time.Hour), 0},
		{"live facts", ev, &Facts{Live: true}, Options{Clock: clock}, now, 0},
		{"facts read after the log", ev, &Facts{CollectedAt: last.Add(48 * time.Hour)}, Options{Clock: clock}, last, ZoneSlack},
		{"facts read before the log ended", ev, &Facts{CollectedAt: last.Add(-72 * time.Hour)}, Options{Clock: clock}, last.Add(-72 * time.Hour), 0},
		{"facts only", &Evidence{}, &Facts{CollectedAt: last}, Options{Clock: clock}, last, 0},
		{"nothing", &Evidence{}, nil, Options{Clock: clock}, now, 0},
	}
	for _, c := range cases {
		got, slack, from := Reference(c.ev, c.facts, c.opts)
		if !got.Equal(c.want) || slack != c.slack || from == "" {
			t.Errorf("%s: %v slack %v (%s), want %v slack %v", c.name, got, slack, from, c.want, c.slack)
		}
	}
}

// ---- rule boundaries, on facts built by hand ----

func fileTimeValue(t time.Time) Fact[RegValue] {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, TimeToFileTime(t))
	return Fact[RegValue]{Known: true, Value: RegValue{Exists: true, Type: RegBinary, Data: b}}
}

func dwordValue(v uint32) Fact[RegValue] {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, v)
	return Fact[RegValue]{Known: true, Value: RegValue{Exists: true, Type: RegDWORD, Data: b}}
}

var absent = Fact[RegValue]{Known: true}

func runOne(t *testing.T, r *Rule, ev *Evidence, facts *Facts, now time.Time) []Finding {
	t.Helper()
	rules := []*Rule{r}
	for _, q := range r.Requires {
		rules = append(rules, q)
		rules = append(rules, q.Requires...)
	}
	if ev == nil {
		ev = NewEvidence()
	}
	res := Run(ev, facts, "test facts", Options{Rules: uniq(rules), Now: now})
	for _, e := range res.RuleErrors {
		t.Fatal(e)
	}
	var out []Finding
	for _, f := range res.Findings {
		if f.Rule == r.ID {
			out = append(out, f)
		}
	}
	return out
}

func uniq(rs []*Rule) []*Rule {
	seen := map[*Rule]bool{}
	var out []*Rule
	for _, r := range rs {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

func TestStaleThresholds(t *testing.T) {
	now := time.Date(2024, 2, 10, 12, 0, 0, 0, time.UTC)
	facts := func(dis, tru time.Time, userDis *time.Time) *Facts {
		f := &Facts{Registry: map[string]Fact[RegValue]{
			RegDisallowedSync: fileTimeValue(dis), RegLastSync: fileTimeValue(tru),
			RegUserDisallowedSync: absent, RegUserLastSync: absent,
		}}
		if userDis != nil {
			f.Registry[RegUserDisallowedSync] = fileTimeValue(*userDis)
		}
		return f
	}
	fresh := now.Add(-24 * time.Hour)
	if fs := runOne(t, StaleCTLSync, nil, facts(now.Add(-47*time.Hour), fresh, nil), now); len(fs) != 0 {
		t.Errorf("47 h old disallowed CTL reported: %v", fs[0].Title)
	}
	fs := runOne(t, StaleCTLSync, nil, facts(now.Add(-49*time.Hour), fresh, nil), now)
	if len(fs) != 1 || fs[0].Severity != Warning || fs[0].Confidence != Confirmed || !strings.Contains(fs[0].Title, "DisallowedCertLastSyncTime") {
		t.Errorf("49 h old disallowed CTL: %v", fs)
	}
	if fs := runOne(t, StaleCTLSync, nil, facts(fresh, now.Add(-8*24*time.Hour), nil), now); len(fs) != 0 {
		t.Errorf("8 day old trusted CTL reported")
	}
	if fs := runOne(t, StaleCTLSync, nil, facts(fresh, now.Add(-10*24*time.Hour), nil), now); len(fs) != 1 || !strings.Contains(fs[0].Title, "LastSyncTime") {
		t.Errorf("10 day old trusted CTL: %v", fs)
	}
	// The newer of HKLM and HKCU counts, as crypt32 does.
	user := now.Add(-2 * time.Hour)
	if fs := runOne(t, StaleCTLSync, nil, facts(now.Add(-10*24*time.Hour), fresh, &user), now); len(fs) != 0 {
		t.Errorf("stale HKLM value with a fresh HKCU twin reported")
	}
	// Just after a boot a stale value is only suspected.
	f := facts(now.Add(-5*24*time.Hour), fresh, nil)
	f.BootTime = Fact[time.Time]{Known: true, Value: now.Add(-3 * time.Hour)}
	if fs := runOne(t, StaleCTLSync, nil, f, now); len(fs) != 1 || fs[0].Confidence != Suspected {
		t.Errorf("stale after a recent boot: %v", fs)
	}
	// Without a zone in the log, 14 h of slack: 60 h is not yet stale.
	ev := NewEvidence()
	ev.Records, ev.Last = 1, now
	res := Run(ev, facts(now.Add(-60*time.Hour), fresh, nil), "t", Options{Rules: []*Rule{StaleCTLSync}})
	if len(res.Findings) != 0 {
		t.Errorf("60 h old value against a zoneless log reported")
	}
}

func TestMalformedSyncTime(t *testing.T) {
	now := time.Date(2024, 2, 10, 12, 0, 0, 0, time.UTC)
	bad := Fact[RegValue]{Known: true, Value: RegValue{Exists: true, Type: RegBinary, Data: []byte{1, 2, 3, 4}}}
	f := &Facts{Registry: map[string]Fact[RegValue]{RegDisallowedSync: bad, RegUserDisallowedSync: absent, RegLastSync: fileTimeValue(now), RegUserLastSync: absent}}
	fs := runOne(t, MalformedSyncTime, nil, f, now)
	if len(fs) != 1 || fs[0].Severity != Warning || !strings.Contains(fs[0].Evidence[0].Text, "4 bytes") {
		t.Fatalf("%v", fs)
	}
	if got := runOne(t, StaleCTLSync, nil, f, now); len(got) != 0 {
		t.Errorf("malformed value reported as stale too: %v", got[0].Title)
	}
}

func TestAutoUpdateACL(t *testing.T) {
	cs := secdesc.ServiceSID("CryptSvc").String()
	cases := []struct {
		sddl   string
		report bool
	}{
		{"O:SYG:SYD:PAI(A;CI;KA;;;SY)(A;CI;KA;;;BA)(A;CI;KR;;;BU)", true},  // protected, no CryptSvc
		{"O:SYG:SYD:AI(A;CIID;KA;;;" + cs + ")(A;CIID;KA;;;SY)", false},    // inherited CryptSvc
		{"O:SYG:SYD:PAI(A;CI;KA;;;" + cs + ")(A;CI;KA;;;SY)", false},       // protected but explicit CryptSvc
		{"O:SYG:SYD:AI(D;;KA;;;" + cs + ")(A;CIID;KA;;;" + cs + ")", true}, // deny first
		{"O:SYG:SYD:AI(A;CIID;KR;;;" + cs + ")(A;CIID;KA;;;SY)", true},     // read only
		{"O:SYG:SYD:PAI(A;CI;KA;;;NS)(A;CI;KA;;;SY)", false},               // through NETWORK SERVICE
	}
	for _, c := range cases {
		sd := secdesc.MustParseSDDL(c.sddl)
		f := &Facts{KeySecurity: map[string]Fact[[]byte]{KeyAutoUpdate: {Known: true, Value: sd.Bytes()}}}
		fs := runOne(t, AutoUpdateACL, nil, f, time.Now())
		if (len(fs) == 1) != c.report {
			t.Errorf("%s: reported %v, want %v", c.sddl, len(fs) == 1, c.report)
		}
	}
}

func TestInheritedFrom(t *testing.T) {
	cs := secdesc.ServiceSID("CryptSvc").String()
	// The CryptSvc ACE of the parent applies to the parent only (no CI):
	// a subkey does not get it.
	p := secdesc.MustParseSDDL("O:SYG:SYD:AI(A;;KA;;;" + cs + ")(A;CI;KA;;;SY)")
	if secdesc.ServiceKeyAccess(inheritedFrom(p), "CryptSvc", secdesc.NetworkService).CanWrite {
		t.Error("a non-inheritable ACE was inherited")
	}
	p = secdesc.MustParseSDDL("O:SYG:SYD:AI(A;OICIIO;GA;;;" + cs + ")(A;CI;KA;;;SY)")
	if !secdesc.ServiceKeyAccess(inheritedFrom(p), "CryptSvc", secdesc.NetworkService).CanWrite {
		t.Error("an inherit-only container ACE was not inherited")
	}
}

func TestClockSkewThresholds(t *testing.T) {
	ref := time.Date(2024, 2, 10, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		skew time.Duration
		want Severity
	}{{4 * time.Minute, 0}, {-6 * time.Minute, Warning}, {30 * time.Hour, Error}, {-72 * time.Hour, Error}} {
		f := &Facts{Clock: Fact[Clock]{Known: true, Value: Clock{Local: ref.Add(c.skew), Reference: ref, ReferenceSource: "test"}}}
		fs := runOne(t, ClockSkew, nil, f, ref)
		var got Severity
		if len(fs) == 1 {
			got = fs[0].Severity
		}
		if got != c.want {
			t.Errorf("skew %v: severity %v, want %v", c.skew, got, c.want)
		}
	}
}

func TestTLS12Disabled(t *testing.T) {
	for _, c := range []struct {
		name   string
		reg    map[string]Fact[RegValue]
		report bool
	}{
		{"defaults", map[string]Fact[RegValue]{RegTLS12Enabled: absent, RegTLS12DisabledByDefault: absent, RegWinHTTPProtocols: absent}, false},
		{"enabled=0", map[string]Fact[RegValue]{RegTLS12Enabled: dwordValue(0)}, true},
		{"disabled by default", map[string]Fact[RegValue]{RegTLS12DisabledByDefault: dwordValue(1)}, true},
		{"winhttp TLS 1.0/1.1 only", map[string]Fact[RegValue]{RegTLS12Enabled: absent, RegWinHTTPProtocols: dwordValue(0xA0 | 0x200)}, true},
		{"winhttp TLS 1.2", map[string]Fact[RegValue]{RegTLS12Enabled: dwordValue(1), RegWinHTTPProtocols: dwordValue(0x800)}, false},
		{"winhttp TLS 1.3 only", map[string]Fact[RegValue]{RegTLS12Enabled: absent, RegWinHTTPProtocols: dwordValue(0x2000)}, false},
	} {
		fs := runOne(t, TLS12Disabled, nil, &Facts{Registry: c.reg}, time.Now())
		if (len(fs) == 1) != c.report {
			t.Errorf("%s: reported %v", c.name, len(fs) == 1)
		}
	}
}

func TestHostsEntries(t *testing.T) {
	content := "# 0.0.0.0 slscr.update.microsoft.com\r\n127.0.0.1 localhost\r\n0.0.0.0 fe2cr.update.microsoft.com  ctldl.windowsupdate.com # blocked\r\n"
	got := hostsEntries(content, func(n string) bool { return isWUHost(n) || isCTLHost(n) })
	if len(got) != 2 || got[0].line != 3 || got[0].name != "fe2cr.update.microsoft.com" || got[1].name != "ctldl.windowsupdate.com" {
		t.Errorf("%+v", got)
	}
}

func TestVerdictStateString(t *testing.T) {
	for s, want := range map[VerdictState]string{CauseUnknown: "unknown", CauseRuledOut: "ruled out",
		CauseSuspected: "suspected", CauseConfirmed: "confirmed", 9: "verdict(9)"} {
		if got := s.String(); got != want {
			t.Errorf("VerdictState(%d).String() = %q, want %q", uint8(s), got, want)
		}
	}
}

func TestStartType(t *testing.T) {
	for _, c := range []struct {
		start   uint32
		delayed bool
		want    string
	}{{0, false, "boot"}, {1, false, "system"}, {2, false, "auto"}, {2, true, "delayed-auto"},
		{3, false, "manual"}, {3, true, "manual"}, {4, false, "disabled"}, {5, false, ""}} {
		if got := StartType(c.start, c.delayed); got != c.want {
			t.Errorf("StartType(%d, %v) = %q, want %q", c.start, c.delayed, got, c.want)
		}
	}
}
