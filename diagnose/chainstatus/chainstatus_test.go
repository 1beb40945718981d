package chainstatus

import (
	"strings"
	"testing"
)

// Values observed on Windows and Wine (../shared/docs/windows-testing.md):
// CRL server unreachable gives 0x01000040 / 0x80092013 on Windows and
// 0x01000000 / 0x800B010E under Wine; an untrusted root gives 0x20 /
// 0x800B0109 on both.
func TestRealChainResults(t *testing.T) {
	for _, tc := range []struct {
		name           string
		status, policy uint32
		class          Class
		offline        bool
		unknown        bool
		untrusted      bool
		bits           string
	}{
		{"Windows CRL offline", 0x01000040, 0x80092013, ClassRevocationOffline, true, true, false,
			"0x01000040 (CERT_TRUST_REVOCATION_STATUS_UNKNOWN | CERT_TRUST_IS_OFFLINE_REVOCATION)"},
		{"Wine CRL offline", 0x01000000, 0x800B010E, ClassRevocationUnknown, true, true, false,
			"0x01000000 (CERT_TRUST_IS_OFFLINE_REVOCATION)"},
		{"untrusted root", 0x20, 0x800B0109, ClassUntrustedRoot, false, false, true,
			"0x00000020 (CERT_TRUST_IS_UNTRUSTED_ROOT)"},
		{"trusted", 0, 0, ClassOK, false, false, false, "0x00000000 (CERT_TRUST_NO_ERROR)"},
		{"expired, status only", 0x1, 0, ClassTime, false, false, false, "0x00000001 (CERT_TRUST_IS_NOT_TIME_VALID)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Summarize(tc.status, tc.policy)
			if s.Class != tc.class {
				t.Errorf("class %s, want %s", s.Class, tc.class)
			}
			if RevocationOffline(tc.status) != tc.offline || RevocationUnknown(tc.status) != tc.unknown || UntrustedRoot(tc.status) != tc.untrusted {
				t.Errorf("helpers: offline %v unknown %v untrusted %v", RevocationOffline(tc.status), RevocationUnknown(tc.status), UntrustedRoot(tc.status))
			}
			if s.ErrorStatus != tc.bits {
				t.Errorf("ErrorStatus %q, want %q", s.ErrorStatus, tc.bits)
			}
		})
	}
}

func TestPolicyNames(t *testing.T) {
	for v, want := range map[uint32]string{
		0x80092013: "0x80092013 CRYPT_E_REVOCATION_OFFLINE",
		0x800B0109: "0x800B0109 CERT_E_UNTRUSTEDROOT",
		0x800B0101: "0x800B0101 CERT_E_EXPIRED",
		0x800B010F: "0x800B010F CERT_E_CN_NO_MATCH",
		0x80092010: "0x80092010 CRYPT_E_REVOKED",
		0x800B010C: "0x800B010C CERT_E_REVOKED",
		0x80072F8F: "0x80072F8F",
	} {
		if got := PolicyString(v); got != want {
			t.Errorf("PolicyString(%#x) = %q, want %q", v, got, want)
		}
	}
	if Classify(0x800B010F) != ClassNameMismatch || Classify(0x80072F8F) != ClassOther {
		t.Error("Classify")
	}
	if got := PolicyCode(0x80092013).String(); got != "0x80092013" {
		t.Errorf("PolicyCode = %q", got)
	}
}

func TestBits(t *testing.T) {
	// Every error bit has a distinct value and a CERT_TRUST_ name.
	seen := map[uint32]bool{}
	for _, b := range errorBits {
		if seen[b.Value] || !strings.HasPrefix(b.Name, "CERT_TRUST_") || b.Value&(b.Value-1) != 0 {
			t.Errorf("bad bit %+v", b)
		}
		seen[b.Value] = true
	}
	// Unknown bits are kept, not dropped.
	bits := ErrorBits(0x40000020)
	if len(bits) != 2 || bits[1].Name != "0x40000000" {
		t.Errorf("ErrorBits = %+v", bits)
	}
	if got := InfoString(0x109); got != "0x00000109 (CERT_TRUST_HAS_EXACT_MATCH_ISSUER | CERT_TRUST_IS_SELF_SIGNED | CERT_TRUST_HAS_PREFERRED_ISSUER)" {
		t.Errorf("InfoString = %q", got)
	}
}
