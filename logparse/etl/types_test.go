package etl_test

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/wulog/wulog/logparse/etl/etltest"
	"github.com/wulog/wulog/logparse/etl/guid"
	tl "github.com/wulog/wulog/logparse/etl/tracelogging"
)

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func utf16z(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, le16(uint16(r))...)
	}
	return append(b, 0, 0)
}

// TestEveryInType writes one event with a field of every in-type, out-type
// variants, constant and variable count arrays and nested structs, and
// checks the JSON values and type descriptions the reader produces.
func TestEveryInType(t *testing.T) {
	g := guid.MustParse("{0ad614c4-0ef4-4225-8013-f44f37cb0397}")
	ft := time.Date(2021, 9, 9, 14, 59, 35, 799_000_000, time.UTC)
	ftRaw := uint64(ft.UnixNano()/100 + 116444736000000000)
	st := []byte{}
	for _, v := range []uint16{2021, 9, 4, 9, 14, 59, 35, 799} {
		st = append(st, le16(v)...)
	}
	sid := []byte{1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0} // S-1-5-18
	fields := []etltest.Field{
		etltest.Raw("null", tl.InNull, nil),
		etltest.String("wide", "Grüße \"q\"\n"),
		etltest.Ansi("ansi", "plain"),
		etltest.Raw("ansi1252", tl.InAnsiString, []byte{'c', 'a', 'f', 0xE9, 0x80, 0}),
		etltest.Uint("i8", tl.InInt8, 0xFE),
		etltest.Uint("u8", tl.InUInt8, 200),
		etltest.Uint("u8bool", tl.InUInt8, 1).WithOut(tl.OutBoolean),
		etltest.Uint("u8char", tl.InUInt8, 77).WithOut(tl.OutString),
		etltest.Uint("i16", tl.InInt16, 0xFFCD),
		etltest.Uint("u16", tl.InUInt16, 65535),
		etltest.Uint("i32", tl.InInt32, 0xFFFFFF9A),
		etltest.Uint("u32", tl.InUInt32, 4000000000),
		etltest.Uint("hr", tl.InUInt32, 0x80072F8F).WithOut(tl.OutHResult),
		etltest.Uint("i64", tl.InInt64, math.MaxUint64),
		etltest.Uint("u64", tl.InUInt64, math.MaxUint64),
		etltest.Raw("f32", tl.InFloat, le32(math.Float32bits(1.5))),
		etltest.Raw("f64", tl.InDouble, le64(math.Float64bits(1e-7))),
		etltest.Uint("b32", tl.InBool32, 2),
		etltest.Raw("bin", tl.InBinary, append(le16(3), 0xDE, 0xAD, 0x01)),
		etltest.Raw("guid", tl.InGUID, g[:]),
		etltest.Raw("ptr", tl.InPointer, le64(0x7FF612345678)),
		etltest.Raw("ft", tl.InFileTime, le64(ftRaw)),
		etltest.Raw("st", tl.InSystemTime, st),
		etltest.Raw("sid", tl.InSID, sid),
		etltest.Uint("hex32", tl.InHexInt32, 0xC0000005),
		etltest.Uint("hex64", tl.InHexInt64, 0x1122334455667788),
		etltest.Raw("cstr", tl.InCountedString, append(le16(4), 'o', 0, 'k', 0)),
		etltest.Raw("castr", tl.InCountedAnsiString, append(le16(2), 'o', 'k')),
		etltest.Raw("cbin", tl.InCountedBinary, append(le16(1), 0x7F)),
		etltest.VarArray("varr", tl.InUInt16, le16(1), le16(2), le16(3)),
		etltest.ConstArray("carr", tl.InInt32, le32(0xFFFFFFFF), le32(7)),
		etltest.VarArray("sarr", tl.InUnicodeString, utf16z("a"), utf16z("bc")),
		etltest.Struct("outer", etltest.String("name", "n"), etltest.Struct("inner", etltest.Uint("x", tl.InUInt8, 9))),
	}
	// An array of structs: two elements of {k: u8, v: string}.
	arrStruct := etltest.Field{Name: "pairs", In: tl.InStruct, Count: tl.VarCount,
		Members: []etltest.Field{etltest.Uint("k", tl.InUInt8, 0), etltest.String("v", "")},
		Payload: append(append(le16(2), append([]byte{1}, utf16z("one")...)...), append([]byte{2}, utf16z("two")...)...)}
	fields = append(fields, arrStruct)
	ev := etltest.Event{Provider: "Test.Provider", ProviderID: g, Name: "AllTypes", Fields: fields, Time: t0, PID: 1, TID: 2}
	data, err := etltest.Write(etltest.Options{}, ev)
	if err != nil {
		t.Fatal(err)
	}
	_, evs, jsons := readAll(t, data, nil)
	var line string
	for i := range evs {
		if evs[i].Schema != nil {
			line = string(jsons[i])
		}
	}
	if line == "" {
		t.Fatal("no TraceLogging event read")
	}
	m := decodeLine(t, []byte(line))
	fieldsJSON, _ := m["fields"].(map[string]any)
	want := map[string]string{
		"null": "<nil>", "wide": "Grüße \"q\"\n", "ansi": "plain", "ansi1252": "café€",
		"i8": "-2", "u8": "200", "u8bool": "true", "u8char": "77",
		"i16": "-51", "u16": "65535", "i32": "-102", "u32": "4000000000", "hr": "2147954575",
		"i64": "-1", "u64": "18446744073709551615", "f32": "1.5", "f64": "1e-07", "b32": "true",
		"bin": "dead01", "guid": "{0ad614c4-0ef4-4225-8013-f44f37cb0397}", "ptr": "140694844102264",
		"ft": "2021-09-09T14:59:35.7990000Z", "st": "2021-09-09T14:59:35.7990000Z", "sid": "S-1-5-18",
		"hex32": "3221225477", "hex64": "1234605616436508552", "cstr": "ok", "castr": "ok", "cbin": "7f",
		"varr": "[1 2 3]", "carr": "[-1 7]", "sarr": "[a bc]", "outer": "map[inner:map[x:9] name:n]",
		"pairs": "[map[k:1 v:one] map[k:2 v:two]]",
	}
	for k, w := range want {
		v, ok := fieldsJSON[k]
		if !ok {
			t.Errorf("field %s missing", k)
			continue
		}
		if got := fmtJSON(v); got != w {
			t.Errorf("field %s = %s, want %s", k, got, w)
		}
	}
	if len(fieldsJSON) != len(want) {
		t.Errorf("%d fields, want %d", len(fieldsJSON), len(want))
	}
	types, _ := m["field_types"].(map[string]any)
	for k, w := range map[string]string{
		"u8bool": "UInt8/out0x03", "varr": "UInt16[]", "carr": "Int32[2]",
		"outer": "Struct/out0x02{name:UnicodeString,inner:Struct/out0x01{x:UInt8}}",
		"pairs": "Struct/out0x02{k:UInt8,v:UnicodeString}[]", "hr": "UInt32/out0x0f",
	} {
		if types[k] != w {
			t.Errorf("type of %s = %v, want %s", k, types[k], w)
		}
	}
	// The text form shows codes in hex.
	for i := range evs {
		if evs[i].Schema != nil && !strings.Contains(line, `"hr": 2147954575`) {
			t.Errorf("hr not a number in JSON: %s", line)
		}
	}
}

func fmtJSON(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case []any:
		parts := make([]string, len(x))
		for i := range x {
			parts[i] = fmtJSON(x[i])
		}
		return "[" + strings.Join(parts, " ") + "]"
	case map[string]any:
		// Sorted like fmt does for maps.
		return strings.ReplaceAll(fmtMap(x), "  ", " ")
	}
	return fmtAny(v)
}

func fmtAny(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return toString(v)
}

func fmtMap(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ":" + fmtJSON(m[k])
	}
	return "map[" + strings.Join(parts, " ") + "]"
}
