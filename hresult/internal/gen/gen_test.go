package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEvalC(t *testing.T) {
	env := map[string]uint32{"WSABASEERR": 10000, "ERROR_INSUFFICIENT_BUFFER": 122}
	for _, tt := range []struct {
		expr string
		v    uint32
		hr   bool
		ok   bool
	}{
		{"__MSABI_LONG(5)", 5, false, true},
		{"_HRESULT_TYPEDEF_(0x80240001L)", 0x80240001, true, true},
		{"((HRESULT)0x00000000)", 0, true, true},
		{"((NTSTATUS)0xC0000034)", 0xC0000034, false, true},
		{"((NTSTATUS)0xC0000034L)", 0xC0000034, false, true},
		{"(WSABASEERR + 4)", 10004, false, true},
		{"HRESULT_FROM_WIN32(ERROR_INSUFFICIENT_BUFFER)", 0x8007007A, true, true},
		{"0x80040100", 0x80040100, false, true},
		{"1 << 4", 16, false, true},
		{"UNKNOWN_NAME", 0, false, false},
		{"SOMEMACRO(5)", 0, false, false},
		{"\"string\"", 0, false, false},
		{"0x1FFFFFFFF", 0, false, false},
	} {
		v, hr, ok := evalC(tt.expr, env)
		if v != tt.v || hr != tt.hr || ok != tt.ok {
			t.Errorf("evalC(%q) = %#x %v %v, want %#x %v %v", tt.expr, v, hr, ok, tt.v, tt.hr, tt.ok)
		}
	}
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadHeader(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "winerror.h", `#ifndef _WINERROR_
#define _WINERROR_
#define FACILITY_WIN32 7
#define FACILITY_NT_BIT 0x10000000
#define ERROR_SUCCESS __MSABI_LONG(0)
#define ERROR_ACCESS_DENIED __MSABI_LONG(5) /* comment */
#define WSABASEERR 10000
#define WSAEINTR (WSABASEERR + 4)
#define E_ACCESSDENIED _HRESULT_TYPEDEF_(0x80070005L)
#define MK_E_FIRST 0x800401E0L
#define S_OK ((HRESULT)0x00000000)
#define HRESULT_CODE(hr) ((hr) & 0xFFFF)
#define NOT_A_NUMBER "text"
`)
	ds, fs, err := readHeader(p, "winerror.h", sWinerror, keepAll, kindByValue, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ds {
		got = append(got, d.name+"="+strings.TrimPrefix(d.kind, "Kind"))
	}
	want := "ERROR_SUCCESS=Win32 ERROR_ACCESS_DENIED=Win32 WSAEINTR=Win32 E_ACCESSDENIED=HRESULT S_OK=HRESULT"
	if strings.Join(got, " ") != want {
		t.Errorf("definitions %v, want %s", got, want)
	}
	if len(fs) != 1 || fs[0].name != "FACILITY_WIN32" || fs[0].num != 7 {
		t.Errorf("facilities %+v", fs)
	}
	if ds[2].value != 10004 {
		t.Errorf("WSAEINTR = %d", ds[2].value)
	}
}

func TestReadRust(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "winhttp.rs", `pub const WINHTTP_ERROR_BASE: DWORD = 12000;
pub const ERROR_WINHTTP_TIMEOUT: DWORD = WINHTTP_ERROR_BASE + 2;
pub const ERROR_WINHTTP_SECURE_FAILURE: DWORD = WINHTTP_ERROR_BASE
    + 175;
pub const WINHTTP_FLAG_SECURE: DWORD = 0x00800000;
pub fn f() -> DWORD { 0 }
`)
	ds, _, err := readRust(p, "um/winhttp.rs", sWinhttp, prefix("ERROR_WINHTTP_"), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].value != 12002 || ds[1].value != 12175 || ds[1].kind != kWin32 || ds[1].src != sWinhttp {
		t.Errorf("definitions %+v", ds)
	}
	p = writeFile(t, dir, "winerror.rs", `pub const NO_ERROR: DWORD = 0;
pub const SCARD_S_SUCCESS: HRESULT = NO_ERROR as i32;
pub const E_FAIL: HRESULT = 0x80004005;
`)
	ds, _, err = readRust(p, "shared/winerror.rs", sWinerror, keepAll, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 3 || ds[1].name != "SCARD_S_SUCCESS" || ds[1].kind != kHRESULT || ds[2].value != 0x80004005 {
		t.Errorf("definitions %+v", ds)
	}
}

func TestReadXSys(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "zerrors_windows.go", `package windows

import "syscall"

const (
	FACILITY_WIN32 = 7
	ERROR_NOT_FOUND syscall.Errno = 1168
	E_NOT_SET = ERROR_NOT_FOUND
	E_FAIL Handle = 0x80004005
	STATUS_TIMEOUT NTStatus = 0x00000102
	ERROR_HV_OPERATION_FAILED syscall.Errno = 0xC0350071
)
`)
	ds, fs, err := readXSys(p)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]def{}
	for _, d := range ds {
		byName[d.name] = d
	}
	if d := byName["E_NOT_SET"]; d.kind != kWin32 || d.value != 1168 || !d.suspect {
		t.Errorf("E_NOT_SET = %+v; want the x/sys Win32 alias flagged as suspect", d)
	}
	if d := byName["E_FAIL"]; d.kind != kHRESULT || d.suspect {
		t.Errorf("E_FAIL = %+v", d)
	}
	if d := byName["STATUS_TIMEOUT"]; d.kind != kNTSTATUS || d.src != sNtstatus {
		t.Errorf("STATUS_TIMEOUT = %+v", d)
	}
	if d := byName["ERROR_HV_OPERATION_FAILED"]; d.kind != kHRESULT {
		t.Errorf("an Errno of 0x10000 or more is an HRESULT: %+v", d)
	}
	if len(fs) != 1 {
		t.Errorf("facilities %+v", fs)
	}
}

func TestMerge(t *testing.T) {
	defs := []def{
		{name: "A", value: 1, kind: kWin32, input: "one", order: 0},
		{name: "A", value: 1, kind: kWin32, input: "two", order: 1},
		{name: "B", value: 2, kind: kWin32, input: "one", order: 2},
		{name: "B", value: 3, kind: kWin32, input: "two", order: 3},
		{name: "E_X", value: 5, kind: kWin32, input: "xsys", suspect: true, order: 4},
	}
	var rep Report
	if _, err := merge(defs, map[string]*override{}, &rep); err == nil ||
		!strings.Contains(err.Error(), "B: the sources disagree") || !strings.Contains(err.Error(), "E_X: x/sys defines") {
		t.Errorf("merge without overrides: %v", err)
	}
	ov := map[string]*override{
		"B":   {name: "B", value: 3, kind: kWin32, reason: "newer"},
		"E_X": {name: "E_X", value: 0x80070005, kind: kHRESULT, reason: "SDK"},
	}
	out, err := merge(defs, ov, &rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 || out[1].value != 3 || out[2].value != 0x80070005 || out[2].kind != kHRESULT {
		t.Errorf("merged %+v", out)
	}
	// An override nobody needs, or for a name nobody defines, is an error.
	ov = map[string]*override{
		"B":    {name: "B", value: 3, kind: kWin32},
		"E_X":  {name: "E_X", value: 0x80070005, kind: kHRESULT},
		"A":    {name: "A", value: 1, kind: kWin32, line: 7},
		"GONE": {name: "GONE", value: 1, kind: kWin32, line: 8},
	}
	if _, err := merge(defs, ov, &rep); err == nil || !strings.Contains(err.Error(), "A: every source already says") || !strings.Contains(err.Error(), "GONE is in no source") {
		t.Errorf("stale overrides: %v", err)
	}
}

// inputs returns the configuration of the real inputs, or skips.
func inputs(t *testing.T) Config {
	t.Helper()
	cfg := Config{Mingw: DefaultMingw, Winapi: DefaultWinapi, Overrides: "overrides.tsv"}
	for _, p := range []string{filepath.Join(cfg.Mingw, "wuerror.h"), filepath.Join(cfg.Winapi, "um", "winhttp.rs")} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("generator input missing (%v): apt-get install mingw-w64-common librust-winapi-dev", err)
		}
	}
	x, err := FindXSys()
	if err != nil {
		t.Skipf("generator input missing: %v", err)
	}
	cfg.XSys = x
	return cfg
}

// TestGeneratedUpToDate regenerates the table from the installed inputs
// twice: both runs must give the same bytes, equal to the committed
// zz_codes.go.
func TestGeneratedUpToDate(t *testing.T) {
	cfg := inputs(t)
	a, rep, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two runs of the generator produced different output")
	}
	committed, err := os.ReadFile(filepath.Join("..", "..", "zz_codes.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, committed) {
		t.Errorf("zz_codes.go is not what the generator writes from the installed inputs; run go generate ./hresult")
	}
	for _, l := range rep.Lines() {
		t.Log(l)
	}
	if rep.WU != 465 {
		t.Errorf("%d WU_ names, want 465", rep.WU)
	}
}

// TestReadHeaderLongLine checks that a header line longer than the reader's
// limit is an error naming the file and line, not a silently short table.
func TestReadHeaderLongLine(t *testing.T) {
	p := writeFile(t, t.TempDir(), "winerror.h",
		"#define ERROR_SUCCESS 0L\n#define LONG "+strings.Repeat("1", 1<<20)+"\n#define ERROR_ACCESS_DENIED 5L\n")
	_, _, err := readHeader(p, "winerror.h", sWinerror, keepAll, kindByValue, false)
	if err == nil || !strings.HasPrefix(err.Error(), p+":2: ") {
		t.Errorf("err = %v, want one naming %s:2", err, p)
	}
}
