package live

import (
	"bufio"
	"context"
	"crypto/sha1"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/winproxy"
)

// fakeSystem answers the probes from maps; block makes a call hang until
// the test ends.
type fakeSystem struct {
	mu       sync.Mutex
	values   map[string]diagnose.RegValue // by root|key|value
	sds      map[string][]byte            // by root|key
	services map[string]rawService
	denied   map[string]bool // root|key[|value] that fail with access denied
	block    chan struct{}   // when not nil, KeySecurity waits on it
	chain    rawChain
	gotNames []string // server names passed to VerifyChain
	gotCerts [][][]byte
}

func (f *fakeSystem) Hostname() (string, error) { return "PC1", nil }
func (f *fakeSystem) Elevated() (bool, error)   { return false, nil }
func (f *fakeSystem) ReadValue(root, key, value string) (diagnose.RegValue, error) {
	id := root + "|" + key + "|" + value
	if f.denied[id] {
		return diagnose.RegValue{}, fmt.Errorf("open %s: %w", key, fs.ErrPermission)
	}
	return f.values[id], nil
}
func (f *fakeSystem) KeySecurity(root, key string) ([]byte, error) {
	if f.block != nil {
		<-f.block
	}
	if f.denied[root+"|"+key] {
		return nil, fmt.Errorf("RegGetKeySecurity: %w", fs.ErrPermission)
	}
	sd, ok := f.sds[root+"|"+key]
	if !ok {
		return nil, fmt.Errorf("open key: %w", fs.ErrNotExist)
	}
	return sd, nil
}
func (f *fakeSystem) Service(name string) (rawService, error) {
	s, ok := f.services[name]
	if !ok {
		return s, fmt.Errorf("service is not installed: %w", fs.ErrNotExist)
	}
	return s, nil
}
func (f *fakeSystem) Uptime() (time.Duration, error) { return 50 * time.Hour, nil }
func (f *fakeSystem) HostsFile() ([]byte, string, error) {
	return []byte("\xFF\xFE1\x002\x007\x00.\x000\x00.\x000\x00.\x001\x00 \x00x\x00\r\x00\n\x00"), `C:\Windows\System32\drivers\etc\hosts`, nil
}
func (f *fakeSystem) VerifyChain(serverName string, certs [][]byte, _ time.Duration) (rawChain, error) {
	f.mu.Lock()
	f.gotNames = append(f.gotNames, serverName)
	f.gotCerts = append(f.gotCerts, certs)
	f.mu.Unlock()
	c := f.chain
	c.Elements = nil
	for i, der := range certs {
		e := rawElement{DER: der}
		if i < len(f.chain.Elements) {
			e.ErrorStatus, e.InfoStatus = f.chain.Elements[i].ErrorStatus, f.chain.Elements[i].InfoStatus
		}
		c.Elements = append(c.Elements, e)
	}
	return c, nil
}

func fixedNow() time.Time { return time.Date(2024, 5, 2, 10, 0, 0, 0, time.UTC) }

func TestGatherRecordsEachFactAndItsFailure(t *testing.T) {
	ft := uint64(133590000000000000) // a FILETIME in 2024
	le := make([]byte, 8)
	for i := range le {
		le[i] = byte(ft >> (8 * i))
	}
	sys := &fakeSystem{
		values: map[string]diagnose.RegValue{
			`HKLM|SOFTWARE\Microsoft\SystemCertificates\AuthRoot\AutoUpdate|DisallowedCertLastSyncTime`:                   {Exists: true, Type: diagnose.RegBinary, Data: le},
			`HKLM|SOFTWARE\Wow6432Node\Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp|DefaultSecureProtocols`: {Exists: true, Type: diagnose.RegDWORD, Data: []byte{0, 0x0A, 0, 0}},
		},
		denied:   map[string]bool{`HKCU|SOFTWARE\Microsoft\SystemCertificates\AuthRoot\AutoUpdate|LastSyncTime`: true, `HKLM|SOFTWARE\Microsoft\SystemCertificates\AuthRoot`: true},
		sds:      map[string][]byte{`HKLM|SOFTWARE\Microsoft\SystemCertificates\AuthRoot\AutoUpdate`: {1, 0, 4, 0x94}},
		services: map[string]rawService{"CryptSvc": {State: 4, StartType: 2}, "wuauserv": {State: 1, StartType: 3}, "BITS": {State: 1, StartType: 2, Delayed: true}},
	}
	f := gather(context.Background(), sys, Options{NoNetwork: true}.withDefaults(), nil, fixedNow)

	if f.Host != "PC1" || !f.Live || !f.CollectedAt.Equal(fixedNow()) {
		t.Errorf("host %q live %v collected %v", f.Host, f.Live, f.CollectedAt)
	}
	if len(f.Registry) != len(diagnose.RegistryValues) {
		t.Errorf("%d registry facts, want one per value (%d)", len(f.Registry), len(diagnose.RegistryValues))
	}
	ds := f.Registry[diagnose.RegDisallowedSync]
	if !ds.Known || !ds.Value.Exists {
		t.Fatalf("DisallowedCertLastSyncTime: %+v", ds)
	}
	if tm, err := ds.Value.FileTime(); err != nil || tm.Year() != 2024 {
		t.Errorf("FILETIME read back as %v, %v", tm, err)
	}
	if v, ok := f.Registry[diagnose.RegWinHTTPProtocolsWow64].Value.DWORD(); !ok || v != 0xA00 {
		t.Errorf("Wow6432Node DefaultSecureProtocols = %#x, %v; want 0xA00 (TLS 1.1+1.2)", v, ok)
	}
	// Absent: known, Exists false.
	if r := f.Registry[diagnose.RegPinRulesSync]; !r.Known || r.Value.Exists || r.Err != "" {
		t.Errorf("absent value: %+v", r)
	}
	// Denied: unknown, with the reason.
	if r := f.Registry[diagnose.RegUserLastSync]; r.Known || !strings.Contains(r.Err, "access denied") {
		t.Errorf("denied value: %+v", r)
	}
	if k := f.KeySecurity[diagnose.KeyAutoUpdate]; !k.Known || len(k.Value) != 4 || k.Source != "live: RegGetKeySecurity" {
		t.Errorf("AutoUpdate descriptor: %+v", k)
	}
	if k := f.KeySecurity[diagnose.KeyAuthRoot]; k.Known || !strings.Contains(k.Err, "access denied") {
		t.Errorf("AuthRoot descriptor: %+v", k)
	}
	wantSvc := map[string]diagnose.Service{
		"CryptSvc": {Name: "CryptSvc", State: "running", StartType: "auto"},
		"wuauserv": {Name: "wuauserv", State: "stopped", StartType: "manual"},
		"BITS":     {Name: "BITS", State: "stopped", StartType: "delayed-auto"},
	}
	for name, want := range wantSvc {
		if got := f.Services[name]; !got.Known || got.Value != want {
			t.Errorf("service %s = %+v, want %+v", name, got, want)
		}
	}
	if u := f.Services["UsoSvc"]; u.Known || !strings.Contains(u.Err, "not installed") {
		t.Errorf("missing service: %+v", u)
	}
	if !f.BootTime.Known || f.BootTime.Value != fixedNow().Add(-50*time.Hour) {
		t.Errorf("boot time %+v", f.BootTime)
	}
	if !f.HostsFile.Known || f.HostsFile.Value != "127.0.0.1 x\r\n" {
		t.Errorf("hosts file %q", f.HostsFile.Value)
	}
	if f.Clock.Known || len(f.Chains) != 0 {
		t.Errorf("network skipped but clock %+v chains %d", f.Clock, len(f.Chains))
	}
	notes := strings.Join(f.Notes, "\n")
	for _, want := range []string{"Not elevated: access was denied to " + diagnose.RegUserLastSync, "security descriptor of " + diagnose.KeyAuthRoot, "Network probes skipped"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}

func TestProbeTimeoutDoesNotStopTheOthers(t *testing.T) {
	sys := &fakeSystem{block: make(chan struct{}), services: map[string]rawService{"CryptSvc": {State: 4, StartType: 2}}}
	defer close(sys.block)
	start := time.Now()
	f := gather(context.Background(), sys, Options{NoNetwork: true, Timeout: 200 * time.Millisecond}.withDefaults(), nil, time.Now)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("gather took %v with a 200ms timeout", d)
	}
	for _, k := range diagnose.SecuredKeys {
		if got := f.KeySecurity[k]; got.Known || !strings.Contains(got.Err, "timed out") {
			t.Errorf("%s: %+v, want a timeout", k, got)
		}
	}
	if !f.Services["CryptSvc"].Known {
		t.Errorf("services were not read while the key probe hung: %+v", f.Services["CryptSvc"])
	}
}

func TestWithinTurnsPanicIntoError(t *testing.T) {
	_, err := within(context.Background(), time.Second, func(context.Context) (int, error) { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v", err)
	}
}

func TestEndpointChainAndClockFromALocalServer(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ep := srv.Listener.Addr().String()
	sys := &fakeSystem{chain: rawChain{ErrorStatus: 0x01000040, PolicyError: 0x80092013, Elements: []rawElement{{ErrorStatus: 0x01000040}}}}
	opts := Options{Endpoints: []string{ep, "127.0.0.1:1"}, Registry: []string{}, Keys: []string{}, Services: []string{}, Timeout: 5 * time.Second}
	f := gather(context.Background(), sys, opts.withDefaults(), (&net.Dialer{}).DialContext, time.Now)

	if len(f.Chains) != 2 {
		t.Fatalf("%d chains, want 2: %+v", len(f.Chains), f.Chains)
	}
	c := f.Chains[0]
	if !c.Known || c.Value.Endpoint != ep || c.Value.ConnectError != "" {
		t.Fatalf("chain fact %+v", c)
	}
	leaf := srv.Certificate()
	sum := sha1.Sum(leaf.Raw)
	el := c.Value.Elements[0]
	if el.Thumbprint != strings.ToUpper(hex.EncodeToString(sum[:])) || el.Subject != leaf.Subject.String() || !el.NotAfter.Equal(leaf.NotAfter) {
		t.Errorf("leaf element %+v, server cert subject %q", el, leaf.Subject)
	}
	if c.Value.ErrorStatus != 0x01000040 || c.Value.PolicyError != 0x80092013 || el.ErrorStatus != 0x01000040 {
		t.Errorf("status not carried: %+v", c.Value)
	}
	if len(sys.gotNames) != 1 || sys.gotNames[0] != "127.0.0.1" {
		t.Errorf("VerifyChain server names %v", sys.gotNames)
	}
	// Port 1 refuses: a known fact with the connect error.
	if r := f.Chains[1]; !r.Known || r.Value.ConnectError == "" || len(r.Value.Elements) != 0 {
		t.Errorf("refused endpoint: %+v", r)
	}
	if !f.Clock.Known || f.Clock.Value.Skew().Abs() > 2*time.Second || !strings.Contains(f.Clock.Source, ep) {
		t.Errorf("clock %+v (skew %v)", f.Clock, f.Clock.Value.Skew())
	}
}

// connectProxy is a minimal HTTP CONNECT proxy; status is what it answers.
// When to is not empty, it connects every tunnel there, whatever the
// client asked for, so that tests never leave the machine.
func connectProxy(t *testing.T, status int) (addr string, targets *[]string) {
	return connectProxyTo(t, status, "")
}

func connectProxyTo(t *testing.T, status int, to string) (addr string, targets *[]string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var seen []string
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil || req.Method != http.MethodConnect {
					return
				}
				mu.Lock()
				seen = append(seen, req.Host)
				mu.Unlock()
				if status != http.StatusOK {
					fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nProxy-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\n", status, http.StatusText(status))
					return
				}
				target := req.Host
				if to != "" {
					target = to
				}
				up, err := net.Dial("tcp", target)
				if err != nil {
					fmt.Fprintf(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
					return
				}
				defer up.Close()
				fmt.Fprintf(c, "HTTP/1.1 200 Connection established\r\n\r\n")
				go io.Copy(up, c)
				io.Copy(c, up)
			}()
		}
	}()
	return ln.Addr().String(), &seen
}

func TestEndpointThroughProxy(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ep := srv.Listener.Addr().String()
	dial := (&net.Dialer{}).DialContext

	proxy, seen := connectProxy(t, http.StatusOK)
	res, err := fetchEndpoint(context.Background(), dial, proxy, ep)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Certs) == 0 || string(res.Certs[0]) != string(srv.Certificate().Raw) || res.DateErr != nil {
		t.Errorf("through proxy: %d certs, date err %v", len(res.Certs), res.DateErr)
	}
	if len(*seen) != 1 || (*seen)[0] != ep {
		t.Errorf("proxy saw CONNECT to %v, want %s", *seen, ep)
	}

	deny, _ := connectProxy(t, http.StatusProxyAuthRequired)
	_, err = fetchEndpoint(context.Background(), dial, deny, ep)
	if err == nil || !strings.Contains(err.Error(), "407") {
		t.Errorf("proxy asking for auth: err = %v", err)
	}
}

func TestEndpointStalledServerTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // accept, then say nothing
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = fetchEndpoint(ctx, (&net.Dialer{}).DialContext, "", ln.Addr().String())
	if err == nil || time.Since(start) > 3*time.Second {
		t.Errorf("stalled server: err %v after %v", err, time.Since(start))
	}
}

func TestHeadDateWithoutDate(t *testing.T) {
	a, b := net.Pipe()
	go func() {
		r := bufio.NewReader(b)
		http.ReadRequest(r)
		io.WriteString(b, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
		b.Close()
	}()
	_, _, err := headDate(a, "h")
	if err == nil || !strings.Contains(err.Error(), "without a Date") {
		t.Errorf("err = %v", err)
	}
}

func TestSplitPaths(t *testing.T) {
	root, key, val, err := splitValuePath(diagnose.RegWinHTTPProtocolsWow64)
	if err != nil || root != "HKLM" || key != `SOFTWARE\Wow6432Node\Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp` || val != "DefaultSecureProtocols" {
		t.Errorf("got %q %q %q %v", root, key, val, err)
	}
	root, key, err = splitKeyPath(`HKEY_CURRENT_USER\Software\x\`)
	if err != nil || root != "HKCU" || key != `Software\x` {
		t.Errorf("got %q %q %v", root, key, err)
	}
	for _, bad := range []string{`HKXX\a\b`, `HKLM`, `HKLM\`, `novalue`} {
		if _, _, _, err := splitValuePath(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	// Every path the rules read must split.
	for _, p := range diagnose.RegistryValues {
		if _, _, _, err := splitValuePath(p); err != nil {
			t.Error(err)
		}
	}
	for _, p := range diagnose.SecuredKeys {
		if _, _, err := splitKeyPath(p); err != nil {
			t.Error(err)
		}
	}
}

func TestServiceNames(t *testing.T) {
	// winsvc.h: SERVICE_STOPPED 1 ... SERVICE_PAUSED 7; winnt.h:
	// SERVICE_BOOT_START 0 ... SERVICE_DISABLED 4.
	states := map[uint32]string{1: "stopped", 2: "start-pending", 3: "stop-pending", 4: "running", 5: "continue-pending", 6: "pause-pending", 7: "paused", 0: "unknown", 8: "unknown"}
	for v, want := range states {
		if got := serviceState(v); got != want {
			t.Errorf("state %d = %q, want %q", v, got, want)
		}
	}
	types := []struct {
		t       uint32
		delayed bool
		want    string
	}{{0, false, "boot"}, {1, false, "system"}, {2, false, "auto"}, {2, true, "delayed-auto"}, {3, false, "manual"}, {3, true, "manual"}, {4, false, "disabled"}, {9, false, "unknown (9)"}}
	for _, c := range types {
		if got := startType(c.t, c.delayed); got != c.want {
			t.Errorf("start type %d/%v = %q, want %q", c.t, c.delayed, got, c.want)
		}
	}
}

func TestDecodeText(t *testing.T) {
	cases := []struct {
		in   []byte
		want string
	}{
		{[]byte("127.0.0.1 localhost\r\n"), "127.0.0.1 localhost\r\n"},
		{[]byte("\xEF\xBB\xBF# hosts\n"), "# hosts\n"},
		{[]byte("\xFE\xFF\x00h\x00i"), "hi"},
		{[]byte("# Caf\xE9\n"), "# Café\n"}, // Windows-1252 e-acute
	}
	for _, c := range cases {
		got, err := decodeText(c.in)
		if err != nil || got != c.want {
			t.Errorf("decodeText(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if _, err := decodeText([]byte("\xFF\xFEa")); err == nil {
		t.Error("odd UTF-16: no error")
	}
}

func TestAssembleChainUnreadableCert(t *testing.T) {
	c := assembleChain("h:443", rawChain{Elements: []rawElement{{DER: []byte{0x30, 0x01}}}})
	if !strings.HasPrefix(c.Elements[0].Subject, "(certificate not readable") || c.Elements[0].Thumbprint == "" {
		t.Errorf("%+v", c.Elements[0])
	}
}

func TestClockFactReasons(t *testing.T) {
	f := clockFact(Options{Endpoints: []string{"a:443"}}, []endpointFacts{{endpoint: "a:443", clockErr: errors.New("refused")}})
	if f.Known || f.Err != "no endpoint sent an HTTP Date: a:443: refused" {
		t.Errorf("%+v", f)
	}
}

func TestRouteFollowsWinHTTP(t *testing.T) {
	blob := winproxy.Build(winproxy.Settings{Version: 0x18, Flags: winproxy.FlagDirect | winproxy.FlagProxy,
		Proxy: "http=plain:80;https=http://proxy.corp:8080", Bypass: "*.contoso.com;<local>"})
	r := routeFromWinHTTP(diagnose.RegValue{Exists: true, Type: diagnose.RegBinary, Data: blob}, nil)
	for host, want := range map[string]string{"slscr.update.microsoft.com": "proxy.corp:8080", "wsus.contoso.com": "", "wsus": "", "127.0.0.1": ""} {
		if got := r.proxyFor(host); got != want {
			t.Errorf("proxyFor(%s) = %q, want %q", host, got, want)
		}
	}
	if !strings.Contains(r.note, "proxy.corp:8080") || !strings.Contains(r.note, "*.contoso.com") {
		t.Errorf("note %q", r.note)
	}
	// A proxy without a port: WinHTTP uses 80.
	blob = winproxy.Build(winproxy.Settings{Version: 0x18, Flags: winproxy.FlagProxy, Proxy: "squid"})
	if got := routeFromWinHTTP(diagnose.RegValue{Exists: true, Data: blob}, nil).proxyFor("x.y"); got != "squid:80" {
		t.Errorf("port-less proxy: %q", got)
	}
	for _, c := range []struct {
		v    diagnose.RegValue
		err  error
		note string
	}{
		{diagnose.RegValue{}, nil, "no WinHttpSettings value"},
		{diagnose.RegValue{Exists: true, Data: winproxy.Build(winproxy.Settings{Version: 0x18, Flags: winproxy.FlagDirect})}, nil, "direct access"},
		{diagnose.RegValue{Exists: true, Data: []byte{0x18, 0, 0}}, nil, "malformed"},
		{diagnose.RegValue{}, fs.ErrPermission, "could not be read"},
	} {
		r := routeFromWinHTTP(c.v, c.err)
		if r.proxyFor("slscr.update.microsoft.com") != "" || !strings.Contains(r.note, c.note) {
			t.Errorf("%+v: proxy %q note %q", c.v, r.proxy, r.note)
		}
	}
}

func TestEndpointThroughTheWinHTTPProxy(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	// The proxy sends every tunnel to the local server: nothing leaves
	// the machine although the endpoint is a Windows Update host.
	proxy, seen := connectProxyTo(t, http.StatusOK, srv.Listener.Addr().String())
	blob := winproxy.Build(winproxy.Settings{Version: 0x18, Flags: winproxy.FlagProxy, Proxy: proxy, Bypass: "<local>"})
	root, key, name, _ := splitValuePath(diagnose.RegWinHTTPSettings)
	sys := &fakeSystem{values: map[string]diagnose.RegValue{root + "|" + key + "|" + name: {Exists: true, Type: diagnose.RegBinary, Data: blob}}}
	ep := "slscr.update.microsoft.com:443"
	opts := Options{Endpoints: []string{ep}, Registry: []string{}, Keys: []string{}, Services: []string{}, Timeout: 5 * time.Second}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr != proxy {
			return nil, fmt.Errorf("test dialled %s, not the proxy", addr)
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	f := gather(context.Background(), sys, opts.withDefaults(), dial, time.Now)
	if len(f.Chains) != 1 || !f.Chains[0].Known || f.Chains[0].Value.ConnectError != "" || len(f.Chains[0].Value.Elements) == 0 {
		t.Fatalf("chains %+v", f.Chains)
	}
	if !strings.Contains(f.Chains[0].Source, "via proxy "+proxy) || len(*seen) != 1 || (*seen)[0] != ep {
		t.Errorf("source %q, proxy saw %v", f.Chains[0].Source, *seen)
	}
	if len(sys.gotNames) != 1 || sys.gotNames[0] != "slscr.update.microsoft.com" {
		t.Errorf("policy checked against %v", sys.gotNames)
	}
	if !strings.Contains(strings.Join(f.Notes, "\n"), "through the proxy "+proxy) {
		t.Errorf("notes %q", f.Notes)
	}
}

func TestX500NameLikeWindows(t *testing.T) {
	// The subject of the Windows Update intermediate, as Windows prints it.
	name := pkix.Name{CommonName: "Microsoft Update Secure Server CA 2.1", Organization: []string{"Microsoft Corporation"},
		Locality: []string{"Redmond"}, Province: []string{"Washington"}, Country: []string{"US"}}
	der, err := asn1.Marshal(name.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	want := "CN=Microsoft Update Secure Server CA 2.1, O=Microsoft Corporation, L=Redmond, S=Washington, C=US"
	if got := x500Name(der, name); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	quoted := pkix.Name{CommonName: "a, b", Organization: []string{" x"}}
	der, _ = asn1.Marshal(quoted.ToRDNSequence())
	if got := x500Name(der, quoted); got != `CN="a, b", O=" x"` {
		t.Errorf("quoting: %s", got)
	}
	// A value that is not a string: # and the hex of its DER (INTEGER 5
	// is 02 01 05), quoted for the #.
	odd := pkix.RDNSequence{{{Type: asn1.ObjectIdentifier{1, 2, 3}, Value: 5}}}
	der, _ = asn1.Marshal(odd)
	if got := x500Name(der, name); got != `OID.1.2.3="#020105"` {
		t.Errorf("non-string value: %s", got)
	}
	if got := x500Name([]byte{1, 2}, name); got != name.String() {
		t.Errorf("fallback: %s", got)
	}
}

func FuzzDecodeText(f *testing.F) {
	f.Add([]byte("127.0.0.1 localhost\r\n"))
	f.Add([]byte("\xFF\xFEh\x00"))
	f.Add([]byte("\xEF\xBB\xBF# x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeText(b)
		if err == nil && !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 from % x", b)
		}
	})
}
