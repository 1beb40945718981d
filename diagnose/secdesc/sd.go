package secdesc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// Control is the SECURITY_DESCRIPTOR_CONTROL word.
type Control uint16

// Control flags (winnt.h).
const (
	OwnerDefaulted     Control = 0x0001
	GroupDefaulted     Control = 0x0002
	DACLPresent        Control = 0x0004
	DACLDefaulted      Control = 0x0008
	SACLPresent        Control = 0x0010
	SACLDefaulted      Control = 0x0020
	DACLAutoInheritReq Control = 0x0100
	SACLAutoInheritReq Control = 0x0200
	DACLAutoInherited  Control = 0x0400
	SACLAutoInherited  Control = 0x0800
	DACLProtected      Control = 0x1000
	SACLProtected      Control = 0x2000
	RMControlValid     Control = 0x4000
	SelfRelative       Control = 0x8000
)

var controlNames = []flagName[Control]{
	{OwnerDefaulted, "SE_OWNER_DEFAULTED"}, {GroupDefaulted, "SE_GROUP_DEFAULTED"},
	{DACLPresent, "SE_DACL_PRESENT"}, {DACLDefaulted, "SE_DACL_DEFAULTED"},
	{SACLPresent, "SE_SACL_PRESENT"}, {SACLDefaulted, "SE_SACL_DEFAULTED"},
	{DACLAutoInheritReq, "SE_DACL_AUTO_INHERIT_REQ"}, {SACLAutoInheritReq, "SE_SACL_AUTO_INHERIT_REQ"},
	{DACLAutoInherited, "SE_DACL_AUTO_INHERITED"}, {SACLAutoInherited, "SE_SACL_AUTO_INHERITED"},
	{DACLProtected, "SE_DACL_PROTECTED"}, {SACLProtected, "SE_SACL_PROTECTED"},
	{RMControlValid, "SE_RM_CONTROL_VALID"}, {SelfRelative, "SE_SELF_RELATIVE"},
}

// String lists the flags, e.g. "SE_DACL_PRESENT|SE_DACL_PROTECTED|SE_SELF_RELATIVE".
func (c Control) String() string { return joinFlags(c, controlNames) }

// AceType is the ACE_HEADER AceType.
type AceType uint8

// ACE types (winnt.h).
const (
	AccessAllowed               AceType = 0x00
	AccessDenied                AceType = 0x01
	SystemAudit                 AceType = 0x02
	SystemAlarm                 AceType = 0x03
	AccessAllowedCompound       AceType = 0x04
	AccessAllowedObject         AceType = 0x05
	AccessDeniedObject          AceType = 0x06
	SystemAuditObject           AceType = 0x07
	SystemAlarmObject           AceType = 0x08
	AccessAllowedCallback       AceType = 0x09
	AccessDeniedCallback        AceType = 0x0A
	AccessAllowedCallbackObject AceType = 0x0B
	AccessDeniedCallbackObject  AceType = 0x0C
	SystemAuditCallback         AceType = 0x0D
	SystemAlarmCallback         AceType = 0x0E
	SystemAuditCallbackObject   AceType = 0x0F
	SystemAlarmCallbackObject   AceType = 0x10
	SystemMandatoryLabel        AceType = 0x11
	SystemResourceAttribute     AceType = 0x12
	SystemScopedPolicyID        AceType = 0x13
)

var aceTypeNames = map[AceType]string{
	AccessAllowed: "ACCESS_ALLOWED", AccessDenied: "ACCESS_DENIED", SystemAudit: "SYSTEM_AUDIT",
	SystemAlarm: "SYSTEM_ALARM", AccessAllowedCompound: "ACCESS_ALLOWED_COMPOUND",
	AccessAllowedObject: "ACCESS_ALLOWED_OBJECT", AccessDeniedObject: "ACCESS_DENIED_OBJECT",
	SystemAuditObject: "SYSTEM_AUDIT_OBJECT", SystemAlarmObject: "SYSTEM_ALARM_OBJECT",
	AccessAllowedCallback: "ACCESS_ALLOWED_CALLBACK", AccessDeniedCallback: "ACCESS_DENIED_CALLBACK",
	AccessAllowedCallbackObject: "ACCESS_ALLOWED_CALLBACK_OBJECT", AccessDeniedCallbackObject: "ACCESS_DENIED_CALLBACK_OBJECT",
	SystemAuditCallback: "SYSTEM_AUDIT_CALLBACK", SystemAlarmCallback: "SYSTEM_ALARM_CALLBACK",
	SystemAuditCallbackObject: "SYSTEM_AUDIT_CALLBACK_OBJECT", SystemAlarmCallbackObject: "SYSTEM_ALARM_CALLBACK_OBJECT",
	SystemMandatoryLabel: "SYSTEM_MANDATORY_LABEL", SystemResourceAttribute: "SYSTEM_RESOURCE_ATTRIBUTE",
	SystemScopedPolicyID: "SYSTEM_SCOPED_POLICY_ID",
}

// String names the ACE type ("ACCESS_ALLOWED").
func (t AceType) String() string {
	if n, ok := aceTypeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("ACE_TYPE_0x%02X", uint8(t))
}

// isObject reports whether the type carries object GUIDs.
func (t AceType) isObject() bool {
	switch t {
	case AccessAllowedObject, AccessDeniedObject, SystemAuditObject, SystemAlarmObject,
		AccessAllowedCallbackObject, AccessDeniedCallbackObject, SystemAuditCallbackObject, SystemAlarmCallbackObject:
		return true
	}
	return false
}

// hasMaskAndSID reports whether the ACE body is mask [+ object data] + SID.
func (t AceType) hasMaskAndSID() bool { return t != AccessAllowedCompound && t <= SystemScopedPolicyID }

// isAllow and isDeny classify DACL ACEs for access evaluation.
func (t AceType) isAllow() bool {
	return t == AccessAllowed || t == AccessAllowedObject || t == AccessAllowedCallback || t == AccessAllowedCallbackObject
}
func (t AceType) isDeny() bool {
	return t == AccessDenied || t == AccessDeniedObject || t == AccessDeniedCallback || t == AccessDeniedCallbackObject
}

// AceFlags is the ACE_HEADER AceFlags byte.
type AceFlags uint8

// ACE flags (winnt.h).
const (
	ObjectInherit      AceFlags = 0x01
	ContainerInherit   AceFlags = 0x02
	NoPropagateInherit AceFlags = 0x04
	InheritOnly        AceFlags = 0x08
	Inherited          AceFlags = 0x10
	SuccessfulAccess   AceFlags = 0x40
	FailedAccess       AceFlags = 0x80
)

var aceFlagNames = []flagName[AceFlags]{
	{ObjectInherit, "OBJECT_INHERIT"}, {ContainerInherit, "CONTAINER_INHERIT"},
	{NoPropagateInherit, "NO_PROPAGATE_INHERIT"}, {InheritOnly, "INHERIT_ONLY"},
	{Inherited, "INHERITED"}, {SuccessfulAccess, "SUCCESSFUL_ACCESS"}, {FailedAccess, "FAILED_ACCESS"},
}

// String lists the flags, e.g. "CONTAINER_INHERIT|INHERITED".
func (f AceFlags) String() string { return joinFlags(f, aceFlagNames) }

// flagName names one bit (or group of bits) of a flags word.
type flagName[T ~uint8 | ~uint16 | ~uint32] struct {
	v    T
	name string
}

// joinFlags lists the names of the bits set in v, "|"-joined, with bits
// that have no name in hex; "0" when none is set.
func joinFlags[T ~uint8 | ~uint16 | ~uint32](v T, names []flagName[T]) string {
	var parts []string
	rest := v
	for _, n := range names {
		if v&n.v != 0 {
			parts = append(parts, n.name)
			rest &^= n.v
		}
	}
	if rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%X", uint32(rest)))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "|")
}

// ACE is one access control entry.
type ACE struct {
	Type  AceType
	Flags AceFlags
	// Mask is the access mask as stored (generic bits not mapped).
	Mask Mask
	// SID is the trustee. Zero for ACE types without one.
	SID SID
	// ObjectFlags, ObjectType and InheritedObjectType are set for object
	// ACEs (ObjectFlags bit 1: ObjectType present, bit 2: inherited type).
	ObjectFlags         uint32
	ObjectType          [16]byte
	InheritedObjectType [16]byte
	// Extra holds bytes after the SID (callback application data) and the
	// whole body of ACE types this package does not decode.
	Extra []byte
}

// InheritOnly reports whether the ACE only serves inheritance and does not
// apply to the object itself.
func (a ACE) InheritOnly() bool { return a.Flags&InheritOnly != 0 }

// IsInherited reports whether the ACE was inherited from a parent.
func (a ACE) IsInherited() bool { return a.Flags&Inherited != 0 }

// String formats the ACE in SDDL, e.g. (A;CIID;KA;;;SY).
func (a ACE) String() string {
	var b strings.Builder
	writeACE(&b, a)
	return b.String()
}

// ACL is an access control list.
type ACL struct {
	// Revision is ACL_REVISION (2) or ACL_REVISION_DS (4).
	Revision uint8
	ACEs     []ACE
}

// SecurityDescriptor is a decoded SECURITY_DESCRIPTOR.
type SecurityDescriptor struct {
	Control Control
	// Owner and Group are zero when absent.
	Owner, Group SID
	// DACL is nil when the descriptor has no DACL or a NULL DACL (see
	// [SecurityDescriptor.NullDACL]); both grant everyone full access.
	DACL *ACL
	SACL *ACL
}

// Protected reports whether the DACL is protected from inheritance
// (SE_DACL_PROTECTED: "inheritance disabled" in the Windows UI).
func (sd *SecurityDescriptor) Protected() bool { return sd.Control&DACLProtected != 0 }

// NullDACL reports whether the descriptor grants everyone full access for
// lack of a DACL (no DACL, or SE_DACL_PRESENT with a NULL DACL).
func (sd *SecurityDescriptor) NullDACL() bool { return sd.DACL == nil }

// Parse decodes a self-relative SECURITY_DESCRIPTOR (the form
// RegGetKeySecurity, GetSecurityInfo's MakeSelfRelativeSD, registry hive sk
// cells and .NET's GetSecurityDescriptorBinaryForm return). It checks every
// offset and size and never panics on bad input.
func Parse(b []byte) (*SecurityDescriptor, error) {
	if len(b) < 20 {
		return nil, fmt.Errorf("security descriptor: %w (%d bytes, header needs 20)", ErrShort, len(b))
	}
	if b[0] != 1 {
		return nil, fmt.Errorf("security descriptor: revision %d, want 1", b[0])
	}
	sd := &SecurityDescriptor{Control: Control(binary.LittleEndian.Uint16(b[2:]))}
	if sd.Control&SelfRelative == 0 {
		return nil, fmt.Errorf("security descriptor: not self-relative (control %s)", sd.Control)
	}
	offOwner := binary.LittleEndian.Uint32(b[4:])
	offGroup := binary.LittleEndian.Uint32(b[8:])
	offSACL := binary.LittleEndian.Uint32(b[12:])
	offDACL := binary.LittleEndian.Uint32(b[16:])
	sidAt := func(what string, off uint32) (SID, error) {
		if off == 0 {
			return SID{}, nil
		}
		if off < 20 || uint64(off) >= uint64(len(b)) {
			return SID{}, fmt.Errorf("security descriptor: %s offset %d outside %d bytes", what, off, len(b))
		}
		s, _, err := ParseSIDBytes(b[off:])
		if err != nil {
			return SID{}, fmt.Errorf("security descriptor: %s at offset %d: %w", what, off, err)
		}
		return s, nil
	}
	var err error
	if sd.Owner, err = sidAt("owner", offOwner); err != nil {
		return nil, err
	}
	if sd.Group, err = sidAt("group", offGroup); err != nil {
		return nil, err
	}
	aclAt := func(what string, present bool, off uint32) (*ACL, error) {
		if !present || off == 0 {
			return nil, nil
		}
		if off < 20 || uint64(off) >= uint64(len(b)) {
			return nil, fmt.Errorf("security descriptor: %s offset %d outside %d bytes", what, off, len(b))
		}
		acl, err := ParseACL(b[off:])
		if err != nil {
			return nil, fmt.Errorf("security descriptor: %s at offset %d: %w", what, off, err)
		}
		return acl, nil
	}
	if sd.SACL, err = aclAt("SACL", sd.Control&SACLPresent != 0, offSACL); err != nil {
		return nil, err
	}
	if sd.DACL, err = aclAt("DACL", sd.Control&DACLPresent != 0, offDACL); err != nil {
		return nil, err
	}
	return sd, nil
}

// ParseACL decodes an ACL at the start of b.
func ParseACL(b []byte) (*ACL, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("ACL: %w (%d bytes, header needs 8)", ErrShort, len(b))
	}
	rev := b[0]
	if rev != 2 && rev != 4 {
		return nil, fmt.Errorf("ACL: revision %d, want 2 or 4", rev)
	}
	size := int(binary.LittleEndian.Uint16(b[2:]))
	count := int(binary.LittleEndian.Uint16(b[4:]))
	if size < 8 || size > len(b) {
		return nil, fmt.Errorf("ACL: size %d outside %d available bytes", size, len(b))
	}
	acl := &ACL{Revision: rev, ACEs: make([]ACE, 0, min(count, size/8))}
	p := 8
	for i := 0; i < count; i++ {
		if p+4 > size {
			return nil, fmt.Errorf("ACL: ACE %d of %d at offset %d: %w (ACL size %d)", i, count, p, ErrShort, size)
		}
		asz := int(binary.LittleEndian.Uint16(b[p+2:]))
		if asz < 4 || p+asz > size {
			return nil, fmt.Errorf("ACL: ACE %d of %d at offset %d: size %d outside ACL size %d", i, count, p, asz, size)
		}
		ace, err := parseACE(b[p : p+asz])
		if err != nil {
			return nil, fmt.Errorf("ACL: ACE %d of %d at offset %d: %w", i, count, p, err)
		}
		acl.ACEs = append(acl.ACEs, ace)
		p += asz
	}
	return acl, nil
}

func parseACE(b []byte) (ACE, error) {
	a := ACE{Type: AceType(b[0]), Flags: AceFlags(b[1])}
	body := b[4:]
	if !a.Type.hasMaskAndSID() {
		a.Extra = append([]byte(nil), body...)
		return a, nil
	}
	if len(body) < 4 {
		return a, fmt.Errorf("%s: %w (no access mask)", a.Type, ErrShort)
	}
	a.Mask = Mask(binary.LittleEndian.Uint32(body))
	body = body[4:]
	if a.Type.isObject() {
		if len(body) < 4 {
			return a, fmt.Errorf("%s: %w (no object flags)", a.Type, ErrShort)
		}
		a.ObjectFlags = binary.LittleEndian.Uint32(body)
		body = body[4:]
		if a.ObjectFlags&1 != 0 {
			if len(body) < 16 {
				return a, fmt.Errorf("%s: %w (no object type GUID)", a.Type, ErrShort)
			}
			copy(a.ObjectType[:], body)
			body = body[16:]
		}
		if a.ObjectFlags&2 != 0 {
			if len(body) < 16 {
				return a, fmt.Errorf("%s: %w (no inherited object type GUID)", a.Type, ErrShort)
			}
			copy(a.InheritedObjectType[:], body)
			body = body[16:]
		}
	}
	s, n, err := ParseSIDBytes(body)
	if err != nil {
		return a, fmt.Errorf("%s: %w", a.Type, err)
	}
	a.SID = s
	if rest := body[n:]; len(bytes.Trim(rest, "\x00")) > 0 {
		a.Extra = append([]byte(nil), rest...)
	}
	return a, nil
}

// Bytes encodes the ACL.
func (acl *ACL) Bytes() []byte {
	rev := acl.Revision
	if rev == 0 {
		rev = 2
	}
	b := []byte{rev, 0, 0, 0, 0, 0, 0, 0}
	for _, a := range acl.ACEs {
		if a.Type.isObject() {
			rev = 4
		}
		b = a.appendBinary(b)
	}
	b[0] = rev
	binary.LittleEndian.PutUint16(b[2:], uint16(len(b)))
	binary.LittleEndian.PutUint16(b[4:], uint16(len(acl.ACEs)))
	return b
}

func (a ACE) appendBinary(b []byte) []byte {
	start := len(b)
	b = append(b, byte(a.Type), byte(a.Flags), 0, 0)
	if a.Type.hasMaskAndSID() {
		b = binary.LittleEndian.AppendUint32(b, uint32(a.Mask))
		if a.Type.isObject() {
			b = binary.LittleEndian.AppendUint32(b, a.ObjectFlags)
			if a.ObjectFlags&1 != 0 {
				b = append(b, a.ObjectType[:]...)
			}
			if a.ObjectFlags&2 != 0 {
				b = append(b, a.InheritedObjectType[:]...)
			}
		}
		b = a.SID.AppendBinary(b)
	}
	b = append(b, a.Extra...)
	for (len(b)-start)%4 != 0 {
		b = append(b, 0)
	}
	binary.LittleEndian.PutUint16(b[start+2:], uint16(len(b)-start))
	return b
}

// Bytes encodes the descriptor in self-relative form, laid out as Windows
// lays it out (header, SACL, DACL, owner, group). The SE_SELF_RELATIVE,
// SE_DACL_PRESENT and SE_SACL_PRESENT flags are set from the content.
func (sd *SecurityDescriptor) Bytes() []byte {
	b := make([]byte, 20)
	b[0] = 1
	ctl := sd.Control | SelfRelative
	if sd.SACL != nil {
		ctl |= SACLPresent
		binary.LittleEndian.PutUint32(b[12:], uint32(len(b)))
		b = append(b, sd.SACL.Bytes()...)
	}
	if sd.DACL != nil {
		ctl |= DACLPresent
		binary.LittleEndian.PutUint32(b[16:], uint32(len(b)))
		b = append(b, sd.DACL.Bytes()...)
	}
	if !sd.Owner.IsZero() {
		binary.LittleEndian.PutUint32(b[4:], uint32(len(b)))
		b = sd.Owner.AppendBinary(b)
	}
	if !sd.Group.IsZero() {
		binary.LittleEndian.PutUint32(b[8:], uint32(len(b)))
		b = sd.Group.AppendBinary(b)
	}
	binary.LittleEndian.PutUint16(b[2:], uint16(ctl))
	return b
}
