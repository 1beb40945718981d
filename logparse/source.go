package logparse

import (
	"iter"
	"strconv"
	"strings"
)

// Source is a stream of records: the text [Scanner], the .etl reader in
// logparse/etl and the live ETW session all implement it, so everything
// downstream reads any input the same way.
//
// It is used like [bufio.Scanner]:
//
//	for src.Scan() {
//		rec := src.Record()
//		...
//	}
//	if err := src.Err(); err != nil { ... }
//
// The *Record returned by Record, and every slice in it, is valid only until
// the next call to Scan; use [Record.Clone] to keep a record longer.
type Source interface {
	// Scan advances to the next record, which is then available through
	// Record. It returns false when the input ends or an error occurs;
	// Err tells which.
	Scan() bool
	// Record returns the record read by the last successful Scan.
	Record() *Record
	// Err returns the first error other than io.EOF met by Scan, or nil.
	Err() error
	// Stats returns the totals so far; after Scan returned false they are
	// the totals of the whole input.
	Stats() Stats
}

// All returns an iterator over the records of s, for range loops:
//
//	for rec, err := range logparse.All(src) {
//		if err != nil { return err }
//		...
//	}
//
// After the last record, if s stopped with an error, All yields one final
// pair (nil, err). The records have the lifetime described at [Source].
func All(s Source) iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		for s.Scan() {
			if !yield(s.Record(), nil) {
				return
			}
		}
		if err := s.Err(); err != nil {
			yield(nil, err)
		}
	}
}

// NumFormats is the number of [Format] values; it sizes [Stats.Formats].
const NumFormats = int(ETL) + 1

// Encodings that [Stats.Encoding] reports for text inputs.
const (
	EncodingUTF8    = "utf-8"     // UTF-8 or ASCII (or an 8-bit code page) without BOM
	EncodingUTF8BOM = "utf-8-bom" // UTF-8 with a byte order mark
	EncodingUTF16LE = "utf-16le"  // UTF-16 little endian (with or without BOM)
	EncodingUTF16BE = "utf-16be"  // UTF-16 big endian (with or without BOM)
)

// Stats are the totals of a [Source].
//
// For text inputs every physical line is counted exactly once in Records,
// Unparsed or Continuations, so Records+Unparsed+Continuations == Lines.
// Records cut out of the middle of a physical line (several records run
// together on one line, or the rest of a line longer than the line limit)
// are counted in Split; the number of records returned is therefore
// Lines+Split, which is also the sum of Formats.
//
// For event sources (.etl, live ETW) Lines counts events and Bytes the bytes
// of input read.
type Stats struct {
	// Lines is the number of physical lines (or events) read.
	Lines int64
	// Bytes is the number of input bytes consumed, including any byte
	// order mark and line endings.
	Bytes int64
	// Records is the number of physical lines that start with a record
	// prefix (Win10, Legacy, Excerpt or ETL records).
	Records int64
	// Unparsed is the number of lines that are not records and have no
	// record before them to continue.
	Unparsed int64
	// Continuations is the number of lines without a record prefix that
	// follow a record (returned as Continuation records).
	Continuations int64
	// Split is the number of extra records cut out of physical lines.
	Split int64
	// Formats counts the records returned by Format.
	Formats [NumFormats]int64
	// Encoding is the text encoding detected (one of the Encoding
	// constants), or the name of a non-text input kind such as "etl".
	Encoding string
	// NoSymbols counts the lines written by a Get-WindowsUpdateLog run that
	// had no symbols ("Unknown( 10): GUID=... (No Format Information
	// found)."); see [Stats.DecodedWithoutSymbols].
	NoSymbols int64
	// Codes is the number of error and status codes found in messages, and
	// Failures how many of them are failures (Code.Success false).
	Codes, Failures int64
}

// DecodedWithoutSymbols reports whether the log contains lines that
// Get-WindowsUpdateLog could not decode because it had no symbols.
func (s Stats) DecodedWithoutSymbols() bool { return s.NoSymbols > 0 }

// Add adds the counts of o to s, for totals over several inputs. Encoding
// becomes "mixed" when the two differ.
func (s *Stats) Add(o Stats) {
	s.Lines += o.Lines
	s.Bytes += o.Bytes
	s.Records += o.Records
	s.Unparsed += o.Unparsed
	s.Continuations += o.Continuations
	s.Split += o.Split
	for i := range s.Formats {
		s.Formats[i] += o.Formats[i]
	}
	switch {
	case s.Encoding == "":
		s.Encoding = o.Encoding
	case o.Encoding != "" && o.Encoding != s.Encoding:
		s.Encoding = "mixed"
	}
	s.NoSymbols += o.NoSymbols
	s.Codes += o.Codes
	s.Failures += o.Failures
}

var formatNames = [NumFormats]string{"unparsed", "continuation", "win10", "legacy", "excerpt", "etl"}

// String returns the format's name as used in JSON and CSV output:
// "unparsed", "continuation", "win10", "legacy", "excerpt" or "etl".
func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return "format(" + strconv.Itoa(int(f)) + ")"
}

// ParseFormat returns the Format named name (as returned by
// [Format.String]), and false when there is none.
func ParseFormat(name string) (Format, bool) {
	for i, n := range formatNames {
		if strings.EqualFold(n, name) {
			return Format(i), true
		}
	}
	return 0, false
}

var markerNames = [...]string{"", "*FAILED*", "FATAL", "WARNING", "START", "END", "*RESUMED*"}

// String returns a short name for the marker: "*FAILED*", "FATAL",
// "WARNING", "START", "END", "*RESUMED*", or "" for NoMarker.
func (m Marker) String() string {
	if int(m) < len(markerNames) {
		return markerNames[m]
	}
	return "marker(" + strconv.Itoa(int(m)) + ")"
}

// IsRecord reports whether the record has a record prefix of its own
// (it is neither Unparsed nor a Continuation).
func (r *Record) IsRecord() bool { return r.Format != Unparsed && r.Format != Continuation }

// Clone returns a deep copy of r that stays valid after the next Scan.
func (r *Record) Clone() *Record {
	c := *r
	c.Message = append([]byte(nil), r.Message...)
	c.Codes = append([]Code(nil), r.Codes...)
	c.URLs = append([]Span(nil), r.URLs...)
	return &c
}

// Failures returns the codes in the message that report a failure (Success
// false), in order. It allocates only when some codes are successes.
func (r *Record) Failures() []Code {
	n := 0
	for _, c := range r.Codes {
		if !c.Success {
			n++
		}
	}
	if n == len(r.Codes) {
		return r.Codes
	}
	out := make([]Code, 0, n)
	for _, c := range r.Codes {
		if !c.Success {
			out = append(out, c)
		}
	}
	return out
}

// HasFailure reports whether the message contains a failure code.
func (r *Record) HasFailure() bool {
	for _, c := range r.Codes {
		if !c.Success {
			return true
		}
	}
	return false
}
