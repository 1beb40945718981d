//go:build windows

package live

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/secdesc"
)

// isWine reports whether the tests run under Wine: ntdll exports
// wine_get_version there only.
func isWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}

// testKey creates HKCU\Software\wulog-test-<pid>\<name> and deletes the
// whole test tree when the test ends.
func testKey(t *testing.T, name string) (registry.Key, string) {
	t.Helper()
	base := fmt.Sprintf(`Software\wulog-test-%d`, os.Getpid())
	path := base + `\` + name
	k, _, err := registry.CreateKey(registry.CURRENT_USER, path, registry.ALL_ACCESS)
	if err != nil {
		t.Fatalf("CreateKey HKCU\\%s: %v", path, err)
	}
	t.Cleanup(func() {
		k.Close()
		deleteTree(registry.CURRENT_USER, base)
	})
	return k, `HKCU\` + path
}

// deleteTree deletes a key and its subkeys.
func deleteTree(root registry.Key, path string) {
	if k, err := registry.OpenKey(root, path, registry.ENUMERATE_SUB_KEYS); err == nil {
		names, _ := k.ReadSubKeyNames(-1)
		k.Close()
		for _, n := range names {
			deleteTree(root, path+`\`+n)
		}
	}
	registry.DeleteKey(root, path)
}

// probe runs the real source with only the given registry values and keys.
func probe(t *testing.T, values, keys []string) *diagnose.Facts {
	t.Helper()
	s := New(Options{NoNetwork: true, Registry: values, Keys: keys, Services: []string{}, Timeout: 10 * time.Second})
	f, err := s.Facts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestWindowsRegistryValuesWrittenThenProbed(t *testing.T) {
	k, path := testKey(t, "AutoUpdate")
	sync := time.Date(2023, 6, 1, 12, 30, 0, 0, time.UTC)
	ft := diagnose.TimeToFileTime(sync)
	ftb := make([]byte, 8)
	for i := range ftb {
		ftb[i] = byte(ft >> (8 * i))
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(k.SetBinaryValue("DisallowedCertLastSyncTime", ftb))
	must(k.SetBinaryValue("LastSyncTime", ftb[:7])) // malformed: 7 bytes
	must(k.SetDWordValue("EnableDisallowedCertAutoUpdate", 1))
	must(k.SetStringValue("RootDirURL", `\\share\ctl`))
	must(k.SetExpandStringValue("SyncFromDirUrl", `%SystemRoot%\ctl`))
	must(k.SetQWordValue("Q", 1<<40))
	must(k.SetStringsValue("M", []string{"a", "b"}))

	v := func(name string) string { return path + `\` + name }
	f := probe(t, []string{v("DisallowedCertLastSyncTime"), v("LastSyncTime"), v("EnableDisallowedCertAutoUpdate"),
		v("RootDirURL"), v("SyncFromDirUrl"), v("Q"), v("M"), v("Absent"), path + `\NoSuchKey\X`}, []string{})

	got := func(name string) diagnose.RegValue {
		t.Helper()
		r := f.Registry[v(name)]
		if !r.Known {
			t.Fatalf("%s not known: %s", name, r.Err)
		}
		return r.Value
	}
	if tm, err := got("DisallowedCertLastSyncTime").FileTime(); err != nil || !tm.Equal(sync) {
		t.Errorf("FILETIME read back as %v, %v; want %v", tm, err, sync)
	}
	if _, err := got("LastSyncTime").FileTime(); !errors.Is(err, diagnose.ErrMalformedFileTime) {
		t.Errorf("7-byte sync time: err %v", err)
	}
	if d, ok := got("EnableDisallowedCertAutoUpdate").DWORD(); !ok || d != 1 {
		t.Errorf("DWORD %d %v", d, ok)
	}
	if s, ok := got("RootDirURL").String(); !ok || s != `\\share\ctl` || got("RootDirURL").Type != diagnose.RegSZ {
		t.Errorf("REG_SZ %q %v", s, ok)
	}
	if s, ok := got("SyncFromDirUrl").String(); !ok || s != `%SystemRoot%\ctl` || got("SyncFromDirUrl").Type != diagnose.RegExpandSZ {
		t.Errorf("REG_EXPAND_SZ %q %v (not expanded: raw bytes)", s, ok)
	}
	if q := got("Q"); q.Type != diagnose.RegQWORD || len(q.Data) != 8 || q.Data[5] != 1 {
		t.Errorf("REG_QWORD %+v", q)
	}
	if m := got("M"); m.Type != diagnose.RegMultiSZ || string(m.Data) != "a\x00\x00\x00b\x00\x00\x00\x00\x00" {
		t.Errorf("REG_MULTI_SZ %q", m.Data)
	}
	if a := got("Absent"); a.Exists {
		t.Errorf("absent value exists: %+v", a)
	}
	if r := f.Registry[path+`\NoSuchKey\X`]; !r.Known || r.Value.Exists {
		t.Errorf("value under a missing key: %+v", r)
	}
}

func TestWindowsWow6432NodeIsReadWhereThePathSaysSo(t *testing.T) {
	name := fmt.Sprintf(`wulog-test-%d`, os.Getpid())
	k, _, err := registry.CreateKey(registry.LOCAL_MACHINE, `SOFTWARE\Wow6432Node\`+name, registry.ALL_ACCESS|registry.WOW64_64KEY)
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		t.Skip("HKLM is not writable without elevation")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		k.Close()
		registry.DeleteKey(registry.LOCAL_MACHINE, `SOFTWARE\Wow6432Node\`+name)
	}()
	if err := k.SetDWordValue("DefaultSecureProtocols", 0xA80); err != nil {
		t.Fatal(err)
	}
	wow := `HKLM\SOFTWARE\Wow6432Node\` + name + `\DefaultSecureProtocols`
	native := `HKLM\SOFTWARE\` + name + `\DefaultSecureProtocols`
	f := probe(t, []string{wow, native}, []string{})
	if d, ok := f.Registry[wow].Value.DWORD(); !ok || d != 0xA80 {
		t.Errorf("Wow6432Node value: %+v", f.Registry[wow])
	}
	if r := f.Registry[native]; !r.Known || r.Value.Exists {
		t.Errorf("the 64-bit view must not see the Wow6432Node value: %+v", r)
	}
}

var procRegSetKeySecurity = modadvapi32.NewProc("RegSetKeySecurity")

// setKeySDDL sets a key's DACL from SDDL with RegSetKeySecurity, which
// keeps SE_DACL_PROTECTED under Wine too (SetSecurityInfo drops it there).
func setKeySDDL(t *testing.T, k registry.Key, sddl string) {
	t.Helper()
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		t.Fatalf("SDDL %q: %v", sddl, err)
	}
	r, _, _ := procRegSetKeySecurity.Call(uintptr(k), uintptr(windows.DACL_SECURITY_INFORMATION), uintptr(unsafe.Pointer(sd)))
	if r != 0 {
		t.Fatalf("RegSetKeySecurity: %v", windows.Errno(r))
	}
}

// cryptSvcSID is NT SERVICE\CryptSvc: S-1-5-80 and the SHA-1 of the
// upper-cased UTF-16LE name as five little-endian uint32s.
const cryptSvcSID = "S-1-5-80-242729624-280608522-2219052887-3187409060-2225943459"

func TestWindowsProtectedDACLReadThroughTheProbe(t *testing.T) {
	broken, brokenPath := testKey(t, "AutoUpdate")
	// The failure that stops the disallowed-CTL updater: inheritance
	// turned off (P) and no ACE for CryptSvc.
	setKeySDDL(t, broken, "D:PAI(A;CI;KA;;;SY)(A;CI;KA;;;BA)(A;CI;KR;;;BU)")
	healthy, healthyPath := testKey(t, "Healthy")
	setKeySDDL(t, healthy, "D:AI(A;CI;KA;;;SY)(A;CI;KA;;;BA)(A;CI;KR;;;BU)(A;CI;KR;;;"+cryptSvcSID+")(A;;CCDCLCSWRPSDRC;;;"+cryptSvcSID+")")

	f := probe(t, []string{}, []string{brokenPath, healthyPath})
	read := func(path string) *secdesc.SecurityDescriptor {
		t.Helper()
		fact := f.KeySecurity[path]
		if !fact.Known {
			t.Fatalf("%s: %s", path, fact.Err)
		}
		sd, err := secdesc.Parse(fact.Value)
		if err != nil {
			t.Fatalf("%s: %v (% x)", path, err, fact.Value)
		}
		return sd
	}
	b := read(brokenPath)
	if !b.Protected() {
		t.Errorf("protected DACL read back unprotected: %s", b.SDDL())
	}
	if a := secdesc.ServiceKeyAccess(b, "CryptSvc", secdesc.NetworkService); a.CanWrite || a.ServiceACE {
		t.Errorf("CryptSvc can write the broken key? %+v", a)
	}
	h := read(healthyPath)
	if h.Protected() {
		t.Errorf("unprotected DACL read back protected: %s", h.SDDL())
	}
	a := secdesc.ServiceKeyAccess(h, "CryptSvc", secdesc.NetworkService)
	if !a.ServiceACE || !a.CanWrite {
		t.Errorf("CryptSvc cannot write the healthy key: %s (%s)", a.Reason, h.SDDL())
	}
}

func TestWindowsServiceSID(t *testing.T) {
	sid := secdesc.ServiceSID("CryptSvc")
	if sid.String() != cryptSvcSID {
		t.Fatalf("computed %s, want %s", sid, cryptSvcSID)
	}
	// The Windows SID parser agrees on the binary form.
	w, err := windows.StringToSid(cryptSvcSID)
	if err != nil {
		t.Fatal(err)
	}
	wb := unsafe.Slice((*byte)(unsafe.Pointer(w)), windows.GetLengthSid(w))
	if string(wb) != string(sid.Bytes()) {
		t.Errorf("binary SID: windows % x, computed % x", wb, sid.Bytes())
	}
	// The name lookup works on Windows; Wine knows no service SIDs, which
	// is why wulog computes them.
	looked, _, _, err := windows.LookupSID("", `NT SERVICE\CryptSvc`)
	if isWine() {
		if err == nil {
			t.Logf("Wine resolved NT SERVICE\\CryptSvc to %s", looked)
		}
		return
	}
	if err != nil {
		t.Fatalf("LookupAccountName(NT SERVICE\\CryptSvc): %v", err)
	}
	if looked.String() != cryptSvcSID {
		t.Errorf("Windows says %s, computed %s", looked, cryptSvcSID)
	}
}

func TestWindowsServicesBootHostsElevation(t *testing.T) {
	names := []string{"CryptSvc", "RpcSs", "wulog-no-such-service"}
	s := New(Options{NoNetwork: true, Registry: []string{}, Keys: []string{}, Services: names, Timeout: 10 * time.Second})
	f, err := s.Facts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if m := f.Services["wulog-no-such-service"]; m.Known || !strings.Contains(m.Err, "not installed") {
		t.Errorf("missing service: %+v", m)
	}
	known := 0
	for _, n := range names[:2] {
		sv := f.Services[n]
		t.Logf("%s: %+v", n, sv)
		if !sv.Known {
			continue
		}
		known++
		if sv.Value.State == "unknown" || sv.Value.State == "" {
			t.Errorf("%s: state %q", n, sv.Value.State)
		}
	}
	if !isWine() && !f.Services["CryptSvc"].Known {
		t.Errorf("CryptSvc not read on Windows: %+v", f.Services["CryptSvc"])
	}
	if known == 0 {
		t.Errorf("no service could be read: %+v", f.Services)
	}
	now := time.Now()
	if !f.BootTime.Known || !f.BootTime.Value.Before(now) || f.BootTime.Value.Year() < 2000 {
		t.Errorf("boot time %+v", f.BootTime)
	}
	if f.HostsFile.Known {
		if !strings.Contains(f.HostsFile.Source, "hosts") {
			t.Errorf("hosts source %q", f.HostsFile.Source)
		}
	} else if f.HostsFile.Err == "" {
		t.Errorf("hosts file neither read nor explained: %+v", f.HostsFile)
	}
	if f.Host == "" {
		t.Error("no host name")
	}
	if len(f.Notes) == 0 || !strings.Contains(f.Notes[0], "elevat") {
		t.Errorf("notes %q", f.Notes)
	}
}
