package secdesc

import (
	"fmt"
	"strconv"
	"strings"
)

// SDDL rights aliases. Whole-mask aliases are tried first when formatting
// (KR before KX, as Windows prints KEY_READ); single-right letters follow
// in the order Windows prints them.
var sddlWholeRights = []struct {
	s string
	m Mask
}{
	{"FA", FileAllAccess}, {"FR", FileGenericRead}, {"FW", FileGenericWrite}, {"FX", FileGenericExec},
	{"KA", KeyAllAccess}, {"KR", KeyRead}, {"KW", KeyWrite}, {"KX", KeyExecute},
}

var sddlBitRights = []struct {
	s string
	m Mask
}{
	{"GA", GenericAll}, {"GR", GenericRead}, {"GW", GenericWrite}, {"GX", GenericExecute},
	{"RC", ReadControl}, {"SD", Delete}, {"WD", WriteDAC}, {"WO", WriteOwner},
	{"RP", 0x10}, {"WP", 0x20}, {"CC", 0x1}, {"DC", 0x2}, {"LC", 0x4}, {"SW", 0x8},
	{"LO", 0x80}, {"DT", 0x40}, {"CR", 0x100},
}

var sddlAceTypes = []struct {
	s string
	t AceType
}{
	{"A", AccessAllowed}, {"D", AccessDenied}, {"AU", SystemAudit}, {"AL", SystemAlarm},
	{"OA", AccessAllowedObject}, {"OD", AccessDeniedObject}, {"OU", SystemAuditObject}, {"OL", SystemAlarmObject},
	{"XA", AccessAllowedCallback}, {"XD", AccessDeniedCallback}, {"ZA", AccessAllowedCallbackObject},
	{"XU", SystemAuditCallback}, {"ML", SystemMandatoryLabel}, {"RA", SystemResourceAttribute},
	{"SP", SystemScopedPolicyID},
}

var sddlAceFlags = []struct {
	s string
	f AceFlags
}{
	{"OI", ObjectInherit}, {"CI", ContainerInherit}, {"NP", NoPropagateInherit},
	{"IO", InheritOnly}, {"ID", Inherited}, {"SA", SuccessfulAccess}, {"FA", FailedAccess},
}

// SyntaxError reports an SDDL string that cannot be parsed, with the byte
// offset of the problem.
type SyntaxError struct {
	SDDL   string
	Offset int
	Msg    string
}

// Error describes the SDDL syntax error and where it is.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("SDDL at offset %d: %s", e.Offset, e.Msg)
}

// ParseSDDL parses a security descriptor string such as
// "O:BAG:SYD:PAI(A;CIIO;GR;;;BU)(A;;KA;;;BA)". It supports owner, group,
// DACL and SACL with their P/AR/AI/NO_ACCESS_CONTROL flags, the ACE types of
// sddlAceTypes, rights as aliases or numbers (0x hex, 0 octal, decimal),
// machine-independent SID aliases and S-1-... SIDs. Object GUIDs and
// conditional expressions are not supported and give an error.
func ParseSDDL(s string) (*SecurityDescriptor, error) {
	p := &sddlParser{s: s}
	sd := &SecurityDescriptor{}
	seen := map[byte]bool{}
	for p.pos < len(s) {
		if p.pos+2 > len(s) || s[p.pos+1] != ':' {
			return nil, p.errf("expected O:, G:, D: or S:")
		}
		tag := s[p.pos]
		if tag >= 'a' && tag <= 'z' {
			tag -= 'a' - 'A'
		}
		if seen[tag] {
			return nil, p.errf("component %c: given twice", tag)
		}
		seen[tag] = true
		p.pos += 2
		switch tag {
		case 'O', 'G':
			start := p.pos
			end := p.componentEnd()
			sid, err := ParseSID(s[start:end])
			if err != nil {
				p.pos = start
				return nil, p.errf("%v", err)
			}
			if tag == 'O' {
				sd.Owner = sid
			} else {
				sd.Group = sid
			}
			p.pos = end
		case 'D', 'S':
			flags, null, acl, err := p.acl()
			if err != nil {
				return nil, err
			}
			bits := [4]Control{DACLPresent, DACLProtected, DACLAutoInheritReq, DACLAutoInherited}
			if tag == 'S' {
				bits = [4]Control{SACLPresent, SACLProtected, SACLAutoInheritReq, SACLAutoInherited}
			}
			sd.Control |= bits[0]
			for i, f := range []int{aclProtected, aclAutoInheritReq, aclAutoInherited} {
				if flags&f != 0 {
					sd.Control |= bits[i+1]
				}
			}
			switch {
			case null:
			case tag == 'D':
				sd.DACL = acl
			default:
				sd.SACL = acl
			}
		default:
			p.pos -= 2
			return nil, p.errf("unknown component %q", s[p.pos:p.pos+2])
		}
	}
	sd.Control |= SelfRelative
	return sd, nil
}

// MustParseSDDL is like ParseSDDL but panics on error. For constants and
// tests.
func MustParseSDDL(s string) *SecurityDescriptor {
	sd, err := ParseSDDL(s)
	if err != nil {
		panic(err)
	}
	return sd
}

type sddlParser struct {
	s   string
	pos int
}

func (p *sddlParser) errf(format string, args ...any) error {
	return &SyntaxError{SDDL: p.s, Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

// componentEnd finds where an owner/group SID ends: at the next "X:" tag.
func (p *sddlParser) componentEnd() int {
	for i := p.pos; i+1 < len(p.s); i++ {
		if p.s[i+1] == ':' && strings.IndexByte("OGDSogds", p.s[i]) >= 0 {
			return i
		}
	}
	return len(p.s)
}

const (
	aclProtected = 1 << iota
	aclAutoInheritReq
	aclAutoInherited
)

func (p *sddlParser) acl() (flags int, null bool, acl *ACL, err error) {
	acl = &ACL{Revision: 2}
	for p.pos < len(p.s) && p.s[p.pos] != '(' {
		rest := p.s[p.pos:]
		switch {
		case strings.HasPrefix(rest, "NO_ACCESS_CONTROL"):
			null = true
			p.pos += len("NO_ACCESS_CONTROL")
		case strings.HasPrefix(rest, "AR"):
			flags |= aclAutoInheritReq
			p.pos += 2
		case strings.HasPrefix(rest, "AI"):
			flags |= aclAutoInherited
			p.pos += 2
		case strings.HasPrefix(rest, "P"):
			flags |= aclProtected
			p.pos++
		default:
			if len(rest) >= 2 && rest[1] == ':' {
				return flags, null, acl, nil // next component: empty ACL
			}
			return 0, false, nil, p.errf("unexpected %q in ACL flags", rest[:1])
		}
	}
	for p.pos < len(p.s) && p.s[p.pos] == '(' {
		end := strings.IndexByte(p.s[p.pos:], ')')
		if end < 0 {
			return 0, false, nil, p.errf("ACE without closing parenthesis")
		}
		ace, err := p.ace(p.s[p.pos+1 : p.pos+end])
		if err != nil {
			return 0, false, nil, err
		}
		if ace.Type.isObject() {
			acl.Revision = 4
		}
		acl.ACEs = append(acl.ACEs, ace)
		p.pos += end + 1
	}
	if null && len(acl.ACEs) > 0 {
		return 0, false, nil, p.errf("NO_ACCESS_CONTROL with ACEs")
	}
	return flags, null, acl, nil
}

func (p *sddlParser) ace(body string) (ACE, error) {
	start := p.pos + 1
	f := strings.Split(body, ";")
	if len(f) != 6 && len(f) != 7 {
		return ACE{}, p.errf("ACE %q: %d fields, want 6 (type;flags;rights;object;inherited object;sid)", body, len(f))
	}
	var a ACE
	found := false
	for _, t := range sddlAceTypes {
		if strings.EqualFold(f[0], t.s) {
			a.Type, found = t.t, true
			break
		}
	}
	if !found {
		p.pos = start
		return ACE{}, p.errf("ACE %q: unknown type %q", body, f[0])
	}
	for fl := f[1]; fl != ""; {
		ok := false
		if len(fl) >= 2 {
			for _, x := range sddlAceFlags {
				if strings.EqualFold(fl[:2], x.s) {
					a.Flags |= x.f
					fl, ok = fl[2:], true
					break
				}
			}
		}
		if !ok {
			p.pos = start
			return ACE{}, p.errf("ACE %q: unknown flag %q", body, fl)
		}
	}
	m, err := parseRights(f[2])
	if err != nil {
		p.pos = start
		return ACE{}, p.errf("ACE %q: %v", body, err)
	}
	a.Mask = m
	if f[3] != "" || f[4] != "" {
		p.pos = start
		return ACE{}, p.errf("ACE %q: object GUIDs are not supported", body)
	}
	if a.Type.isObject() {
		p.pos = start
		return ACE{}, p.errf("ACE %q: object ACE types are not supported", body)
	}
	if len(f) == 7 && f[6] != "" {
		p.pos = start
		return ACE{}, p.errf("ACE %q: conditional expressions and resource attributes are not supported", body)
	}
	a.SID, err = ParseSID(f[5])
	if err != nil {
		p.pos = start
		return ACE{}, p.errf("ACE %q: %v", body, err)
	}
	return a, nil
}

func parseRights(s string) (Mask, error) {
	if s == "" {
		return 0, nil
	}
	if s[0] >= '0' && s[0] <= '9' {
		v, err := strconv.ParseUint(s, 0, 32)
		if err != nil {
			return 0, fmt.Errorf("bad rights number %q", s)
		}
		return Mask(v), nil
	}
	var m Mask
	for rest := s; rest != ""; {
		if len(rest) < 2 {
			return 0, fmt.Errorf("unknown rights %q", rest)
		}
		tok := strings.ToUpper(rest[:2])
		ok := false
		for _, r := range sddlWholeRights {
			if tok == r.s {
				m |= r.m
				ok = true
				break
			}
		}
		if !ok {
			for _, r := range sddlBitRights {
				if tok == r.s {
					m |= r.m
					ok = true
					break
				}
			}
		}
		if !ok {
			return 0, fmt.Errorf("unknown rights %q", rest[:2])
		}
		rest = rest[2:]
	}
	return m, nil
}

// SDDL formats the descriptor as Windows' ConvertSecurityDescriptorToString
// does for owner, group, DACL and SACL: aliases for well-known SIDs and
// rights, flags in Windows' order (P, AR, AI; OI CI NP IO ID SA FA).
func (sd *SecurityDescriptor) SDDL() string {
	var b strings.Builder
	if !sd.Owner.IsZero() {
		b.WriteString("O:")
		writeSID(&b, sd.Owner)
	}
	if !sd.Group.IsZero() {
		b.WriteString("G:")
		writeSID(&b, sd.Group)
	}
	if sd.Control&DACLPresent != 0 || sd.DACL != nil {
		b.WriteString("D:")
		writeACLFlags(&b, sd.Control&DACLProtected != 0, sd.Control&DACLAutoInheritReq != 0, sd.Control&DACLAutoInherited != 0)
		writeACL(&b, sd.DACL)
	}
	if sd.Control&SACLPresent != 0 || sd.SACL != nil {
		b.WriteString("S:")
		writeACLFlags(&b, sd.Control&SACLProtected != 0, sd.Control&SACLAutoInheritReq != 0, sd.Control&SACLAutoInherited != 0)
		writeACL(&b, sd.SACL)
	}
	return b.String()
}

// String returns the SDDL form.
func (sd *SecurityDescriptor) String() string { return sd.SDDL() }

func writeACLFlags(b *strings.Builder, p, ar, ai bool) {
	if p {
		b.WriteString("P")
	}
	if ar {
		b.WriteString("AR")
	}
	if ai {
		b.WriteString("AI")
	}
}

func writeACL(b *strings.Builder, acl *ACL) {
	if acl == nil {
		b.WriteString("NO_ACCESS_CONTROL")
		return
	}
	for _, a := range acl.ACEs {
		writeACE(b, a)
	}
}

func writeSID(b *strings.Builder, s SID) {
	if a := s.Alias(); a != "" {
		b.WriteString(a)
		return
	}
	b.WriteString(s.String())
}

func writeACE(b *strings.Builder, a ACE) {
	b.WriteByte('(')
	t := ""
	for _, x := range sddlAceTypes {
		if x.t == a.Type {
			t = x.s
			break
		}
	}
	if t == "" {
		t = fmt.Sprintf("0x%02X", uint8(a.Type))
	}
	b.WriteString(t)
	b.WriteByte(';')
	for _, x := range sddlAceFlags {
		if a.Flags&x.f != 0 {
			b.WriteString(x.s)
		}
	}
	b.WriteByte(';')
	b.WriteString(FormatRights(a.Mask))
	b.WriteString(";;;")
	if !a.SID.IsZero() {
		writeSID(b, a.SID)
	}
	b.WriteByte(')')
}

// FormatRights formats an access mask as SDDL rights: a whole-mask alias
// (KA, KR...), else single-right letters, else 0x hex.
func FormatRights(m Mask) string {
	for _, r := range sddlWholeRights {
		if m == r.m {
			return r.s
		}
	}
	var b strings.Builder
	rest := m
	for _, r := range sddlBitRights {
		if m&r.m != 0 {
			b.WriteString(r.s)
			rest &^= r.m
		}
	}
	if rest != 0 || m == 0 {
		return fmt.Sprintf("0x%x", uint32(m))
	}
	return b.String()
}
