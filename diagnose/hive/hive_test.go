package hive

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/secdesc"
	"github.com/wulog/wulog/diagnose/winproxy"
	"github.com/wulog/wulog/internal/regf/testhives"
)

func hivesDir(sc string) string { return filepath.Join("..", "..", "testdata", "hives", sc) }

func files(sc string) Files {
	d := hivesDir(sc)
	return Files{Software: filepath.Join(d, "SOFTWARE"), System: filepath.Join(d, "SYSTEM"), User: filepath.Join(d, "NTUSER.DAT")}
}

func cryptSvc(t *testing.T, f *diagnose.Facts, key string) secdesc.KeyAccess {
	t.Helper()
	fact, ok := f.KeySecurity[key]
	if !ok || !fact.Known {
		t.Fatalf("no descriptor for %s: %+v", key, fact)
	}
	sd, err := secdesc.Parse(fact.Value)
	if err != nil {
		t.Fatal(err)
	}
	return secdesc.ServiceKeyAccess(sd, "CryptSvc", secdesc.NetworkService)
}

func TestSeedHives(t *testing.T) {
	src := Load(files("seed-authroot-acl"))
	if !strings.HasPrefix(src.Name(), "hives SOFTWARE, SYSTEM, NTUSER.DAT (") {
		t.Errorf("Name %q", src.Name())
	}
	f, err := src.Facts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !f.CollectedAt.Equal(testhives.Collected) {
		t.Errorf("CollectedAt %s", f.CollectedAt)
	}
	sync := f.Registry[diagnose.RegDisallowedSync]
	at, err := sync.Value.FileTime()
	if err != nil || !at.Equal(testhives.SyncTime("seed-authroot-acl")) {
		t.Errorf("DisallowedCertLastSyncTime %s %v", at, err)
	}
	// The key was last written when CryptSvc last synced.
	if !sync.ReadAt.Equal(testhives.SyncTime("seed-authroot-acl").Truncate(100)) {
		t.Errorf("ReadAt %s", sync.ReadAt)
	}
	if !strings.HasPrefix(sync.Source, "hive SOFTWARE (") || !strings.Contains(sync.Source, filepath.Join("seed-authroot-acl", "SOFTWARE")) {
		t.Errorf("Source %q", sync.Source)
	}
	if k := cryptSvc(t, f, diagnose.KeyAutoUpdate); !k.Protected || k.CanWrite {
		t.Errorf("AutoUpdate: %+v", k)
	}
	if k := cryptSvc(t, f, diagnose.KeyAuthRoot); !k.CanWrite {
		t.Errorf("AuthRoot: %s", k.Reason)
	}
	pol := f.Registry[diagnose.RegPolicyDisableRootAutoUpdate]
	if !pol.Known || pol.Value.Exists {
		t.Errorf("policy should be known absent: %+v", pol)
	}
	user := f.Registry[diagnose.RegUserDisallowedSync]
	if ut, err := user.Value.FileTime(); err != nil || !ut.Equal(testhives.SyncTime("seed-authroot-acl").Add(-3600e9)) || !strings.HasPrefix(user.Source, "hive NTUSER.DAT") {
		t.Errorf("HKCU twin %s %v %q", ut, err, user.Source)
	}
	// CurrentControlSet is ControlSet002 (Select\Current); ControlSet001
	// says disabled.
	start := f.Registry[diagnose.RegCryptSvcStart]
	if v, _ := start.Value.DWORD(); v != 2 || !strings.HasSuffix(start.Source, ", ControlSet002") {
		t.Errorf("CryptSvc Start %d from %q", v, start.Source)
	}
	if s := f.Services["CryptSvc"]; s.Value.StartType != "auto" || s.Value.State != "unknown" {
		t.Errorf("service %+v", s)
	}
	ntp := f.Registry[diagnose.RegW32TimeServer]
	if s, _ := ntp.Value.String(); s != "time.windows.com,0x9" {
		t.Errorf("NtpServer %q", s)
	}
	ws := f.Registry[diagnose.RegWinHTTPSettings]
	if p, err := winproxy.Parse(ws.Value.Data); err != nil || !p.Direct() {
		t.Errorf("WinHttpSettings %+v %v", p, err)
	}
	if v, _ := f.Registry[diagnose.RegUBR].Value.DWORD(); v != 2728 {
		t.Errorf("UBR %d", v)
	}
	if s, _ := f.Registry[diagnose.RegProductName].Value.String(); s != "Windows 10 Pro" {
		t.Errorf("ProductName %q", s)
	}
	// Values the hives lack are known-absent, not missing.
	if tls := f.Registry[diagnose.RegTLS12Enabled]; !tls.Known || tls.Value.Exists {
		t.Errorf("TLS 1.2 Enabled %+v", tls)
	}
}

func TestScenarios(t *testing.T) {
	for _, sc := range testhives.Scenarios {
		f, err := Load(files(sc)).Facts(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", sc, err)
		}
		pol := f.Registry[diagnose.RegPolicyDisableRootAutoUpdate]
		v, _ := pol.Value.DWORD()
		if (sc == "policy-disabled") != (pol.Value.Exists && v == 1) {
			t.Errorf("%s: DisableRootAutoUpdate %+v", sc, pol)
		}
		if k := cryptSvc(t, f, diagnose.KeyAutoUpdate); k.CanWrite == (sc == "seed-authroot-acl") {
			t.Errorf("%s: CryptSvc write %v (%s)", sc, k.CanWrite, k.Reason)
		}
	}
}

func TestSubset(t *testing.T) {
	f, err := Load(Files{User: files("healthy").User}).Facts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Registry[diagnose.RegDisallowedSync]; ok {
		t.Error("HKLM value read without a SOFTWARE hive")
	}
	if _, ok := f.Registry[diagnose.RegUserDisallowedSync]; !ok {
		t.Error("HKCU value not read")
	}
	if !strings.Contains(strings.Join(f.Notes, "\n"), `no SOFTWARE hive given: facts under HKLM\SOFTWARE were not read`) {
		t.Errorf("notes %q", f.Notes)
	}
	if _, err := Load(Files{}).Facts(context.Background()); err == nil {
		t.Error("no hives accepted")
	}
}

func TestCorrupt(t *testing.T) {
	good, err := os.ReadFile(files("healthy").Software)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"empty":         nil,
		"text":          []byte(strings.Repeat("not a hive\n", 1000)),
		"truncated":     good[:0x1010],
		"no hbin":       append(append([]byte{}, good[:0x1000]...), make([]byte, 0x1000)...),
		"bad root cell": func() []byte { c := bytes.Clone(good); copy(c[0x24:], []byte{0xF0, 0xFF, 0, 0}); return c }(),
	} {
		_, err := Open("SOFTWARE", `C:\cases\pc1\SOFTWARE`, b)
		var ce *CorruptError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), `hive C:\cases\pc1\SOFTWARE: `) {
			t.Errorf("%s: %v", name, err)
		}
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "SOFTWARE")
	if err := os.WriteFile(p, good[:5000], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(Files{Software: p}).Facts(context.Background()); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("truncated file: %v", err)
	}
	// A dirty hive is read, with a note.
	dirty := bytes.Clone(good)
	dirty[4]++
	h, err := Open("SOFTWARE", "dirty", dirty)
	if err != nil {
		t.Fatal(err)
	}
	f, err := FactsFrom(h, nil, nil)
	if err != nil || !strings.Contains(strings.Join(f.Notes, "\n"), "was not flushed") || !strings.Contains(strings.Join(f.Notes, "\n"), "checksum does not match") {
		t.Errorf("dirty: %v %q", err, f.Notes)
	}
}

// A real NTUSER.DAT written by Windows (regparser's testdata): its root
// key's sk cell must give the descriptor the secdesc tests know.
func TestRealHive(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "www.velocidex.com/golang/regparser").Output()
	if err != nil {
		t.Skipf("regparser module not available: %v", err)
	}
	h, err := OpenFile("NTUSER.DAT", filepath.Join(strings.TrimSpace(string(out)), "testdata", "NTUSER.DAT"))
	if err != nil {
		t.Skipf("real hive not available: %v", err)
	}
	root, err := h.Key("")
	if err != nil {
		t.Fatal(err)
	}
	sd, err := h.Security(root)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(sd); !strings.HasPrefix(got, "01000480e4000000f4000000") || len(sd) != 256 {
		t.Errorf("root descriptor %s", got)
	}
	k, err := h.Key(`Control Panel\Desktop`)
	if err != nil || k == nil {
		t.Fatalf("Control Panel\\Desktop: %v", err)
	}
	if v, ok, err := h.Value(k, "Wallpaper"); err != nil || !ok || (v.Type != diagnose.RegSZ && v.Type != diagnose.RegExpandSZ) {
		t.Errorf("Wallpaper %+v %v %v", v, ok, err)
	}
	if h.KeyTime(k).Year() < 2000 || !h.ChecksumOK {
		t.Errorf("time %s checksum %v", h.KeyTime(k), h.ChecksumOK)
	}
	if _, err := FactsFrom(nil, nil, h); err != nil {
		t.Error(err)
	}
}

func FuzzOpen(f *testing.F) {
	for _, n := range []string{"SOFTWARE", "SYSTEM", "NTUSER.DAT"} {
		b, err := os.ReadFile(filepath.Join(hivesDir("seed-authroot-acl"), n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, kind := range []string{"SOFTWARE", "SYSTEM", "NTUSER.DAT"} {
			h, err := Open(kind, "fuzz", b)
			if err != nil {
				return
			}
			var hs hives
			hs.set(h)
			_, _ = hs.facts()
		}
	})
}
