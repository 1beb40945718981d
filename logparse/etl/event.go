package etl

import (
	"time"

	"github.com/wulog/wulog/logparse/etl/container"
	"github.com/wulog/wulog/logparse/etl/guid"
	"github.com/wulog/wulog/logparse/etl/tracelogging"
)

// EventTraceGUID is the provider of the logfile header and other
// EventTrace system events ({68fdd900-4a3e-11d1-84f4-0000f80464e3}).
var EventTraceGUID = guid.MustParse("{68fdd900-4a3e-11d1-84f4-0000f80464e3}")

// Event is one event of an ETL file: the header data every record kind
// has, and for TraceLogging events the provider name, event name and
// decoded fields. Events that are not self-describing (manifest-based,
// classic MOF, kernel system events, WPP messages) have Decoded false and a
// Reason, with their header data and raw payload.
//
// An Event returned by a reader is valid until the next call to Scan: its
// fields and payload point into the reader's buffers.
type Event struct {
	// File is the name of the file the event was read from.
	File string
	// Kind is the record's header type.
	Kind container.Kind

	// ProviderID is the provider (or event class) GUID; zero for kernel
	// system events other than EventTrace's.
	ProviderID guid.GUID
	// ProviderName is the TraceLogging provider name.
	ProviderName string
	// Name is the TraceLogging event name.
	Name string

	// Time is the event time in UTC, FileTime the same as a FILETIME and
	// Timestamp the raw clock value it was computed from.
	Time      time.Time
	FileTime  int64
	Timestamp int64

	// PID and TID are the process and thread IDs.
	PID, TID uint32

	// Descriptor is the event descriptor: ID, Version, Channel, Level,
	// Opcode, Task and Keyword. Classic and system events set Opcode (and
	// Level and Version for classic ones).
	container.Descriptor

	// HookID is the group/opcode hook of a kernel system record.
	HookID uint16
	// ActivityID is the EVENT_HEADER activity ID.
	ActivityID guid.GUID
	// HeaderFlags are the EVENT_HEADER flags.
	HeaderFlags container.EventHeaderFlag

	// Decoded reports whether Fields hold the whole payload as the event's
	// own metadata describes it.
	Decoded bool
	// Reason says why an event is not (fully) decoded.
	Reason string
	// Schema is the TraceLogging schema, nil for other events.
	Schema *tracelogging.Schema
	// Fields are the decoded top-level fields, in order.
	Fields []tracelogging.Field
	// UserData is the raw payload.
	UserData []byte

	// Processor is the processor whose buffer held the event.
	Processor uint16
	// BufferIndex is the 0-based position of that buffer in the file, and
	// RecordOffset the record's offset from the start of the buffer.
	BufferIndex  int
	RecordOffset int
	// Number is the event's 1-based position among the events the reader
	// returned from this file.
	Number int64
	// FileOffset is where the record starts in the file (for a compressed
	// buffer: where the buffer starts).
	FileOffset int64
	// Header is the logfile header of the file.
	Header *Header
	// Record gives every header detail of the record.
	Record *container.Record
}

// IsTraceLogging reports whether the event carries TraceLogging metadata.
func (e *Event) IsTraceLogging() bool { return e.Schema != nil }

// Field returns the first top-level field with the given name, or nil.
func (e *Event) Field(name string) *tracelogging.Field {
	for i := range e.Fields {
		if e.Fields[i].Schema.Name == name {
			return &e.Fields[i]
		}
	}
	return nil
}
