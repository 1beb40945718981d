package guid_test

import (
	"testing"

	"github.com/wulog/wulog/logparse/etl/guid"
)

// The WUTraceLogging GUID as it is stored on disk (Data1..3 little-endian).
var wuBytes = guid.GUID{0x19, 0x6F, 0x7A, 0x0B, 0xC4, 0x47, 0x4E, 0x45, 0x8C, 0x5C, 0xE8, 0x68, 0xD6, 0x37, 0xE4, 0xD8}

func TestStringAndParse(t *testing.T) {
	if s := wuBytes.String(); s != "{0b7a6f19-47c4-454e-8c5c-e868d637e4d8}" {
		t.Errorf("String = %s", s)
	}
	for _, s := range []string{"{0B7A6F19-47C4-454E-8C5C-E868D637E4D8}", "0b7a6f19-47c4-454e-8c5c-e868d637e4d8"} {
		g, err := guid.Parse(s)
		if err != nil || g != wuBytes {
			t.Errorf("Parse(%s) = %v, %v", s, g, err)
		}
	}
	if wuBytes.Data1() != 0x0b7a6f19 || wuBytes.Data2() != 0x47c4 || wuBytes.Data3() != 0x454e {
		t.Errorf("parts %x %x %x", wuBytes.Data1(), wuBytes.Data2(), wuBytes.Data3())
	}
	for _, bad := range []string{"", "{0b7a6f19-47c4-454e-8c5c-e868d637e4d}", "0b7a6f19x47c4-454e-8c5c-e868d637e4d8", "zb7a6f19-47c4-454e-8c5c-e868d637e4d8"} {
		if _, err := guid.Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}
