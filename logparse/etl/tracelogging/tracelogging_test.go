package tracelogging_test

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	tl "github.com/wulog/wulog/logparse/etl/tracelogging"
)

// meta builds EVENT_SCHEMA_TL bytes: the u16 size, then body.
func meta(body ...[]byte) []byte {
	b := []byte{0, 0}
	for _, p := range body {
		b = append(b, p...)
	}
	binary.LittleEndian.PutUint16(b, uint16(len(b)))
	return b
}

func cstr(s string) []byte { return append([]byte(s), 0) }

// The schema of SelfDescribingSingleEvent.etl's TestEvent, byte for byte:
// no tags, name, a struct "a" (0x18|0x80, out 2) of two UnicodeStrings.
func TestParseSchemaStruct(t *testing.T) {
	m := meta([]byte{0}, cstr("TestEvent"), cstr("a"), []byte{0x98, 0x02}, cstr("b"), []byte{0x01}, cstr("c"), []byte{0x01})
	s, err := tl.ParseSchema(m)
	if err != nil {
		t.Fatal(err)
	}
	if s.Event != "TestEvent" || len(s.Fields) != 1 || len(s.Fields[0].Members) != 2 {
		t.Fatalf("schema %+v", s)
	}
	if got := s.Fields[0].TypeString(); got != "Struct/out0x02{b:UnicodeString,c:UnicodeString}" {
		t.Errorf("type %s", got)
	}
	payload := []byte{'H', 0, 'i', 0, 0, 0, 'Y', 0, 0, 0}
	var d tl.Decoder
	fields, n, err := d.Decode(s, payload, 8)
	if err != nil || n != len(payload) {
		t.Fatalf("decode: %v (%d bytes)", err, n)
	}
	if got := string(fields[0].AppendText(nil)); got != "{b: Hi, c: Y}" {
		t.Errorf("text %q", got)
	}
	if got := string(fields[0].AppendJSON(nil)); got != `{"b": "Hi", "c": "Y"}` {
		t.Errorf("json %s", got)
	}
}

// Event and field tags are 28-bit values stored 7 bits a byte with a
// continuation bit; the out-type byte's high bit announces field tags.
func TestParseSchemaTags(t *testing.T) {
	m := meta([]byte{0x81, 0x00}, cstr("E"), cstr("f"), []byte{0x88, 0x84, 0x80 | 0x01, 0x02})
	s, err := tl.ParseSchema(m)
	if err != nil {
		t.Fatal(err)
	}
	if s.Tags != 1<<21 {
		t.Errorf("event tags %#x", s.Tags)
	}
	f := s.Fields[0]
	if f.In != tl.InUInt32 || f.Out != tl.OutHex || f.Tags != 1<<21|2<<14 {
		t.Errorf("field %+v", f)
	}
}

// A custom-schema field makes the rest of the payload undecodable: the
// fields before it are returned with an UndecodableError naming it.
func TestCustomSchemaUndecodable(t *testing.T) {
	m := meta([]byte{0}, cstr("E"), cstr("n"), []byte{0x04}, cstr("blob"), []byte{0x60 | 0x0E}, []byte{3, 0}, []byte{9, 9, 9})
	s, err := tl.ParseSchema(m)
	if err != nil {
		t.Fatal(err)
	}
	var d tl.Decoder
	fields, _, err := d.Decode(s, []byte{5, 1, 2, 3}, 8)
	var ue *tl.UndecodableError
	if !errors.As(err, &ue) || ue.Field != "blob" || !strings.Contains(err.Error(), "custom schema") {
		t.Fatalf("err = %v", err)
	}
	if len(fields) != 1 || fields[0].Uint() != 5 {
		t.Errorf("fields before the custom one: %v", fields)
	}
}

// Payloads shorter than the schema says are errors, not panics.
func TestShortPayload(t *testing.T) {
	m := meta([]byte{0}, cstr("E"), cstr("a"), []byte{0x08}, cstr("s"), []byte{0x01}, cstr("arr"), []byte{0x40 | 0x06})
	s, err := tl.ParseSchema(m)
	if err != nil {
		t.Fatal(err)
	}
	var d tl.Decoder
	for _, p := range [][]byte{{}, {1, 2, 3}, {1, 0, 0, 0, 'x', 0}, {1, 0, 0, 0, 0, 0, 5, 0, 1, 0}} {
		if _, _, err := d.Decode(s, p, 8); !errors.Is(err, tl.ErrPayload) {
			t.Errorf("Decode(%v) err = %v", p, err)
		}
	}
}

func TestParseSchemaErrors(t *testing.T) {
	for name, m := range map[string][]byte{
		"empty":           nil,
		"size too big":    {0xFF, 0x00, 0},
		"unterminated":    meta([]byte{0}, []byte("Event")),
		"no in-type":      meta([]byte{0}, cstr("E"), cstr("f")),
		"struct no count": meta([]byte{0}, cstr("E"), cstr("s"), []byte{0x98, 0x00}),
		"long tag":        meta([]byte{0x80, 0x80, 0x80, 0x80, 0x80}, cstr("E")),
	} {
		if _, err := tl.ParseSchema(m); !errors.Is(err, tl.ErrMetadata) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// PROV_TRAITS: size, name, then a group GUID trait (type 1).
func TestProviderTraits(t *testing.T) {
	b := []byte{0, 0}
	b = append(b, cstr("WUTraceLogging")...)
	b = append(b, 19, 0, 1)
	b = append(b, 0x19, 0x6F, 0x7A, 0x0B, 0xC4, 0x47, 0x4E, 0x45, 0x8C, 0x5C, 0xE8, 0x68, 0xD6, 0x37, 0xE4, 0xD8)
	binary.LittleEndian.PutUint16(b, uint16(len(b)))
	p, err := tl.ParseProviderTraits(b)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "WUTraceLogging" || !p.HasGroup || p.Group.String() != "{0b7a6f19-47c4-454e-8c5c-e868d637e4d8}" {
		t.Errorf("traits %+v", p)
	}
}

func TestAppendUTF16(t *testing.T) {
	in := []byte{'A', 0, 0x3D, 0xD8, 0x00, 0xDE, 0x00, 0xD8, 'B', 0}
	if got := string(tl.AppendUTF16(nil, in)); got != "A😀\uFFFDB" {
		t.Errorf("got %q", got)
	}
}

// FuzzDecode feeds arbitrary metadata and payloads to the schema parser
// and the decoder: no panic, and the decoded values never exceed what the
// payload can hold.
func FuzzDecode(f *testing.F) {
	f.Add(meta([]byte{0}, cstr("TestEvent"), cstr("a"), []byte{0x98, 0x02}, cstr("b"), []byte{0x01}, cstr("c"), []byte{0x01}),
		[]byte{'H', 0, 0, 0, 'Y', 0, 0, 0})
	f.Add(meta([]byte{0}, cstr("E"), cstr("arr"), []byte{0x40 | 0x18 | 0x80, 0x01}, cstr("x"), []byte{0x40 | 0x13}),
		[]byte{0xFF, 0xFF, 0xFF, 0xFF})
	f.Add(meta([]byte{0}, cstr("E"), cstr("n"), []byte{0x20 | 0x00}, []byte{0xFF, 0xFF}), []byte{})
	f.Fuzz(func(t *testing.T, m, payload []byte) {
		s, err := tl.ParseSchema(m)
		if err != nil {
			return
		}
		var d tl.Decoder
		fields, n, err := d.Decode(s, payload, 8)
		if n > len(payload) {
			t.Fatalf("used %d of %d bytes", n, len(payload))
		}
		if err == nil {
			for i := range fields {
				_ = fields[i].AppendJSON(nil)
				_ = fields[i].AppendText(nil)
			}
		}
	})
}
