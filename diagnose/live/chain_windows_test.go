//go:build windows

package live

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"github.com/wulog/wulog/diagnose"
)

// The chain tests need a test CA in the LOCAL_MACHINE Root store. Windows
// (and Wine) load that store once per process, so a child process adds
// the CA, another child runs the probe, and a last one removes the CA.
// TestMain dispatches the children.
func TestMain(m *testing.M) {
	if f := os.Getenv("WULOG_TEST_ADD_ROOT"); f != "" {
		os.Exit(rootStoreChild(f, true))
	}
	if f := os.Getenv("WULOG_TEST_DEL_ROOT"); f != "" {
		os.Exit(rootStoreChild(f, false))
	}
	os.Exit(m.Run())
}

// rootStoreChild adds the DER certificate in file to LOCAL_MACHINE Root or
// deletes it from there.
func rootStoreChild(file string, add bool) int {
	der, err := os.ReadFile(file)
	if err == nil {
		err = rootStore(der, add)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func rootStore(der []byte, add bool) error {
	if err := rootStoreOp(der, add); err != nil || add {
		return err
	}
	// Wine's CertDeleteCertificateFromStore leaves the registry copy of a
	// LOCAL_MACHINE certificate behind: delete it there as well.
	sum := sha1.Sum(der)
	key := `SOFTWARE\Microsoft\SystemCertificates\Root\Certificates\` + strings.ToUpper(hex.EncodeToString(sum[:]))
	if err := registry.DeleteKey(registry.LOCAL_MACHINE, key); err != nil && !errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
		return fmt.Errorf("delete HKLM\\%s: %w", key, err)
	}
	return nil
}

func rootStoreOp(der []byte, add bool) error {
	name, _ := windows.UTF16PtrFromString("Root")
	st, err := windows.CertOpenStore(windows.CERT_STORE_PROV_SYSTEM, 0, 0, windows.CERT_SYSTEM_STORE_LOCAL_MACHINE, uintptr(unsafe.Pointer(name)))
	if err != nil {
		return fmt.Errorf("open LOCAL_MACHINE Root: %w", err)
	}
	defer windows.CertCloseStore(st, 0)
	c, err := windows.CertCreateCertificateContext(windows.X509_ASN_ENCODING|windows.PKCS_7_ASN_ENCODING, &der[0], uint32(len(der)))
	if err != nil {
		return err
	}
	defer windows.CertFreeCertificateContext(c)
	if add {
		return windows.CertAddCertificateContextToStore(st, c, windows.CERT_STORE_ADD_REPLACE_EXISTING, nil)
	}
	found, err := windows.CertFindCertificateInStore(st, windows.X509_ASN_ENCODING|windows.PKCS_7_ASN_ENCODING, 0, windows.CERT_FIND_EXISTING, unsafe.Pointer(c), nil)
	if err != nil {
		return fmt.Errorf("find the test CA: %w", err)
	}
	return windows.CertDeleteCertificateFromStore(found)
}

// testCA is a certificate authority made for one test run.
type testCA struct {
	cert *x509.Certificate
	key  *rsa.PrivateKey
}

func newTestCA(t *testing.T, cn string) *testCA {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"wulog test"}},
		NotBefore:             time.Now().Add(-2 * time.Hour),
		NotAfter:              time.Now().Add(48 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert, key}
}

// leaf issues a server certificate for localhost whose CRL is at crlURL.
func (ca *testCA) leaf(t *testing.T, serial int64, crlURL string) tls.Certificate {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		CRLDistributionPoints: []string{crlURL},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key}
}

// crl returns a CRL of ca that revokes the given serials.
func (ca *testCA) crl(t *testing.T, revoked ...int64) []byte {
	t.Helper()
	tmpl := &x509.RevocationList{
		Number:     big.NewInt(time.Now().Unix()),
		ThisUpdate: time.Now().Add(-time.Hour),
		NextUpdate: time.Now().Add(24 * time.Hour),
	}
	for _, s := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: big.NewInt(s), RevocationTime: time.Now().Add(-30 * time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.cert, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// tlsServer serves HTTPS on 127.0.0.1 with cert and returns "localhost:port".
func tlsServer(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.StartTLS()
	t.Cleanup(s.Close)
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	return "localhost:" + port
}

// removeTree deletes a folder with DeleteFile and RemoveDirectory: Go's
// os.RemoveAll asks for POSIX delete semantics first, which Wine 8 refuses
// ("Invalid function").
func removeTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			if err := removeTree(p); err != nil {
				return err
			}
			continue
		}
		p16, _ := windows.UTF16PtrFromString(p)
		if err := windows.DeleteFile(p16); err != nil {
			return fmt.Errorf("DeleteFile %s: %w", p, err)
		}
	}
	d16, _ := windows.UTF16PtrFromString(dir)
	return windows.RemoveDirectory(d16)
}

// runChild runs this test binary again with env added and returns its
// combined output.
func runChild(t *testing.T, env []string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child %v %v: %v\n%s", env, args, err, out)
	}
	if testing.Verbose() && len(out) > 0 {
		t.Logf("child %v:\n%s", args, out)
	}
}

// Wine and Windows differ on revocation failures (see
// docs windows-testing.md); everything else is asserted the same way.
const (
	certTrustIsRevoked           uint32 = 0x00000004
	certTrustRevocationUnknown   uint32 = 0x00000040
	certTrustIsUntrustedRoot     uint32 = 0x00000020
	certTrustIsOfflineRevocation uint32 = 0x01000000
	cryptERevocationOffline      uint32 = 0x80092013
	cryptERevoked                uint32 = 0x80092010
	certERevocationFailure       uint32 = 0x800B010E
	certERevoked                 uint32 = 0x800B010C
	certEUntrustedRoot           uint32 = 0x800B0109
)

func TestWindowsChainsAgainstALocalCA(t *testing.T) {
	wine := isWine()
	if !wine && os.Getenv("WULOG_TEST_ROOT_STORE") != "1" {
		t.Skip("adds a test CA to LOCAL_MACHINE Root for a moment: set WULOG_TEST_ROOT_STORE=1 on a disposable, elevated Windows machine")
	}
	if wine {
		// Wine keeps one revocation cache for the prefix, keyed by the
		// certificate's serial number only: start clean, and use serials
		// unique to this run.
		if p := os.Getenv("USERPROFILE"); p != "" {
			if err := removeTree(filepath.Join(p, "AppData", "LocalLow", "Microsoft", "CryptnetUrlCache")); err != nil {
				t.Fatalf("clearing the revocation cache: %v", err)
			}
		}
	}
	base := time.Now().UnixNano() & (1<<62 - 1)
	ca := newTestCA(t, fmt.Sprintf("wulog test root %d", time.Now().UnixNano()))
	other := newTestCA(t, "wulog untrusted root")

	// One CRL per CA (it revokes serial base+1), on 127.0.0.1 under a path
	// unique to this run. Two CRLs of one CA would race: the chain engine
	// may use any valid CRL of the issuer that it has cached.
	nonce := fmt.Sprintf("/%d", time.Now().UnixNano())
	crls := map[string][]byte{
		nonce + "/ca.crl":    ca.crl(t, base+1),
		nonce + "/other.crl": other.crl(t),
	}
	crlSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := crls[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-crl")
		w.Write(b)
	}))
	defer crlSrv.Close()
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + dead.Addr().String() + nonce + "/offline.crl"
	dead.Close() // nothing listens there any more

	eps := map[string]string{
		"good":      tlsServer(t, ca.leaf(t, base+0, crlSrv.URL+nonce+"/ca.crl")),
		"revoked":   tlsServer(t, ca.leaf(t, base+1, crlSrv.URL+nonce+"/ca.crl")),
		"offline":   tlsServer(t, ca.leaf(t, base+2, deadURL)),
		"untrusted": tlsServer(t, other.leaf(t, base+3, crlSrv.URL+nonce+"/other.crl")),
	}

	// Not t.TempDir: see removeTree.
	dir, err := os.MkdirTemp("", "wulog-chain")
	if err != nil {
		t.Fatal(err)
	}
	defer removeTree(dir)
	caFile := filepath.Join(dir, "ca.der")
	if err := os.WriteFile(caFile, ca.cert.Raw, 0o600); err != nil {
		t.Fatal(err)
	}
	runChild(t, []string{"WULOG_TEST_ADD_ROOT=" + caFile})
	defer runChild(t, []string{"WULOG_TEST_DEL_ROOT=" + caFile})

	out := filepath.Join(dir, "chains.json")
	list := []string{eps["good"], eps["revoked"], eps["offline"], eps["untrusted"]}
	runChild(t, []string{"WULOG_TEST_CHAIN_OUT=" + out, "WULOG_TEST_CHAIN_ENDPOINTS=" + strings.Join(list, ",")},
		"-test.run=^TestWindowsChainChild$", "-test.v")
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var facts diagnose.Facts
	if err := json.Unmarshal(b, &facts); err != nil {
		t.Fatal(err)
	}
	chains := map[string]diagnose.Chain{}
	for _, c := range facts.Chains {
		if !c.Known {
			t.Fatalf("chain %s not built: %s", c.Value.Endpoint, c.Err)
		}
		chains[c.Value.Endpoint] = c.Value
		t.Logf("%s: error 0x%08X info 0x%08X policy 0x%08X connect %q", c.Value.Endpoint, c.Value.ErrorStatus, c.Value.InfoStatus, c.Value.PolicyError, c.Value.ConnectError)
		for _, e := range c.Value.Elements {
			t.Logf("   %s <- %s: error 0x%08X info 0x%08X", e.Subject, e.Issuer, e.ErrorStatus, e.InfoStatus)
		}
	}
	if len(chains) != 4 {
		t.Fatalf("%d chains, want 4", len(chains))
	}

	good := chains[eps["good"]]
	if good.ErrorStatus != 0 || good.PolicyError != 0 {
		t.Errorf("good chain: error 0x%08X policy 0x%08X, want 0 and 0", good.ErrorStatus, good.PolicyError)
	}
	if len(good.Elements) != 2 || good.Elements[0].Subject != "CN=localhost" || good.Elements[1].Subject != x500Name(ca.cert.RawSubject, ca.cert.Subject) {
		t.Errorf("good chain elements %+v", good.Elements)
	}
	if facts.Clock.Known && facts.Clock.Value.Skew().Abs() > 3*time.Second {
		t.Errorf("clock against the local server: skew %v", facts.Clock.Value.Skew())
	}

	off := chains[eps["offline"]]
	rev := chains[eps["revoked"]]
	if wine {
		if off.ErrorStatus != certTrustIsOfflineRevocation || off.PolicyError != certERevocationFailure {
			t.Errorf("offline CRL under Wine: error 0x%08X policy 0x%08X, want 0x%08X and 0x%08X", off.ErrorStatus, off.PolicyError, certTrustIsOfflineRevocation, certERevocationFailure)
		}
		if rev.PolicyError != certERevoked || rev.Elements[0].ErrorStatus&certTrustIsRevoked == 0 {
			t.Errorf("revoked leaf under Wine: policy 0x%08X leaf error 0x%08X, want 0x%08X and CERT_TRUST_IS_REVOKED", rev.PolicyError, rev.Elements[0].ErrorStatus, certERevoked)
		}
	} else {
		if off.ErrorStatus != certTrustIsOfflineRevocation|certTrustRevocationUnknown || off.PolicyError != cryptERevocationOffline {
			t.Errorf("offline CRL: error 0x%08X policy 0x%08X, want 0x01000040 and 0x80092013", off.ErrorStatus, off.PolicyError)
		}
		if rev.PolicyError != cryptERevoked || rev.Elements[0].ErrorStatus&certTrustIsRevoked == 0 {
			t.Errorf("revoked leaf: policy 0x%08X leaf error 0x%08X, want 0x80092010 and CERT_TRUST_IS_REVOKED", rev.PolicyError, rev.Elements[0].ErrorStatus)
		}
	}
	un := chains[eps["untrusted"]]
	if un.ErrorStatus&certTrustIsUntrustedRoot == 0 || un.PolicyError != certEUntrustedRoot {
		t.Errorf("untrusted root: error 0x%08X policy 0x%08X, want bit 0x20 and 0x800B0109", un.ErrorStatus, un.PolicyError)
	}
}

// TestWindowsChainChild is the probing child of TestWindowsChainsAgainstALocalCA.
func TestWindowsChainChild(t *testing.T) {
	out := os.Getenv("WULOG_TEST_CHAIN_OUT")
	if out == "" {
		t.Skip("runs as a child of TestWindowsChainsAgainstALocalCA")
	}
	eps := strings.Split(os.Getenv("WULOG_TEST_CHAIN_ENDPOINTS"), ",")
	s := New(Options{Endpoints: eps, Registry: []string{}, Keys: []string{}, Services: []string{}, Timeout: 30 * time.Second})
	f, err := s.Facts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
