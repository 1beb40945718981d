package tracelogging

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/wulog/wulog/logparse/etl/guid"
	"github.com/wulog/wulog/logparse/etl/internal/pyjson"
)

// Field is one decoded field: a scalar value, an array or a struct. Its
// bytes point into the event's payload, so it is valid only as long as the
// payload and the Decoder that produced it.
type Field struct {
	// Schema describes the field.
	Schema  *FieldSchema
	raw     []byte
	list    []Field
	ptrSize uint8
	elem    bool
}

// Name returns the field name.
func (f *Field) Name() string { return f.Schema.Name }

// Bytes returns the field's payload bytes (for a variable-count array,
// without the u16 count; for strings, with their terminator or length).
func (f *Field) Bytes() []byte {
	if f.IsArray() && f.Schema.Count == VarCount && len(f.raw) >= 2 {
		return f.raw[2:]
	}
	return f.raw
}

// IsArray reports whether f is an array (use Len and Index).
func (f *Field) IsArray() bool { return !f.elem && f.Schema.IsArray() }

// IsStruct reports whether f is a single struct (use Members).
func (f *Field) IsStruct() bool { return !f.IsArray() && f.Schema.In == InStruct }

// Len returns the number of elements of an array, 0 for other fields.
func (f *Field) Len() int {
	if !f.IsArray() {
		return 0
	}
	return len(f.list)
}

// Index returns element i of an array.
func (f *Field) Index(i int) *Field { return &f.list[i] }

// Members returns the members of a struct, nil for other fields.
func (f *Field) Members() []Field {
	if !f.IsStruct() {
		return nil
	}
	return f.list
}

// IsString reports whether the value is text (the string in-types).
func (f *Field) IsString() bool {
	if f.IsArray() {
		return false
	}
	switch f.Schema.In {
	case InUnicodeString, InAnsiString, InCountedString, InCountedAnsiString:
		return true
	}
	return false
}

// AppendString appends a string value as UTF-8 (without its terminator):
// UTF-16 is converted, ANSI text is kept when it is valid UTF-8 and read as
// Windows-1252 otherwise. For other fields it appends the text form (see
// AppendText).
func (f *Field) AppendString(dst []byte) []byte {
	if !f.IsString() {
		return f.AppendText(dst)
	}
	b := f.raw
	switch f.Schema.In {
	case InUnicodeString:
		return AppendUTF16(dst, b[:len(b)-2])
	case InCountedString:
		return AppendUTF16(dst, b[2:])
	case InAnsiString:
		return AppendANSI(dst, b[:len(b)-1])
	default: // InCountedAnsiString
		return AppendANSI(dst, b[2:])
	}
}

// String returns the field's text form (see AppendText).
func (f *Field) String() string { return string(f.AppendText(nil)) }

// Uint returns an integer value as unsigned (for signed in-types, the
// two's-complement bits), a Bool32 as 0 or 1, a Pointer's value.
func (f *Field) Uint() uint64 {
	b := f.raw
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	case 8:
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// Int returns an integer value sign-extended for signed in-types.
func (f *Field) Int() int64 {
	u := f.Uint()
	switch f.Schema.In {
	case InInt8:
		return int64(int8(u))
	case InInt16:
		return int64(int16(u))
	case InInt32:
		return int64(int32(u))
	}
	return int64(u)
}

// Float returns a Float or Double value.
func (f *Field) Float() float64 {
	switch f.Schema.In {
	case InFloat:
		return float64(math.Float32frombits(uint32(f.Uint())))
	case InDouble:
		return math.Float64frombits(f.Uint())
	}
	return float64(f.Int())
}

// Bool returns whether a value is non-zero.
func (f *Field) Bool() bool { return f.Uint() != 0 }

// GUID returns a Guid value.
func (f *Field) GUID() guid.GUID {
	if len(f.raw) < 16 {
		return guid.Zero
	}
	return guid.FromBytes(f.raw)
}

// Time returns a FileTime or SystemTime value in UTC.
func (f *Field) Time() time.Time {
	switch f.Schema.In {
	case InFileTime:
		return FileTime(int64(f.Uint()))
	case InSystemTime:
		if len(f.raw) < 16 {
			return time.Time{}
		}
		u := func(i int) int { return int(binary.LittleEndian.Uint16(f.raw[2*i:])) }
		return time.Date(u(0), time.Month(u(1)), u(3), u(4), u(5), u(6), u(7)*1e6, time.UTC)
	}
	return time.Time{}
}

// fileTimeUnixDelta is the FILETIME (100 ns since 1601) of the Unix epoch.
const fileTimeUnixDelta = 116444736000000000

// FileTime converts a FILETIME (100 ns ticks since 1601-01-01 UTC) to a UTC
// time.
func FileTime(ft int64) time.Time {
	t := ft - fileTimeUnixDelta
	sec := t / 1e7
	rem := t % 1e7
	if rem < 0 {
		sec--
		rem += 1e7
	}
	return time.Unix(sec, rem*100).UTC()
}

// TimeLayout is how times are printed: RFC 3339 in UTC with the seven
// fractional digits of a FILETIME.
const TimeLayout = "2006-01-02T15:04:05.0000000Z"

func (f *Field) isBoolean() bool {
	switch f.Schema.In {
	case InBool32:
		return true
	case InUInt8, InInt8, InUInt16, InUInt32:
		return f.Schema.Out == OutBoolean
	}
	return false
}

func (f *Field) isHex() bool {
	switch f.Schema.In {
	case InHexInt32, InHexInt64, InPointer:
		return true
	}
	switch f.Schema.Out {
	case OutHex, OutHResult, OutNTStatus, OutWin32Error, OutCodePointer:
		return true
	}
	return false
}

const hexdigits = "0123456789abcdef"

// AppendText appends a human-readable form: text as is, integers in
// decimal (hex for hex, HRESULT, NTSTATUS and Win32 error out-types),
// booleans as true/false, GUIDs in braces, times in RFC 3339 UTC, binary as
// hex digits, arrays as [a, b] and structs as {name: value, ...}.
func (f *Field) AppendText(dst []byte) []byte {
	if f.IsArray() || f.Schema.In == InStruct {
		return f.appendList(dst, false, (*Field).AppendText)
	}
	if f.IsString() {
		return f.AppendString(dst)
	}
	switch f.Schema.In {
	case InNull:
		return dst
	case InFloat, InDouble:
		return strconv.AppendFloat(dst, f.Float(), 'g', -1, 64)
	case InGUID:
		return f.GUID().AppendText(dst)
	case InFileTime, InSystemTime:
		return f.Time().AppendFormat(dst, TimeLayout)
	case InBinary, InCountedBinary:
		return appendHex(dst, f.raw[2:])
	case InSID:
		return AppendSID(dst, f.raw)
	}
	switch {
	case f.isBoolean():
		return strconv.AppendBool(dst, f.Bool())
	case f.isHex():
		dst = append(dst, '0', 'x')
		s := strconv.FormatUint(f.Uint(), 16)
		for i := len(s); i < 2*len(f.raw) && (f.Schema.Out == OutHResult || f.Schema.Out == OutNTStatus); i++ {
			dst = append(dst, '0')
		}
		return append(dst, s...)
	case f.Schema.In == InInt8 || f.Schema.In == InInt16 || f.Schema.In == InInt32 || f.Schema.In == InInt64:
		return strconv.AppendInt(dst, f.Int(), 10)
	}
	return strconv.AppendUint(dst, f.Uint(), 10)
}

// AppendJSON appends the value as JSON in the layout of the reference
// decodings: numbers (64-bit unsigned kept unsigned), true/false for Bool32
// and Boolean out-types, strings for text, GUIDs ("{...}"), times (RFC 3339
// UTC, 7 digits), SIDs and binary (hex digits), lists for arrays and
// objects for structs.
func (f *Field) AppendJSON(dst []byte) []byte {
	if f.IsArray() || f.Schema.In == InStruct {
		return f.appendList(dst, true, (*Field).AppendJSON)
	}
	switch f.Schema.In {
	case InNull:
		return append(dst, "null"...)
	case InUnicodeString, InAnsiString, InCountedString, InCountedAnsiString,
		InGUID, InFileTime, InSystemTime, InBinary, InCountedBinary, InSID:
		start := len(dst)
		dst = f.AppendText(dst)
		s := string(dst[start:])
		return pyjson.AppendString(dst[:start], s)
	case InFloat, InDouble:
		return pyjson.AppendFloat(dst, f.Float())
	}
	if f.isBoolean() {
		return strconv.AppendBool(dst, f.Bool())
	}
	switch f.Schema.In {
	case InInt8, InInt16, InInt32, InInt64:
		return strconv.AppendInt(dst, f.Int(), 10)
	}
	return strconv.AppendUint(dst, f.Uint(), 10)
}

// appendList appends an array as [a, b] or a struct as {name: a, ...}
// ({"name": a, ...} in JSON), each element written by elem.
func (f *Field) appendList(dst []byte, json bool, elem func(*Field, []byte) []byte) []byte {
	array := f.IsArray()
	if array {
		dst = append(dst, '[')
	} else {
		dst = append(dst, '{')
	}
	for i := range f.list {
		switch {
		case array && i > 0:
			dst = append(dst, ',', ' ')
		case !array && json:
			dst = pyjson.AppendKey(dst, f.list[i].Schema.Name, i == 0)
		case !array:
			if i > 0 {
				dst = append(dst, ',', ' ')
			}
			dst = append(dst, f.list[i].Schema.Name...)
			dst = append(dst, ':', ' ')
		}
		dst = elem(&f.list[i], dst)
	}
	if array {
		return append(dst, ']')
	}
	return append(dst, '}')
}

func appendHex(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexdigits[c>>4], hexdigits[c&15])
	}
	return dst
}

// AppendSID appends a binary SID in "S-1-5-21-..." form.
func AppendSID(dst, b []byte) []byte {
	if len(b) < 8 {
		return dst
	}
	dst = append(dst, "S-"...)
	dst = strconv.AppendUint(dst, uint64(b[0]), 10)
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	dst = append(dst, '-')
	dst = strconv.AppendUint(dst, auth, 10)
	for i := 8; i+4 <= len(b) && i < 8+4*int(b[1]); i += 4 {
		dst = append(dst, '-')
		dst = strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(b[i:])), 10)
	}
	return dst
}

// AppendUTF16 appends little-endian UTF-16 text b as UTF-8. Unpaired
// surrogates become U+FFFD; an odd last byte is ignored.
func AppendUTF16(dst, b []byte) []byte {
	n := len(b) &^ 1
	i := 0
	// Fast path: four ASCII characters at a time.
	for ; i+8 <= n; i += 8 {
		v := binary.LittleEndian.Uint64(b[i:])
		if v&0xFF80FF80FF80FF80 != 0 {
			break
		}
		dst = append(dst, byte(v), byte(v>>16), byte(v>>32), byte(v>>48))
	}
	for ; i < n; i += 2 {
		c := rune(b[i]) | rune(b[i+1])<<8
		if c < utf8.RuneSelf {
			dst = append(dst, byte(c))
			continue
		}
		if utf16.IsSurrogate(c) {
			if c < 0xDC00 && i+3 < n {
				c2 := rune(b[i+2]) | rune(b[i+3])<<8
				if r := utf16.DecodeRune(c, c2); r != utf8.RuneError {
					dst = utf8.AppendRune(dst, r)
					i += 2
					continue
				}
			}
			c = utf8.RuneError
		}
		dst = utf8.AppendRune(dst, c)
	}
	return dst
}

// cp1252 maps Windows-1252 bytes 0x80..0x9F to Unicode (others are Latin-1).
var cp1252 = [32]rune{
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
}

// AppendANSI appends 8-bit text: as is when it is valid UTF-8, otherwise
// read as Windows-1252.
func AppendANSI(dst, b []byte) []byte {
	if utf8.Valid(b) {
		return append(dst, b...)
	}
	for _, c := range b {
		switch {
		case c < 0x80:
			dst = append(dst, c)
		case c < 0xA0:
			dst = utf8.AppendRune(dst, cp1252[c-0x80])
		default:
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return dst
}
