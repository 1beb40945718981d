// Package logparse reads Windows Update logs as a stream of records.
//
// It understands the text written by Get-WindowsUpdateLog on Windows 10 and
// 11, the legacy WindowsUpdate.log of Windows 7 and 8.1, damaged and pasted
// excerpts of both, and (through the logparse/etl sub-package) the .etl
// trace files themselves. Every input yields the same [Record] type, so that
// everything downstream is independent of the input format.
package logparse

import "time"

// Format says which layout a record was read from.
type Format uint8

// The formats a record can come from.
const (
	// Unparsed marks a physical line that is not a record and does not
	// continue one; [Record.Reason] says why.
	Unparsed Format = iota
	// Continuation marks a physical line without a record prefix that
	// belongs to the record before it (for example the blank lines after a
	// legacy "FATAL: Parse failed", or the rest of a line longer than the
	// scanner's line limit). PID, TID, Component and Time are copied from
	// that record.
	Continuation
	// Win10 is the output of Get-WindowsUpdateLog (Windows 10 1709 and later,
	// Windows 11): "2023/03/21 22:19:01.8143606 19924 14968 Misc   text".
	Win10
	// Legacy is the WindowsUpdate.log of Windows XP to 8.1, tab separated:
	// "2021-08-28\t11:05:07:920\t 576\ta70\tMisc\ttext".
	Legacy
	// Excerpt is a line whose date and time columns were cut off, as in
	// support articles: "03E4 1668 Misc Send request failed".
	Excerpt
	// ETL is a record decoded from a Windows Update .etl trace file.
	ETL
)

// Marker is the status marker that Windows Update writes at the start of
// a message, or inside it for legacy banners.
type Marker uint8

// Markers seen in real logs.
const (
	NoMarker      Marker = iota
	MarkerFailed         // "*FAILED*"
	MarkerFatal          // "FATAL:"
	MarkerWarning        // "WARNING:"
	MarkerStart          // "* START *", "** START **", "## START ##"
	MarkerEnd            // "* END *", "**  END  **", "##  END  ##"
	MarkerResumed        // "*RESUMED*"
)

// Span is a half-open byte range [Start, End) of [Record.Message].
type Span struct{ Start, End int32 }

// Code is one Windows error or status code found in a message.
type Code struct {
	// Value is the 32-bit code as written (an HRESULT, a Win32 code or an
	// NTSTATUS; hresult.Decode tells which).
	Value uint32
	// Success is true for codes that report success (0, S_FALSE, WU_S_*
	// such as 0x00240001, 3010 reboot required): they must never be counted
	// as failures.
	Success bool
	// At is where the code's digits are in the message.
	At Span
}

// Record is one log record: one line of a text log (or several lines run
// together, split apart), or one ETL event.
//
// A Record returned by a scanner is valid only until the next call to
// Scan: its slices point into the scanner's buffers, exactly like
// [bufio.Scanner.Bytes]. Use [Record.Clone] to keep one.
type Record struct {
	// Format is the layout this record was read from.
	Format Format
	// Time is when the event was logged, or the zero Time when the line has
	// no time. Win10 text logs carry the converting machine's local wall
	// clock with no zone: Time then holds that wall clock in time.UTC and
	// ZoneKnown is false. Legacy logs carry the offset from the
	// "Logging initialized (... tz: -0700)" banner when one was seen; ETL
	// records are exact UTC.
	Time time.Time
	// ZoneKnown reports whether Time is an exact instant (true) or a wall
	// clock whose zone the log does not say (false).
	ZoneKnown bool
	// PID and TID are the process and thread IDs (legacy TIDs are written in
	// hex and are converted).
	PID, TID uint32
	// Component is the Windows Update component ("Agent", "Misc", "SLS",
	// "DownloadManager", ...) or the ETL event name.
	Component string
	// Message is the text after the component, with the line ending and
	// trailing padding removed. It is valid until the next Scan.
	Message []byte
	// File is the name of the input as given to the reader, if any.
	File string
	// Line is the 1-based physical line number where the record starts
	// (for ETL: the 1-based event number).
	Line int64
	// Offset is the byte offset of the record's first byte in the input as
	// read (before any decoding of UTF-16).
	Offset int64
	// Size is the number of input bytes the record covers from Offset,
	// including its line ending (and, for the first record, a byte order
	// mark). Over a whole text input the records' sizes add up to the input
	// size: no byte is lost. For ETL records it is the event's size.
	Size int64
	// Reason says why an Unparsed line is not a record.
	Reason string

	// Marker is the status marker at the start of Message, if any.
	Marker Marker
	// Codes are the error and status codes found in Message, in order.
	Codes []Code
	// URLs are the spans of URLs found in Message.
	URLs []Span
	// Method is the span of "Class::Method:line" in "Method failed [...]",
	// or an empty span.
	Method Span
	// CV is the span of the correlation vector in "(cV = ...)" or
	// "(cV: ...)", or an empty span.
	CV Span
}

// Text returns the part of the message that s spans.
func (r *Record) Text(s Span) []byte { return r.Message[s.Start:s.End] }
