// Package etltest writes small ETL files for tests: a logfile header,
// per-processor buffers of TraceLogging events (optionally XPRESS
// compressed, with 32- or 64-bit pointers and any clock), manifest-style
// events without metadata and WPP trace messages. It writes what the
// Windows ETW logger writes as far as readers can tell, so tests can
// exercise the reader, the Windows Update mapping and the CLI end to end.
//
// It is for tests and benchmarks only.
package etltest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
	"unicode/utf16"

	"github.com/wulog/wulog/logparse/etl/container"
	"github.com/wulog/wulog/logparse/etl/guid"
	"github.com/wulog/wulog/logparse/etl/tracelogging"
)

// Clock types of the logfile header.
const (
	ClockQPC        = 1
	ClockSystemTime = 2
	ClockCPUCycles  = 3
)

// Options shape the file.
type Options struct {
	// BufferSize is the size of each buffer (default 64 KiB).
	BufferSize int
	// PointerSize is 4 or 8 (default 8).
	PointerSize int
	// Compressed writes XPRESS-compressed event buffers.
	Compressed bool
	// Clock is the clock type (default ClockQPC); PerfFreq the QPC
	// frequency (default 10 MHz) and CPUMHz the CPU speed for ClockCPUCycles.
	Clock    uint32
	PerfFreq uint64
	CPUMHz   uint32
	// Start is the session start (default 2024-03-05 06:07:08.1234567 UTC,
	// or for Write one second before the first event); events must not be
	// earlier, as in files ETW writes;
	// StartRaw the raw clock value at Start (default 123456789).
	Start    time.Time
	StartRaw int64
	// OSBuild is the Windows build (default 19045).
	OSBuild uint32
	// Processors is the processor count written in the header (default 4).
	Processors uint32
	// LoggerName and LogFileName (defaults "WindowsUpdate_trace_log" and
	// a Windows path).
	LoggerName, LogFileName string
	// TimeZoneBias is UTC minus local time in minutes.
	TimeZoneBias int32
}

// Field is one TraceLogging field: its metadata and its payload bytes.
// Use the constructors (String, U32, Struct, ...) or fill it by hand.
type Field struct {
	Name     string
	In       tracelogging.InType
	Out      tracelogging.OutType
	HasOut   bool
	Count    tracelogging.Count
	ConstLen uint16
	Members  []Field
	// Payload is the field's bytes in the event payload (for a struct:
	// ignored, the members' payloads are used).
	Payload []byte
}

// Event is one event to write.
type Event struct {
	// Provider and ProviderID name the provider. An Event without Name and
	// Fields is written as a manifest-based event (no metadata) with
	// Payload as its user data.
	Provider   string
	ProviderID guid.GUID
	Name       string
	Fields     []Field
	Payload    []byte

	Time      time.Time
	PID, TID  uint32
	Processor uint16

	// Descriptor is the event descriptor (ID, level, keyword, ...).
	container.Descriptor
	// Flags are EVENT_HEADER flags to add, such as
	// container.EventFlagStringOnly (Payload is then UTF-16 text) or
	// container.EventFlagTraceMessage.
	Flags container.EventHeaderFlag
}

// Writer writes an ETL file. Events must be added in time order per
// processor, as ETW writes them.
type Writer struct {
	w       io.Writer
	o       Options
	startFT int64
	bufs    map[uint16][]byte
	procs   []uint16
	seq     int64
	err     error
	written int
}

func filetime(t time.Time) int64 { return t.UnixNano()/100 + 116444736000000000 }

// NewWriter writes the header buffer to w and returns a writer for events.
func NewWriter(w io.Writer, o Options) (*Writer, error) {
	if o.BufferSize == 0 {
		o.BufferSize = 64 << 10
	}
	if o.PointerSize == 0 {
		o.PointerSize = 8
	}
	if o.Clock == 0 {
		o.Clock = ClockQPC
	}
	if o.PerfFreq == 0 {
		o.PerfFreq = 10_000_000
	}
	if o.CPUMHz == 0 {
		o.CPUMHz = 2_995
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2024, 3, 5, 6, 7, 8, 123456700, time.UTC)
	}
	if o.StartRaw == 0 {
		o.StartRaw = 123456789
	}
	if o.OSBuild == 0 {
		o.OSBuild = 19045
	}
	if o.Processors == 0 {
		o.Processors = 4
	}
	if o.LoggerName == "" {
		o.LoggerName = "WindowsUpdate_trace_log"
	}
	if o.LogFileName == "" {
		o.LogFileName = `C:\WINDOWS\Logs\WindowsUpdate\WindowsUpdate.20240305.060708.123.1.etl`
	}
	if o.Clock == ClockSystemTime {
		o.StartRaw = filetime(o.Start)
	}
	wr := &Writer{w: w, o: o, startFT: filetime(o.Start), bufs: map[uint16][]byte{}}
	if err := wr.writeHeader(); err != nil {
		return nil, err
	}
	return wr, nil
}

// Raw returns the raw clock value the file uses for t.
func (w *Writer) Raw(t time.Time) int64 {
	d := filetime(t) - w.startFT
	var freq uint64
	switch w.o.Clock {
	case ClockSystemTime:
		return w.o.StartRaw + d
	case ClockCPUCycles:
		freq = uint64(w.o.CPUMHz) * 1e6
	default:
		freq = w.o.PerfFreq
	}
	if freq == 1e7 {
		return w.o.StartRaw + d
	}
	// Round up, so that the reader's rounding down gives t back exactly
	// whenever the clock is at least as fine as 100 ns.
	num := new(big.Int).Mul(big.NewInt(d), new(big.Int).SetUint64(freq))
	q, m := new(big.Int).DivMod(num, big.NewInt(1e7), new(big.Int))
	if m.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return w.o.StartRaw + q.Int64()
}

func utf16z(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u)+2)
	for _, c := range u {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return append(b, 0, 0)
}

func (w *Writer) writeHeader() error {
	le := binary.LittleEndian
	o := w.o
	ptr := o.PointerSize
	hdrSize := 0x118
	kind := byte(0x02)
	if ptr == 4 {
		hdrSize = 0x110
		kind = 0x01
	}
	h := make([]byte, hdrSize)
	le.PutUint32(h[0x00:], uint32(o.BufferSize))
	le.PutUint32(h[0x04:], 0x0501000A)
	le.PutUint32(h[0x08:], o.OSBuild)
	le.PutUint32(h[0x0C:], o.Processors)
	le.PutUint32(h[0x18:], 156250)
	le.PutUint32(h[0x1C:], 250)
	mode := uint32(0x00000001)
	if o.Compressed {
		mode |= 0x04000000
	}
	le.PutUint32(h[0x20:], mode)
	le.PutUint32(h[0x2C:], uint32(ptr))
	le.PutUint32(h[0x34:], o.CPUMHz)
	tz := h[0x38+2*ptr:]
	le.PutUint32(tz, uint32(o.TimeZoneBias))
	copy(tz[4:68], utf16z("@tzres.dll,-112"))
	copy(tz[88:152], utf16z("@tzres.dll,-111"))
	le.PutUint32(tz[168:], 0xFFFFFFC4)
	p := 0x38 + 2*ptr + 0xAC + 4
	le.PutUint64(h[p:], uint64(w.startFT-36_000_000_000))
	le.PutUint64(h[p+8:], o.PerfFreq)
	le.PutUint64(h[p+16:], uint64(w.startFT))
	le.PutUint32(h[p+24:], o.Clock)
	h = append(h, utf16z(o.LoggerName)...)
	h = append(h, utf16z(o.LogFileName)...)

	rec := make([]byte, 0x20, 0x20+len(h))
	le.PutUint16(rec[0:], 2) // version
	rec[2] = kind
	rec[3] = 0xC0
	le.PutUint16(rec[4:], uint16(0x20+len(h)))
	le.PutUint16(rec[6:], 0) // hook: EventTrace header
	le.PutUint32(rec[8:], 4)
	le.PutUint32(rec[12:], 4)
	le.PutUint64(rec[16:], uint64(o.StartRaw))
	rec = append(rec, h...)
	buf := make([]byte, 0x48, o.BufferSize)
	buf = appendRecord(buf, rec)
	return w.flushBuffer(0, buf, 4, true)
}

func appendRecord(buf, rec []byte) []byte {
	buf = append(buf, rec...)
	for len(buf)%8 != 0 {
		buf = append(buf, 0)
	}
	return buf
}

// flushBuffer writes one buffer: the header, the records and padding
// (or the compressed data).
func (w *Writer) flushBuffer(proc uint16, buf []byte, typ uint16, header bool) error {
	le := binary.LittleEndian
	filled := len(buf)
	flags := uint16(0x20 | 0x01)
	out := buf[:w.o.BufferSize]
	for i := filled; i < len(out); i++ {
		out[i] = 0xFF
	}
	if w.o.Compressed && !header {
		c := CompressXpress(buf[0x48:filled])
		out = append(append(make([]byte, 0, 0x48+len(c)), buf[:0x48]...), c...)
		flags |= 0x40
	}
	le.PutUint32(out[0x00:], uint32(len(out)))
	le.PutUint32(out[0x04:], uint32(filled))
	le.PutUint32(out[0x08:], uint32(filled))
	le.PutUint64(out[0x18:], uint64(w.seq))
	le.PutUint16(out[0x28:], proc)
	le.PutUint16(out[0x2A:], 0x3D)
	le.PutUint32(out[0x2C:], 3)
	le.PutUint32(out[0x30:], uint32(filled))
	le.PutUint16(out[0x34:], flags)
	le.PutUint16(out[0x36:], typ)
	w.seq++
	_, err := w.w.Write(out)
	w.written++
	return err
}

// metadata appends a field's TraceLogging metadata.
func (f *Field) metadata(b []byte) []byte {
	b = append(b, f.Name...)
	b = append(b, 0)
	in := byte(f.In) | byte(f.Count)
	if f.HasOut || f.In == tracelogging.InStruct {
		in |= 0x80
	}
	b = append(b, in)
	if in&0x80 != 0 {
		out := byte(f.Out)
		if f.In == tracelogging.InStruct {
			out = byte(len(f.Members))
		}
		b = append(b, out)
	}
	if f.Count == tracelogging.ConstCount {
		b = binary.LittleEndian.AppendUint16(b, f.ConstLen)
	}
	for i := range f.Members {
		b = f.Members[i].metadata(b)
	}
	return b
}

func (f *Field) payload(b []byte) []byte {
	if f.In == tracelogging.InStruct && f.Count == tracelogging.Scalar {
		for i := range f.Members {
			b = f.Members[i].payload(b)
		}
		return b
	}
	return append(b, f.Payload...)
}

// ErrTooBig reports an event that does not fit a record or a buffer.
var ErrTooBig = errors.New("etltest: event does not fit in a record or buffer")

// Record returns the EVENT_HEADER record bytes of ev (before alignment).
func (w *Writer) Record(ev *Event) ([]byte, error) {
	le := binary.LittleEndian
	rec := make([]byte, 0x50, 256)
	kind := byte(0x13)
	flags := uint16(0x0040)
	if w.o.PointerSize == 4 {
		kind, flags = 0x12, 0x0020
	}
	var user []byte
	if ev.Name != "" || len(ev.Fields) > 0 {
		flags |= 0x0001
		traits := binary.LittleEndian.AppendUint16(nil, 0)
		traits = append(append(traits, ev.Provider...), 0)
		le.PutUint16(traits, uint16(len(traits)))
		meta := binary.LittleEndian.AppendUint16(nil, 0)
		meta = append(meta, 0) // no event tags
		meta = append(append(meta, ev.Name...), 0)
		for i := range ev.Fields {
			meta = ev.Fields[i].metadata(meta)
			user = ev.Fields[i].payload(user)
		}
		if len(meta) > 0xFFFF {
			return nil, ErrTooBig
		}
		le.PutUint16(meta, uint16(len(meta)))
		rec = appendExt(rec, 0x0C, traits, true)
		rec = appendExt(rec, 0x0B, meta, false)
	} else {
		user = ev.Payload
	}
	rec = append(rec, user...)
	if len(rec) > 0xFFFF || len(rec)+0x48 > w.o.BufferSize {
		return nil, ErrTooBig
	}
	le.PutUint16(rec[0:], uint16(len(rec)))
	rec[2] = kind
	rec[3] = 0xC0
	le.PutUint16(rec[4:], flags|uint16(ev.Flags))
	le.PutUint32(rec[8:], ev.TID)
	le.PutUint32(rec[12:], ev.PID)
	le.PutUint64(rec[16:], uint64(w.Raw(ev.Time)))
	copy(rec[24:40], ev.ProviderID[:])
	le.PutUint16(rec[40:], ev.ID)
	rec[42] = ev.Version
	rec[43] = ev.Channel
	rec[44] = ev.Level
	rec[45] = ev.Opcode
	le.PutUint16(rec[46:], ev.Task)
	le.PutUint64(rec[48:], ev.Keyword)
	return rec, nil
}

func appendExt(rec []byte, typ uint16, data []byte, more bool) []byte {
	size := (8 + len(data) + 7) &^ 7
	rec = binary.LittleEndian.AppendUint16(rec, uint16(size))
	rec = binary.LittleEndian.AppendUint16(rec, typ)
	link := uint16(0)
	if more {
		link = 1
	}
	rec = binary.LittleEndian.AppendUint16(rec, link)
	rec = binary.LittleEndian.AppendUint16(rec, uint16(len(data)))
	rec = append(rec, data...)
	for len(rec)%8 != 0 {
		rec = append(rec, 0)
	}
	return rec
}

// Add writes ev into its processor's buffer, flushing the buffer first
// when ev does not fit.
func (w *Writer) Add(ev Event) error {
	if w.err != nil {
		return w.err
	}
	rec, err := w.Record(&ev)
	if err != nil {
		return err
	}
	return w.AddRecord(ev.Processor, rec)
}

// AddRecord writes raw record bytes into a processor's buffer.
func (w *Writer) AddRecord(proc uint16, rec []byte) error {
	buf, ok := w.bufs[proc]
	if !ok {
		w.procs = append(w.procs, proc)
		buf = make([]byte, 0x48, w.o.BufferSize)
	}
	if len(buf)+len(rec) > w.o.BufferSize {
		if err := w.flushBuffer(proc, buf, 0, false); err != nil {
			w.err = err
			return err
		}
		buf = buf[:0x48]
	}
	w.bufs[proc] = appendRecord(buf, rec)
	return nil
}

// AddWPP writes a WPP trace message (as Windows Update wrote before
// Windows 10 1709): a message GUID, number, time and IDs, and args that
// only the provider's TMF data could decode.
func (w *Writer) AddWPP(proc uint16, pid, tid uint32, t time.Time, msgGUID guid.GUID, number uint16, args []byte) error {
	le := binary.LittleEndian
	rec := make([]byte, 8, 48+len(args))
	rec = le.AppendUint32(rec, uint32(w.seq))
	rec = append(rec, msgGUID[:]...)
	rec = le.AppendUint64(rec, uint64(w.Raw(t)))
	rec = le.AppendUint32(rec, tid)
	rec = le.AppendUint32(rec, pid)
	rec = append(rec, args...)
	le.PutUint16(rec[0:], uint16(len(rec)))
	rec[3] = 0x90
	le.PutUint16(rec[4:], number)
	le.PutUint16(rec[6:], 0x01|0x02|0x08|0x20)
	return w.AddRecord(proc, rec)
}

// Close flushes the remaining buffers, in processor order of first use.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	for _, p := range w.procs {
		if buf := w.bufs[p]; len(buf) > 0x48 {
			if err := w.flushBuffer(p, buf, 0, false); err != nil {
				return err
			}
		}
	}
	w.bufs = nil
	return nil
}

// Buffers returns the number of buffers written so far.
func (w *Writer) Buffers() int { return w.written }

// String returns a UnicodeString field (UTF-16, NUL-terminated).
func String(name, v string) Field {
	return Field{Name: name, In: tracelogging.InUnicodeString, Payload: utf16z(v)}
}

// Ansi returns an AnsiString field (8-bit, NUL-terminated).
func Ansi(name, v string) Field {
	return Field{Name: name, In: tracelogging.InAnsiString, Payload: append([]byte(v), 0)}
}

// Uint returns an unsigned integer field of in-type in (UInt8 to UInt64,
// HexInt32, HexInt64, Bool32) holding v.
func Uint(name string, in tracelogging.InType, v uint64) Field {
	var b []byte
	switch in {
	case tracelogging.InUInt8, tracelogging.InInt8:
		b = []byte{byte(v)}
	case tracelogging.InUInt16, tracelogging.InInt16:
		b = binary.LittleEndian.AppendUint16(nil, uint16(v))
	case tracelogging.InUInt32, tracelogging.InInt32, tracelogging.InHexInt32, tracelogging.InBool32, tracelogging.InFloat:
		b = binary.LittleEndian.AppendUint32(nil, uint32(v))
	default:
		b = binary.LittleEndian.AppendUint64(nil, v)
	}
	return Field{Name: name, In: in, Payload: b}
}

// WithOut returns f with an out-type.
func (f Field) WithOut(out tracelogging.OutType) Field {
	f.Out, f.HasOut = out, true
	return f
}

// Struct returns a struct field of the given members.
func Struct(name string, members ...Field) Field {
	return Field{Name: name, In: tracelogging.InStruct, Members: members}
}

// VarArray returns a variable-count array of scalar elements, each given
// as its payload bytes.
func VarArray(name string, in tracelogging.InType, elems ...[]byte) Field {
	b := binary.LittleEndian.AppendUint16(nil, uint16(len(elems)))
	for _, e := range elems {
		b = append(b, e...)
	}
	return Field{Name: name, In: in, Count: tracelogging.VarCount, Payload: b}
}

// ConstArray returns a constant-count array of scalar elements.
func ConstArray(name string, in tracelogging.InType, elems ...[]byte) Field {
	var b []byte
	for _, e := range elems {
		b = append(b, e...)
	}
	return Field{Name: name, In: in, Count: tracelogging.ConstCount, ConstLen: uint16(len(elems)), Payload: b}
}

// Raw returns a field with explicit metadata and payload bytes.
func Raw(name string, in tracelogging.InType, payload []byte) Field {
	return Field{Name: name, In: in, Payload: payload}
}

// WUProviderID is the Windows Update TraceLogging provider GUID.
var WUProviderID = guid.MustParse("{0b7a6f19-47c4-454e-8c5c-e868d637e4d8}")

// WU returns a Windows Update event as WUTraceLogging writes it: the
// component as event name and its category keyword bit, one Info string
// field, level 4 (or 2 for messages starting with "*FAILED*").
func WU(t time.Time, proc uint16, pid, tid uint32, component, info string) Event {
	level := uint8(4)
	if len(info) >= 8 && info[:8] == "*FAILED*" {
		level = 2
	}
	return Event{
		Provider: "WUTraceLogging", ProviderID: WUProviderID, Name: component,
		Fields: []Field{String("Info", info)},
		Time:   t, PID: pid, TID: tid, Processor: proc,
		Descriptor: container.Descriptor{Level: level, Keyword: wuKeywords[component], Channel: 11},
	}
}

// wuKeywords are the category keyword bits known from public sources; other
// components get 0.
var wuKeywords = map[string]uint64{"Agent": 0x1, "Misc": 0x20, "Handler": 0x1000, "ComApi": 0x10000, "SIH": 0x400000}

// Write builds a whole file in memory. Without Options.Start the session
// starts one second before the earliest event.
func Write(o Options, events ...Event) ([]byte, error) {
	if o.Start.IsZero() && len(events) > 0 {
		first := events[0].Time
		for _, e := range events {
			if e.Time.Before(first) {
				first = e.Time
			}
		}
		o.Start = first.Add(-time.Second)
	}
	var b sliceWriter
	w, err := NewWriter(&b, o)
	if err != nil {
		return nil, err
	}
	for i := range events {
		if err := w.Add(events[i]); err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b, nil
}

type sliceWriter []byte

// Write appends p.
func (s *sliceWriter) Write(p []byte) (int, error) {
	*s = append(*s, p...)
	return len(p), nil
}
