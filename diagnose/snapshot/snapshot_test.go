package snapshot

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/chainstatus"
	"github.com/wulog/wulog/diagnose/secdesc"
	"github.com/wulog/wulog/diagnose/winproxy"
)

var update = flag.Bool("update", false, "rewrite the generated example snapshots in testdata/snapshots")

func snapshotsDir() string { return filepath.Join("..", "..", "testdata", "snapshots") }

func TestSeedSnapshot(t *testing.T) {
	f, err := ReadFile(filepath.Join(snapshotsDir(), "seed-authroot-acl.json"))
	if err != nil {
		t.Fatal(err)
	}
	sync, ok := f.Reg(diagnose.RegDisallowedSync)
	if !ok || !sync.Known || !sync.Value.Exists {
		t.Fatalf("DisallowedCertLastSyncTime: %+v", sync)
	}
	at, err := sync.Value.FileTime()
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2023, 3, 14, 8, 12, 37, 123456700, time.UTC)
	if !at.Equal(want) {
		t.Errorf("sync time %s, want %s", at, want)
	}
	if age := f.CollectedAt.Sub(at); age < 7*24*time.Hour || age > 8*24*time.Hour {
		t.Errorf("age %s, want about 7.6 days", age)
	}
	if sync.Source != "hand-written example: the seed case (AutoUpdate key protected without NT SERVICE\\CryptSvc)" || !sync.ReadAt.Equal(f.CollectedAt) {
		t.Errorf("provenance %q %s", sync.Source, sync.ReadAt)
	}
	// data and time given together agree.
	last, _ := f.Reg(diagnose.RegLastSync)
	if lt, _ := last.Value.FileTime(); !lt.Equal(time.Date(2023, 3, 1, 6, 40, 12, 875e6, time.UTC)) {
		t.Errorf("LastSyncTime %s", lt)
	}
	if pol, _ := f.Reg(diagnose.RegPolicyDisableRootAutoUpdate); !pol.Known || pol.Value.Exists {
		t.Errorf("policy should be known absent: %+v", pol)
	}
	if ubr, _ := f.Reg(diagnose.RegUBR); ubr.Value.Type != diagnose.RegDWORD {
		t.Errorf("UBR %+v", ubr)
	} else if v, _ := ubr.Value.DWORD(); v != 2728 {
		t.Errorf("UBR %d", v)
	}
	if pn, _ := f.Reg(diagnose.RegProductName); pn.Value.Type != diagnose.RegSZ {
		t.Errorf("ProductName %+v", pn)
	} else if s, _ := pn.Value.String(); s != "Windows 10 Pro" {
		t.Errorf("ProductName %q", s)
	}
	ws, _ := f.Reg(diagnose.RegWinHTTPSettings)
	if p, err := winproxy.Parse(ws.Value.Data); err != nil || !p.Direct() {
		t.Errorf("WinHttpSettings %+v %v", p, err)
	}
	sdBytes := f.KeySecurity[diagnose.KeyAutoUpdate]
	sd, err := secdesc.Parse(sdBytes.Value)
	if err != nil {
		t.Fatal(err)
	}
	k := secdesc.ServiceKeyAccess(sd, "CryptSvc", secdesc.NetworkService)
	if !k.Protected || k.CanWrite {
		t.Errorf("AutoUpdate: %+v", k)
	}
	parent, _ := secdesc.Parse(f.KeySecurity[diagnose.KeyAuthRoot].Value)
	if k := secdesc.ServiceKeyAccess(parent, "CryptSvc", secdesc.NetworkService); !k.CanWrite {
		t.Errorf("AuthRoot: %s", k.Reason)
	}
	if len(f.Chains) != 1 || !chainstatus.RevocationOffline(f.Chains[0].Value.ErrorStatus) ||
		f.Chains[0].Value.PolicyError != chainstatus.CryptERevocationOffline || len(f.Chains[0].Value.Elements) != 3 {
		t.Errorf("chains %+v", f.Chains)
	}
	if s := f.Clock.Value.Skew(); s != 2*time.Second {
		t.Errorf("skew %s", s)
	}
	if f.Services["CryptSvc"].Value.StartType != "auto" || f.Services["CryptSvc"].Value.Name != "CryptSvc" {
		t.Errorf("services %+v", f.Services)
	}
	// Hand-written helpers come back as raw data plus helpers, and that
	// output reads back to the same facts.
	out, err := Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	f2, err := Read(bytes.NewReader(out), "seed-rewritten.json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !reflect.DeepEqual(f, f2) {
		t.Errorf("rewritten snapshot differs")
	}
	if !bytes.Contains(out, []byte(`"data": "071fecbc4c56d901"`)) || !bytes.Contains(out, []byte(`"time": "2023-03-14T08:12:37.1234567Z"`)) {
		t.Errorf("written form lacks raw data or time helper:\n%s", out)
	}
}

func ft(t time.Time) []byte { return binary.LittleEndian.AppendUint64(nil, diagnose.TimeToFileTime(t)) }

func reg(typ uint32, data []byte) diagnose.Fact[diagnose.RegValue] {
	return diagnose.Fact[diagnose.RegValue]{Known: true, Value: diagnose.RegValue{Exists: true, Type: typ, Data: data}}
}

func absent() diagnose.Fact[diagnose.RegValue] {
	return diagnose.Fact[diagnose.RegValue]{Known: true, Value: diagnose.RegValue{}}
}

func dword(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// Real descriptors of a healthy Windows 11 machine (see
// diagnose/secdesc tests for the source).
const (
	healthyAutoUpdateSDDL = "O:SYG:SYD:AI(A;ID;KA;;;S-1-5-80-242729624-280608522-2219052887-3187409060-2225943459)(A;OICIIOID;GA;;;S-1-5-80-242729624-280608522-2219052887-3187409060-2225943459)(A;ID;KR;;;BU)(A;CIIOID;GR;;;BU)(A;ID;KA;;;BA)(A;CIIOID;GA;;;BA)(A;ID;KA;;;SY)(A;CIIOID;GA;;;SY)(A;CIIOID;GA;;;CO)(A;ID;KR;;;AC)(A;CIIOID;GR;;;AC)"
	healthyAuthRootSDDL   = "O:SYG:SYD:AI(A;;KA;;;S-1-5-80-242729624-280608522-2219052887-3187409060-2225943459)(A;OICIIO;GA;;;S-1-5-80-242729624-280608522-2219052887-3187409060-2225943459)(A;ID;KR;;;BU)(A;CIIOID;GR;;;BU)(A;ID;KA;;;BA)(A;CIIOID;GA;;;BA)(A;ID;KA;;;SY)(A;CIIOID;GA;;;SY)(A;CIIOID;GA;;;CO)(A;ID;KR;;;AC)(A;CIIOID;GR;;;AC)"
)

// exampleFacts returns the facts of the generated example snapshots.
func exampleFacts(name string) *diagnose.Facts {
	at := time.Date(2023, 3, 21, 22, 30, 0, 0, time.UTC)
	f := &diagnose.Facts{Host: "PC-HEALTHY", CollectedAt: at, Registry: map[string]diagnose.Fact[diagnose.RegValue]{}}
	src := "example generated by diagnose/snapshot tests"
	r := f.Registry
	r[diagnose.RegDisallowedSync] = reg(diagnose.RegBinary, ft(at.Add(-5*time.Hour)))
	r[diagnose.RegLastSync] = reg(diagnose.RegBinary, ft(at.Add(-50*time.Hour)))
	r[diagnose.RegRootDirURL] = absent()
	r[diagnose.RegUserDisallowedSync] = absent()
	r[diagnose.RegPolicyDisableRootAutoUpdate] = absent()
	r[diagnose.RegPolicyEnableDisallowed] = absent()
	r[diagnose.RegTLS12Enabled] = absent()
	r[diagnose.RegWinHTTPSettings] = reg(diagnose.RegBinary, winproxy.Build(winproxy.Settings{Flags: winproxy.FlagDirect}))
	r[diagnose.RegWUServer] = absent()
	r[diagnose.RegProductName] = reg(diagnose.RegSZ, utf16z("Windows 10 Enterprise"))
	r[diagnose.RegCurrentBuild] = reg(diagnose.RegSZ, utf16z("19045"))
	r[diagnose.RegUBR] = reg(diagnose.RegDWORD, dword(3803))
	r[diagnose.RegCryptSvcStart] = reg(diagnose.RegDWORD, dword(2))
	f.KeySecurity = map[string]diagnose.Fact[[]byte]{
		diagnose.KeyAutoUpdate: {Known: true, Value: secdesc.MustParseSDDL(healthyAutoUpdateSDDL).Bytes()},
		diagnose.KeyAuthRoot:   {Known: true, Value: secdesc.MustParseSDDL(healthyAuthRootSDDL).Bytes()},
	}
	f.Chains = []diagnose.Fact[diagnose.Chain]{{Known: true, Value: diagnose.Chain{Endpoint: "slscr.update.microsoft.com:443", InfoStatus: 0x100,
		Elements: []diagnose.ChainElement{
			{Subject: "CN=slscr.update.microsoft.com", Issuer: "CN=Microsoft Update Secure Server CA 2.1", InfoStatus: 1},
			{Subject: "CN=Microsoft Update Secure Server CA 2.1", Issuer: "CN=Microsoft Root Certificate Authority 2011", InfoStatus: 1},
			{Subject: "CN=Microsoft Root Certificate Authority 2011", Issuer: "CN=Microsoft Root Certificate Authority 2011", InfoStatus: 0x10C},
		}}}}
	f.Clock = diagnose.Fact[diagnose.Clock]{Known: true, Value: diagnose.Clock{Local: at, Reference: at.Add(-time.Second), ReferenceSource: "HTTP Date header of https://slscr.update.microsoft.com"}}
	f.BootTime = diagnose.Fact[time.Time]{Known: true, Value: at.Add(-3 * 24 * time.Hour)}
	f.Services = map[string]diagnose.Fact[diagnose.Service]{
		"CryptSvc": {Known: true, Value: diagnose.Service{Name: "CryptSvc", State: "running", StartType: "auto"}},
		"wuauserv": {Known: true, Value: diagnose.Service{Name: "wuauserv", State: "running", StartType: "manual"}},
		"BITS":     {Known: true, Value: diagnose.Service{Name: "BITS", State: "stopped", StartType: "manual"}},
		"UsoSvc":   {Err: "access denied"},
	}
	f.HostsFile = diagnose.Fact[string]{Known: true, Value: "# Copyright (c) 1993-2009 Microsoft Corp.\r\n"}
	if name == "policy-disabled" {
		f.Host = "PC-POLICY"
		r[diagnose.RegPolicyDisableRootAutoUpdate] = reg(diagnose.RegDWORD, dword(1))
		r[diagnose.RegPolicyEnableDisallowed] = reg(diagnose.RegDWORD, dword(0))
		r[diagnose.RegDisallowedSync] = reg(diagnose.RegBinary, ft(at.Add(-40*24*time.Hour)))
		r[diagnose.RegLastSync] = reg(diagnose.RegBinary, ft(at.Add(-40*24*time.Hour)))
		f.Chains[0].Value.ErrorStatus, f.Chains[0].Value.PolicyError = 0x01000040, chainstatus.CryptERevocationOffline
	}
	for k, v := range r {
		v.Source, v.ReadAt = src, at
		r[k] = v
	}
	for k, v := range f.KeySecurity {
		v.Source, v.ReadAt = src, at
		f.KeySecurity[k] = v
	}
	for k, v := range f.Services {
		v.Source, v.ReadAt = src, at
		f.Services[k] = v
	}
	f.Chains[0].Source, f.Chains[0].ReadAt = src, at
	f.Clock.Source, f.Clock.ReadAt = src, at
	f.BootTime.Source, f.BootTime.ReadAt = src, at
	f.HostsFile.Source, f.HostsFile.ReadAt = src, at
	return f
}

func TestGeneratedSnapshots(t *testing.T) {
	for _, name := range []string{"healthy", "policy-disabled"} {
		t.Run(name, func(t *testing.T) {
			f := exampleFacts(name)
			got, err := Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(snapshotsDir(), name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./diagnose/snapshot -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s is out of date (run go test ./diagnose/snapshot -update)", path)
			}
			back, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, f) {
				t.Errorf("read back differs:\n%+v\n%+v", back, f)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	src := Load(filepath.Join(snapshotsDir(), "healthy.json"))
	if src.Name() != "snapshot healthy.json" {
		t.Errorf("Name %q", src.Name())
	}
	f, err := src.Facts(context.Background())
	if err != nil || f.Host != "PC-HEALTHY" {
		t.Fatalf("%v %+v", err, f)
	}
	if _, err := Load("does-not-exist.json").Facts(context.Background()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestReadErrors(t *testing.T) {
	const key = `"HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\AuthRoot\\AutoUpdate\\DisallowedCertLastSyncTime"`
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"no schema", `{"host": "x"}`, `pc.json: schema: missing; this wulog reads "wulog.snapshot/v1"`},
		{"future schema", "{\n  \"schema\": \"wulog.snapshot/v2\"\n}", `pc.json:2:13: schema: "wulog.snapshot/v2" is not supported`},
		{"syntax", "{\n  \"schema\": \"wulog.snapshot/v1\",\n  \"host\": x\n}", "pc.json:3:11: invalid JSON"},
		{"truncated", `{"schema": "wulog.snapshot/v1", "host": "x"`, "pc.json:1:"},
		{"unknown field", "{\"schema\": \"wulog.snapshot/v1\",\n \"hots\": \"x\"}", `pc.json:2:2: unknown field "hots"`},
		{"wrong type", `{"schema": "wulog.snapshot/v1", "live": "yes"}`, "live: string where bool is expected"},
		{"trailing data", `{"schema": "wulog.snapshot/v1"} {}`, "unexpected data after the snapshot object"},
		{"bad hex", `{"schema": "wulog.snapshot/v1", "registry": {` + key + `: {"type": "REG_BINARY", "data": "zz"}}}`, "data is not hex"},
		{"data without type", `{"schema": "wulog.snapshot/v1", "registry": {` + key + `: {"data": "00"}}}`, "needed with data"},
		{"time contradicts data", "{\"schema\": \"wulog.snapshot/v1\", \"registry\": {\n" + key + `: {"type": "REG_BINARY", "data": "0000000000000000", "time": "2023-01-01T00:00:00Z"}}}`,
			`pc.json:2:1: registry["HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\AuthRoot\\AutoUpdate\\DisallowedCertLastSyncTime"].time: 2023-01-01T00:00:00Z does not match data 0000000000000000 (which is 1601-01-01T00:00:00Z)`},
		{"time on a 4-byte value", `{"schema": "wulog.snapshot/v1", "registry": {` + key + `: {"type": "REG_BINARY", "data": "00000000", "time": "2023-01-01T00:00:00Z"}}}`, "not an 8-byte REG_BINARY FILETIME"},
		{"two helpers", `{"schema": "wulog.snapshot/v1", "registry": {` + key + `: {"dword": 1, "string": "x"}}}`, "give only one of"},
		{"no value", `{"schema": "wulog.snapshot/v1", "registry": {` + key + `: {"source": "x"}}}`, "no value"},
		{"helper type clash", `{"schema": "wulog.snapshot/v1", "registry": {` + key + `: {"type": "REG_DWORD", "time": "2023-01-01T00:00:00Z"}}}`, "REG_DWORD does not fit"},
		{"unknown type", `{"schema": "wulog.snapshot/v1", "registry": {` + key + `: {"type": "REG_FOO", "data": "00"}}}`, `unknown registry type "REG_FOO"`},
		{"absent with value", `{"schema": "wulog.snapshot/v1", "registry": {` + key + `: {"exists": false, "dword": 1}}}`, "exists is false but a value is given"},
		{"bad hive", `{"schema": "wulog.snapshot/v1", "registry": {"SOFTWARE\\X": {"dword": 1}}}`, `path must start with HKLM\`},
		{"duplicate path", `{"schema": "wulog.snapshot/v1", "registry": {"HKLM\\A\\B": {"dword": 1}, "hklm\\a\\b": {"dword": 2}}}`, "given twice"},
		{"bad sddl", `{"schema": "wulog.snapshot/v1", "key_security": {"HKLM\\A": {"sddl": "D:(A;;ZZ;;;BA)"}}}`, `key_security["HKLM\\A"].sddl: SDDL at offset 3`},
		{"sddl contradicts binary", `{"schema": "wulog.snapshot/v1", "key_security": {"HKLM\\A": {"hex": "010004800000000000000000000000001400000002000800 00000000", "sddl": "D:P"}}}`, "does not match the binary descriptor"},
		{"bad descriptor", `{"schema": "wulog.snapshot/v1", "key_security": {"HKLM\\A": {"base64": "AQA="}}}`, "security descriptor: data too short"},
		{"clock without times", `{"schema": "wulog.snapshot/v1", "clock": {"reference_source": "x"}}`, "clock: needs local and reference"},
		{"bad service state", `{"schema": "wulog.snapshot/v1", "services": {"CryptSvc": {"state": "Running"}}}`, `services["CryptSvc"].state: "Running" is not one of`},
		{"bad status", `{"schema": "wulog.snapshot/v1", "chains": [{"endpoint": "a:443", "error_status": "0xZZ"}]}`, "is not a 32-bit number"},
		{"chain without endpoint", `{"schema": "wulog.snapshot/v1", "chains": [{"error_status": 64}]}`, "chains[0].endpoint: missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Read(strings.NewReader(tc.doc), "pc.json")
			if err == nil {
				t.Fatalf("read succeeded: %+v", f)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "pc.json") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
	_, err := Read(strings.NewReader(`{"schema": "x"}`), "pc.json")
	if !errors.Is(err, ErrSchema) {
		t.Errorf("schema error does not wrap ErrSchema: %v", err)
	}
}

func TestHelpersAndAliases(t *testing.T) {
	doc := `{"schema": "wulog.snapshot/v1", "collected_at": "2024-01-02T03:04:05Z", "registry": {
	  "HKEY_LOCAL_MACHINE\\software\\microsoft\\systemcertificates\\authroot\\autoupdate\\rootdirurl": {"type": "expand_sz", "string": "%SystemRoot%\\x"},
	  "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\WUServer": {"error": "access denied", "source": "probe"},
	  "HKLM\\X\\Multi": {"strings": ["a", "b"]},
	  "HKLM\\X\\Q": {"qword": 5, "read_at": "2024-01-01T00:00:00Z"}},
	  "boot_time": {"time": "2024-01-01T00:00:00+02:00"},
	  "hosts_file": {"error": "not collected by hand"}}`
	f, err := Read(strings.NewReader(doc), "h.json")
	if err != nil {
		t.Fatal(err)
	}
	root, ok := f.Registry[diagnose.RegRootDirURL]
	if !ok {
		t.Fatalf("path not canonicalised: %v", f.Registry)
	}
	if s, _ := root.Value.String(); s != `%SystemRoot%\x` || root.Value.Type != diagnose.RegExpandSZ || root.Source != "snapshot h.json" {
		t.Errorf("RootDirURL %+v %q", root, s)
	}
	wu := f.Registry[diagnose.RegWUServer]
	if wu.Known || wu.Err != "access denied" || wu.Source != "probe" {
		t.Errorf("WUServer %+v", wu)
	}
	m := f.Registry[`HKLM\X\Multi`].Value
	if got := multiSZ(m.Data); !reflect.DeepEqual(got, []string{"a", "b"}) || m.Type != diagnose.RegMultiSZ {
		t.Errorf("multi %q", got)
	}
	q := f.Registry[`HKLM\X\Q`]
	if !bytes.Equal(q.Value.Data, []byte{5, 0, 0, 0, 0, 0, 0, 0}) || !q.ReadAt.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("qword %+v", q)
	}
	if !f.BootTime.Value.Equal(time.Date(2023, 12, 31, 22, 0, 0, 0, time.UTC)) || f.BootTime.Value.Location() != time.UTC {
		t.Errorf("boot %s", f.BootTime.Value)
	}
	if f.HostsFile.Known || f.HostsFile.Err == "" {
		t.Errorf("hosts %+v", f.HostsFile)
	}
}

func FuzzRead(f *testing.F) {
	for _, n := range []string{"seed-authroot-acl.json", "healthy.json", "policy-disabled.json"} {
		b, err := os.ReadFile(filepath.Join(snapshotsDir(), n))
		if err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"schema": "wulog.snapshot/v1", "registry": {"HKLM\\A": {"strings": ["a"]}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		facts, err := Read(bytes.NewReader(b), "fuzz.json")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is %T, want *Error: %v", err, err)
			}
			return
		}
		out, err := Marshal(facts)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := Read(bytes.NewReader(out), "fuzz.json")
		if err != nil {
			t.Fatalf("re-read of written snapshot: %v\n%s", err, out)
		}
		out2, _ := Marshal(again)
		if !bytes.Equal(out, out2) {
			t.Fatalf("written form not stable:\n%s\n%s", out, out2)
		}
	})
}

// TestRegTypeNames reads registry types by name (with or without REG_,
// any case) and by number, and writes them back by name where there is
// one.
func TestRegTypeNames(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint32
		out  string
	}{
		{`"REG_NONE"`, 0, `"REG_NONE"`},
		{`"binary"`, 3, `"REG_BINARY"`},
		{`"reg_link"`, 6, `"REG_LINK"`},
		{`"REG_RESOURCE_REQUIREMENTS_LIST"`, 10, `"REG_RESOURCE_REQUIREMENTS_LIST"`},
		{`"QWORD"`, 11, `"REG_QWORD"`},
		{`42`, 42, `42`},
	} {
		var rt regType
		if err := rt.UnmarshalJSON([]byte(tc.in)); err != nil || uint32(rt) != tc.want {
			t.Errorf("%s: got %d, %v; want %d", tc.in, rt, err, tc.want)
			continue
		}
		if b, err := rt.MarshalJSON(); err != nil || string(b) != tc.out {
			t.Errorf("%s: written as %s, %v; want %s", tc.in, b, err, tc.out)
		}
	}
	if got := RegTypeName(12); got != "12" {
		t.Errorf("RegTypeName(12) = %q, want the number", got)
	}
}
