package secdesc

import (
	"fmt"
)

// Mask is an ACCESS_MASK.
type Mask uint32

// Standard and generic rights (winnt.h).
const (
	Delete               Mask = 0x00010000
	ReadControl          Mask = 0x00020000
	WriteDAC             Mask = 0x00040000
	WriteOwner           Mask = 0x00080000
	Synchronize          Mask = 0x00100000
	AccessSystemSecurity Mask = 0x01000000
	MaximumAllowed       Mask = 0x02000000
	GenericAll           Mask = 0x10000000
	GenericExecute       Mask = 0x20000000
	GenericWrite         Mask = 0x40000000
	GenericRead          Mask = 0x80000000

	// StandardRightsRequired is DELETE|READ_CONTROL|WRITE_DAC|WRITE_OWNER.
	StandardRightsRequired Mask = 0x000F0000
)

// Registry key rights (winnt.h).
const (
	KeyQueryValue       Mask = 0x0001
	KeySetValue         Mask = 0x0002
	KeyCreateSubKey     Mask = 0x0004
	KeyEnumerateSubKeys Mask = 0x0008
	KeyNotify           Mask = 0x0010
	KeyCreateLink       Mask = 0x0020

	// KeyRead is KEY_READ (0x20019): READ_CONTROL, query values,
	// enumerate subkeys, notify. KEY_EXECUTE has the same value.
	KeyRead Mask = ReadControl | KeyQueryValue | KeyEnumerateSubKeys | KeyNotify
	// KeyWrite is KEY_WRITE (0x20006): READ_CONTROL, set values, create
	// subkeys.
	KeyWrite Mask = ReadControl | KeySetValue | KeyCreateSubKey
	// KeyExecute is KEY_EXECUTE, equal to KEY_READ.
	KeyExecute = KeyRead
	// KeyAllAccess is KEY_ALL_ACCESS (0xF003F).
	KeyAllAccess Mask = StandardRightsRequired | KeyQueryValue | KeySetValue | KeyCreateSubKey |
		KeyEnumerateSubKeys | KeyNotify | KeyCreateLink
)

// File rights used by the SDDL FA/FR/FW/FX aliases.
const (
	FileAllAccess     Mask = 0x001F01FF
	FileGenericRead   Mask = 0x00120089
	FileGenericWrite  Mask = 0x00120116
	FileGenericExec   Mask = 0x001200A0
	fileGenericAccess      = FileAllAccess
)

// GenericMapping maps the four generic rights to object-specific rights,
// as GENERIC_MAPPING does.
type GenericMapping struct {
	Read, Write, Execute, All Mask
}

// RegistryMapping is the generic mapping of registry keys.
var RegistryMapping = GenericMapping{Read: KeyRead, Write: KeyWrite, Execute: KeyExecute, All: KeyAllAccess}

// FileMapping is the generic mapping of files.
var FileMapping = GenericMapping{Read: FileGenericRead, Write: FileGenericWrite, Execute: FileGenericExec, All: fileGenericAccess}

// Map replaces the generic bits of m with the rights they stand for.
func (g GenericMapping) Map(m Mask) Mask {
	out := m &^ (GenericRead | GenericWrite | GenericExecute | GenericAll)
	if m&GenericRead != 0 {
		out |= g.Read
	}
	if m&GenericWrite != 0 {
		out |= g.Write
	}
	if m&GenericExecute != 0 {
		out |= g.Execute
	}
	if m&GenericAll != 0 {
		out |= g.All
	}
	return out
}

var keyRightNames = []flagName[Mask]{
	{GenericAll, "GENERIC_ALL"}, {GenericRead, "GENERIC_READ"}, {GenericWrite, "GENERIC_WRITE"},
	{GenericExecute, "GENERIC_EXECUTE"}, {MaximumAllowed, "MAXIMUM_ALLOWED"},
	{AccessSystemSecurity, "ACCESS_SYSTEM_SECURITY"}, {Synchronize, "SYNCHRONIZE"},
	{Delete, "DELETE"}, {ReadControl, "READ_CONTROL"}, {WriteDAC, "WRITE_DAC"}, {WriteOwner, "WRITE_OWNER"},
	{KeyQueryValue, "KEY_QUERY_VALUE"}, {KeySetValue, "KEY_SET_VALUE"}, {KeyCreateSubKey, "KEY_CREATE_SUB_KEY"},
	{KeyEnumerateSubKeys, "KEY_ENUMERATE_SUB_KEYS"}, {KeyNotify, "KEY_NOTIFY"}, {KeyCreateLink, "KEY_CREATE_LINK"},
}

// KeyString names a registry key access mask the way people know it:
// "KEY_ALL_ACCESS", "KEY_READ", "KEY_WRITE", "GENERIC_ALL", or a
// "|"-joined list of individual rights, with any unnamed bits in hex.
func (m Mask) KeyString() string {
	switch m {
	case 0:
		return "0"
	case KeyAllAccess:
		return "KEY_ALL_ACCESS"
	case KeyRead:
		return "KEY_READ"
	case KeyWrite:
		return "KEY_WRITE"
	case KeyRead | KeyWrite:
		return "KEY_READ|KEY_WRITE"
	}
	return joinFlags(m, keyRightNames)
}

// String formats the mask as 0x%08X.
func (m Mask) String() string { return fmt.Sprintf("0x%08X", uint32(m)) }
