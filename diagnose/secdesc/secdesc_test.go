package secdesc

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// Real descriptors read on Windows, published in public evidence:
//
// healthyAutoUpdate and healthyAuthRoot: Get-Acl ... .Sddl of
// HKLM\SOFTWARE\Microsoft\SystemCertificates\AuthRoot\AutoUpdate and its
// parent on Windows 11 25H2 build 26200 (AlbatronicProductions/NovaCore,
// docs/engineering-evidence/bepu-local-contact-staging/phase2-authroot-acls.json).
// The CryptSvc grant is explicit on AuthRoot and inherited on AutoUpdate.
//
// protectedNoCryptSvc: the same machine's AuthRoot\CRLs key, whose DACL is
// protected and lacks the CryptSvc grant; CryptSvc got "Access denied"
// there (ProcMon RegCreateKey). Same shape as the seed case's AutoUpdate key.
//
// wineDefault: what Wine 8.0 reports for every registry key.
const (
	capabilitySID     = "S-1-15-3-1024-1065365936-1281604716-3511738428-1654721687-432734479-3232135806-4053264122-3456934681"
	cryptSvcSIDString = "S-1-5-80-242729624-280608522-2219052887-3187409060-2225943459"

	healthyAutoUpdate = "O:SYG:SYD:AI(A;ID;KA;;;" + cryptSvcSIDString + ")(A;OICIIOID;GA;;;" + cryptSvcSIDString +
		")(A;ID;KR;;;BU)(A;CIIOID;GR;;;BU)(A;ID;KA;;;BA)(A;CIIOID;GA;;;BA)(A;ID;KA;;;SY)(A;CIIOID;GA;;;SY)(A;CIIOID;GA;;;CO)" +
		"(A;ID;KR;;;AC)(A;CIIOID;GR;;;AC)(A;ID;KR;;;" + capabilitySID + ")(A;CIIOID;GR;;;" + capabilitySID + ")"
	healthyAuthRoot = "O:SYG:SYD:AI(A;;KA;;;" + cryptSvcSIDString + ")(A;OICIIO;GA;;;" + cryptSvcSIDString +
		")(A;ID;KR;;;BU)(A;CIIOID;GR;;;BU)(A;ID;KA;;;BA)(A;CIIOID;GA;;;BA)(A;ID;KA;;;SY)(A;CIIOID;GA;;;SY)(A;CIIOID;GA;;;CO)" +
		"(A;ID;KR;;;AC)(A;CIIOID;GR;;;AC)(A;ID;KR;;;" + capabilitySID + ")(A;CIIOID;GR;;;" + capabilitySID + ")"
	protectedNoCryptSvc = "O:SYG:SYD:PAI(A;CIIO;KA;;;CO)(A;CI;KA;;;SY)(A;CI;KA;;;BA)(A;CI;KR;;;BU)(A;CI;KR;;;AC)(A;CI;KR;;;" + capabilitySID + ")"
	wineDefault         = "O:BAG:BAD:(A;CIIO;GR;;;BU)(A;;KA;;;BA)"
)

func TestServiceSID(t *testing.T) {
	// Values printed by `sc showsid` on Windows.
	for name, want := range map[string]string{
		"CryptSvc":         cryptSvcSIDString,
		"cryptsvc":         cryptSvcSIDString, // the name is upper-cased first
		"TrustedInstaller": "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464",
		"EventLog":         "S-1-5-80-880578595-1860270145-482643319-2788375705-1540778122",
		"WdiServiceHost":   "S-1-5-80-3139157870-2983391045-3678747466-658725712-1809340420",
	} {
		if got := ServiceSID(name).String(); got != want {
			t.Errorf("ServiceSID(%q) = %s, want %s", name, got, want)
		}
	}
	if got := CryptSvc.Name(); got != `NT SERVICE\CryptSvc` {
		t.Errorf("CryptSvc.Name() = %q", got)
	}
}

func TestSIDParseFormat(t *testing.T) {
	for _, tc := range []struct{ in, want, name string }{
		{"S-1-5-18", "S-1-5-18", `NT AUTHORITY\SYSTEM`},
		{"s-1-5-32-544", "S-1-5-32-544", `BUILTIN\Administrators`},
		{"BU", "S-1-5-32-545", `BUILTIN\Users`},
		{"WD", "S-1-1-0", "Everyone"},
		{"AU", "S-1-5-11", `NT AUTHORITY\Authenticated Users`},
		{"CO", "S-1-3-0", "CREATOR OWNER"},
		{"AC", "S-1-15-2-1", `APPLICATION PACKAGE AUTHORITY\ALL APPLICATION PACKAGES`},
		{"S-1-0x000000000100-5", "S-1-256-5", ""},
		{"S-1-0x123456789ABC-5", "S-1-0x123456789ABC-5", ""},
		{"S-1-5-7", "S-1-5-7", `NT AUTHORITY\ANONYMOUS LOGON`},
		{capabilitySID, capabilitySID, ""},
	} {
		s, err := ParseSID(tc.in)
		if err != nil {
			t.Fatalf("ParseSID(%q): %v", tc.in, err)
		}
		if s.String() != tc.want || s.Name() != tc.name {
			t.Errorf("ParseSID(%q) = %s %q, want %s %q", tc.in, s, s.Name(), tc.want, tc.name)
		}
		back, n, err := ParseSIDBytes(s.Bytes())
		if err != nil || back != s || n != s.Len() {
			t.Errorf("binary round trip of %s: %v %v %d", s, back, err, n)
		}
	}
	// Binary layout (MS-DTYP 2.4.2.2): revision, count, 6-byte big-endian
	// authority, little-endian sub-authorities.
	want := []byte{1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0}
	if got := Administrators.Bytes(); !bytes.Equal(got, want) {
		t.Errorf("Administrators.Bytes() = % x, want % x", got, want)
	}
	for _, bad := range []string{"", "S-1", "S-2-5-18", "S-1-5-x", "S-1-5-18-", "XX", "DA", "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", "S-1-281474976710656"} {
		if _, err := ParseSID(bad); err == nil {
			t.Errorf("ParseSID(%q) succeeded", bad)
		}
	}
	if _, _, err := ParseSIDBytes([]byte{1, 5, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0}); !errors.Is(err, ErrShort) {
		t.Errorf("short SID: %v", err)
	}
}

// SDDL strings that Windows printed must come back identical after
// parse, binary encode, binary parse and format: flag order, rights
// aliases and SID aliases all as Windows writes them.
func TestSDDLRoundTripWindowsStrings(t *testing.T) {
	for _, s := range []string{
		healthyAutoUpdate, healthyAuthRoot, protectedNoCryptSvc, wineDefault,
		"D:(A;;CCDC;;;SY)(A;;CCDC;;;BA)(A;;CCDC;;;" + cryptSvcSIDString + ")(A;;CC;;;AU)(A;;CC;;;AC)", // WNF state name, SharpWnfDump
		"D:PAR(A;CIIO;KA;;;CO)(A;CI;KA;;;SY)(A;CI;KA;;;BA)(A;CI;KR;;;AN)(A;CI;KR;;;BU)",               // Microsoft docs, rpc key policy
		"O:BAG:SYD:AI(A;CIIO;KA;;;CO)(A;CI;KA;;;SY)(A;CI;KA;;;BA)(A;CI;KR;;;BU)",
		"D:NO_ACCESS_CONTROL",
		"O:SYD:PAI",
	} {
		sd, err := ParseSDDL(s)
		if err != nil {
			t.Fatalf("ParseSDDL(%q): %v", s, err)
		}
		if got := sd.SDDL(); got != s {
			t.Errorf("format:\n got %s\nwant %s", got, s)
		}
		back, err := Parse(sd.Bytes())
		if err != nil {
			t.Fatalf("Parse(Bytes(%q)): %v", s, err)
		}
		if got := back.SDDL(); got != s {
			t.Errorf("binary round trip:\n got %s\nwant %s", got, s)
		}
	}
}

func TestHealthyAutoUpdateACEs(t *testing.T) {
	sd := MustParseSDDL(healthyAutoUpdate)
	if sd.Protected() || sd.Control&DACLAutoInherited == 0 {
		t.Errorf("control %s: want auto-inherited, not protected", sd.Control)
	}
	if sd.Owner != LocalSystem || sd.Group != LocalSystem {
		t.Errorf("owner %s group %s", sd.Owner, sd.Group)
	}
	// Masks and flags as Get-Acl listed them (AccessMask, AceFlags).
	want := []struct {
		sid   SID
		mask  Mask
		flags AceFlags
	}{
		{CryptSvc, 0x000F003F, Inherited},
		{CryptSvc, 0x10000000, ObjectInherit | ContainerInherit | InheritOnly | Inherited},
		{Users, 0x00020019, Inherited},
		{Users, 0x80000000, ContainerInherit | InheritOnly | Inherited},
		{Administrators, 0x000F003F, Inherited},
	}
	if len(sd.DACL.ACEs) != 13 {
		t.Fatalf("%d ACEs, Get-Acl listed 13", len(sd.DACL.ACEs))
	}
	for i, w := range want {
		a := sd.DACL.ACEs[i]
		if a.SID != w.sid || a.Mask != w.mask || a.Flags != w.flags || a.Type != AccessAllowed {
			t.Errorf("ACE %d = %s %s %s, want %s %s %s", i, a.SID, a.Mask, a.Flags, w.sid, w.mask, w.flags)
		}
	}
	if got := sd.DACL.ACEs[0].Mask.KeyString(); got != "KEY_ALL_ACCESS" {
		t.Errorf("KeyString = %q", got)
	}
}

func TestServiceKeyAccess(t *testing.T) {
	for _, tc := range []struct {
		name, sddl string
		can        bool
		inherited  bool
		reason     string
	}{
		{"healthy AutoUpdate", healthyAutoUpdate, true, true, "ACE #0 (A;ID;KA;;;" + cryptSvcSIDString + ")"},
		{"healthy AuthRoot", healthyAuthRoot, true, false, "explicit"},
		{"protected without CryptSvc", protectedNoCryptSvc, false, false, "no ACE grants KEY_SET_VALUE and the DACL is protected"},
		{"Wine default", wineDefault, false, false, "no ACE grants KEY_SET_VALUE"},
		{"explicit deny first", "D:AI(D;;KW;;;" + cryptSvcSIDString + ")(A;ID;KA;;;" + cryptSvcSIDString + ")", false, true, "denied by ACE #0"},
		{"deny for NETWORK SERVICE", "D:(D;;DC;;;NS)(A;;KA;;;" + cryptSvcSIDString + ")", false, false, "KEY_SET_VALUE denied by ACE #0"},
		{"grant via Users group", "D:P(A;;KW;;;BU)", true, false, `BUILTIN\Users`},
		{"inherit-only grant ignored", "D:P(A;CIIO;KA;;;" + cryptSvcSIDString + ")", false, false, "no ACE grants"},
		{"generic write maps to set value", "D:P(A;;GW;;;NS)", true, false, "NETWORK SERVICE"},
		{"NULL DACL", "D:NO_ACCESS_CONTROL", true, false, "NULL DACL"},
		{"empty DACL", "D:P", false, false, "no ACE grants"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := ServiceKeyAccess(MustParseSDDL(tc.sddl), "CryptSvc", NetworkService)
			if k.CanWrite != tc.can {
				t.Errorf("CanWrite = %v, want %v (%s)", k.CanWrite, tc.can, k.Reason)
			}
			if k.ServiceACEInherited != tc.inherited {
				t.Errorf("ServiceACEInherited = %v, want %v", k.ServiceACEInherited, tc.inherited)
			}
			if !strings.Contains(k.Reason, tc.reason) {
				t.Errorf("Reason %q does not mention %q", k.Reason, tc.reason)
			}
		})
	}
	// The CryptSvc token's groups matter: Users can read the protected key.
	sd := MustParseSDDL(protectedNoCryptSvc)
	if d := sd.Access(CryptSvcPrincipals(), KeyRead, RegistryMapping); !d.Allowed {
		t.Errorf("CryptSvc should read the protected key through BUILTIN\\Users: %s", d.Reason)
	}
	if d := sd.Access(Principals{LocalSystem}, KeyAllAccess, RegistryMapping); !d.Allowed {
		t.Errorf("SYSTEM should have full access: %s", d.Reason)
	}
	// Owner gets READ_CONTROL|WRITE_DAC implicitly (it can repair the DACL).
	if d := MustParseSDDL("O:BAD:P").Access(Principals{Administrators}, WriteDAC, RegistryMapping); !d.Allowed {
		t.Errorf("owner should get WRITE_DAC: %s", d.Reason)
	}
}

// wineBinary is Wine's default descriptor laid out by hand from MS-DTYP
// 2.4.6 (header, SACL, DACL, owner, group), independent of Bytes.
func wineBinary() []byte {
	var b []byte
	le16 := func(v uint16) { b = binary.LittleEndian.AppendUint16(b, v) }
	le32 := func(v uint32) { b = binary.LittleEndian.AppendUint32(b, v) }
	b = append(b, 1, 0)
	le16(0x8004) // SE_SELF_RELATIVE | SE_DACL_PRESENT
	le32(20 + 56)
	le32(20 + 56 + 16)
	le32(0)
	le32(20)
	// ACL: revision 2, size 8+24+24, 2 ACEs.
	b = append(b, 2, 0)
	le16(56)
	le16(2)
	le16(0)
	// (A;CIIO;GR;;;BU): type 0, flags 0x0A, size 4+4+16.
	b = append(b, 0, 0x0A)
	le16(24)
	le32(0x80000000)
	b = append(b, 1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x21, 0x02, 0, 0)
	// (A;;KA;;;BA): size 24.
	b = append(b, 0, 0)
	le16(24)
	le32(0xF003F)
	b = append(b, 1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0)
	// Owner BA, group BA.
	b = append(b, 1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0)
	b = append(b, 1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 0x02, 0, 0)
	return b
}

func TestBinaryLayout(t *testing.T) {
	want := wineBinary()
	if got := MustParseSDDL(wineDefault).Bytes(); !bytes.Equal(got, want) {
		t.Errorf("Bytes:\n got % x\nwant % x", got, want)
	}
	sd, err := Parse(want)
	if err != nil {
		t.Fatal(err)
	}
	if got := sd.SDDL(); got != wineDefault {
		t.Errorf("Parse: %s", got)
	}
	if sd.Control != DACLPresent|SelfRelative {
		t.Errorf("control %s", sd.Control)
	}
}

func TestParseErrors(t *testing.T) {
	good := wineBinary()
	for name, b := range map[string][]byte{
		"empty":            nil,
		"short header":     good[:19],
		"revision 2":       append([]byte{2}, good[1:]...),
		"absolute":         append([]byte{1, 0, 0x04, 0x00}, good[4:]...),
		"owner past end":   good[:70],
		"ACL cut":          good[:40],
		"ACE size too big": func() []byte { c := bytes.Clone(good); c[20+8+2] = 200; return c }(),
		"ACE count too big": func() []byte {
			c := bytes.Clone(good)
			c[20+4] = 9
			return c
		}(),
	} {
		if sd, err := Parse(b); err == nil {
			t.Errorf("%s: parsed as %s", name, sd)
		}
	}
	for _, bad := range []string{
		"X:BA", "O:ZZ", "D:(A;;KA;;;BA", "D:(Q;;KA;;;BA)", "D:(A;XX;KA;;;BA)", "D:(A;;QQ;;;BA)",
		"D:(A;;KA;;;BA;x)", "D:(A;;KA;;;)", "D:(OA;;KA;bf967aba-0de6-11d0-a285-00aa003049e2;;BA)",
		"D:Z(A;;KA;;;BA)", "O:BAO:BA", "D:NO_ACCESS_CONTROL(A;;KA;;;BA)",
	} {
		if _, err := ParseSDDL(bad); err == nil {
			t.Errorf("ParseSDDL(%q) succeeded", bad)
		} else {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("ParseSDDL(%q): %T, want *SyntaxError", bad, err)
			}
		}
	}
}

func TestRightsFormatting(t *testing.T) {
	for m, want := range map[Mask]string{
		KeyAllAccess: "KA", KeyRead: "KR", KeyWrite: "KW", GenericRead: "GR", GenericAll: "GA",
		0x3: "CCDC", ReadControl | WriteDAC: "RCWD", 0x00000200: "0x200", 0: "0x0",
		GenericRead | GenericWrite: "GRGW",
	} {
		if got := FormatRights(m); got != want {
			t.Errorf("FormatRights(%s) = %q, want %q", m, got, want)
		}
		back, err := parseRights(want)
		if err != nil || back != m {
			t.Errorf("parseRights(%q) = %s, %v", want, back, err)
		}
	}
	if got := RegistryMapping.Map(GenericAll | GenericRead); got != KeyAllAccess {
		t.Errorf("Map = %s", got)
	}
	if got := (KeySetValue | KeyCreateSubKey).KeyString(); got != "KEY_SET_VALUE|KEY_CREATE_SUB_KEY" {
		t.Errorf("KeyString = %q", got)
	}
}

// realHiveSK is the security descriptor of the root key of a real Windows
// NTUSER.DAT (the sk cell at 0x1000+0x80 of
// www.velocidex.com/golang/regparser's testdata/NTUSER.DAT, Apache-2.0).
// Windows wrote it; re-encoding must give the same bytes, which checks
// that Bytes lays out a descriptor as Windows does (DACL, owner, group).
const realHiveSK = "01000480e4000000f400000000000000140000000200d00008000000000024003f000f00010500000000000515000000fa4f0c2f11c35f7343170a32ec030000000014003f000f00010100000000000512000000000018003f000f0001020000000000052000000020020000000014001900020001010000000000050c000000000b240000000010010500000000000515000000fa4f0c2f11c35f7343170a32ec030000000b140000000010010100000000000512000000000b18000000001001020000000000052000000020020000000b14000000008001010000000000050c00000001020000000000052000000020020000010100000000000512000000"

func TestRealHiveDescriptor(t *testing.T) {
	b, err := hex.DecodeString(realHiveSK)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	const want = "O:BAG:SYD:(A;;KA;;;S-1-5-21-789336058-1935655697-839522115-1004)(A;;KA;;;SY)(A;;KA;;;BA)(A;;KR;;;RC)" +
		"(A;OICIIO;GA;;;S-1-5-21-789336058-1935655697-839522115-1004)(A;OICIIO;GA;;;SY)(A;OICIIO;GA;;;BA)(A;OICIIO;GR;;;RC)"
	if got := sd.SDDL(); got != want {
		t.Errorf("SDDL:\n got %s\nwant %s", got, want)
	}
	if got := sd.Bytes(); !bytes.Equal(got, b) {
		t.Errorf("re-encoded differs:\n got %x\nwant %x", got, b)
	}
	user := MustParseSID("S-1-5-21-789336058-1935655697-839522115-1004")
	if d := sd.Access(Principals{user, Everyone, Users}, KeyAllAccess, RegistryMapping); !d.Allowed {
		t.Errorf("the profile's user should have full control: %s", d.Reason)
	}
	if d := sd.Access(Principals{Restricted}, KeyWrite, RegistryMapping); d.Allowed || d.Granted != KeyRead {
		t.Errorf("RESTRICTED should only read: granted %s", d.Granted.KeyString())
	}
}
