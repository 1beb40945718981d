package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func runHresult(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"hresult"}, args...), strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHresultText(t *testing.T) {
	code, out, errOut := runHresult(t, "", "0x80072F8F")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		// certutil's first line: hex, signed and unsigned decimal.
		"0x80072F8F (-2147012721) -- 2147954575  ERROR_WINHTTP_SECURE_FAILURE",
		"HRESULT:   S=1 R=0 C=0 N=0 X=0 facility 7 FACILITY_WIN32 code 0x2F8F (12175)",
		"Win32:     12175 (0x2F8F)",
		"1. ERROR_WINHTTP_SECURE_FAILURE",
		"2. ERROR_INTERNET_DECODING_FAILED",
		"3. WININET_E_DECODING_FAILED",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runHresult(t, "", "0xC1900101 - 0x4001E")
	if code != 0 || !strings.Contains(out, "extend:    0x4001E: phase 4 OOBE_BOOT, operation 0x1E PRE_OOBE") ||
		!strings.Contains(out, "MOSETUP_E_SETUP_PLATFORM") || !strings.Contains(out, "NTSTATUS:  Sev=3 (error)") {
		t.Errorf("setup pair: exit %d\n%s", code, out)
	}
	code, out, _ = runHresult(t, "", "12175")
	if code != 0 || !strings.Contains(out, "ambiguous: as hex it would be 0x00012175") || !strings.Contains(out, "as HRESULT: 0x80072F8F") {
		t.Errorf("bare Win32 number: exit %d\n%s", code, out)
	}
}

func TestHresultUnknownCodeStillDecodes(t *testing.T) {
	code, out, _ := runHresult(t, "", "0x8024408F")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"facility 36 FACILITY_WINDOWSUPDATE code 0x408F", "WU part:   PT", "no name is known for this value"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestHresultJSON(t *testing.T) {
	code, out, errOut := runHresult(t, "", "--format", "json", "0x80072F8F", "2147954575", "0x80092013", "0x8024408F", "CRYPT_E_REVOCATION_OFFLINE")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, out)
	}
	if len(got) != 5 {
		t.Fatalf("%d objects, want 5", len(got))
	}
	first := got[0]
	for k, want := range map[string]any{"code": "0x80072F8F", "signed": -2147012721.0, "unsigned": 2147954575.0, "severity": "error",
		"facility": 7.0, "facility_name": "FACILITY_WIN32", "win32": 12175.0, "kind": "HRESULT", "failure": true} {
		if first[k] != want {
			t.Errorf("%s = %v, want %v", k, first[k], want)
		}
	}
	names := first["names"].([]any)
	var order []string
	for _, n := range names {
		m := n.(map[string]any)
		order = append(order, m["name"].(string))
		if m["source"] == "" {
			t.Errorf("name %v has no source", m["name"])
		}
	}
	if strings.Join(order, " ") != "ERROR_WINHTTP_SECURE_FAILURE ERROR_INTERNET_DECODING_FAILED WININET_E_DECODING_FAILED" {
		t.Errorf("names in order %v", order)
	}
	if d := names[0].(map[string]any)["description"]; d == nil || d == "" {
		t.Errorf("best name has no description")
	}
	if got[1]["code"] != "0x80072F8F" || got[1]["form"] != "unsigned decimal" {
		t.Errorf("unsigned decimal input: %v", got[1])
	}
	if got[2]["facility"] != 9.0 || got[2]["facility_name"] != "FACILITY_SECURITY" {
		t.Errorf("0x80092013: %v %v", got[2]["facility"], got[2]["facility_name"])
	}
	if _, ok := got[2]["win32"]; ok {
		t.Errorf("0x80092013 is not facility 7 but has win32")
	}
	if n := got[3]["names"].([]any); len(n) != 0 || got[3]["note"] != "no name is known for this value" {
		t.Errorf("unknown code: names %v note %v", n, got[3]["note"])
	}
	if got[4]["code"] != "0x80092013" {
		t.Errorf("symbolic name: %v", got[4]["code"])
	}
}

func TestHresultMalformedInput(t *testing.T) {
	code, out, errOut := runHresult(t, "", "0x80070005", "0xZZZ", "NO_SUCH_NAME", "3010")
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	lines := strings.Split(strings.TrimSpace(errOut), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"0xZZZ" is not an error code`) || !strings.Contains(lines[1], "unknown name NO_SUCH_NAME") {
		t.Errorf("stderr: %q", errOut)
	}
	// The good arguments are still decoded.
	if !strings.Contains(out, "E_ACCESSDENIED") || !strings.Contains(out, "ERROR_SUCCESS_REBOOT_REQUIRED") {
		t.Errorf("stdout: %s", out)
	}
	code, out, _ = runHresult(t, "", "-f", "json", "bogus")
	if code != 2 || strings.TrimSpace(out) != "[]" {
		t.Errorf("all bad in JSON: exit %d, out %q", code, out)
	}
}

func TestHresultStdin(t *testing.T) {
	code, out, errOut := runHresult(t, "# codes\n0x80070643\n\n0xC1900101 - 0x30018\n", "-f", "json", "-")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 2 {
		t.Fatalf("%v: %s", err, out)
	}
	if got[0]["win32"] != 1603.0 || got[1]["extend"].(map[string]any)["operation_name"] != "SYSPREP" {
		t.Errorf("%v", got)
	}
}
