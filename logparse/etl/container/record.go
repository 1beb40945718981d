package container

import (
	"encoding/binary"
	"fmt"

	"github.com/wulog/wulog/logparse/etl/guid"
)

// Kind is a record's header type: the byte after the 16-bit size or version
// in a record's first 32 bits, plus KindMessage for WPP trace messages.
type Kind uint8

// Record header kinds.
const (
	KindSystem32      Kind = 0x01
	KindSystem64      Kind = 0x02
	KindCompact32     Kind = 0x03
	KindCompact64     Kind = 0x04
	KindFullHeader32  Kind = 0x0A
	KindInstance32    Kind = 0x0B
	KindTimed         Kind = 0x0C
	KindError         Kind = 0x0D
	KindWnode         Kind = 0x0E
	KindMessage       Kind = 0x0F
	KindPerfInfo32    Kind = 0x10
	KindPerfInfo64    Kind = 0x11
	KindEventHeader32 Kind = 0x12
	KindEventHeader64 Kind = 0x13
	KindFullHeader64  Kind = 0x14
	KindInstance64    Kind = 0x15
)

var kindNames = map[Kind]string{
	KindSystem32: "SYSTEM32", KindSystem64: "SYSTEM64",
	KindCompact32: "COMPACT32", KindCompact64: "COMPACT64",
	KindFullHeader32: "FULL_HEADER32", KindFullHeader64: "FULL_HEADER64",
	KindInstance32: "INSTANCE32", KindInstance64: "INSTANCE64",
	KindTimed: "TIMED", KindError: "ERROR", KindWnode: "WNODE", KindMessage: "MESSAGE",
	KindPerfInfo32: "PERFINFO32", KindPerfInfo64: "PERFINFO64",
	KindEventHeader32: "EVENT_HEADER32", KindEventHeader64: "EVENT_HEADER64",
}

// String returns the kind's name as in the ETW headers, e.g.
// "EVENT_HEADER64".
func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("HEADER_TYPE_0x%02X", uint8(k))
}

// IsSystem reports whether the kind uses the kernel's compact header
// layout (system, compact, perfinfo): version first, size at offset 4.
func (k Kind) IsSystem() bool {
	switch k {
	case KindSystem32, KindSystem64, KindCompact32, KindCompact64, KindPerfInfo32, KindPerfInfo64:
		return true
	}
	return false
}

// IsEventHeader reports whether the kind is an EVENT_HEADER record (the
// header of manifest-based and TraceLogging events).
func (k Kind) IsEventHeader() bool { return k == KindEventHeader32 || k == KindEventHeader64 }

// PointerSize returns 4 or 8 for kinds whose name says so, or 0.
func (k Kind) PointerSize() int {
	switch k {
	case KindSystem32, KindCompact32, KindFullHeader32, KindInstance32, KindPerfInfo32, KindEventHeader32:
		return 4
	case KindSystem64, KindCompact64, KindFullHeader64, KindInstance64, KindPerfInfo64, KindEventHeader64:
		return 8
	}
	return 0
}

// EventHeaderFlag is the EVENT_HEADER Flags bit set.
type EventHeaderFlag uint16

// EVENT_HEADER flags.
const (
	EventFlagExtendedInfo   EventHeaderFlag = 0x0001
	EventFlagPrivateSession EventHeaderFlag = 0x0002
	EventFlagStringOnly     EventHeaderFlag = 0x0004
	EventFlagTraceMessage   EventHeaderFlag = 0x0008
	EventFlagNoCPUTime      EventHeaderFlag = 0x0010
	EventFlag32BitHeader    EventHeaderFlag = 0x0020
	EventFlag64BitHeader    EventHeaderFlag = 0x0040
	EventFlagClassicHeader  EventHeaderFlag = 0x0100
	EventFlagProcessorIndex EventHeaderFlag = 0x0200
)

// ExtType is the type of an EVENT_HEADER extended data item.
type ExtType uint16

// Extended data item types.
const (
	ExtRelatedActivityID ExtType = 0x01
	ExtSID               ExtType = 0x02
	ExtTSID              ExtType = 0x03
	ExtInstanceInfo      ExtType = 0x04
	ExtStackTrace32      ExtType = 0x05
	ExtStackTrace64      ExtType = 0x06
	ExtPEBSIndex         ExtType = 0x07
	ExtPMCCounters       ExtType = 0x08
	ExtPSMKey            ExtType = 0x09
	ExtEventKey          ExtType = 0x0A
	ExtEventSchemaTL     ExtType = 0x0B
	ExtProvTraits        ExtType = 0x0C
	ExtProcessStartKey   ExtType = 0x0D
	ExtControlGUID       ExtType = 0x0E
	ExtQPCDelta          ExtType = 0x0F
	ExtContainerID       ExtType = 0x10
	ExtStackKey32        ExtType = 0x11
	ExtStackKey64        ExtType = 0x12
)

// ExtItem is one extended data item of an EVENT_HEADER record.
type ExtItem struct {
	Type ExtType
	Data []byte
}

// Descriptor is the EVENT_DESCRIPTOR of an EVENT_HEADER record (for classic
// headers only Opcode, Level and Version are set).
type Descriptor struct {
	ID      uint16
	Version uint8
	Channel uint8
	Level   uint8
	Opcode  uint8
	Task    uint16
	Keyword uint64
}

// Trace message option flags (WPP).
const (
	MessageSequence      = 0x01
	MessageGUID          = 0x02
	MessageComponentID   = 0x04
	MessageTimestamp     = 0x08
	MessagePerfTimestamp = 0x10
	MessageSystemInfo    = 0x20
)

// Record is one record of a buffer. Its slices point into the buffer and
// are valid until the walker moves on.
type Record struct {
	// Kind is the header type.
	Kind Kind
	// Offset is where the record starts, counted from the start of the
	// buffer header.
	Offset int
	// Data is the whole record, header included (Size bytes).
	Data []byte

	// Version is the header version of system/compact/perfinfo records.
	Version uint16
	// HookID is the system/compact/perfinfo hook: group in the high byte,
	// opcode in the low byte.
	HookID uint16
	// TID and PID are the thread and process IDs; HasIDs says whether the
	// header carries them.
	TID, PID uint32
	HasIDs   bool
	// Timestamp is the raw clock value; HasTimestamp says whether the
	// header carries one.
	Timestamp    int64
	HasTimestamp bool
	// ProcessorTime holds KernelTime (low) and UserTime (high) or the
	// processor time, as the header says.
	ProcessorTime uint64

	// ProviderID is the provider or event class GUID (EVENT_HEADER, full
	// and instance headers).
	ProviderID guid.GUID
	// Descriptor is the event descriptor.
	Descriptor Descriptor
	// EventFlags and EventProperty are the EVENT_HEADER Flags and
	// EventProperty.
	EventFlags    EventHeaderFlag
	EventProperty uint16
	// ActivityID is the EVENT_HEADER activity ID.
	ActivityID guid.GUID
	// Ext are the extended data items, in order.
	Ext []ExtItem

	// MessageNumber and MessageFlags are the WPP message header fields;
	// Sequence and ComponentID are set when MessageFlags says so.
	MessageNumber uint16
	MessageFlags  uint16
	Sequence      uint32
	ComponentID   uint32

	// UserData is the payload after the header(s).
	UserData []byte
}

// ExtData returns the data of the first extended item of type t, or nil.
func (r *Record) ExtData(t ExtType) []byte {
	for i := range r.Ext {
		if r.Ext[i].Type == t {
			return r.Ext[i].Data
		}
	}
	return nil
}

// PointerSize returns the pointer size the record's payload uses: from the
// EVENT_HEADER flags when they say, otherwise from the header kind.
func (r *Record) PointerSize() int {
	if r.Kind.IsEventHeader() {
		if r.EventFlags&EventFlag32BitHeader != 0 {
			return 4
		}
		if r.EventFlags&EventFlag64BitHeader != 0 {
			return 8
		}
	}
	return r.Kind.PointerSize()
}

// Walker steps through the records of one unpacked buffer, like
// bufio.Scanner: call Next until it returns false, then Err.
type Walker struct {
	buf []byte
	pos int
	rec Record
	ext []ExtItem
	err error
}

// Reset makes the walker read buf, an unpacked buffer (see Unpack) starting
// with its 72-byte header.
func (w *Walker) Reset(buf []byte) {
	w.buf = buf
	w.pos = BufferHeaderSize
	w.err = nil
}

// Record returns the current record; it is valid until the next call to
// Next or Reset.
func (w *Walker) Record() *Record { return &w.rec }

// Err returns the problem that stopped the walk early, or nil when the
// walk reached the end of the data or its padding.
func (w *Walker) Err() error { return w.err }

// Pos returns the offset of the next record.
func (w *Walker) Pos() int { return w.pos }

func (w *Walker) fail(format string, args ...any) bool {
	w.err = fmt.Errorf("etl: record at buffer offset %d: "+format, append([]any{w.pos}, args...)...)
	w.pos = len(w.buf)
	return false
}

// Next reads the next record. It returns false at the end of the data, at
// the end-of-buffer padding, or at a record that does not fit, which Err
// then reports.
func (w *Walker) Next() bool {
	le := binary.LittleEndian
	b := w.buf
	p := w.pos
	if p+4 > len(b) {
		w.pos = len(b)
		return false
	}
	marker := le.Uint32(b[p:])
	if marker == 0xFFFFFFFF || marker == 0 {
		w.pos = len(b)
		return false
	}
	flags := byte(marker >> 24)
	kind := Kind(marker >> 16)
	var size int
	switch {
	case flags&0xF0 == 0x90:
		kind = KindMessage
		size = int(marker & 0xFFFF)
	case flags&0xC0 == 0xC0:
		if kind.IsSystem() {
			if p+8 > len(b) {
				return w.fail("header cut short")
			}
			size = int(le.Uint16(b[p+4:]))
		} else {
			size = int(marker & 0xFFFF)
		}
	default:
		return w.fail("unknown record marker 0x%08X", marker)
	}
	if size < 8 {
		return w.fail("%s record size %d is too small", kind, size)
	}
	if p+size > len(b) {
		return w.fail("%s record size %d runs past the buffer's data end %d", kind, size, len(b))
	}
	data := b[p : p+size]
	r := &w.rec
	*r = Record{Kind: kind, Offset: p, Data: data}
	var ok bool
	switch {
	case kind == KindMessage:
		ok = w.message(r, data)
	case kind.IsSystem():
		ok = w.system(r, data, marker)
	case kind.IsEventHeader():
		ok = w.eventHeader(r, data)
	case kind == KindFullHeader32 || kind == KindFullHeader64:
		ok = w.classic(r, data, 0x30)
	case kind == KindInstance32 || kind == KindInstance64:
		ok = w.classic(r, data, 0x48)
	default:
		// TIMED, ERROR, WNODE and unknown kinds: sized but opaque.
		if len(data) > 4 {
			r.UserData = data[4:]
		}
		ok = true
	}
	if !ok {
		return false
	}
	w.pos = p + (size+7)&^7
	return true
}

func (w *Walker) system(r *Record, d []byte, marker uint32) bool {
	le := binary.LittleEndian
	r.Version = uint16(marker)
	r.HookID = le.Uint16(d[6:])
	var hdr int
	switch r.Kind {
	case KindSystem32, KindSystem64:
		hdr = 0x20
	case KindCompact32, KindCompact64:
		hdr = 0x18
	default: // perfinfo
		hdr = 0x10
	}
	// Extended system headers carry extra 8-byte words (PMC counters).
	if marker&0x8000 != 0 {
		hdr += 8
	}
	hdr += 8 * int(marker>>8&7)
	if len(d) < hdr {
		return w.fail("%s record size %d is smaller than its %d-byte header", r.Kind, len(d), hdr)
	}
	if r.Kind == KindPerfInfo32 || r.Kind == KindPerfInfo64 {
		r.Timestamp = int64(le.Uint64(d[8:]))
	} else {
		r.TID = le.Uint32(d[8:])
		r.PID = le.Uint32(d[12:])
		r.HasIDs = true
		r.Timestamp = int64(le.Uint64(d[16:]))
		if r.Kind == KindSystem32 || r.Kind == KindSystem64 {
			r.ProcessorTime = le.Uint64(d[24:])
		}
	}
	r.HasTimestamp = true
	r.Descriptor.Opcode = uint8(r.HookID)
	r.UserData = d[hdr:]
	return true
}

func (w *Walker) classic(r *Record, d []byte, hdr int) bool {
	if len(d) < hdr {
		return w.fail("%s record size %d is smaller than its %d-byte header", r.Kind, len(d), hdr)
	}
	le := binary.LittleEndian
	r.Descriptor.Opcode = d[4]
	r.Descriptor.Level = d[5]
	r.Descriptor.Version = uint8(le.Uint16(d[6:]))
	r.Version = le.Uint16(d[6:])
	r.idsTimeProvider(d)
	r.ProcessorTime = le.Uint64(d[40:])
	r.UserData = d[hdr:]
	return true
}

// idsTimeProvider reads the thread and process IDs, timestamp and provider
// GUID that classic and EVENT_HEADER records keep at the same offsets.
func (r *Record) idsTimeProvider(d []byte) {
	le := binary.LittleEndian
	r.TID = le.Uint32(d[8:])
	r.PID = le.Uint32(d[12:])
	r.HasIDs = true
	r.Timestamp = int64(le.Uint64(d[16:]))
	r.HasTimestamp = true
	r.ProviderID = guid.FromBytes(d[24:])
}

func (w *Walker) eventHeader(r *Record, d []byte) bool {
	const hdr = 0x50
	if len(d) < hdr {
		return w.fail("%s record size %d is smaller than its 80-byte header", r.Kind, len(d))
	}
	le := binary.LittleEndian
	r.EventFlags = EventHeaderFlag(le.Uint16(d[4:]))
	r.EventProperty = le.Uint16(d[6:])
	r.idsTimeProvider(d)
	r.Descriptor = Descriptor{
		ID:      le.Uint16(d[40:]),
		Version: d[42],
		Channel: d[43],
		Level:   d[44],
		Opcode:  d[45],
		Task:    le.Uint16(d[46:]),
		Keyword: le.Uint64(d[48:]),
	}
	r.ProcessorTime = le.Uint64(d[56:])
	r.ActivityID = guid.FromBytes(d[64:])
	p := hdr
	w.ext = w.ext[:0]
	if r.EventFlags&EventFlagExtendedInfo != 0 {
		for {
			if p+8 > len(d) {
				return w.fail("extended item header at record offset %d runs past the record (size %d)", p, len(d))
			}
			itemSize := int(le.Uint16(d[p:]))
			typ := ExtType(le.Uint16(d[p+2:]))
			linkage := le.Uint16(d[p+4:])
			dataSize := int(le.Uint16(d[p+6:]))
			if itemSize < 8 || dataSize > itemSize-8 || p+itemSize > len(d) {
				return w.fail("extended item at record offset %d: item size %d, data size %d, record size %d", p, itemSize, dataSize, len(d))
			}
			w.ext = append(w.ext, ExtItem{Type: typ, Data: d[p+8 : p+8+dataSize]})
			p += itemSize
			if linkage&1 == 0 {
				break
			}
		}
	}
	r.Ext = w.ext
	r.UserData = d[p:]
	return true
}

func (w *Walker) message(r *Record, d []byte) bool {
	le := binary.LittleEndian
	r.MessageNumber = le.Uint16(d[4:])
	r.MessageFlags = le.Uint16(d[6:])
	f := r.MessageFlags
	// The optional fields, in their order: flag, size.
	p := 8
	take := func(flag uint16, n int) []byte {
		if f&flag == 0 || p+n > len(d) {
			return nil
		}
		p += n
		return d[p-n : p]
	}
	short := func(flag uint16, b []byte) bool { return f&flag != 0 && b == nil }
	seq := take(MessageSequence, 4)
	id := take(MessageGUID, 16)
	var comp []byte
	if f&MessageGUID == 0 {
		comp = take(MessageComponentID, 4)
	}
	ts := take(MessageTimestamp, 8)
	sys := take(MessageSystemInfo, 8)
	if short(MessageSequence, seq) || short(MessageGUID, id) || (f&MessageGUID == 0 && short(MessageComponentID, comp)) ||
		short(MessageTimestamp, ts) || short(MessageSystemInfo, sys) {
		return w.fail("trace message of %d bytes is shorter than its flags 0x%04X say", len(d), f)
	}
	if seq != nil {
		r.Sequence = le.Uint32(seq)
	}
	if id != nil {
		r.ProviderID = guid.FromBytes(id)
	}
	if comp != nil {
		r.ComponentID = le.Uint32(comp)
	}
	if ts != nil {
		r.Timestamp = int64(le.Uint64(ts))
		r.HasTimestamp = true
	}
	if sys != nil {
		r.TID = le.Uint32(sys)
		r.PID = le.Uint32(sys[4:])
		r.HasIDs = true
	}
	r.UserData = d[p:]
	return true
}
