// Package etl reads Windows Event Trace Log (.etl) files in pure Go on any
// OS: the container (buffers per processor, compressed buffers, every
// record header kind), the clock (QPC, system time or CPU cycles converted
// to UTC exactly as the file's header says), and TraceLogging events
// decoded from their own metadata. Events are returned in time order: each
// processor's buffers are read in sequence-number order and the processors
// are k-way merged by timestamp, holding one buffer per processor in
// memory. [Merge] merges several files by time the same way.
//
// Events that are not self-describing (manifest-based, classic MOF, kernel
// and WPP events) are returned with their header data, raw payload and a
// Reason, never as an error. Damaged buffers are skipped with a [Problem]
// and reading goes on.
//
// The sub-packages do one job each: container walks buffers and records,
// xpress decompresses buffers, tracelogging decodes self-describing
// events, and wu maps Windows Update events to logparse records.
package etl

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"unsafe"

	"github.com/wulog/wulog/logparse/etl/container"
	"github.com/wulog/wulog/logparse/etl/tracelogging"
)

// Reasons given for events that are not decoded.
const (
	ReasonManifest = "manifest-based event: not self-describing, decoding it needs the provider's manifest"
	ReasonClassic  = "classic (MOF) event: decoding it needs the event class's MOF description"
	ReasonSystem   = "kernel system event: decoding it needs the kernel's MOF classes"
	ReasonHeader   = "logfile header (EventTrace/Header)"
	ReasonWPP      = "WPP trace message: its format is in the provider's private symbols (TMF), not in the file"
	ReasonOpaque   = "record without a decodable payload"
)

// ErrNotETL is wrapped by the error NewReader returns for input that is not
// an ETL file.
var ErrNotETL = errors.New("not an ETL file")

// Options change how a Reader reads.
type Options struct {
	// FileOrder returns events in file order (buffers as they are stored,
	// records as they are in each buffer) instead of merged by time.
	FileOrder bool
	// MaxMemory bounds the bytes the reader holds for buffers (one raw and
	// at most one decompressed buffer per processor); 0 means
	// DefaultMaxMemory. A buffer that would pass the bound is skipped with
	// a Problem.
	MaxMemory int64
}

// DefaultMaxMemory is the default Options.MaxMemory: enough for 256
// processors with 1 MiB buffers.
const DefaultMaxMemory = 512 << 20

// BufferInfo describes one buffer of the file.
type BufferInfo struct {
	container.BufferHeader
	// Index is the buffer's position in the file, from 0.
	Index int
	// FileOffset is where the buffer starts in the file.
	FileOffset int64
	// OnDisk is how many of its bytes the file holds (less than Size for a
	// buffer cut short at end of file).
	OnDisk int
}

// bufferInfoSize is the memory one index entry takes.
const bufferInfoSize = int64(unsafe.Sizeof(BufferInfo{}))

// Problem is damage the reader skipped: a buffer or record it could not
// read. Reading goes on after a problem.
type Problem struct {
	// File is the file name; Buffer the buffer index (-1 when the problem
	// is not in a buffer) and Offset the file offset of the buffer.
	File   string
	Buffer int
	Offset int64
	// Err says what is wrong.
	Err error
}

// Error describes the problem with the file name and where it is.
func (p Problem) Error() string {
	if p.Buffer < 0 {
		return fmt.Sprintf("%s: offset %d: %v", p.File, p.Offset, p.Err)
	}
	return fmt.Sprintf("%s: buffer %d at offset %d: %v", p.File, p.Buffer, p.Offset, p.Err)
}

// Unwrap returns Err.
func (p Problem) Unwrap() error { return p.Err }

// Stats counts what a reader has read so far.
type Stats struct {
	// Bytes is the size of the buffers read from the file.
	Bytes int64
	// Buffers counts buffers read; Compressed, EventsLost (flag 2),
	// BufferLost (flag 4) and Damaged count kinds of them.
	Buffers, Compressed, EventsLost, BufferLost, Damaged int
	// Records counts every record; ByKind counts them by header kind.
	Records int
	ByKind  map[container.Kind]int
	// TraceLogging counts TraceLogging events and Undecodable those whose
	// payload could not be decoded completely.
	TraceLogging, Undecodable int
	// Raw counts events that are not self-describing, WPP those that are
	// WPP trace messages.
	Raw, WPP int
}

// stream is one processor's buffers in sequence order (or the whole file
// in file order).
type stream struct {
	bufs    []int // indices into Reader.bufs
	next    int
	raw     []byte
	scratch []byte
	w       container.Walker
	cur     int // current buffer index, -1 before the first
	rec     *container.Record
	ts      int64 // timestamp of rec (the previous one when rec has none)
	seq     int64 // sequence of the current buffer
	damaged bool  // the current buffer is known to be cut short
	done    bool
}

// Reader reads the events of one ETL file, like bufio.Scanner: call Scan
// until it returns false, then Err.
type Reader struct {
	name  string
	ra    io.ReaderAt
	size  int64
	opts  Options
	hdr   Header
	bufs  []BufferInfo
	probs []Problem
	stats Stats

	streams []*stream
	heap    minHeap[*stream]
	last    *stream // stream of the event last returned, advanced lazily
	started bool
	err     error

	held int64 // bytes held in stream buffers

	ev    Event
	dec   tracelogging.Decoder
	cache metaCache
}

// NewReader reads the file header and the buffer index of the ETL data in
// r (size bytes long); name is used in events and messages. It returns an
// error wrapping ErrNotETL when the data does not start with an ETL
// logfile header.
func NewReader(r io.ReaderAt, size int64, name string, opts *Options) (*Reader, error) {
	rd := &Reader{name: name, ra: r, size: size}
	if opts != nil {
		rd.opts = *opts
	}
	rd.stats.ByKind = make(map[container.Kind]int)
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	rd.index()
	return rd, nil
}

// Sniff reports whether b, the first bytes of a file (at least 0x68),
// look like the start of an ETL file: a buffer header followed by the
// EventTrace logfile header record.
func Sniff(b []byte) bool {
	if len(b) < container.BufferHeaderSize+8 {
		return false
	}
	h, err := container.ParseBufferHeader(b)
	if err != nil || h.Compressed() {
		return false
	}
	m := b[container.BufferHeaderSize:]
	return (m[2] == byte(container.KindSystem32) || m[2] == byte(container.KindSystem64)) &&
		m[3]&0xC0 == 0xC0 && m[6] == 0 && m[7] == 0
}

func (r *Reader) readHeader() error {
	first := make([]byte, container.BufferHeaderSize)
	if _, err := r.ra.ReadAt(first, 0); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: %w: shorter than one buffer header", r.name, ErrNotETL)
		}
		return fmt.Errorf("%s: %w", r.name, err)
	}
	bh, err := container.ParseBufferHeader(first)
	if err != nil {
		return fmt.Errorf("%s: %w: %v", r.name, ErrNotETL, err)
	}
	if bh.Compressed() {
		return fmt.Errorf("%s: %w: the header buffer is compressed", r.name, ErrNotETL)
	}
	raw := make([]byte, bh.Size)
	n, err := r.ra.ReadAt(raw, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", r.name, err)
	}
	data, _ := container.Unpack(&bh, raw[:n], nil)
	var w container.Walker
	w.Reset(data)
	if !w.Next() {
		werr := w.Err()
		if werr == nil {
			werr = errors.New("the first buffer holds no record")
		}
		return fmt.Errorf("%s: %w: %v", r.name, ErrNotETL, werr)
	}
	h, err := parseHeader(w.Record())
	if err != nil {
		return fmt.Errorf("%s: %w: %v", r.name, ErrNotETL, err)
	}
	r.hdr = h
	return nil
}

// index reads every buffer header (72 bytes each) to learn where the
// buffers are and to which processor they belong.
func (r *Reader) index() {
	var hb [container.BufferHeaderSize]byte
	var off int64
	for off < r.size {
		n, err := r.ra.ReadAt(hb[:], off)
		if n < len(hb) {
			if n > 0 || (err != nil && !errors.Is(err, io.EOF)) {
				r.problem(-1, off, fmt.Errorf("%d trailing bytes are not a buffer: %v", r.size-off, err))
			}
			return
		}
		h, err := container.ParseBufferHeader(hb[:])
		if err != nil {
			if h.Size == 0 && h.Filled == 0 {
				return // zero fill after the last buffer
			}
			// Plain files have buffers of one size: skip one and go on.
			step := int64(0)
			if len(r.bufs) > 0 {
				step = int64(r.bufs[0].Size)
			}
			if r.hdr.Compressed() || step < container.BufferHeaderSize {
				r.problem(len(r.bufs), off, fmt.Errorf("bad buffer header, the rest of the file (%d bytes) cannot be located: %v", r.size-off, err))
				return
			}
			r.problem(len(r.bufs), off, fmt.Errorf("bad buffer header, skipped %d bytes: %v", step, err))
			off += step
			continue
		}
		if int64(len(r.bufs)+1)*bufferInfoSize > r.maxMemory() {
			r.problem(len(r.bufs), off, fmt.Errorf("more buffers than the memory bound allows an index for; the rest of the file (%d bytes) is not read", r.size-off))
			return
		}
		onDisk := int64(h.Size)
		if off+onDisk > r.size {
			onDisk = r.size - off
		}
		r.bufs = append(r.bufs, BufferInfo{BufferHeader: h, Index: len(r.bufs), FileOffset: off, OnDisk: int(onDisk)})
		off += int64(h.Size)
	}
}

func (r *Reader) problem(buf int, off int64, err error) {
	if len(r.probs) < 1000 {
		r.probs = append(r.probs, Problem{File: r.name, Buffer: buf, Offset: off, Err: err})
	}
}

// Name returns the name given to NewReader.
func (r *Reader) Name() string { return r.name }

// Header returns the file's logfile header.
func (r *Reader) Header() *Header { return &r.hdr }

// Buffers returns the buffers of the file in file order.
func (r *Reader) Buffers() []BufferInfo { return r.bufs }

// Problems returns the damage skipped so far (at most 1000 entries).
func (r *Reader) Problems() []Problem { return r.probs }

// Stats returns the counts so far.
func (r *Reader) Stats() Stats { return r.stats }

// Err returns the error that stopped Scan early (an I/O error), or nil.
// Damage inside the file is not an error: see Problems.
func (r *Reader) Err() error { return r.err }

// Event returns the current event, valid until the next Scan.
func (r *Reader) Event() *Event { return &r.ev }

func (r *Reader) start() {
	r.started = true
	if r.opts.FileOrder {
		s := &stream{cur: -1}
		for i := range r.bufs {
			s.bufs = append(s.bufs, i)
		}
		r.streams = []*stream{s}
	} else {
		byProc := map[uint16]*stream{}
		for i := range r.bufs {
			p := r.bufs[i].Processor
			s := byProc[p]
			if s == nil {
				s = &stream{cur: -1}
				byProc[p] = s
				r.streams = append(r.streams, s)
			}
			s.bufs = append(s.bufs, i)
		}
		for _, s := range r.streams {
			sort.SliceStable(s.bufs, func(a, b int) bool {
				return r.bufs[s.bufs[a]].Sequence < r.bufs[s.bufs[b]].Sequence
			})
		}
	}
	r.heap.less = streamLess
	for _, s := range r.streams {
		if r.advance(s) {
			r.heap.push(s)
		}
	}
}

// advance moves s to its next record, loading buffers as needed. It
// returns false when s has no more records or an I/O error occurred.
func (r *Reader) advance(s *stream) bool {
	for {
		if s.cur >= 0 && s.w.Next() {
			s.rec = s.w.Record()
			if s.rec.HasTimestamp {
				s.ts = s.rec.Timestamp
			}
			return true
		}
		if s.cur >= 0 {
			// A buffer already reported as cut short ends in a
			// partial record: do not report that twice.
			if err := s.w.Err(); err != nil && !s.damaged {
				b := &r.bufs[s.cur]
				r.stats.Damaged++
				r.problem(b.Index, b.FileOffset, err)
			}
		}
		if s.next >= len(s.bufs) || r.err != nil {
			s.done = true
			return false
		}
		s.cur = s.bufs[s.next]
		s.next++
		r.load(s)
	}
}

// load reads and unpacks buffer s.cur into s's memory and points the walker
// at it.
func (r *Reader) load(s *stream) {
	b := &r.bufs[s.cur]
	need := int64(b.OnDisk)
	if b.Compressed() {
		need += int64(b.Filled)
	}
	if extra := need - int64(cap(s.raw)+cap(s.scratch)); extra > 0 && r.held+extra > r.maxMemory() {
		r.stats.Damaged++
		r.problem(b.Index, b.FileOffset, fmt.Errorf("skipped: holding it would pass the memory bound of %d bytes", r.maxMemory()))
		s.w.Reset(nil)
		return
	}
	if cap(s.raw) < b.OnDisk {
		r.held += int64(b.OnDisk - cap(s.raw))
		s.raw = make([]byte, b.OnDisk)
	}
	raw := s.raw[:b.OnDisk]
	n, err := r.ra.ReadAt(raw, b.FileOffset)
	if err != nil && !(errors.Is(err, io.EOF) && n == len(raw)) {
		if !errors.Is(err, io.EOF) {
			r.err = fmt.Errorf("%s: reading buffer %d: %w", r.name, b.Index, err)
		}
		raw = raw[:n]
	}
	r.stats.Buffers++
	r.stats.Bytes += int64(len(raw))
	if b.Compressed() {
		r.stats.Compressed++
	}
	if b.Flags&container.FlagEventsLost != 0 {
		r.stats.EventsLost++
	}
	if b.Flags&container.FlagBufferLost != 0 {
		r.stats.BufferLost++
	}
	if b.Compressed() && int(b.Filled) > int(r.hdr.BufferSize) && r.hdr.BufferSize >= container.BufferHeaderSize {
		r.stats.Damaged++
		r.problem(b.Index, b.FileOffset, fmt.Errorf("compressed buffer claims %d bytes, more than the session's buffer size %d", b.Filled, r.hdr.BufferSize))
		s.w.Reset(raw[:0])
		return
	}
	s.damaged = false
	data, err := container.Unpack(&b.BufferHeader, raw, s.scratch)
	if b.Compressed() && cap(data) > cap(s.scratch) {
		r.held += int64(cap(data) - cap(s.scratch))
		s.scratch = data[:0]
	}
	if err != nil {
		if len(raw) < int(b.Size) {
			err = fmt.Errorf("buffer cut short at end of file (%d of %d bytes): %v", len(raw), b.Size, err)
		}
		r.stats.Damaged++
		r.problem(b.Index, b.FileOffset, err)
		s.damaged = true
	}
	if len(data) < container.BufferHeaderSize {
		data = nil
	}
	s.seq = b.Sequence
	s.w.Reset(data)
}

func (r *Reader) maxMemory() int64 {
	if r.opts.MaxMemory > 0 {
		return r.opts.MaxMemory
	}
	return DefaultMaxMemory
}

// streamLess orders processors by the timestamp of their next record,
// then by buffer sequence.
func streamLess(a, b *stream) bool {
	if a.ts != b.ts {
		return a.ts < b.ts
	}
	return a.seq < b.seq
}

// Scan advances to the next event, which Event then returns. It returns
// false at the end of the file or after an I/O error (see Err).
func (r *Reader) Scan() bool {
	if !r.started {
		r.start()
	} else if r.last != nil {
		// The previous event's record is no longer needed: move its
		// stream on.
		r.heap.fixTop(r.advance(r.last))
		r.last = nil
	}
	if r.heap.len() == 0 {
		return false
	}
	s := r.heap.top()
	r.last = s
	r.build(s)
	return true
}

// metaCache remembers parsed TraceLogging metadata by its bytes, so that
// each distinct schema is parsed once.
type metaCache struct {
	schemas map[string]schemaEntry
	traits  map[string]traitsEntry
}

type schemaEntry struct {
	s   *tracelogging.Schema
	err error
}

type traitsEntry struct {
	t   tracelogging.ProviderTraits
	err error
}

// maxCache bounds each cache; it is cleared when full.
const maxCache = 4096

func (c *metaCache) schema(b []byte) (*tracelogging.Schema, error) {
	if e, ok := c.schemas[string(b)]; ok {
		return e.s, e.err
	}
	if c.schemas == nil || len(c.schemas) >= maxCache {
		c.schemas = make(map[string]schemaEntry)
	}
	s, err := tracelogging.ParseSchema(b)
	c.schemas[string(b)] = schemaEntry{s, err}
	return s, err
}

func (c *metaCache) providerTraits(b []byte) (tracelogging.ProviderTraits, error) {
	if e, ok := c.traits[string(b)]; ok {
		return e.t, e.err
	}
	if c.traits == nil || len(c.traits) >= maxCache {
		c.traits = make(map[string]traitsEntry)
	}
	t, err := tracelogging.ParseProviderTraits(b)
	c.traits[string(b)] = traitsEntry{t, err}
	return t, err
}

var stringOnlySchema = &tracelogging.Schema{Fields: []tracelogging.FieldSchema{{Name: "String", In: tracelogging.InUnicodeString}}}

// build fills r.ev from the head record of s.
func (r *Reader) build(s *stream) {
	rec := s.rec
	b := &r.bufs[s.cur]
	e := &r.ev
	ft := r.hdr.FileTime(s.ts)
	*e = Event{
		File:         r.name,
		Kind:         rec.Kind,
		ProviderID:   rec.ProviderID,
		FileTime:     ft,
		Timestamp:    s.ts,
		PID:          rec.PID,
		TID:          rec.TID,
		Descriptor:   rec.Descriptor,
		HookID:       rec.HookID,
		ActivityID:   rec.ActivityID,
		HeaderFlags:  rec.EventFlags,
		UserData:     rec.UserData,
		Processor:    b.Processor,
		BufferIndex:  b.Index,
		RecordOffset: rec.Offset,
		Record:       rec,
		Header:       &r.hdr,
	}
	e.Time = tracelogging.FileTime(ft)
	r.stats.Records++
	e.Number = int64(r.stats.Records)
	e.FileOffset = b.FileOffset
	if !b.Compressed() {
		e.FileOffset += int64(rec.Offset)
	}
	r.stats.ByKind[rec.Kind]++
	switch rec.Kind {
	case container.KindEventHeader32, container.KindEventHeader64:
		r.eventHeader(e, rec)
	case container.KindMessage:
		e.Reason = ReasonWPP
		r.stats.Raw++
		r.stats.WPP++
	case container.KindFullHeader32, container.KindFullHeader64, container.KindInstance32, container.KindInstance64:
		e.Reason = ReasonClassic
		r.stats.Raw++
	default:
		r.stats.Raw++
		switch {
		case rec.Kind.IsSystem() && rec.HookID == 0:
			e.Reason = ReasonHeader
			e.ProviderID = EventTraceGUID
		case rec.Kind.IsSystem():
			e.Reason = ReasonSystem
			if rec.HookID>>8 == 0 {
				e.ProviderID = EventTraceGUID
			}
		default:
			e.Reason = ReasonOpaque
		}
	}
}

func (r *Reader) eventHeader(e *Event, rec *container.Record) {
	meta := rec.ExtData(container.ExtEventSchemaTL)
	if meta == nil {
		if rec.EventFlags&container.EventFlagStringOnly != 0 {
			r.decode(e, stringOnlySchema, rec)
			return
		}
		if rec.EventFlags&container.EventFlagTraceMessage != 0 {
			// A WPP message written through the EVENT_HEADER path.
			e.Reason = ReasonWPP
			r.stats.Raw++
			r.stats.WPP++
			return
		}
		e.Reason = ReasonManifest
		r.stats.Raw++
		return
	}
	r.stats.TraceLogging++
	if pt := rec.ExtData(container.ExtProvTraits); pt != nil {
		t, err := r.cache.providerTraits(pt)
		if err == nil {
			e.ProviderName = t.Name
		}
	}
	s, err := r.cache.schema(meta)
	if err != nil {
		e.Reason = err.Error()
		r.stats.Undecodable++
		return
	}
	e.Schema = s
	e.Name = s.Event
	r.decode(e, s, rec)
	if !e.Decoded {
		r.stats.Undecodable++
	}
}

func (r *Reader) decode(e *Event, s *tracelogging.Schema, rec *container.Record) {
	fields, _, err := r.dec.Decode(s, rec.UserData, rec.PointerSize())
	e.Fields = fields
	if err != nil {
		e.Reason = err.Error()
		return
	}
	e.Decoded = true
}

// File is a Reader over an open file; Close closes the file.
type File struct {
	*Reader
	f *os.File
}

// Open opens the ETL file at path.
func Open(path string, opts *Options) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	r, err := NewReader(f, st.Size(), path, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &File{Reader: r, f: f}, nil
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }
