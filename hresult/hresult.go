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

// IsFailure reports whether the code reports a failure (severity bit set).
func (c Code) IsFailure() bool { return c.Value&0x80000000 != 0 }

// Name returns the best symbolic name for the code, or "" when none is known.
func (c Code) Name() string { return "" }

// String returns the code as "0x%08X".
func (c Code) String() string { return fmt.Sprintf("0x%08X", c.Value) }
