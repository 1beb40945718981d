// Package secdesc interprets Windows security data in plain Go: SIDs,
// self-relative SECURITY_DESCRIPTORs, ACLs and ACEs, SDDL strings, service
// SIDs, and the effective access a set of SIDs gets from a DACL.
//
// It is what wulog uses to answer "can NT SERVICE\CryptSvc write the
// AuthRoot\AutoUpdate key?" from a descriptor read on Windows (live, from
// an offline hive's sk cell, or from a snapshot), on any operating system.
package secdesc

import (
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// MaxSubAuthorities is the largest number of sub-authorities a SID can
// hold (SID_MAX_SUB_AUTHORITIES).
const MaxSubAuthorities = 15

// SID is a Windows security identifier. SIDs are comparable with ==.
// The zero SID is not valid (it has no revision); use [SID.IsZero].
type SID struct {
	valid     bool
	authority uint64 // 48 bits
	n         uint8
	sub       [MaxSubAuthorities]uint32
}

// NewSID returns the SID S-1-authority-sub... . It panics when given more
// than [MaxSubAuthorities] sub-authorities or an authority above 2^48-1.
func NewSID(authority uint64, sub ...uint32) SID {
	if len(sub) > MaxSubAuthorities || authority >= 1<<48 {
		panic("secdesc: invalid SID")
	}
	s := SID{valid: true, authority: authority, n: uint8(len(sub))}
	copy(s.sub[:], sub)
	return s
}

// IsZero reports whether s is the zero value (not a real SID).
func (s SID) IsZero() bool { return s == SID{} }

// Authority returns the 48-bit identifier authority (5 for NT AUTHORITY).
func (s SID) Authority() uint64 { return s.authority }

// SubAuthorities returns a copy of the sub-authorities.
func (s SID) SubAuthorities() []uint32 { return append([]uint32(nil), s.sub[:s.n]...) }

// Len is the size of the SID in binary form.
func (s SID) Len() int { return 8 + 4*int(s.n) }

// String formats the SID as S-1-... (authorities of 2^32 and above in hex,
// as Windows does).
func (s SID) String() string {
	if s.IsZero() {
		return "<zero SID>"
	}
	var b strings.Builder
	b.WriteString("S-1-")
	if s.authority >= 1<<32 {
		fmt.Fprintf(&b, "0x%012X", s.authority)
	} else {
		b.WriteString(strconv.FormatUint(s.authority, 10))
	}
	for _, v := range s.sub[:s.n] {
		b.WriteByte('-')
		b.WriteString(strconv.FormatUint(uint64(v), 10))
	}
	return b.String()
}

// Bytes returns the binary form of the SID (revision 1).
func (s SID) Bytes() []byte { return s.AppendBinary(nil) }

// AppendBinary appends the binary form of the SID to b.
func (s SID) AppendBinary(b []byte) []byte {
	b = append(b, 1, s.n)
	for i := 5; i >= 0; i-- {
		b = append(b, byte(s.authority>>(8*uint(i))))
	}
	for _, v := range s.sub[:s.n] {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

// ErrShort reports binary data that ends before the structure it should
// hold.
var ErrShort = errors.New("data too short")

// ParseSIDBytes decodes a binary SID at the start of b and returns it with
// the number of bytes it used.
func ParseSIDBytes(b []byte) (SID, int, error) {
	if len(b) < 8 {
		return SID{}, 0, fmt.Errorf("SID: %w (%d bytes, need at least 8)", ErrShort, len(b))
	}
	if b[0] != 1 {
		return SID{}, 0, fmt.Errorf("SID: revision %d, want 1", b[0])
	}
	n := int(b[1])
	if n > MaxSubAuthorities {
		return SID{}, 0, fmt.Errorf("SID: %d sub-authorities, at most %d allowed", n, MaxSubAuthorities)
	}
	size := 8 + 4*n
	if len(b) < size {
		return SID{}, 0, fmt.Errorf("SID: %w (%d bytes, %d sub-authorities need %d)", ErrShort, len(b), n, size)
	}
	s := SID{valid: true}
	s.n = uint8(n)
	for i := 2; i < 8; i++ {
		s.authority = s.authority<<8 | uint64(b[i])
	}
	for i := 0; i < n; i++ {
		s.sub[i] = binary.LittleEndian.Uint32(b[8+4*i:])
	}
	return s, size, nil
}

// ParseSID parses the string form S-1-5-32-544 (case-insensitive "S",
// decimal or 0x-hex authority) or an SDDL alias such as "BA" or "SY".
func ParseSID(str string) (SID, error) {
	if s, ok := aliasSID[strings.ToUpper(str)]; ok && len(str) == 2 {
		return s, nil
	}
	if len(str) < 2 || (str[0] != 'S' && str[0] != 's') || str[1] != '-' {
		if len(str) == 2 {
			return SID{}, fmt.Errorf("SID %q: unknown or domain-relative SDDL alias", str)
		}
		return SID{}, fmt.Errorf("SID %q: does not start with S-", str)
	}
	parts := strings.Split(str[2:], "-")
	if len(parts) < 2 {
		return SID{}, fmt.Errorf("SID %q: needs a revision and an authority", str)
	}
	if parts[0] != "1" {
		return SID{}, fmt.Errorf("SID %q: revision %q, want 1", str, parts[0])
	}
	s := SID{valid: true}
	var err error
	a := parts[1]
	if strings.HasPrefix(a, "0x") || strings.HasPrefix(a, "0X") {
		s.authority, err = strconv.ParseUint(a[2:], 16, 48)
	} else {
		s.authority, err = strconv.ParseUint(a, 10, 48)
	}
	if err != nil || a == "" {
		return SID{}, fmt.Errorf("SID %q: bad authority %q", str, a)
	}
	subs := parts[2:]
	if len(subs) > MaxSubAuthorities {
		return SID{}, fmt.Errorf("SID %q: %d sub-authorities, at most %d allowed", str, len(subs), MaxSubAuthorities)
	}
	for i, p := range subs {
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil || p == "" || p[0] == '+' {
			return SID{}, fmt.Errorf("SID %q: bad sub-authority %q", str, p)
		}
		s.sub[i] = uint32(v)
	}
	s.n = uint8(len(subs))
	return s, nil
}

// MustParseSID is like [ParseSID] but panics on error. For constants.
func MustParseSID(str string) SID {
	s, err := ParseSID(str)
	if err != nil {
		panic(err)
	}
	return s
}

// ServiceSID computes the per-service SID of a Windows service, as
// `sc showsid` prints it: S-1-5-80 followed by the SHA-1 of the upper-cased
// UTF-16LE service name read as five little-endian uint32s. It needs no
// lookup (LookupAccountName fails for service SIDs under Wine).
func ServiceSID(service string) SID {
	u := utf16.Encode([]rune(strings.ToUpper(service)))
	buf := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(buf[2*i:], c)
	}
	h := sha1.Sum(buf)
	var sub [5]uint32
	for i := range sub {
		sub[i] = binary.LittleEndian.Uint32(h[4*i:])
	}
	return NewSID(5, 80, sub[0], sub[1], sub[2], sub[3], sub[4])
}

// Well-known SIDs.
var (
	Everyone                = NewSID(1, 0)
	Local                   = NewSID(2, 0)
	CreatorOwner            = NewSID(3, 0)
	CreatorGroup            = NewSID(3, 1)
	OwnerRights             = NewSID(3, 4)
	Network                 = NewSID(5, 2)
	Interactive             = NewSID(5, 4)
	Service                 = NewSID(5, 6)
	Anonymous               = NewSID(5, 7)
	AuthenticatedUsers      = NewSID(5, 11)
	Restricted              = NewSID(5, 12)
	ThisOrganization        = NewSID(5, 15)
	LocalSystem             = NewSID(5, 18)
	LocalService            = NewSID(5, 19)
	NetworkService          = NewSID(5, 20)
	Administrators          = NewSID(5, 32, 544)
	Users                   = NewSID(5, 32, 545)
	Guests                  = NewSID(5, 32, 546)
	PowerUsers              = NewSID(5, 32, 547)
	AllServices             = NewSID(5, 80, 0)
	AllAppPackages          = NewSID(15, 2, 1)
	AllRestrictedAppPackges = NewSID(15, 2, 2)
	// TrustedInstaller is NT SERVICE\TrustedInstaller, the owner of most
	// system files and many registry keys.
	TrustedInstaller = ServiceSID("TrustedInstaller")
	// CryptSvc is NT SERVICE\CryptSvc, the service that writes the
	// AuthRoot\AutoUpdate key:
	// S-1-5-80-242729624-280608522-2219052887-3187409060-2225943459.
	CryptSvc = ServiceSID("CryptSvc")
)

// aliasSID maps SDDL two-letter aliases (machine-independent ones only)
// to SIDs; sidAlias is the reverse.
var aliasSID = map[string]SID{
	"WD": Everyone, "CO": CreatorOwner, "CG": CreatorGroup, "OW": OwnerRights,
	"NU": Network, "IU": Interactive, "SU": Service, "AN": Anonymous,
	"AU": AuthenticatedUsers, "RC": Restricted, "SY": LocalSystem,
	"LS": LocalService, "NS": NetworkService, "BA": Administrators,
	"BU": Users, "BG": Guests, "PU": PowerUsers, "AC": AllAppPackages,
	"ED": NewSID(5, 9), "PS": NewSID(5, 10), "WR": NewSID(5, 33),
	"AO": NewSID(5, 32, 548), "SO": NewSID(5, 32, 549), "PO": NewSID(5, 32, 550),
	"BO": NewSID(5, 32, 551), "RE": NewSID(5, 32, 552), "RU": NewSID(5, 32, 554),
	"RD": NewSID(5, 32, 555), "NO": NewSID(5, 32, 556), "MU": NewSID(5, 32, 558),
	"LU": NewSID(5, 32, 559), "IS": NewSID(5, 32, 568), "CY": NewSID(5, 32, 569),
	"ER": NewSID(5, 32, 573), "CD": NewSID(5, 32, 574), "RA": NewSID(5, 32, 575),
	"ES": NewSID(5, 32, 576), "MS": NewSID(5, 32, 577), "HA": NewSID(5, 32, 578),
	"AA": NewSID(5, 32, 579), "RM": NewSID(5, 32, 580),
	"UD": NewSID(5, 84, 0, 0, 0, 0, 0),
	"LW": NewSID(16, 0x1000), "ME": NewSID(16, 0x2000), "MP": NewSID(16, 0x2100),
	"HI": NewSID(16, 0x3000), "SI": NewSID(16, 0x4000),
}

var sidAlias = func() map[SID]string {
	m := make(map[SID]string, len(aliasSID))
	for a, s := range aliasSID {
		m[s] = a
	}
	return m
}()

// Alias returns the SDDL two-letter alias of s ("BA", "SY"...), or "" if
// it has none.
func (s SID) Alias() string { return sidAlias[s] }

var wellKnownNames = map[SID]string{
	Everyone: "Everyone", Local: "LOCAL", CreatorOwner: "CREATOR OWNER",
	CreatorGroup: "CREATOR GROUP", OwnerRights: "OWNER RIGHTS",
	Network: `NT AUTHORITY\NETWORK`, Interactive: `NT AUTHORITY\INTERACTIVE`,
	Service: `NT AUTHORITY\SERVICE`, Anonymous: `NT AUTHORITY\ANONYMOUS LOGON`,
	AuthenticatedUsers: `NT AUTHORITY\Authenticated Users`,
	Restricted:         `NT AUTHORITY\RESTRICTED`, ThisOrganization: `NT AUTHORITY\This Organization`,
	LocalSystem: `NT AUTHORITY\SYSTEM`, LocalService: `NT AUTHORITY\LOCAL SERVICE`,
	NetworkService: `NT AUTHORITY\NETWORK SERVICE`,
	Administrators: `BUILTIN\Administrators`, Users: `BUILTIN\Users`,
	Guests: `BUILTIN\Guests`, PowerUsers: `BUILTIN\Power Users`,
	NewSID(5, 32, 551):      `BUILTIN\Backup Operators`,
	AllServices:             `NT SERVICE\ALL SERVICES`,
	AllAppPackages:          `APPLICATION PACKAGE AUTHORITY\ALL APPLICATION PACKAGES`,
	AllRestrictedAppPackges: `APPLICATION PACKAGE AUTHORITY\ALL RESTRICTED APPLICATION PACKAGES`,
	NewSID(16, 0x1000):      `Mandatory Label\Low Mandatory Level`,
	NewSID(16, 0x2000):      `Mandatory Label\Medium Mandatory Level`,
	NewSID(16, 0x3000):      `Mandatory Label\High Mandatory Level`,
	NewSID(16, 0x4000):      `Mandatory Label\System Mandatory Level`,
}

// Services whose SIDs Name recognises (computed with ServiceSID).
var knownServices = []string{"TrustedInstaller", "CryptSvc", "wuauserv", "BITS", "UsoSvc", "W32Time", "WinHttpAutoProxySvc", "DoSvc"}

func init() {
	for _, s := range knownServices {
		wellKnownNames[ServiceSID(s)] = `NT SERVICE\` + s
	}
}

// Name returns the account name of a well-known SID (e.g. "NT SERVICE\CryptSvc",
// `BUILTIN\Administrators`), or "" when s is not one the package knows.
func (s SID) Name() string { return wellKnownNames[s] }

// Display returns the name of s followed by the SID in parentheses when the
// name is known, else the SID string.
func (s SID) Display() string {
	if n := s.Name(); n != "" {
		return n + " (" + s.String() + ")"
	}
	return s.String()
}

// MarshalText implements encoding.TextMarshaler (the S-1-... form).
func (s SID) MarshalText() ([]byte, error) {
	if s.IsZero() {
		return []byte{}, nil
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *SID) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*s = SID{}
		return nil
	}
	v, err := ParseSID(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
