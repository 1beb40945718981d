// Package hresult decodes the HRESULT, Win32 and NTSTATUS codes that
// Windows Update logs are full of.
package hresult

import "fmt"

// Code is a decoded 32-bit code.
//
// This file is the initial contract; the full decoder replaces it.
type Code struct {
	// Value is the code as a 32-bit unsigned number.
	Value uint32
}

// Decode decodes v.
func Decode(v uint32) Code { return Code{Value: v} }

// IsFailure reports whether the code reports a failure; see [IsFailure].
func (c Code) IsFailure() bool { return IsFailure(c.Value) }

// Name returns the best symbolic name for the code, or "" when none is known.
func (c Code) Name() string { return "" }

// String returns the code as "0x%08X".
func (c Code) String() string { return fmt.Sprintf("0x%08X", c.Value) }

// IsFailure reports whether a code as found in a log reports a failure.
//
// Codes with the severity bit set (0x8xxxxxxx, 0xCxxxxxxx) are failures.
// Zero, and codes of 0x10000 or more with the severity bit clear (success
// HRESULTs such as WU_S_ALREADY_INSTALLED 0x00240006, informational
// NTSTATUS 0x4xxxxxxx), are not. Values below 0x10000 are Win32 codes:
// failures, except the Win32 success codes 1641
// (ERROR_SUCCESS_REBOOT_INITIATED), 3010 (ERROR_SUCCESS_REBOOT_REQUIRED)
// and 3011 (ERROR_SUCCESS_RESTART_REQUIRED).
func IsFailure(v uint32) bool {
	switch {
	case v&0x80000000 != 0:
		return true
	case v == 0 || v >= 0x10000:
		return false
	case v == 1641 || v == 3010 || v == 3011:
		return false
	}
	return true
}
