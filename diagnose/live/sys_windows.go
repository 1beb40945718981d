//go:build windows

package live

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/wulog/wulog/diagnose"
)

// Constants that golang.org/x/sys/windows does not define.
const (
	certChainRevocationCheckChain = 0x20000000 // CERT_CHAIN_REVOCATION_CHECK_CHAIN
	hcceLocalMachine              = windows.Handle(1)
	maxValueSize                  = 1 << 20 // largest registry value read
	maxHostsSize                  = 4 << 20 // largest hosts file read
	oidServerAuth                 = "1.3.6.1.5.5.7.3.1"
)

var (
	modadvapi32           = windows.NewLazySystemDLL("advapi32.dll")
	modkernel32           = windows.NewLazySystemDLL("kernel32.dll")
	procRegGetKeySecurity = modadvapi32.NewProc("RegGetKeySecurity")
	procGetTickCount64    = modkernel32.NewProc("GetTickCount64")
)

// winSystem makes the system calls; it keeps no state.
type winSystem struct{}

func newSystem() (system, error) { return winSystem{}, nil }

func (winSystem) Hostname() (string, error) { return os.Hostname() }

func (winSystem) Elevated() (bool, error) {
	return windows.GetCurrentProcessToken().IsElevated(), nil
}

// rootKey maps a short root name (see splitKeyPath) to its handle.
func rootKey(root string) (registry.Key, error) {
	switch root {
	case "HKLM":
		return registry.LOCAL_MACHINE, nil
	case "HKCU":
		return registry.CURRENT_USER, nil
	case "HKU":
		return registry.USERS, nil
	case "HKCR":
		return registry.CLASSES_ROOT, nil
	}
	return 0, fmt.Errorf("unknown registry root %q", root)
}

// isNotFound reports whether a registry call failed because the key or
// value does not exist.
func isNotFound(err error) bool {
	return errors.Is(err, windows.ERROR_FILE_NOT_FOUND) || errors.Is(err, windows.ERROR_PATH_NOT_FOUND)
}

// ReadValue reads a value's type and raw bytes. Keys are opened with
// KEY_WOW64_64KEY so that a path means the same key in 32- and 64-bit
// builds (Wow6432Node is read only where the path names it).
func (winSystem) ReadValue(root, key, value string) (diagnose.RegValue, error) {
	rk, err := rootKey(root)
	if err != nil {
		return diagnose.RegValue{}, err
	}
	k, err := registry.OpenKey(rk, key, registry.QUERY_VALUE|registry.WOW64_64KEY)
	if err != nil {
		if isNotFound(err) {
			return diagnose.RegValue{}, nil
		}
		return diagnose.RegValue{}, fmt.Errorf(`open %s\%s: %w`, root, key, err)
	}
	defer k.Close()
	buf := make([]byte, 512)
	for range 8 { // the value may grow between two calls
		n, typ, err := k.GetValue(value, buf)
		switch {
		case err == nil:
			return diagnose.RegValue{Exists: true, Type: typ, Data: append([]byte{}, buf[:n]...)}, nil
		case isNotFound(err):
			return diagnose.RegValue{}, nil
		case errors.Is(err, windows.ERROR_MORE_DATA):
			if n > maxValueSize {
				return diagnose.RegValue{}, fmt.Errorf("value is %d bytes, more than the %d read", n, maxValueSize)
			}
			buf = make([]byte, n)
		default:
			return diagnose.RegValue{}, fmt.Errorf("read value %q: %w", value, err)
		}
	}
	return diagnose.RegValue{}, errors.New("value kept changing size while being read")
}

// KeySecurity reads a key's owner, group and DACL as a self-relative
// descriptor with RegGetKeySecurity. It needs READ_CONTROL on the key,
// which standard users usually have.
func (winSystem) KeySecurity(root, key string) ([]byte, error) {
	rk, err := rootKey(root)
	if err != nil {
		return nil, err
	}
	k, err := registry.OpenKey(rk, key, windows.READ_CONTROL|registry.WOW64_64KEY)
	if err != nil {
		return nil, fmt.Errorf(`open %s\%s: %w`, root, key, err)
	}
	defer k.Close()
	si := uintptr(windows.OWNER_SECURITY_INFORMATION | windows.GROUP_SECURITY_INFORMATION | windows.DACL_SECURITY_INFORMATION)
	n := uint32(256)
	for range 8 {
		buf := make([]byte, n)
		r, _, _ := procRegGetKeySecurity.Call(uintptr(k), si, uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&n)))
		switch e := windows.Errno(r); e {
		case 0:
			return buf[:min(int(n), len(buf))], nil
		case windows.ERROR_INSUFFICIENT_BUFFER:
			if n > maxValueSize {
				return nil, fmt.Errorf("RegGetKeySecurity: descriptor of %d bytes", n)
			}
		default:
			return nil, fmt.Errorf("RegGetKeySecurity: %w", e)
		}
	}
	return nil, errors.New("RegGetKeySecurity: descriptor kept changing size")
}

// errNotInstalled marks a service that does not exist.
var errNotInstalled = notInstalled{}

type notInstalled struct{}

func (notInstalled) Error() string        { return "service is not installed" }
func (notInstalled) Is(target error) bool { return target == fs.ErrNotExist }

// Service queries a service with SERVICE_QUERY_STATUS|SERVICE_QUERY_CONFIG
// only, which standard users have (mgr.Connect and OpenService ask for
// all access, which needs elevation).
func (winSystem) Service(name string) (rawService, error) {
	var out rawService
	h, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT)
	if err != nil {
		return out, fmt.Errorf("OpenSCManager: %w", err)
	}
	m := &mgr.Mgr{Handle: h}
	defer m.Disconnect()
	n16, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return out, err
	}
	sh, err := windows.OpenService(h, n16, windows.SERVICE_QUERY_STATUS|windows.SERVICE_QUERY_CONFIG)
	if err != nil {
		if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
			return out, errNotInstalled
		}
		return out, fmt.Errorf("OpenService: %w", err)
	}
	s := &mgr.Service{Name: name, Handle: sh}
	defer s.Close()
	st, err := s.Query()
	if err != nil {
		return out, fmt.Errorf("QueryServiceStatus: %w", err)
	}
	out.State = uint32(st.State)
	if cfg, err := s.Config(); err == nil {
		out.StartType, out.Delayed = cfg.StartType, cfg.DelayedAutoStart
		return out, nil
	}
	// mgr's Config also asks for the description and the SID type, which
	// some systems refuse; the start type alone is enough.
	out.StartType, out.ConfigErr = startTypeOnly(sh)
	return out, nil
}

// startTypeOnly reads dwStartType with QueryServiceConfig.
func startTypeOnly(h windows.Handle) (uint32, error) {
	n := uint32(1024)
	for range 4 {
		b := make([]byte, n)
		p := (*windows.QUERY_SERVICE_CONFIG)(unsafe.Pointer(&b[0]))
		err := windows.QueryServiceConfig(h, p, n, &n)
		if err == nil {
			return p.StartType, nil
		}
		if !errors.Is(err, windows.ERROR_INSUFFICIENT_BUFFER) {
			return 0, fmt.Errorf("QueryServiceConfig: %w", err)
		}
	}
	return 0, errors.New("QueryServiceConfig: buffer kept growing")
}

// Uptime calls GetTickCount64 (milliseconds since boot, sleep included).
func (winSystem) Uptime() (time.Duration, error) {
	if err := procGetTickCount64.Find(); err != nil {
		return 0, err
	}
	r1, r2, _ := procGetTickCount64.Call()
	ms := uint64(r1)
	if runtime.GOARCH == "386" || runtime.GOARCH == "arm" { // 64-bit result in EDX:EAX
		ms |= uint64(r2) << 32
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// HostsFile reads the hosts file from the folder that
// Tcpip\Parameters\DataBasePath names (which malware and "privacy" tools
// sometimes change), or from System32\drivers\etc.
func (s winSystem) HostsFile() ([]byte, string, error) {
	dir := ""
	if k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`, registry.QUERY_VALUE|registry.WOW64_64KEY); err == nil {
		if v, _, err := k.GetStringValue("DataBasePath"); err == nil && v != "" {
			if x, err := registry.ExpandString(v); err == nil {
				dir = x
			}
		}
		k.Close()
	}
	if dir == "" {
		sys, err := windows.GetSystemDirectory()
		if err != nil {
			return nil, "", err
		}
		dir = filepath.Join(sys, "drivers", "etc")
	}
	path := filepath.Join(dir, "hosts")
	f, err := os.Open(path)
	if err != nil {
		return nil, path, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxHostsSize+1))
	if err != nil {
		return nil, path, err
	}
	if len(b) > maxHostsSize {
		return nil, path, fmt.Errorf("%s is larger than %d bytes", path, maxHostsSize)
	}
	return b, path, nil
}

// VerifyChain builds the chain with the local machine's chain engine (the
// one Windows Update, running as SYSTEM, uses), with the server's other
// certificates as the additional store and revocation checked for every
// certificate, then applies the SSL server policy.
func (winSystem) VerifyChain(serverName string, certs [][]byte, urlTimeout time.Duration) (rawChain, error) {
	var out rawChain
	if len(certs) == 0 || len(certs[0]) == 0 {
		return out, errors.New("the server sent no certificate")
	}
	store, err := windows.CertOpenStore(windows.CERT_STORE_PROV_MEMORY, 0, 0, windows.CERT_STORE_CREATE_NEW_FLAG, 0)
	if err != nil {
		return out, fmt.Errorf("CertOpenStore: %w", err)
	}
	defer windows.CertCloseStore(store, 0)
	var leaf *windows.CertContext
	for i, der := range certs {
		if len(der) == 0 {
			continue
		}
		c, err := windows.CertCreateCertificateContext(windows.X509_ASN_ENCODING|windows.PKCS_7_ASN_ENCODING, &der[0], uint32(len(der)))
		if err != nil {
			if i == 0 {
				return out, fmt.Errorf("CertCreateCertificateContext (leaf): %w", err)
			}
			continue // a broken extra certificate: the engine looks elsewhere
		}
		var added *windows.CertContext
		err = windows.CertAddCertificateContextToStore(store, c, windows.CERT_STORE_ADD_ALWAYS, &added)
		windows.CertFreeCertificateContext(c)
		if err != nil {
			return out, fmt.Errorf("CertAddCertificateContextToStore: %w", err)
		}
		if i == 0 {
			leaf = added
		} else {
			windows.CertFreeCertificateContext(added)
		}
	}
	defer windows.CertFreeCertificateContext(leaf)

	oid := append([]byte(oidServerAuth), 0)
	oids := []*byte{&oid[0]}
	para := windows.CertChainPara{
		RequestedUsage: windows.CertUsageMatch{
			Type:  windows.USAGE_MATCH_TYPE_AND,
			Usage: windows.CertEnhKeyUsage{Length: 1, UsageIdentifiers: &oids[0]},
		},
		URLRetrievalTimeout: uint32(urlTimeout / time.Millisecond),
	}
	para.Size = uint32(unsafe.Sizeof(para))
	var chain *windows.CertChainContext
	err = windows.CertGetCertificateChain(hcceLocalMachine, leaf, nil, store, &para, certChainRevocationCheckChain, 0, &chain)
	runtime.KeepAlive(oid)
	runtime.KeepAlive(oids)
	if err != nil {
		return out, fmt.Errorf("CertGetCertificateChain: %w", err)
	}
	defer windows.CertFreeCertificateChain(chain)
	out.ErrorStatus, out.InfoStatus = chain.TrustStatus.ErrorStatus, chain.TrustStatus.InfoStatus
	if chain.ChainCount > 0 {
		simple := unsafe.Slice(chain.Chains, chain.ChainCount)[0]
		for _, el := range unsafe.Slice(simple.Elements, simple.NumElements) {
			var der []byte
			if cc := el.CertContext; cc != nil && cc.Length > 0 {
				der = append([]byte{}, unsafe.Slice(cc.EncodedCert, cc.Length)...)
			}
			out.Elements = append(out.Elements, rawElement{DER: der, ErrorStatus: el.TrustStatus.ErrorStatus, InfoStatus: el.TrustStatus.InfoStatus})
		}
	}

	name16, err := windows.UTF16PtrFromString(serverName)
	if err != nil {
		return out, err
	}
	ssl := windows.SSLExtraCertChainPolicyPara{AuthType: windows.AUTHTYPE_SERVER, ServerName: name16}
	ssl.Size = uint32(unsafe.Sizeof(ssl))
	pp := windows.CertChainPolicyPara{ExtraPolicyPara: windows.Pointer(unsafe.Pointer(&ssl))}
	pp.Size = uint32(unsafe.Sizeof(pp))
	status := windows.CertChainPolicyStatus{}
	status.Size = uint32(unsafe.Sizeof(status))
	if err := windows.CertVerifyCertificateChainPolicy(windows.CERT_CHAIN_POLICY_SSL, chain, &pp, &status); err != nil {
		return out, fmt.Errorf("CertVerifyCertificateChainPolicy: %w", err)
	}
	runtime.KeepAlive(name16)
	out.PolicyError = status.Error
	return out, nil
}
