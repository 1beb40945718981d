// Package guid holds the GUID type used by the ETL reader: 16 bytes in the
// Windows on-disk layout (Data1, Data2 and Data3 little-endian, Data4 as
// bytes), printed in the registry form "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}".
package guid

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
)

// GUID is a Windows GUID in its on-disk byte layout.
type GUID [16]byte

// Zero is the all-zero GUID.
var Zero GUID

// FromBytes returns the GUID stored in the first 16 bytes of b, which must
// hold at least 16 bytes.
func FromBytes(b []byte) GUID {
	var g GUID
	copy(g[:], b[:16])
	return g
}

// Data1 returns the first, little-endian 32-bit part.
func (g GUID) Data1() uint32 { return binary.LittleEndian.Uint32(g[0:4]) }

// Data2 returns the second, little-endian 16-bit part.
func (g GUID) Data2() uint16 { return binary.LittleEndian.Uint16(g[4:6]) }

// Data3 returns the third, little-endian 16-bit part.
func (g GUID) Data3() uint16 { return binary.LittleEndian.Uint16(g[6:8]) }

// IsZero reports whether g is the all-zero GUID.
func (g GUID) IsZero() bool { return g == Zero }

const hexdigits = "0123456789abcdef"

// AppendText appends the registry form of g, lower case with braces, to
// dst.
func (g GUID) AppendText(dst []byte) []byte {
	// Data1..3 are little-endian on disk: print their bytes reversed.
	order := [16]int{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15}
	dst = append(dst, '{')
	for i, j := range order {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexdigits[g[j]>>4], hexdigits[g[j]&15])
	}
	return append(dst, '}')
}

// String returns the registry form, e.g.
// "{0b7a6f19-47c4-454e-8c5c-e868d637e4d8}".
func (g GUID) String() string { return string(g.AppendText(make([]byte, 0, 38))) }

// ErrSyntax is returned by Parse for text that is not a GUID.
var ErrSyntax = errors.New("guid: not of the form {xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}")

// Parse reads a GUID in registry form, with or without braces, in any case.
func Parse(s string) (GUID, error) {
	var g GUID
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return g, ErrSyntax
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	var b [16]byte
	if _, err := hex.Decode(b[:], []byte(h)); err != nil {
		return g, ErrSyntax
	}
	// Text order is Data1..3 big-endian: store them little-endian.
	order := [16]int{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15}
	for i, j := range order {
		g[j] = b[i]
	}
	return g, nil
}

// MustParse is like Parse but panics on bad input; use it only for
// constants in source code.
func MustParse(s string) GUID {
	g, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return g
}
