package pyjson

import "unsafe"

// unsafeString views b as a string without copying; the string must not
// outlive a change to b.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
