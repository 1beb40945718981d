package diagnose

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wulog/wulog/logparse"
)

// normalizeOpRef is normalizeOp as first written (a closure called per
// byte), kept as the reference the faster one must equal.
func normalizeOpRef(dst, msg []byte) []byte {
	m := msg
	if i := bytes.Index(m, []byte("*FAILED*")); i >= 0 && i < 4 {
		m = m[i+8:]
		m = bytes.TrimLeft(m, " ")
		if len(m) > 0 && m[0] == '[' {
			if j := bytes.IndexByte(m, ']'); j >= 0 {
				m = m[j+1:]
			}
		}
	}
	m = bytes.TrimLeft(m, " *")
	m = bytes.TrimPrefix(m, []byte("WARNING: "))
	m = bytes.TrimPrefix(m, []byte("FATAL: "))
	start, digit := -1, false
	flush := func(end int) {
		if start < 0 {
			return
		}
		if digit {
			dst = append(dst, '#')
		} else {
			dst = append(dst, m[start:end]...)
		}
		start, digit = -1, false
	}
	for i := 0; i < len(m) && len(dst) < maxOpText; i++ {
		switch c := m[i]; {
		case c == ' ' || c == '\t':
			flush(i)
			if len(dst) > 0 && dst[len(dst)-1] != ' ' {
				dst = append(dst, ' ')
			}
		default:
			if start < 0 {
				start = i
			}
			if '0' <= c && c <= '9' {
				digit = true
			}
		}
	}
	if len(dst) < maxOpText {
		flush(len(m))
	}
	if len(dst) > maxOpText {
		dst = dst[:maxOpText]
	}
	return bytes.TrimRight(dst, " ")
}

// hostOfRef is hostOf as first written, with bytes.Index and IndexAny.
func hostOfRef(u []byte) []byte {
	i := bytes.Index(u, []byte("://"))
	if i < 0 {
		return nil
	}
	h := u[i+3:]
	if at := bytes.IndexByte(h, '@'); at >= 0 && at < bytes.IndexAny(h, "/?#") {
		h = h[at+1:]
	}
	if j := bytes.IndexAny(h, ":/?#>'\" \t"); j >= 0 {
		h = h[:j]
	}
	return h
}

// opMessages are failure messages of real logs, and edge cases of the
// normalizer.
var opMessages = []string{
	`*FAILED* [80246007] file = D:\a\_work\1\s\src\Client\Engine\Agent\WUUpdateDeploymentDataImpl.cpp, line = 123`,
	`*FAILED* [80246007] Could not find a locked revision for the child of the update C01629FC-64EA-44F2-B1CB-CABC7D452100.200`,
	`Update E9AC9999-DFBE-9B99-9999-99999C999999.9 LastDynamicDataRefreshResult=0x80240007.`,
	`*FAILED* [80072F8F] Library download error. Will retry. Retry Counter:2`,
	`  * WARNING: Exit code = 0x80072EE2`,
	`FATAL: Parse failed`,
	`*FAILED* [8024000E no closing bracket, so the whole message counts 1 2 3`,
	` *FAILED* [80070005] x`,
	"tabs\tand  runs   of\t\tblanks 12 34 and a very long tail of words that goes on and on past the ninety-six bytes of an operation",
	"{A1B2C3D4-0000-0000-0000-000000000001} {A1B2C3D4-0000-0000-0000-000000000002} {A1B2C3D4-0000-0000-0000-000000000003} {A1B2C3D4-0000-0000-0000-000000000004} {A1B2C3D4-0000-0000-0000-000000000005} {A1B2C3D4-0000-0000-0000-000000000006} {A1B2C3D4-0000-0000-0000-000000000007} tail",
	"",
}

// FuzzNormalizeOp checks that normalizeOp equals the reference, and that
// a message matching the key of another (equal to it, or starting with
// it) normalizes to the same operation: the fold skips normalizing such
// messages.
func FuzzNormalizeOp(f *testing.F) {
	for _, m := range opMessages {
		f.Add([]byte(m), uint16(len(m)/2), []byte("changed tail 42"))
		f.Add([]byte(m), uint16(len(m)), []byte(""))
	}
	f.Fuzz(func(t *testing.T, a []byte, cut uint16, tail []byte) {
		got := normalizeOp(nil, a)
		if want := normalizeOpRef(nil, a); !bytes.Equal(got, want) {
			t.Fatalf("normalizeOp(%q) = %q, reference %q", a, got, want)
		}
		op, key := normalizeOpKey(nil, a)
		if !bytes.Equal(op, got) {
			t.Fatalf("normalizeOpKey(%q) = %q, normalizeOp %q", a, op, got)
		}
		key.ok = true
		if !key.match(a) {
			t.Fatalf("the key %q (whole %v) of %q does not match it", key.raw, key.whole, a)
		}
		b := append(append([]byte(nil), a[:min(int(cut), len(a))]...), tail...)
		if key.match(b) {
			if nb := normalizeOpRef(nil, b); !bytes.Equal(nb, got) {
				t.Fatalf("the key %q (whole %v) of %q matches %q, which normalizes to %q, not %q", key.raw, key.whole, a, b, nb, got)
			}
		}
	})
}

// FuzzNeedle checks needle.index against bytes.Index, and hostOf against
// the reference.
func FuzzNeedle(f *testing.F) {
	for _, m := range opMessages {
		f.Add([]byte(m), "etry", uint8(3))
	}
	f.Add([]byte("Deployment job Id 0C3E : Ending Installing updates, CallerId = UpdateOrchestrator"), "Ending Installing updates", uint8(7))
	f.Add([]byte("Making request with URL HTTPS://user@slscr.update.microsoft.com:443/SLS/x"), "://", uint8(0))
	f.Add([]byte("a://b@c"), "://", uint8(0))
	f.Fuzz(func(t *testing.T, hay []byte, pat string, k uint8) {
		if got, want := string(hostOf(hay)), string(hostOfRef(hay)); got != want {
			t.Fatalf("hostOf(%q) = %q, reference %q", hay, got, want)
		}
		if pat == "" {
			return
		}
		n := newNeedle(pat, pat[int(k)%len(pat)])
		if got, want := n.index(hay), bytes.Index(hay, []byte(pat)); got != want {
			t.Fatalf("needle %q (by %q).index(%q) = %d, bytes.Index %d", pat, pat[n.k], hay, got, want)
		}
	})
}

// scenarioRecords returns the records of the scenario logs, cloned.
func scenarioRecords(t *testing.T) []*logparse.Record {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "scenarios", "*", "WindowsUpdate.log"))
	if len(files) == 0 {
		t.Skip("no scenario logs in ../testdata/scenarios")
	}
	var recs []*logparse.Record
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := logparse.NewScanner(f)
		sc.SetName(name)
		for sc.Scan() {
			recs = append(recs, sc.Record().Clone())
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return recs
}

// Once the fold has seen a log's chains, codes, operations, threads and
// hosts, folding more of the same allocates nothing per record: the
// scenario logs (Windows 10 and legacy, failures, outcomes, URLs, proxy
// and version lines, service starts) folded again, later in time.
func TestFoldSteadyStateAllocs(t *testing.T) {
	recs := scenarioRecords(t)
	var first, last time.Time
	for _, r := range recs {
		if r.Time.IsZero() {
			continue
		}
		if first.IsZero() || r.Time.Before(first) {
			first = r.Time
		}
		if r.Time.After(last) {
			last = r.Time
		}
	}
	span := last.Sub(first) + 24*time.Hour
	ev := NewEvidence()
	pass := func() {
		for _, r := range recs {
			if !r.Time.IsZero() {
				r.Time = r.Time.Add(span)
			}
			ev.Add(r)
		}
	}
	// The steps back in time between the scenarios are kept up to
	// maxJumps, then only counted.
	for i := 0; i < 2 || len(ev.ClockJumps) < maxJumps && ev.ClockJumpCount > 0 && i < 2*maxJumps; i++ {
		pass()
	}
	if n := testing.AllocsPerRun(3, pass); n != 0 {
		t.Errorf("folding %d records again allocates %.0f times, want 0", len(recs), n)
	}
	ev.Finish()
	if len(ev.Chains) == 0 || ev.Ops[Scan].Last == nil || ev.ServiceStarts == 0 || !ev.Server.Seen {
		t.Errorf("the scenarios should give chains, scans, service starts and the update server: %d chains, last scan %v, %d service starts, server %+v",
			len(ev.Chains), ev.Ops[Scan].Last, ev.ServiceStarts, ev.Server)
	}
}

// Last is the latest time even when the log steps back in time at the
// end, and the step is a jump from that time.
func TestEvidenceLastAfterStepBack(t *testing.T) {
	ev := scan(t, ""+
		"2024/02/10 10:00:00.0000000 4120  6240  Agent           one\n"+
		"2024/02/10 12:00:00.0000000 4120  6240  Agent           two\n"+
		"2024/02/10 11:00:00.0000000 4120  6240  Agent           three, an hour back\n"+
		"2024/02/10 11:30:00.0000000 4120  6240  Agent           four\n")
	want := time.Date(2024, 2, 10, 12, 0, 0, 0, time.UTC)
	if !ev.Last.Equal(want) || !ev.First.Equal(want.Add(-2*time.Hour)) {
		t.Errorf("first %v, last %v; want 10:00 and 12:00", ev.First, ev.Last)
	}
	if ev.ClockJumpCount != 1 || !ev.ClockJumps[0].From.Equal(want) || ev.ClockJumps[0].Line.Line != 3 || ev.ClockJumps[0].Before.Line != 2 {
		t.Errorf("jumps %+v", ev.ClockJumps)
	}
}

// The outcome pointers of OpStats share the outcome they name: the last
// outcome is the last failure or the last success, and a single failure
// is both the first and the last.
func TestEvidenceOutcomePointers(t *testing.T) {
	ev := scan(t, ""+
		"2024/02/10 08:00:01.0000000 4120  6240  Agent           * END * Finding updates CallerId = UpdateOrchestrator, Id = 1, Exit code = 0x00000000\n"+
		"2024/02/10 09:00:01.0000000 4120  6240  Agent           * END * Finding updates CallerId = Windows Defender, Id = 2, Exit code = 0x8024402C\n")
	s := ev.Ops[Scan]
	if s.Last == nil || s.Last != s.LastFailure || s.FirstFailure != s.LastFailure || s.LastSuccess == nil || s.LastSuccess == s.Last {
		t.Fatalf("scan outcomes %+v", s)
	}
	if s.LastSuccess.Caller != "UpdateOrchestrator" || s.Last.Caller != "Windows Defender" || s.Last.Line.Line != 2 ||
		s.Last.Line.Text != "* END * Finding updates CallerId = Windows Defender, Id = 2, Exit code = 0x8024402C" {
		t.Errorf("last success %+v, last %+v", s.LastSuccess, s.Last)
	}
}

// BenchmarkNormalizeOp normalizes failure messages of real logs.
func BenchmarkNormalizeOp(b *testing.B) {
	msgs := make([][]byte, 0, 4)
	n := 0
	for _, m := range opMessages[:4] {
		msgs = append(msgs, []byte(m))
		n += len(m)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	var dst []byte
	for b.Loop() {
		for _, m := range msgs {
			dst = normalizeOp(dst[:0], m)
		}
	}
}
