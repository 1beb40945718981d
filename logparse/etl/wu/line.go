package wu

import (
	"io"
	"strconv"
	"time"

	"github.com/wulog/wulog/logparse"
)

// LineLayout is the time layout of Get-WindowsUpdateLog lines
// (yyyy/MM/dd HH:mm:ss.fffffff).
const LineLayout = "2006/01/02 15:04:05.0000000"

// AppendLine appends the line Get-WindowsUpdateLog writes for a record:
// the time in loc as yyyy/MM/dd HH:mm:ss.fffffff, the PID and TID in
// decimal left-aligned in 5 columns, the component left-aligned in 15
// (longer names are not cut), the message, and CRLF. Messages are written
// as they are, as Get-WindowsUpdateLog does.
func AppendLine(dst []byte, rec *logparse.Record, loc *time.Location) []byte {
	dst = rec.Time.In(loc).AppendFormat(dst, LineLayout)
	dst = append(dst, ' ')
	var nb [20]byte
	dst = appendPadded(dst, strconv.AppendUint(nb[:0], uint64(rec.PID), 10), 5)
	dst = append(dst, ' ')
	dst = appendPadded(dst, strconv.AppendUint(nb[:0], uint64(rec.TID), 10), 5)
	dst = append(dst, ' ')
	dst = appendPadded(dst, rec.Component, 15)
	dst = append(dst, ' ')
	dst = append(dst, rec.Message...)
	return append(dst, '\r', '\n')
}

func appendPadded[T string | []byte](dst []byte, s T, width int) []byte {
	dst = append(dst, s...)
	for i := len(s); i < width; i++ {
		dst = append(dst, ' ')
	}
	return dst
}

// WriteLog writes the Windows Update records of src to w as
// Get-WindowsUpdateLog lines (see AppendLine), times in loc, and returns
// how many it wrote. The records it leaves out (Unparsed: files of WPP
// messages that need symbols, damaged buffers, undecodable events) are
// passed to skipped, when it is not nil, with their Reason. It returns the
// first error of w; an error of src is for the caller to check with
// src.Err.
func WriteLog(w io.Writer, src *Source, loc *time.Location, skipped func(*logparse.Record)) (int64, error) {
	var line []byte
	var n int64
	for src.Scan() {
		rec := src.Record()
		if !rec.IsRecord() {
			if skipped != nil {
				skipped(rec)
			}
			continue
		}
		line = AppendLine(line[:0], rec, loc)
		if _, err := w.Write(line); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
