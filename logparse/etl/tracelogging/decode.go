package tracelogging

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrPayload is wrapped by errors about a payload that does not match its
// schema (too short, unterminated string, too many values).
var ErrPayload = errors.New("tracelogging: payload does not match its schema")

// UndecodableError reports a field whose value cannot be decoded without
// information the event does not carry (a custom schema, a pointer of
// unknown size). Fields before it were decoded.
type UndecodableError struct {
	Field  string
	Reason string
}

// Error names the field and the reason.
func (e *UndecodableError) Error() string {
	return fmt.Sprintf("tracelogging: field %q is undecodable: %s", e.Field, e.Reason)
}

// Decoder decodes event payloads. It reuses its memory between calls: the
// fields returned by Decode are valid until the next call. The zero value
// is ready to use.
type Decoder struct {
	arena  []Field
	budget int
}

// Decode decodes payload as the schema says. ptrSize (4 or 8) is the size
// of Pointer values. It returns the decoded fields in order and the number
// of payload bytes they used. On error the fields decoded before the
// problem are returned with it.
func (d *Decoder) Decode(s *Schema, payload []byte, ptrSize int) ([]Field, int, error) {
	d.arena = d.arena[:0]
	// Every value but Null and empty structs uses at least one byte; allow
	// a generous margin and no more, so hostile counts cannot explode.
	d.budget = 4*len(payload) + 4*len(s.Fields) + 64
	fields, err := d.reserve(len(s.Fields))
	if err != nil {
		return nil, 0, err
	}
	pos := 0
	for i := range s.Fields {
		n, err := d.field(&fields[i], &s.Fields[i], payload[pos:], ptrSize, false)
		if err != nil {
			return fields[:i], pos, err
		}
		pos += n
	}
	return fields, pos, nil
}

func (d *Decoder) reserve(n int) ([]Field, error) {
	if n > d.budget {
		return nil, fmt.Errorf("%w: more values than the payload can hold", ErrPayload)
	}
	d.budget -= n
	start := len(d.arena)
	d.arena = append(d.arena, make([]Field, n)...)
	return d.arena[start : start+n : start+n], nil
}

func short(name string, need, have int) error {
	return fmt.Errorf("%w: field %q needs %d bytes, %d left", ErrPayload, name, need, have)
}

// field decodes one field (an array as a whole unless elem) from p and
// returns the bytes used.
func (d *Decoder) field(f *Field, s *FieldSchema, p []byte, ptrSize int, elem bool) (int, error) {
	*f = Field{Schema: s, ptrSize: uint8(ptrSize), elem: elem}
	if !elem {
		switch s.Count {
		case Custom:
			return 0, &UndecodableError{Field: s.Name, Reason: fmt.Sprintf("custom schema of %d bytes", len(s.CustomSchema))}
		case ConstCount, VarCount:
			return d.array(f, s, p, ptrSize)
		}
	}
	if s.In == InStruct {
		members, err := d.reserve(len(s.Members))
		if err != nil {
			return 0, err
		}
		pos := 0
		for i := range s.Members {
			n, err := d.field(&members[i], &s.Members[i], p[pos:], ptrSize, false)
			if err != nil {
				return 0, err
			}
			pos += n
		}
		f.list = members
		f.raw = p[:pos]
		return pos, nil
	}
	n, err := valueSize(s, p, ptrSize)
	if err != nil {
		return 0, err
	}
	f.raw = p[:n]
	return n, nil
}

func (d *Decoder) array(f *Field, s *FieldSchema, p []byte, ptrSize int) (int, error) {
	pos := 0
	count := int(s.ConstLen)
	if s.Count == VarCount {
		if len(p) < 2 {
			return 0, short(s.Name, 2, len(p))
		}
		count = int(binary.LittleEndian.Uint16(p))
		pos = 2
	}
	elems, err := d.reserve(count)
	if err != nil {
		return 0, err
	}
	for i := range elems {
		n, err := d.field(&elems[i], s, p[pos:], ptrSize, true)
		if err != nil {
			return 0, err
		}
		pos += n
	}
	f.list = elems
	f.raw = p[:pos]
	return pos, nil
}

// valueSize returns the payload size of one scalar value of s at the start
// of p.
func valueSize(s *FieldSchema, p []byte, ptrSize int) (int, error) {
	if n := s.In.fixedSize(); n > 0 {
		if len(p) < n {
			return 0, short(s.Name, n, len(p))
		}
		return n, nil
	}
	le := binary.LittleEndian
	switch s.In {
	case InNull:
		return 0, nil
	case InPointer:
		if ptrSize != 4 && ptrSize != 8 {
			return 0, &UndecodableError{Field: s.Name, Reason: "pointer of unknown size"}
		}
		if len(p) < ptrSize {
			return 0, short(s.Name, ptrSize, len(p))
		}
		return ptrSize, nil
	case InUnicodeString:
		for i := 0; i+1 < len(p); i += 2 {
			if p[i] == 0 && p[i+1] == 0 {
				return i + 2, nil
			}
		}
		return 0, fmt.Errorf("%w: field %q: UTF-16 string without terminator", ErrPayload, s.Name)
	case InAnsiString:
		i := bytes.IndexByte(p, 0)
		if i < 0 {
			return 0, fmt.Errorf("%w: field %q: string without terminator", ErrPayload, s.Name)
		}
		return i + 1, nil
	case InBinary, InCountedString, InCountedAnsiString, InCountedBinary:
		if len(p) < 2 {
			return 0, short(s.Name, 2, len(p))
		}
		n := 2 + int(le.Uint16(p))
		if len(p) < n {
			return 0, short(s.Name, n, len(p))
		}
		return n, nil
	case InSID:
		if len(p) < 8 {
			return 0, short(s.Name, 8, len(p))
		}
		n := 8 + 4*int(p[1])
		if len(p) < n {
			return 0, short(s.Name, n, len(p))
		}
		return n, nil
	}
	return 0, &UndecodableError{Field: s.Name, Reason: fmt.Sprintf("unknown in-type %d", uint8(s.In))}
}
