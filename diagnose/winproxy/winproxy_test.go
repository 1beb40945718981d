package winproxy

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.NewReplacer(",", "", " ", "", "\n", "").Replace(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The "Direct Access or No Proxy" value documented by Microsoft
// (use-group-policy-apply-winhttp-proxy-settings) and shown as the
// Windows default in vendor docs.
const directBlob = "1800000000000000010000000000000000000000"

// A WinINET SavedLegacySettings value exported with regedit on Windows
// (IE11, proxy 127.0.0.1:80, "bypass proxy for local addresses"),
// published in a public write-up. Same header layout as WinHttpSettings.
const wininetBlob = `46,00,00,00,51,00,00,00,0b,00,00,00,0c,00,00,00,31,
  32,37,2e,30,2e,30,2e,31,3a,38,30,07,00,00,00,3c,6c,6f,63,61,6c,3e,00,00,00,
  00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,
  00,00,00,00,00,00,00,00`

func TestDirect(t *testing.T) {
	s, err := Parse(mustHex(t, directBlob))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Direct() || s.Version != 0x18 || s.Flags != FlagDirect || s.Proxy != "" || s.Bypass != "" {
		t.Errorf("got %+v", s)
	}
	if s.String() != "Direct access (no proxy server)" {
		t.Errorf("String = %q", s.String())
	}
	if got := Build(Settings{Flags: FlagDirect}); !bytes.Equal(got, mustHex(t, directBlob)) {
		t.Errorf("Build = %x", got)
	}
}

func TestWinINETBlob(t *testing.T) {
	s, err := Parse(mustHex(t, wininetBlob))
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 0x46 || s.Counter != 0x51 || s.Flags != FlagDirect|FlagProxy|FlagAutoDetect {
		t.Errorf("header %+v", s)
	}
	if s.Proxy != "127.0.0.1:80" || s.Bypass != "<local>" || s.AutoConfigURL != "" || s.Trailing != nil {
		t.Errorf("fields %+v", s)
	}
	if s.Direct() || s.ProxyFor("https") != "127.0.0.1:80" {
		t.Errorf("Direct %v ProxyFor %q", s.Direct(), s.ProxyFor("https"))
	}
	if !s.Bypasses("intranet") || s.Bypasses("slscr.update.microsoft.com") {
		t.Error("<local> should bypass dotless names only")
	}
	if s.Flags.String() != "direct|proxy|auto-detect" {
		t.Errorf("Flags %s", s.Flags)
	}
}

func TestProxyAndBypassRoundTrip(t *testing.T) {
	// netsh winhttp set proxy proxy-server="http=proxy.contoso.com:8080;https=secure.contoso.com:8443"
	//   bypass-list="*.contoso.com;<local>" ; a bypass list longer than 255
	// bytes (a single length byte is a known bug in scripts) must survive.
	long := strings.Repeat("*.example.org;", 30) + "<local>"
	want := Settings{Version: 0x18, Counter: 7, Flags: FlagDirect | FlagProxy,
		Proxy: "http=proxy.contoso.com:8080;https=secure.contoso.com:8443", Bypass: "*.contoso.com;" + long}
	got, err := Parse(Build(want))
	if err != nil {
		t.Fatal(err)
	}
	if got.Proxy != want.Proxy || got.Bypass != want.Bypass || got.Counter != 7 || got.Flags != want.Flags {
		t.Errorf("round trip: %+v", got)
	}
	if got.ProxyFor("https") != "secure.contoso.com:8443" || got.ProxyFor("http") != "proxy.contoso.com:8080" || got.ProxyFor("ftp") != "" {
		t.Errorf("ProxyFor: %q %q %q", got.ProxyFor("https"), got.ProxyFor("http"), got.ProxyFor("ftp"))
	}
	if !got.Bypasses("WSUS.contoso.com") || got.Bypasses("fe2cr.update.microsoft.com") || !got.Bypasses("a.b.example.org") {
		t.Error("Bypasses")
	}
	if !strings.HasPrefix(got.String(), "Proxy Server(s): http=proxy.contoso.com:8080") {
		t.Errorf("String = %q", got.String())
	}
}

func TestTruncated(t *testing.T) {
	// The start of a blob for proxy http=192.168.5.45:3128 whose bypass
	// list length is missing.
	b := mustHex(t, "28000000000000000300000016000000687474703d3139322e3136382e352e34353a33313238")
	_, err := Parse(b)
	if !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "bypass list length at offset 38") {
		t.Fatalf("err = %v", err)
	}
	for n := 0; n < 20; n++ {
		if _, err := Parse(mustHex(t, directBlob)[:n]); !errors.Is(err, ErrTruncated) {
			t.Errorf("Parse of %d bytes: %v", n, err)
		}
	}
	// A proxy length pointing past the end.
	if _, err := Parse(mustHex(t, "18000000000000000300000050000000414243")); !errors.Is(err, ErrTruncated) {
		t.Errorf("long length: %v", err)
	}
}

func TestWildMatch(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		ok   bool
	}{
		{"*.contoso.com", "a.contoso.com", true}, {"*.contoso.com", "contoso.com", false},
		{"10.*", "10.1.2.3", true}, {"*", "", true}, {"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false},
		{strings.Repeat("*", 40) + "x", strings.Repeat("a", 40), false},
	} {
		if wildMatch(tc.p, tc.s) != tc.ok {
			t.Errorf("wildMatch(%q, %q) != %v", tc.p, tc.s, tc.ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(mustHex(f, directBlob))
	f.Add(mustHex(f, wininetBlob))
	f.Add(Build(Settings{Flags: 3, Proxy: "p:1", Bypass: "<local>", AutoConfigURL: "http://wpad/wpad.dat"}))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			return
		}
		_ = s.String()
		_ = s.Bypasses("slscr.update.microsoft.com")
		s2, err := Parse(Build(s))
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if s2.Proxy != s.Proxy || s2.Bypass != s.Bypass || s2.Flags != s.Flags {
			t.Fatalf("round trip changed %+v to %+v", s, s2)
		}
	})
}
