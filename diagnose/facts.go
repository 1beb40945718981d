package diagnose

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
)

// Fact is one value read about a machine, with where and when it was read.
//
// Known is false when the value was not collected or could not be read; Err
// then says why ("access denied", "needs elevation", "timeout"). A registry
// value that was looked for and is absent is Known, with
// RegValue.Exists false: absence is itself a fact.
type Fact[T any] struct {
	Value  T         `json:"value"`
	Known  bool      `json:"known"`
	Source string    `json:"source,omitempty"`
	ReadAt time.Time `json:"read_at,omitzero"`
	Err    string    `json:"error,omitempty"`
}

// Registry value types, as in winnt.h.
const (
	RegNone     uint32 = 0
	RegSZ       uint32 = 1
	RegExpandSZ uint32 = 2
	RegBinary   uint32 = 3
	RegDWORD    uint32 = 4
	RegMultiSZ  uint32 = 7
	RegQWORD    uint32 = 11
)

// regTypeNames are the winnt.h names of the registry value types.
var regTypeNames = [...]string{
	RegNone: "REG_NONE", RegSZ: "REG_SZ", RegExpandSZ: "REG_EXPAND_SZ", RegBinary: "REG_BINARY", RegDWORD: "REG_DWORD",
	5: "REG_DWORD_BIG_ENDIAN", 6: "REG_LINK", RegMultiSZ: "REG_MULTI_SZ", 8: "REG_RESOURCE_LIST",
	9: "REG_FULL_RESOURCE_DESCRIPTOR", 10: "REG_RESOURCE_REQUIREMENTS_LIST", RegQWORD: "REG_QWORD",
}

// RegTypeName returns the winnt.h name of a registry value type
// ("REG_BINARY" for 3), or "" when the type has none.
func RegTypeName(t uint32) string {
	if uint64(t) < uint64(len(regTypeNames)) {
		return regTypeNames[t]
	}
	return ""
}

// RegValue is a registry value exactly as stored: its type and raw bytes.
type RegValue struct {
	Exists bool   `json:"exists"`
	Type   uint32 `json:"type"`
	Data   []byte `json:"data"`
}

// DWORD returns the value as a REG_DWORD.
func (v RegValue) DWORD() (uint32, bool) {
	if !v.Exists || v.Type != RegDWORD || len(v.Data) != 4 {
		return 0, false
	}
	return binary.LittleEndian.Uint32(v.Data), true
}

// String returns a REG_SZ or REG_EXPAND_SZ value (UTF-16LE, NUL trimmed).
func (v RegValue) String() (string, bool) {
	if !v.Exists || (v.Type != RegSZ && v.Type != RegExpandSZ) || len(v.Data)%2 != 0 {
		return "", false
	}
	u := make([]uint16, len(v.Data)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(v.Data[2*i:])
	}
	for len(u) > 0 && u[len(u)-1] == 0 {
		u = u[:len(u)-1]
	}
	return string(utf16.Decode(u)), true
}

// ErrMalformedFileTime reports a sync-time value that crypt32 would ignore:
// not REG_BINARY, or not exactly 8 bytes.
var ErrMalformedFileTime = errors.New("not an 8-byte REG_BINARY FILETIME")

// FileTime returns a REG_BINARY FILETIME value (exactly 8 bytes, as crypt32
// requires for LastSyncTime and DisallowedCertLastSyncTime).
func (v RegValue) FileTime() (time.Time, error) {
	if !v.Exists {
		return time.Time{}, errors.New("value does not exist")
	}
	if v.Type != RegBinary || len(v.Data) != 8 {
		return time.Time{}, fmt.Errorf("%w (type %d, %d bytes)", ErrMalformedFileTime, v.Type, len(v.Data))
	}
	return FileTimeToTime(binary.LittleEndian.Uint64(v.Data)), nil
}

// fileTimeEpochDelta is the number of 100 ns intervals between 1601-01-01
// and 1970-01-01.
const fileTimeEpochDelta = 116444736000000000

// FileTimeToTime converts a Windows FILETIME (100 ns intervals since
// 1601-01-01 UTC) to a UTC time.Time, exactly.
func FileTimeToTime(ft uint64) time.Time {
	d := int64(ft) - fileTimeEpochDelta
	if ft > 1<<63-1 {
		d = int64(ft - fileTimeEpochDelta)
	}
	return time.Unix(d/1e7, (d%1e7)*100).UTC()
}

// TimeToFileTime converts t to a Windows FILETIME.
func TimeToFileTime(t time.Time) uint64 {
	return uint64(t.Unix()*1e7+int64(t.Nanosecond()/100)) + fileTimeEpochDelta
}

// Chain is the certificate chain that Windows built for one TLS endpoint.
type Chain struct {
	// Endpoint is host:port, e.g. "slscr.update.microsoft.com:443".
	Endpoint string `json:"endpoint"`
	// Elements are the chain's certificates, leaf first.
	Elements []ChainElement `json:"elements"`
	// ErrorStatus and InfoStatus are CERT_TRUST_STATUS of the whole chain.
	ErrorStatus uint32 `json:"error_status"`
	InfoStatus  uint32 `json:"info_status"`
	// PolicyError is CERT_CHAIN_POLICY_STATUS.dwError from
	// CertVerifyCertificateChainPolicy(CERT_CHAIN_POLICY_SSL); 0 is success.
	PolicyError uint32 `json:"policy_error"`
	// ConnectError says why no chain could be fetched (DNS, TCP, TLS), if so.
	ConnectError string `json:"connect_error,omitempty"`
}

// ChainElement is one certificate of a chain with its own trust status.
type ChainElement struct {
	Subject     string    `json:"subject"`
	Issuer      string    `json:"issuer"`
	NotBefore   time.Time `json:"not_before,omitzero"`
	NotAfter    time.Time `json:"not_after,omitzero"`
	Thumbprint  string    `json:"sha1,omitempty"`
	ErrorStatus uint32    `json:"error_status"`
	InfoStatus  uint32    `json:"info_status"`
}

// Clock compares the machine's clock with a trusted reference.
type Clock struct {
	// Local is the machine's clock (UTC) at the moment of the comparison.
	Local time.Time `json:"local"`
	// Reference is the trusted time, e.g. an HTTP Date header.
	Reference time.Time `json:"reference"`
	// ReferenceSource names where Reference came from.
	ReferenceSource string `json:"reference_source"`
}

// Skew is how far the machine's clock is ahead of the reference (negative:
// behind).
func (c Clock) Skew() time.Duration { return c.Local.Sub(c.Reference) }

// Service is the state of a Windows service.
type Service struct {
	Name string `json:"name"`
	// State is "running", "stopped", "start-pending", "stop-pending",
	// "paused" or "unknown".
	State string `json:"state,omitempty"`
	// StartType is "boot", "system", "auto", "delayed-auto", "manual" or
	// "disabled".
	StartType string `json:"start_type,omitempty"`
}

// StartType returns the [Service] StartType of a service's Start value
// (REG_DWORD 0-4 under HKLM\SYSTEM\CurrentControlSet\Services\NAME): "boot",
// "system", "auto" (or "delayed-auto" when delayed, as its
// DelayedAutostart value says), "manual" or "disabled"; "" for other
// values.
func StartType(start uint32, delayed bool) string {
	switch start {
	case 0:
		return "boot"
	case 1:
		return "system"
	case 2:
		if delayed {
			return "delayed-auto"
		}
		return "auto"
	case 3:
		return "manual"
	case 4:
		return "disabled"
	}
	return ""
}

// Facts is everything known about one machine. Rules read it; sources
// (snapshot file, offline hives, live probes) fill it.
type Facts struct {
	// Host is the machine's name, when known.
	Host string `json:"host,omitempty"`
	// CollectedAt is when the facts were gathered.
	CollectedAt time.Time `json:"collected_at,omitzero"`
	// Live is true when the facts were read from the running machine just
	// now: ages are then measured against now rather than against the log.
	Live bool `json:"live"`
	// Registry holds registry values by full path, e.g.
	// `HKLM\SOFTWARE\Microsoft\SystemCertificates\AuthRoot\AutoUpdate\DisallowedCertLastSyncTime`.
	// Keys are the canonical spellings in [RegistryValues].
	Registry map[string]Fact[RegValue] `json:"registry,omitempty"`
	// KeySecurity holds self-relative SECURITY_DESCRIPTORs of registry keys
	// by key path (the keys in [SecuredKeys]).
	KeySecurity map[string]Fact[[]byte] `json:"key_security,omitempty"`
	// Chains are the certificate chains built for the Windows Update
	// endpoints.
	Chains []Fact[Chain] `json:"chains,omitempty"`
	// Clock compares the machine clock with a trusted time.
	Clock Fact[Clock] `json:"clock"`
	// BootTime is when the machine last started.
	BootTime Fact[time.Time] `json:"boot_time"`
	// Services holds service states by service name ("CryptSvc", "wuauserv",
	// "BITS", "UsoSvc").
	Services map[string]Fact[Service] `json:"services,omitempty"`
	// HostsFile is the content of %SystemRoot%\System32\drivers\etc\hosts.
	HostsFile Fact[string] `json:"hosts_file"`
	// Notes record what a source could not collect and what would help
	// (for example "run elevated to read the key's security descriptor").
	Notes []string `json:"notes,omitempty"`
}

// Reg returns the registry fact at path, matching case-insensitively.
func (f *Facts) Reg(path string) (Fact[RegValue], bool) {
	if f == nil {
		return Fact[RegValue]{}, false
	}
	if v, ok := f.Registry[path]; ok {
		return v, true
	}
	for k, v := range f.Registry {
		if strings.EqualFold(k, path) {
			return v, true
		}
	}
	return Fact[RegValue]{}, false
}

// FactSource gathers facts about a machine. Implementations: a snapshot
// file, offline registry hives, live probes on Windows. A source records
// the failure of a single fact in the Facts it returns (Known false, Err)
// and returns an error only when it cannot work at all.
type FactSource interface {
	// Name describes the source for reports, e.g. "snapshot pc1.json".
	Name() string
	// Facts gathers the facts.
	Facts(ctx context.Context) (*Facts, error)
}

// Registry paths the rules read. Sources collect every value in
// [RegistryValues] and the descriptor of every key in [SecuredKeys].
const (
	KeyAutoUpdate     = `HKLM\SOFTWARE\Microsoft\SystemCertificates\AuthRoot\AutoUpdate`
	KeyAutoUpdateUser = `HKCU\SOFTWARE\Microsoft\SystemCertificates\AuthRoot\AutoUpdate`
	KeyAuthRoot       = `HKLM\SOFTWARE\Microsoft\SystemCertificates\AuthRoot`
	KeyAuthRootPolicy = `HKLM\SOFTWARE\Policies\Microsoft\SystemCertificates\AuthRoot`
	KeySchannelTLS12  = `HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client`
	KeySchannelTLS13  = `HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.3\Client`
	KeyWinHTTP        = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp`
	KeyWinHTTPWow64   = `HKLM\SOFTWARE\Wow6432Node\Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp`
	KeyConnections    = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections`
	KeyWUPolicy       = `HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate`
	KeyWUPolicyAU     = `HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU`
	KeyCurrentVersion = `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`
	KeyServices       = `HKLM\SYSTEM\CurrentControlSet\Services`
	KeyW32TimeParams  = `HKLM\SYSTEM\CurrentControlSet\Services\W32Time\Parameters`
)

// Full paths of the registry values the rules read.
var (
	RegDisallowedSync     = KeyAutoUpdate + `\DisallowedCertLastSyncTime`
	RegLastSync           = KeyAutoUpdate + `\LastSyncTime`
	RegPinRulesSync       = KeyAutoUpdate + `\PinRulesLastSyncTime`
	RegRootDirURL         = KeyAutoUpdate + `\RootDirURL`
	RegSyncFromDirURL     = KeyAutoUpdate + `\SyncFromDirUrl`
	RegEnableDisallowed   = KeyAutoUpdate + `\EnableDisallowedCertAutoUpdate`
	RegUserDisallowedSync = KeyAutoUpdateUser + `\DisallowedCertLastSyncTime`
	RegUserLastSync       = KeyAutoUpdateUser + `\LastSyncTime`

	RegPolicyDisableRootAutoUpdate = KeyAuthRootPolicy + `\DisableRootAutoUpdate`
	RegPolicyEnableDisallowed      = KeyAuthRootPolicy + `\EnableDisallowedCertAutoUpdate`

	RegTLS12Enabled           = KeySchannelTLS12 + `\Enabled`
	RegTLS12DisabledByDefault = KeySchannelTLS12 + `\DisabledByDefault`
	RegTLS13Enabled           = KeySchannelTLS13 + `\Enabled`
	RegTLS13DisabledByDefault = KeySchannelTLS13 + `\DisabledByDefault`
	RegWinHTTPProtocols       = KeyWinHTTP + `\DefaultSecureProtocols`
	RegWinHTTPProtocolsWow64  = KeyWinHTTPWow64 + `\DefaultSecureProtocols`
	RegWinHTTPSettings        = KeyConnections + `\WinHttpSettings`

	RegWUServer       = KeyWUPolicy + `\WUServer`
	RegWUStatusServer = KeyWUPolicy + `\WUStatusServer`
	RegUseWUServer    = KeyWUPolicyAU + `\UseWUServer`
	RegProxyBehavior  = KeyWUPolicy + `\SetProxyBehaviorForUpdateDetection`
	RegNoInternetWU   = KeyWUPolicy + `\DoNotConnectToWindowsUpdateInternetLocations`

	RegProductName    = KeyCurrentVersion + `\ProductName`
	RegDisplayVersion = KeyCurrentVersion + `\DisplayVersion`
	RegCurrentBuild   = KeyCurrentVersion + `\CurrentBuild`
	RegUBR            = KeyCurrentVersion + `\UBR`

	RegCryptSvcStart = KeyServices + `\CryptSvc\Start`
	RegWuauservStart = KeyServices + `\wuauserv\Start`
	RegBITSStart     = KeyServices + `\BITS\Start`
	RegUsoSvcStart   = KeyServices + `\UsoSvc\Start`
	RegW32TimeType   = KeyW32TimeParams + `\Type`
	RegW32TimeServer = KeyW32TimeParams + `\NtpServer`
)

// RegistryValues lists every registry value a fact source collects.
var RegistryValues = []string{
	RegDisallowedSync, RegLastSync, RegPinRulesSync, RegRootDirURL, RegSyncFromDirURL, RegEnableDisallowed,
	RegUserDisallowedSync, RegUserLastSync,
	RegPolicyDisableRootAutoUpdate, RegPolicyEnableDisallowed,
	RegTLS12Enabled, RegTLS12DisabledByDefault, RegTLS13Enabled, RegTLS13DisabledByDefault,
	RegWinHTTPProtocols, RegWinHTTPProtocolsWow64, RegWinHTTPSettings,
	RegWUServer, RegWUStatusServer, RegUseWUServer, RegProxyBehavior, RegNoInternetWU,
	RegProductName, RegDisplayVersion, RegCurrentBuild, RegUBR,
	RegCryptSvcStart, RegWuauservStart, RegBITSStart, RegUsoSvcStart, RegW32TimeType, RegW32TimeServer,
}

// SecuredKeys lists the registry keys whose security descriptor a fact
// source collects.
var SecuredKeys = []string{KeyAutoUpdate, KeyAuthRoot}

// Services lists the services whose state a fact source collects.
var Services = []string{"CryptSvc", "wuauserv", "BITS", "UsoSvc"}

// Endpoints lists the TLS endpoints whose certificate chain live probes
// build by default.
var Endpoints = []string{"slscr.update.microsoft.com:443", "fe2cr.update.microsoft.com:443"}
