// Package wu maps Windows Update trace events to logparse records, so that
// .etl files (and live ETW sessions) feed the same analysis as text logs.
//
// Windows Update (Windows 10 1709 and later) logs through the TraceLogging
// provider "WUTraceLogging" {0b7a6f19-47c4-454e-8c5c-e868d637e4d8}: the
// event name is the component (Agent, DownloadManager, SLS, ...) and the
// single field "Info" is the message that Get-WindowsUpdateLog prints.
// Before 1709 the same provider wrote WPP messages, which need Microsoft's
// private symbols: such files are recognised and reported with
// [NeedsSymbols].
package wu

import (
	"time"

	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/logparse/etl/guid"
)

// ProviderName is the Windows Update TraceLogging provider name.
const ProviderName = "WUTraceLogging"

// ProviderID is the Windows Update provider GUID (it ends in e4d8).
var ProviderID = guid.MustParse("{0b7a6f19-47c4-454e-8c5c-e868d637e4d8}")

// InfoField is the name of the field that holds the message.
const InfoField = "Info"

// NeedsSymbols is the advice given for Windows Update logs written before
// Windows 10 1709, whose WPP messages cannot be decoded without Microsoft's
// symbols.
const NeedsSymbols = "this log needs Microsoft's symbols; decode it with Get-WindowsUpdateLog on Windows"

// Build1709 is the first Windows build (Windows 10 1709) whose Windows
// Update log is TraceLogging.
const Build1709 = 16299

// IsWindowsUpdate reports whether an event comes from the Windows Update
// provider: by GUID, or by name when the GUID is not known (zero).
func IsWindowsUpdate(providerID guid.GUID, providerName string) bool {
	if providerID == ProviderID {
		return true
	}
	return providerID.IsZero() && providerName == ProviderName
}

// Field is one named field of an event, with its value as text.
type Field struct {
	Name  string
	Value []byte
}

// Event is what the mapping needs to know about one trace event. It is
// plain data so that any event source can fill it: the .etl reader in this
// module, and the live ETW watcher (logparse/etw, on Windows) which gets
// the same values from golang-etw.
type Event struct {
	// ProviderID and ProviderName identify the provider.
	ProviderID   guid.GUID
	ProviderName string
	// Name is the event name (the Windows Update component).
	Name string
	// Time is when the event was logged.
	Time time.Time
	// PID and TID are the process and thread IDs.
	PID, TID uint32
	// Level and Keyword are the event's level and keyword (the Windows
	// Update category bits). logparse.Record has no place for them; they
	// are here so that callers can filter on them before mapping.
	Level   uint8
	Keyword uint64
	// Fields are the payload fields in order, as text.
	Fields []Field
}

// Map fills rec from ev exactly as the text scanner fills a record from the
// line Get-WindowsUpdateLog prints for the event: Format ETL, Time in UTC
// with ZoneKnown true, PID, TID, Component = event name, Message = the Info
// field (or, when there is none, the texts of all fields joined by spaces,
// as Get-WindowsUpdateLog joins them), and the tokens (marker, codes, URLs,
// method, correlation vector) extracted by logparse. rec.Message reuses its
// capacity; File, Line, Offset and Size are left to the caller.
//
// Map does not check the provider: see IsWindowsUpdate. It is the one
// mapping used for .etl files (Source) and for live ETW sessions.
func Map(rec *logparse.Record, ev *Event) {
	rec.Format = logparse.ETL
	rec.Time = ev.Time.UTC()
	rec.ZoneKnown = true
	rec.PID, rec.TID = ev.PID, ev.TID
	rec.Component = ev.Name
	rec.Reason = ""
	msg := rec.Message[:0]
	found := false
	for i := range ev.Fields {
		if ev.Fields[i].Name == InfoField {
			msg = append(msg, ev.Fields[i].Value...)
			found = true
			break
		}
	}
	if !found {
		for i := range ev.Fields {
			if i > 0 {
				msg = append(msg, ' ')
			}
			msg = append(msg, ev.Fields[i].Value...)
		}
	}
	rec.Message = trimRight(msg)
	rec.ExtractTokens()
}

// trimRight removes the line ending and trailing blanks, as the text
// scanner does for a message at the end of a line.
func trimRight(b []byte) []byte {
	for len(b) > 0 {
		switch b[len(b)-1] {
		case '\r', '\n', ' ', '\t', 0:
			b = b[:len(b)-1]
			continue
		}
		break
	}
	return b
}
