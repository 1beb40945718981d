package wu

import (
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
