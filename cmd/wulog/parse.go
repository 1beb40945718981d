package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/wulog/wulog/hresult"
	"github.com/wulog/wulog/input"
	"github.com/wulog/wulog/logparse"
)

// ParseCmd prints the records of Windows Update logs.
type ParseCmd struct {
	Format string   `help:"Output format: text, jsonl or csv." enum:"text,jsonl,csv" default:"text" short:"f"`
	Stats  bool     `help:"Print the totals of each input (records, unparsed and continuation lines, bytes, encoding, codes) instead of the records."`
	Paths  []string `arg:"" name:"path" help:"Log files (text or .etl), directories (searched for logs; the .etl files of one folder are read as one stream merged by time), .gz or .zip archives, or - for standard input." type:"string"`
}

// Run prints the records (or totals) of every input. Inputs that cannot be
// read are reported on stderr, one line each, and make the exit status 2;
// the other inputs are still processed.
func (c *ParseCmd) Run(g *Globals) error {
	ins, errs := input.Expand(c.Paths, input.Options{Stdin: g.Stdin})
	failed := len(errs) > 0
	for _, err := range errs {
		fmt.Fprintf(g.Stderr, "wulog: %v\n", err)
	}
	w := bufio.NewWriterSize(g.Stdout, 256<<10)
	var out *recordWriter // nil with --stats: no records, no CSV header
	if !c.Stats {
		out = newRecordWriter(w, c.Format)
	}
	var total logparse.Stats
	n := 0
	for _, in := range ins {
		st, err := c.one(in, out)
		if err != nil {
			fmt.Fprintf(g.Stderr, "wulog: %v\n", err)
			failed = true
			if st == nil {
				continue
			}
		}
		n++
		total.Add(*st)
		if c.Stats {
			writeStats(w, c.Format, in.Name, *st)
		}
	}
	if c.Stats && n > 1 {
		writeStats(w, c.Format, "total", total)
	}
	if out != nil {
		out.flush()
	}
	if err := w.Flush(); err != nil {
		return &exitError{exitUsage, fmt.Errorf("writing output: %w", err)}
	}
	if failed {
		return &exitError{code: exitUsage}
	}
	return nil
}

// one prints the records of one input to out (none when out is nil) and
// returns its totals (nil when it could not be opened).
func (c *ParseCmd) one(in input.Input, out *recordWriter) (*logparse.Stats, error) {
	l, err := in.Open()
	if err != nil {
		return nil, err
	}
	defer l.Close()
	for l.Scan() {
		if out != nil {
			out.write(l.Record())
		}
	}
	st := l.Stats()
	return &st, l.Err()
}

// recordWriter writes records in one output format.
type recordWriter struct {
	w      *bufio.Writer
	format string
	csv    *csv.Writer
	buf    []byte
	row    []string
}

func newRecordWriter(w *bufio.Writer, format string) *recordWriter {
	rw := &recordWriter{w: w, format: format}
	if format == "csv" {
		rw.csv = csv.NewWriter(w)
		rw.csv.Write([]string{"file", "line", "format", "time", "zone_known", "pid", "tid", "component", "marker", "message", "hresults", "reason"})
	}
	return rw
}

func (rw *recordWriter) flush() {
	if rw.csv != nil {
		rw.csv.Flush()
	}
}

func (rw *recordWriter) write(r *logparse.Record) {
	switch rw.format {
	case "jsonl":
		rw.buf = appendJSONRecord(rw.buf[:0], r)
		rw.buf = append(rw.buf, '\n')
		rw.w.Write(rw.buf)
	case "csv":
		rw.row = append(rw.row[:0], r.File, strconv.FormatInt(r.Line, 10), r.Format.String(),
			timeText(r, time.RFC3339Nano), strconv.FormatBool(r.ZoneKnown),
			strconv.FormatUint(uint64(r.PID), 10), strconv.FormatUint(uint64(r.TID), 10),
			r.Component, r.Marker.String(), validUTF8(r.Message), string(appendFailures(nil, r, " ", "")), r.Reason)
		rw.csv.Write(rw.row)
	default:
		rw.buf = appendTextRecord(rw.buf[:0], r)
		rw.w.Write(rw.buf)
	}
}

// timeText formats the record's time, or "" when it has none.
func timeText(r *logparse.Record, layout string) string {
	if r.Time.IsZero() {
		return ""
	}
	return r.Time.Format(layout)
}

// textTime is the layout of times in text output: the wall clock with the
// zone offset only when the log says it.
const (
	textTimeNoZone = "2006-01-02 15:04:05.0000000"
	textTimeZone   = "2006-01-02 15:04:05.0000000 -07:00"
)

// appendTextRecord formats r as one normalised line:
//
//	FILE:LINE  2023-03-21 22:19:01.8143606  19924 14968 Misc            *FAILED* [80072F8F] Send request
func appendTextRecord(b []byte, r *logparse.Record) []byte {
	b = append(b, r.File...)
	b = append(b, ':')
	b = strconv.AppendInt(b, r.Line, 10)
	b = append(b, "  "...)
	switch r.Format {
	case logparse.Unparsed:
		b = append(b, "unparsed ("...)
		b = append(b, r.Reason...)
		b = append(b, ")  "...)
	default:
		switch {
		case r.Time.IsZero():
			b = append(b, "-"...)
		case r.ZoneKnown:
			b = r.Time.AppendFormat(b, textTimeZone)
		default:
			b = r.Time.AppendFormat(b, textTimeNoZone)
		}
		b = append(b, "  "...)
		b = appendPadded(b, strconv.FormatUint(uint64(r.PID), 10), 5)
		b = append(b, ' ')
		b = appendPadded(b, strconv.FormatUint(uint64(r.TID), 10), 5)
		b = append(b, ' ')
		if r.Format == logparse.Continuation {
			b = appendPadded(b, "+"+r.Component, 15)
		} else {
			b = appendPadded(b, r.Component, 15)
		}
		b = append(b, ' ')
	}
	b = appendText(b, r.Message)
	return append(b, '\n')
}

func appendPadded(b []byte, s string, n int) []byte {
	b = append(b, s...)
	for i := len(s); i < n; i++ {
		b = append(b, ' ')
	}
	return b
}

// appendText appends m with control characters (other than tab) shown
// as U+FFFD so that one record stays one output line.
func appendText(b, m []byte) []byte {
	for _, c := range m {
		if c < 0x20 && c != '\t' {
			b = append(b, "\uFFFD"...)
			continue
		}
		b = append(b, c)
	}
	return b
}

// appendFailures appends the failure codes of r as "0x%08X", each between
// quote ("" for none), separated by sep.
func appendFailures(b []byte, r *logparse.Record, sep, quote string) []byte {
	first := true
	for _, c := range r.Codes {
		if c.Success {
			continue
		}
		if !first {
			b = append(b, sep...)
		}
		first = false
		b = append(b, quote...)
		b, _ = hresult.Decode(c.Value).AppendText(b)
		b = append(b, quote...)
	}
	return b
}

// appendJSONRecord appends r as one JSON object (without newline).
func appendJSONRecord(b []byte, r *logparse.Record) []byte {
	b = append(b, `{"file":`...)
	b = appendJSONString(b, []byte(r.File))
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, r.Line, 10)
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, r.Offset, 10)
	b = append(b, `,"format":"`...)
	b = append(b, r.Format.String()...)
	b = append(b, `","time":`...)
	if r.Time.IsZero() {
		b = append(b, "null"...)
	} else {
		b = append(b, '"')
		b = r.Time.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	b = append(b, `,"zone_known":`...)
	b = strconv.AppendBool(b, r.ZoneKnown)
	b = append(b, `,"pid":`...)
	b = strconv.AppendUint(b, uint64(r.PID), 10)
	b = append(b, `,"tid":`...)
	b = strconv.AppendUint(b, uint64(r.TID), 10)
	b = append(b, `,"component":`...)
	b = appendJSONString(b, []byte(r.Component))
	b = append(b, `,"message":`...)
	b = appendJSONString(b, r.Message)
	b = append(b, `,"hresults":[`...)
	b = appendFailures(b, r, ",", `"`)
	b = append(b, ']')
	if r.Marker != logparse.NoMarker {
		b = append(b, `,"marker":"`...)
		b = append(b, r.Marker.String()...)
		b = append(b, '"')
	}
	if len(r.URLs) > 0 {
		b = append(b, `,"urls":[`...)
		for i, u := range r.URLs {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, r.Text(u))
		}
		b = append(b, ']')
	}
	if r.Method.End > r.Method.Start {
		b = append(b, `,"method":`...)
		b = appendJSONString(b, r.Text(r.Method))
	}
	if r.CV.End > r.CV.Start {
		b = append(b, `,"cv":`...)
		b = appendJSONString(b, r.Text(r.CV))
	}
	if r.Format == logparse.Unparsed {
		b = append(b, `,"reason":`...)
		b = appendJSONString(b, []byte(r.Reason))
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD.
func appendJSONString(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7F:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		var size int
		b, size = appendRune(b, s[i:])
		i += size
	}
	return append(b, '"')
}

// validUTF8 returns m as a string with each byte of invalid UTF-8 replaced
// by U+FFFD.
func validUTF8(m []byte) string {
	if utf8.Valid(m) {
		return string(m)
	}
	var b []byte
	for i := 0; i < len(m); {
		var size int
		b, size = appendRune(b, m[i:])
		i += size
	}
	return string(b)
}

// appendRune appends the character that s (not empty) starts with, or
// U+FFFD when s starts with a byte of invalid UTF-8, and returns how many
// bytes of s it read.
func appendRune(b, s []byte) ([]byte, int) {
	r, size := utf8.DecodeRune(s)
	if r == utf8.RuneError && size == 1 {
		return append(b, "\uFFFD"...), 1
	}
	return append(b, s[:size]...), size
}

// writeStats prints the totals of one input (or "total").
func writeStats(w io.Writer, format, name string, st logparse.Stats) {
	switch format {
	case "jsonl", "csv":
		b := []byte(`{"stats":`)
		b = appendJSONString(b, []byte(name))
		b = fmt.Appendf(b, `,"lines":%d,"bytes":%d,"records":%d,"unparsed":%d,"continuations":%d,"split":%d,"encoding":`,
			st.Lines, st.Bytes, st.Records, st.Unparsed, st.Continuations, st.Split)
		b = appendJSONString(b, []byte(st.Encoding))
		b = append(b, `,"formats":{`...)
		first := true
		for f, n := range st.Formats {
			if n == 0 {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = fmt.Appendf(b, `"%s":%d`, logparse.Format(f), n)
		}
		b = fmt.Appendf(b, `},"codes":%d,"failures":%d,"no_symbols":%d}`+"\n", st.Codes, st.Failures, st.NoSymbols)
		w.Write(b)
	default:
		fmt.Fprintf(w, "%s: %d lines, %d bytes, %s\n", name, st.Lines, st.Bytes, st.Encoding)
		fmt.Fprintf(w, "  records %d, continuation lines %d, unparsed %d (records cut from inside lines: %d)\n",
			st.Records, st.Continuations, st.Unparsed, st.Split)
		fmt.Fprintf(w, "  by format:")
		for f, n := range st.Formats {
			if n > 0 {
				fmt.Fprintf(w, " %s %d", logparse.Format(f), n)
			}
		}
		fmt.Fprintf(w, "\n  codes %d (failures %d)\n", st.Codes, st.Failures)
		if st.DecodedWithoutSymbols() {
			fmt.Fprintf(w, "  decoded without symbols: %d lines say \"No Format Information found\"; re-run Get-WindowsUpdateLog with symbols or read the .etl files with wulog\n", st.NoSymbols)
		}
	}
}
