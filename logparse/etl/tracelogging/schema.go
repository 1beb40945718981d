package tracelogging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/wulog/wulog/logparse/etl/guid"
)

// maxDepth bounds struct nesting in a schema.
const maxDepth = 32

// FieldSchema describes one field of an event as its metadata says.
type FieldSchema struct {
	// Name is the field name.
	Name string
	// In is the in-type (payload layout).
	In InType
	// Out is the out-type (display hint); for a Struct it is the number of
	// members. HasOut says whether the metadata gave one.
	Out    OutType
	HasOut bool
	// Tags are the field's 28-bit user tags.
	Tags uint32
	// Count says whether the field is an array and how its length is
	// given; ConstLen is the length of a ConstCount array.
	Count    Count
	ConstLen uint16
	// Members are the fields of a Struct, in order.
	Members []FieldSchema
	// CustomSchema is the schema of a Custom field (opaque here).
	CustomSchema []byte
}

// IsArray reports whether the field is an array.
func (f *FieldSchema) IsArray() bool { return f.Count == ConstCount || f.Count == VarCount }

// TypeString describes the field's type compactly: the in-type name, then
// "/out0xNN" when the metadata gives an out-type, the members in braces for
// a struct, and "[]" for a variable or "[N]" for a constant length array,
// e.g. "UInt16/out0x02[]" or "Struct/out0x02{b:UnicodeString,c:UnicodeString}".
func (f *FieldSchema) TypeString() string {
	var sb strings.Builder
	f.writeType(&sb)
	return sb.String()
}

func (f *FieldSchema) writeType(sb *strings.Builder) {
	sb.WriteString(f.In.String())
	if f.HasOut && f.Out != 0 {
		fmt.Fprintf(sb, "/out0x%02x", uint8(f.Out))
	}
	if f.In == InStruct {
		sb.WriteByte('{')
		for i := range f.Members {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(f.Members[i].Name)
			sb.WriteByte(':')
			f.Members[i].writeType(sb)
		}
		sb.WriteByte('}')
	}
	switch f.Count {
	case VarCount:
		sb.WriteString("[]")
	case ConstCount:
		sb.WriteString("[" + strconv.Itoa(int(f.ConstLen)) + "]")
	case Custom:
		sb.WriteString("(custom)")
	}
}

// Schema is a TraceLogging event's metadata (EVENT_SCHEMA_TL).
type Schema struct {
	// Event is the event name.
	Event string
	// Tags are the event's 28-bit user tags.
	Tags uint32
	// Fields are the top-level fields, in order.
	Fields []FieldSchema
}

// ErrMetadata is wrapped by every metadata parse error.
var ErrMetadata = errors.New("tracelogging: bad metadata")

type metaReader struct {
	b   []byte
	pos int
}

func (r *metaReader) errf(format string, args ...any) error {
	return fmt.Errorf("%w at byte %d: %s", ErrMetadata, r.pos, fmt.Sprintf(format, args...))
}

func (r *metaReader) cstring() (string, error) {
	i := bytes.IndexByte(r.b[r.pos:], 0)
	if i < 0 {
		return "", r.errf("unterminated name")
	}
	s := string(r.b[r.pos : r.pos+i])
	r.pos += i + 1
	return s, nil
}

func (r *metaReader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, r.errf("ends early")
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *metaReader) u16() (uint16, error) {
	if r.pos+2 > len(r.b) {
		return 0, r.errf("ends early")
	}
	v := binary.LittleEndian.Uint16(r.b[r.pos:])
	r.pos += 2
	return v, nil
}

// tags reads a 28-bit tag value stored 7 bits a byte, most significant
// first, with the high bit of each byte saying another follows.
func (r *metaReader) tags() (uint32, error) {
	var v uint32
	for i := 0; ; i++ {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if i < 4 {
			v |= uint32(c&0x7F) << (21 - 7*uint(i))
		}
		if c&0x80 == 0 {
			return v, nil
		}
		if i >= 3 {
			return 0, r.errf("tag longer than 4 bytes")
		}
	}
}

// ParseSchema decodes EVENT_SCHEMA_TL metadata: a u16 total size, the event
// tags, the event name and the field descriptions.
func ParseSchema(meta []byte) (*Schema, error) {
	if len(meta) < 2 {
		return nil, fmt.Errorf("%w: %d bytes", ErrMetadata, len(meta))
	}
	total := int(binary.LittleEndian.Uint16(meta))
	if total < 3 || total > len(meta) {
		return nil, fmt.Errorf("%w: size %d does not fit the %d bytes given", ErrMetadata, total, len(meta))
	}
	r := &metaReader{b: meta[:total], pos: 2}
	s := &Schema{}
	var err error
	if s.Tags, err = r.tags(); err != nil {
		return nil, err
	}
	if s.Event, err = r.cstring(); err != nil {
		return nil, err
	}
	for r.pos < len(r.b) {
		f, err := r.field(0)
		if err != nil {
			return nil, err
		}
		s.Fields = append(s.Fields, f)
	}
	return s, nil
}

func (r *metaReader) field(depth int) (FieldSchema, error) {
	var f FieldSchema
	if depth > maxDepth {
		return f, r.errf("structs nested deeper than %d", maxDepth)
	}
	var err error
	if f.Name, err = r.cstring(); err != nil {
		return f, err
	}
	in, err := r.byte()
	if err != nil {
		return f, err
	}
	f.In = InType(in & 0x1F)
	f.Count = Count(in & 0x60)
	if in&0x80 != 0 {
		out, err := r.byte()
		if err != nil {
			return f, err
		}
		f.Out = OutType(out & 0x7F)
		f.HasOut = true
		if out&0x80 != 0 {
			if f.Tags, err = r.tags(); err != nil {
				return f, err
			}
		}
	}
	switch f.Count {
	case ConstCount:
		if f.ConstLen, err = r.u16(); err != nil {
			return f, err
		}
	case Custom:
		n, err := r.u16()
		if err != nil {
			return f, err
		}
		if r.pos+int(n) > len(r.b) {
			return f, r.errf("custom schema of %d bytes runs past the metadata", n)
		}
		f.CustomSchema = append([]byte(nil), r.b[r.pos:r.pos+int(n)]...)
		r.pos += int(n)
	}
	if f.In == InStruct {
		n := int(f.Out)
		if n == 0 {
			return f, r.errf("struct %q has no members", f.Name)
		}
		f.Members = make([]FieldSchema, 0, n)
		for i := 0; i < n; i++ {
			m, err := r.field(depth + 1)
			if err != nil {
				return f, err
			}
			f.Members = append(f.Members, m)
		}
	}
	return f, nil
}

// ProviderTraits is a TraceLogging provider's metadata (PROV_TRAITS).
type ProviderTraits struct {
	// Name is the provider name.
	Name string
	// Group is the provider group GUID, when HasGroup.
	Group    guid.GUID
	HasGroup bool
}

// ParseProviderTraits decodes PROV_TRAITS metadata: a u16 total size, the
// provider name and optional traits (size, type, data), of which the
// provider group GUID (type 1) is kept.
func ParseProviderTraits(b []byte) (ProviderTraits, error) {
	var p ProviderTraits
	if len(b) < 2 {
		return p, fmt.Errorf("%w: provider traits of %d bytes", ErrMetadata, len(b))
	}
	total := int(binary.LittleEndian.Uint16(b))
	if total < 3 || total > len(b) {
		return p, fmt.Errorf("%w: provider traits size %d does not fit the %d bytes given", ErrMetadata, total, len(b))
	}
	r := &metaReader{b: b[:total], pos: 2}
	var err error
	if p.Name, err = r.cstring(); err != nil {
		return p, err
	}
	for r.pos+3 <= len(r.b) {
		start := r.pos
		size, _ := r.u16()
		typ, _ := r.byte()
		if size < 3 || start+int(size) > len(r.b) {
			return p, r.errf("trait size %d", size)
		}
		if typ == 1 && size >= 3+16 {
			p.Group = guid.FromBytes(r.b[r.pos:])
			p.HasGroup = true
		}
		r.pos = start + int(size)
	}
	return p, nil
}
