// Package testhives builds the registry hives of the test scenarios in
// testdata/hives/<scenario>/ (SOFTWARE, SYSTEM, NTUSER.DAT) with the
// test-only regf writer. `go test ./internal/regf/testhives -update`
// regenerates them; the same test checks the committed files with Debian's
// hivexget and with regparser.
package testhives

import (
	"encoding/binary"
	"fmt"
	"time"
	"unicode/utf16"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/secdesc"
	"github.com/wulog/wulog/diagnose/winproxy"
	"github.com/wulog/wulog/internal/regf"
)

// Scenarios lists the generated scenarios.
var Scenarios = []string{"healthy", "seed-authroot-acl", "policy-disabled"}

// Files lists the hive files of every scenario.
var Files = []string{"SOFTWARE", "SYSTEM", "NTUSER.DAT"}

// Descriptors: the defaults of HKLM\SOFTWARE and of the AuthRoot keys on a
// healthy Windows machine, and the seed case's protected AutoUpdate DACL
// without NT SERVICE\CryptSvc (see diagnose/secdesc tests for sources).
const (
	SoftwareSDDL          = "O:BAG:SYD:PAI(A;CIIO;KA;;;CO)(A;CI;KA;;;SY)(A;CI;KA;;;BA)(A;CI;KR;;;BU)(A;CI;KR;;;AC)"
	AuthRootSDDL          = "O:SYG:SYD:AI(A;;KA;;;S-1-5-80-242729624-280608522-2219052887-3187409060-2225943459)(A;OICIIO;GA;;;S-1-5-80-242729624-280608522-2219052887-3187409060-2225943459)(A;ID;KR;;;BU)(A;CIIOID;GR;;;BU)(A;ID;KA;;;BA)(A;CIIOID;GA;;;BA)(A;ID;KA;;;SY)(A;CIIOID;GA;;;SY)(A;CIIOID;GA;;;CO)(A;ID;KR;;;AC)(A;CIIOID;GR;;;AC)"
	HealthyAutoUpdateSDDL = "O:SYG:SYD:AI(A;ID;KA;;;S-1-5-80-242729624-280608522-2219052887-3187409060-2225943459)(A;OICIIOID;GA;;;S-1-5-80-242729624-280608522-2219052887-3187409060-2225943459)(A;ID;KR;;;BU)(A;CIIOID;GR;;;BU)(A;ID;KA;;;BA)(A;CIIOID;GA;;;BA)(A;ID;KA;;;SY)(A;CIIOID;GA;;;SY)(A;CIIOID;GA;;;CO)(A;ID;KR;;;AC)(A;CIIOID;GR;;;AC)"
	BrokenAutoUpdateSDDL  = "O:SYG:SYD:PAI(A;CIIO;KA;;;CO)(A;CI;KA;;;SY)(A;CI;KA;;;BA)(A;CI;KR;;;BU)(A;CI;KR;;;AC)"
	SystemSDDL            = "O:BAG:SYD:PAI(A;CIIO;KA;;;CO)(A;CI;KA;;;SY)(A;CI;KA;;;BA)(A;CI;KR;;;BU)(A;CI;KR;;;AC)"
	UserSDDL              = "O:BAG:SYD:PAI(A;CI;KA;;;S-1-5-21-1004336348-1177238915-682003330-1001)(A;CI;KA;;;SY)(A;CI;KA;;;BA)(A;CI;KR;;;RC)"
)

// Times of the scenarios: the hives were copied at Collected; the healthy
// machine synced its disallowed CTL 5 hours earlier, the seed case 7.6
// days earlier (its last successful sync before the DACL lost the
// CryptSvc grant), the policy-disabled one 40 days earlier.
var (
	Collected = time.Date(2023, 3, 21, 22, 30, 0, 0, time.UTC)
	syncAge   = map[string]time.Duration{
		"healthy":           5 * time.Hour,
		"seed-authroot-acl": Collected.Sub(time.Date(2023, 3, 14, 8, 12, 37, 123456700, time.UTC)),
		"policy-disabled":   40 * 24 * time.Hour,
	}
)

// SyncTime is the DisallowedCertLastSyncTime of a scenario.
func SyncTime(scenario string) time.Time { return Collected.Add(-syncAge[scenario]) }

func filetime(t time.Time) []byte {
	return binary.LittleEndian.AppendUint64(nil, diagnose.TimeToFileTime(t))
}

func dword(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func sz(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return append(b, 0, 0)
}

func sd(sddl string) []byte { return secdesc.MustParseSDDL(sddl).Bytes() }

// Build returns the hive files of a scenario by file name.
func Build(scenario string) (map[string][]byte, error) {
	if _, ok := syncAge[scenario]; !ok {
		return nil, fmt.Errorf("unknown scenario %q", scenario)
	}
	sync := SyncTime(scenario)
	out := map[string][]byte{}

	// SOFTWARE
	sw := regf.NewHive("ROOT", Collected, sd(SoftwareSDDL))
	sw.FileName = `\??\C:\Windows\System32\config\SOFTWARE`
	ar := sw.Root.Key(`Microsoft\SystemCertificates\AuthRoot`)
	ar.Security = sd(AuthRootSDDL)
	ar.Modified = time.Date(2022, 11, 2, 10, 0, 0, 0, time.UTC)
	au := ar.Key("AutoUpdate")
	au.Modified = sync
	au.Security = sd(HealthyAutoUpdateSDDL)
	if scenario == "seed-authroot-acl" {
		au.Security = sd(BrokenAutoUpdateSDDL)
	}
	au.Set("DisallowedCertLastSyncTime", diagnose.RegBinary, filetime(sync))
	au.Set("LastSyncTime", diagnose.RegBinary, filetime(sync.Add(-3*24*time.Hour)))
	au.Set("DisallowedCertEncodedCtl", diagnose.RegBinary, []byte{0x30, 0x82, 0x01, 0x00}) // truncated CTL stand-in
	if scenario == "policy-disabled" {
		pol := sw.Root.Key(`Policies\Microsoft\SystemCertificates\AuthRoot`)
		pol.Set("DisableRootAutoUpdate", diagnose.RegDWORD, dword(1))
		pol.Set("EnableDisallowedCertAutoUpdate", diagnose.RegDWORD, dword(0))
	}
	sw.Root.Key(`Microsoft\Windows\CurrentVersion\Internet Settings\Connections`).
		Set("WinHttpSettings", diagnose.RegBinary, winproxy.Build(winproxy.Settings{Flags: winproxy.FlagDirect}))
	cv := sw.Root.Key(`Microsoft\Windows NT\CurrentVersion`)
	cv.Set("ProductName", diagnose.RegSZ, sz("Windows 10 Pro"))
	cv.Set("DisplayVersion", diagnose.RegSZ, sz("22H2"))
	cv.Set("CurrentBuild", diagnose.RegSZ, sz("19045"))
	cv.Set("UBR", diagnose.RegDWORD, dword(2728))
	// A non-ASCII key name exercises UTF-16 names.
	sw.Root.Key(`Classes\.wulog\Überprüfung`).Set("", diagnose.RegSZ, sz("test"))
	b, err := sw.Bytes()
	if err != nil {
		return nil, fmt.Errorf("SOFTWARE: %w", err)
	}
	out["SOFTWARE"] = b

	// SYSTEM: Select\Current says ControlSet002 is current; ControlSet001
	// holds different (stale) values that must not be read.
	sy := regf.NewHive("ROOT", Collected, sd(SystemSDDL))
	sy.FileName = `\??\C:\Windows\System32\config\SYSTEM`
	sel := sy.Root.Key("Select")
	sel.Set("Current", diagnose.RegDWORD, dword(2)).Set("Default", diagnose.RegDWORD, dword(2)).
		Set("Failed", diagnose.RegDWORD, dword(0)).Set("LastKnownGood", diagnose.RegDWORD, dword(1))
	for _, cs := range []struct {
		name  string
		start uint32
	}{{"ControlSet001", 4}, {"ControlSet002", 2}} {
		svc := sy.Root.Key(cs.name + `\Services`)
		svc.Key("CryptSvc").Set("Start", diagnose.RegDWORD, dword(cs.start))
		svc.Key("wuauserv").Set("Start", diagnose.RegDWORD, dword(3))
		svc.Key("BITS").Set("Start", diagnose.RegDWORD, dword(3))
		svc.Key("UsoSvc").Set("Start", diagnose.RegDWORD, dword(2))
		p := svc.Key(`W32Time\Parameters`)
		p.Set("Type", diagnose.RegSZ, sz("NTP"))
		p.Set("NtpServer", diagnose.RegSZ, sz("time.windows.com,0x9"))
		sy.Root.Key(cs.name + `\Control\SecurityProviders\SCHANNEL\Protocols`)
	}
	if b, err = sy.Bytes(); err != nil {
		return nil, fmt.Errorf("SYSTEM: %w", err)
	}
	out["SYSTEM"] = b

	// NTUSER.DAT
	nu := regf.NewHive("ROOT", Collected, sd(UserSDDL))
	nu.FileName = `\??\C:\Users\user\ntuser.dat`
	uau := nu.Root.Key(`SOFTWARE\Microsoft\SystemCertificates\AuthRoot\AutoUpdate`)
	uau.Modified = sync.Add(-time.Hour)
	uau.Set("DisallowedCertLastSyncTime", diagnose.RegBinary, filetime(sync.Add(-time.Hour)))
	if b, err = nu.Bytes(); err != nil {
		return nil, fmt.Errorf("NTUSER.DAT: %w", err)
	}
	out["NTUSER.DAT"] = b
	return out, nil
}
