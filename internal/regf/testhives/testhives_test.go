package testhives

import (
	"bytes"
	"encoding/hex"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"www.velocidex.com/golang/regparser"
)

var update = flag.Bool("update", false, "rewrite testdata/hives")

func hivesDir() string { return filepath.Join("..", "..", "..", "testdata", "hives") }

// TestGenerated checks that the committed hives are what Build produces
// (rewriting them with -update).
func TestGenerated(t *testing.T) {
	for _, sc := range Scenarios {
		files, err := Build(sc)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range Files {
			path := filepath.Join(hivesDir(), sc, name)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, files[name], 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/regf/testhives -update)", err)
			}
			if !bytes.Equal(got, files[name]) {
				t.Errorf("%s is out of date (run go test ./internal/regf/testhives -update)", path)
			}
		}
	}
}

// hivexget runs Debian's hivexget: with a value name it prints strings
// and DWORDs as text; with a key only it prints the key's values in .reg
// form (binary values as hex(3):..).
func hivexget(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("hivexget", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("hivexget %q: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestHivex reads the committed hives with Debian's hivex (an independent
// implementation of the format). The test is skipped when hivexget is not
// installed (apt-get install libhivex-bin).
func TestHivex(t *testing.T) {
	if _, err := exec.LookPath("hivexget"); err != nil {
		t.Skip("hivexget not found: install Debian's libhivex-bin to check the generated hives")
	}
	for _, sc := range Scenarios {
		dir := filepath.Join(hivesDir(), sc)
		// hivexml walks every key and value and fails on a malformed hive.
		for _, name := range Files {
			if out, err := exec.Command("hivexml", filepath.Join(dir, name)).CombinedOutput(); err != nil {
				t.Errorf("hivexml %s/%s: %v\n%s", sc, name, err, out)
			}
		}
		sw := filepath.Join(dir, "SOFTWARE")
		if got := hivexget(t, sw, `\Microsoft\Windows NT\CurrentVersion`, "ProductName"); got != "Windows 10 Pro\n" {
			t.Errorf("%s ProductName %q", sc, got)
		}
		if got := hivexget(t, sw, `\Microsoft\Windows NT\CurrentVersion`, "UBR"); got != "2728\n" {
			t.Errorf("%s UBR %q", sc, got)
		}
		if got := hivexget(t, sw, `\Classes\.wulog\Überprüfung`, "@"); got != "test\n" {
			t.Errorf("%s default value of UTF-16 key %q", sc, got)
		}
		// The whole key as .reg text: the FILETIME bytes must be the
		// ones Build wrote.
		reg := hivexget(t, sw, `\Microsoft\SystemCertificates\AuthRoot\AutoUpdate`)
		ft := filetime(SyncTime(sc))
		var want []string
		for _, c := range ft {
			want = append(want, hex.EncodeToString([]byte{c}))
		}
		if !strings.Contains(reg, `"DisallowedCertLastSyncTime"=hex(3):`+strings.Join(want, ",")) {
			t.Errorf("%s AutoUpdate key as hivex sees it:\n%s\nwant DisallowedCertLastSyncTime=%s", sc, reg, strings.Join(want, ","))
		}
		sys := filepath.Join(dir, "SYSTEM")
		if got := hivexget(t, sys, `\Select`, "Current"); got != "2\n" {
			t.Errorf("%s Select\\Current %q", sc, got)
		}
		if got := hivexget(t, sys, `\ControlSet002\Services\W32Time\Parameters`, "NtpServer"); got != "time.windows.com,0x9\n" {
			t.Errorf("%s NtpServer %q", sc, got)
		}
		nu := filepath.Join(dir, "NTUSER.DAT")
		if got := hivexget(t, nu, `\SOFTWARE\Microsoft\SystemCertificates\AuthRoot\AutoUpdate`); !strings.Contains(got, "DisallowedCertLastSyncTime") {
			t.Errorf("%s NTUSER.DAT: %s", sc, got)
		}
	}
}

// TestRegparser reads the hives with regparser, the reader the hive fact
// source uses, including the sk cell offsets.
func TestRegparser(t *testing.T) {
	for _, sc := range Scenarios {
		f, err := os.Open(filepath.Join(hivesDir(), sc, "SOFTWARE"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r, err := regparser.NewRegistry(f)
		if err != nil {
			t.Fatal(err)
		}
		k := r.OpenKey(`Microsoft\SystemCertificates\AuthRoot\AutoUpdate`)
		if k == nil {
			t.Fatalf("%s: AutoUpdate not found", sc)
		}
		found := false
		for _, v := range k.Values() {
			if v.ValueName() == "DisallowedCertLastSyncTime" {
				found = true
				if d := v.ValueData(); !bytes.Equal(d.Data, filetime(SyncTime(sc))) {
					t.Errorf("%s: data %x", sc, d.Data)
				}
			}
		}
		if !found {
			t.Errorf("%s: value not found", sc)
		}
		if k.Security() == 0 || k.Security() == 0xFFFFFFFF {
			t.Errorf("%s: no security cell", sc)
		}
	}
}
