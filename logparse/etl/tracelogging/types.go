// Package tracelogging decodes TraceLogging events: the provider traits and
// event schema that a self-describing ETW event carries in its extended
// data items (EVENT_HEADER_EXT_TYPE_PROV_TRAITS and
// EVENT_HEADER_EXT_TYPE_EVENT_SCHEMA_TL), and the payload those describe,
// with every in-type, out-type, constant and variable count arrays and
// nested structs. Custom schemas are reported as undecodable.
//
// Every length comes from the input and is checked against the metadata or
// payload that holds it; the number of decoded values is bounded by the
// payload size, so hostile input cannot cause unbounded allocation.
package tracelogging

import "fmt"

// InType is a field's in-type: how its value is laid out in the payload.
type InType uint8

// In-types (TlgIn*).
const (
	InNull InType = iota
	InUnicodeString
	InAnsiString
	InInt8
	InUInt8
	InInt16
	InUInt16
	InInt32
	InUInt32
	InInt64
	InUInt64
	InFloat
	InDouble
	InBool32
	InBinary
	InGUID
	InPointer
	InFileTime
	InSystemTime
	InSID
	InHexInt32
	InHexInt64
	InCountedString
	InCountedAnsiString
	InStruct
	InCountedBinary
)

var inNames = [...]string{
	"Null", "UnicodeString", "AnsiString", "Int8", "UInt8", "Int16", "UInt16",
	"Int32", "UInt32", "Int64", "UInt64", "Float", "Double", "Bool32", "Binary",
	"Guid", "Pointer", "FileTime", "SystemTime", "Sid", "HexInt32", "HexInt64",
	"CountedString", "CountedAnsiString", "Struct", "CountedBinary",
}

// String returns the in-type's name, e.g. "UnicodeString".
func (t InType) String() string {
	if int(t) < len(inNames) {
		return inNames[t]
	}
	return fmt.Sprintf("InType%d", uint8(t))
}

// fixedSize returns the payload size of fixed-size in-types, 0 for others
// (pointer size is supplied separately).
func (t InType) fixedSize() int {
	switch t {
	case InInt8, InUInt8:
		return 1
	case InInt16, InUInt16:
		return 2
	case InInt32, InUInt32, InFloat, InBool32, InHexInt32:
		return 4
	case InInt64, InUInt64, InDouble, InFileTime, InHexInt64:
		return 8
	case InGUID, InSystemTime:
		return 16
	}
	return 0
}

// OutType is a field's out-type: how its value should be shown.
type OutType uint8

// Out-types (TlgOut*).
const (
	OutDefault                   OutType = 0x00
	OutNoPrint                   OutType = 0x01
	OutString                    OutType = 0x02
	OutBoolean                   OutType = 0x03
	OutHex                       OutType = 0x04
	OutPID                       OutType = 0x05
	OutTID                       OutType = 0x06
	OutPort                      OutType = 0x07
	OutIPv4                      OutType = 0x08
	OutIPv6                      OutType = 0x09
	OutSocketAddress             OutType = 0x0A
	OutXML                       OutType = 0x0B
	OutJSON                      OutType = 0x0C
	OutWin32Error                OutType = 0x0D
	OutNTStatus                  OutType = 0x0E
	OutHResult                   OutType = 0x0F
	OutFileTime                  OutType = 0x10
	OutSigned                    OutType = 0x11
	OutUnsigned                  OutType = 0x12
	OutDateTimeCultureInsensitve OutType = 0x21
	OutUTF8                      OutType = 0x23
	OutPKCS7WithTypeInfo         OutType = 0x24
	OutCodePointer               OutType = 0x25
	OutDateTimeUTC               OutType = 0x26
)

// Count says whether a field is a scalar or an array, and how the array
// length is given.
type Count uint8

// Counts (the 0x60 bits of the in-type byte).
const (
	Scalar     Count = 0x00 // one value
	ConstCount Count = 0x20 // array, the length is in the metadata
	VarCount   Count = 0x40 // array, a u16 length precedes the values
	Custom     Count = 0x60 // custom-serialized value with its own schema
)
