package hresult

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is a
// ParseError, and that what it accepts is consistent: the code's own
// String parses back to it, and a name it reports parses back to a code
// listing that name.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"0x80072F8F", "80072F8F", "0X8007000D", "[80072F8F]", "hr = 80072ee2", "hr:0x80070005",
		"-2147012721", "2147954575", "12175", "CRYPT_E_REVOCATION_OFFLINE", "0xC1900101 - 0x4001E",
		"0xC1900101-0x4001E", "Result = 0xC1800104[gle=0x00000002]", "[gle=0xd0000034]",
		"[HRESULT = 0x800f0805 - CBS_E_INVALID_PACKAGE]", "(F) 80220008 [Error,Facility=FACILITY_STATE_MANAGEMENT,Code=8]",
		"(F) STATUS_OBJECT_NAME_NOT_FOUND #70#", "0x80092013 (-2146885613 CRYPT_E_REVOCATION_OFFLINE) -- 2148081683 (-2146885613)",
		"0x800706ba (WIN32: 1722 RPC_S_SERVER_UNAVAILABLE) -- 2147944122 (-2147023174)", "", "0x", "((((", "-", "0x80070005 – 0x2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrSyntax) {
				t.Fatalf("Parse(%q): error %v is not a *ParseError", s, err)
			}
			return
		}
		if p.Input != strings.TrimSpace(s) {
			t.Fatalf("Parse(%q).Input = %q", s, p.Input)
		}
		back, err := Parse(p.String())
		if err != nil || back.Value != p.Value {
			t.Fatalf("Parse(%q) = %s, but Parse(%s) = %s, %v", s, p.Code, p.Code, back.Code, err)
		}
		for _, n := range p.Names() {
			q, err := Parse(n.Name)
			if err != nil || q.Value != n.Value {
				t.Fatalf("name %s of %s parses to %s, %v; want 0x%08X", n.Name, p.Code, q.Code, err, n.Value)
			}
		}
		if p.HasExtend && uint32(p.Extend) > 0xFFFFF {
			t.Fatalf("Parse(%q): extend code %s too large", s, p.Extend)
		}
		_ = p.Severity()
		_ = p.FacilityName()
		_, _ = p.HexReading()
	})
}
