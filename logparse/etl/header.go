package etl

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"time"

	"github.com/wulog/wulog/logparse/etl/container"
	"github.com/wulog/wulog/logparse/etl/tracelogging"
)

// ClockType is the session clock that raw timestamps count (the
// ReservedFlags field of TRACE_LOGFILE_HEADER).
type ClockType uint32

// Clock types.
const (
	ClockQPC        ClockType = 1 // QueryPerformanceCounter ticks at PerfFreq
	ClockSystemTime ClockType = 2 // 100 ns system time ticks
	ClockCPUCycles  ClockType = 3 // CPU cycles at CPUSpeedMHz
)

// String names the clock type.
func (c ClockType) String() string {
	switch c {
	case ClockQPC:
		return "QPC"
	case ClockSystemTime:
		return "SystemTime"
	case ClockCPUCycles:
		return "CPUCycles"
	}
	return fmt.Sprintf("ClockType(%d)", uint32(c))
}

// TimeZone is the logging machine's TIME_ZONE_INFORMATION.
type TimeZone struct {
	// Bias is UTC minus local time, in minutes.
	Bias int32
	// StandardName and DaylightName are the zone names (often
	// "@tzres.dll,-NNN" resource references).
	StandardName, DaylightName string
	// StandardBias and DaylightBias are added to Bias in each period.
	StandardBias, DaylightBias int32
	// StandardDate and DaylightDate are the SYSTEMTIME transition rules.
	StandardDate, DaylightDate [8]uint16
}

// Header is the file's TRACE_LOGFILE_HEADER, the payload of the first
// record of the first buffer, together with the record's raw timestamp
// that anchors the clock.
type Header struct {
	// BufferSize is the (uncompressed) size of the session's buffers.
	BufferSize uint32
	// Version is the ETW version: major, minor, sub, subminor bytes.
	Version uint32
	// OSBuild is the Windows build number (ProviderVersion), e.g. 19045.
	OSBuild uint32
	// NumberOfProcessors is the logging machine's processor count.
	NumberOfProcessors uint32
	// EndTime is when the session stopped, zero if unknown.
	EndTime time.Time
	// TimerResolution is the clock resolution in 100 ns units.
	TimerResolution uint32
	// MaximumFileSize is the size limit in MB.
	MaximumFileSize uint32
	// LogFileMode is the EVENT_TRACE_* mode bits.
	LogFileMode uint32
	// BuffersWritten is the number of buffers written, as the header says.
	BuffersWritten uint32
	// PointerSize is 4 or 8.
	PointerSize int
	// EventsLost and BuffersLost count what the session dropped.
	EventsLost, BuffersLost uint32
	// CPUSpeedMHz is the processor speed.
	CPUSpeedMHz uint32
	// TimeZone is the logging machine's time zone.
	TimeZone TimeZone
	// BootTime is the logging machine's boot time.
	BootTime time.Time
	// PerfFreq is the QPC frequency in Hz.
	PerfFreq uint64
	// StartTime is the session start as a UTC time and StartFileTime as
	// the FILETIME it was read from.
	StartTime     time.Time
	StartFileTime int64
	// Clock is the clock type of raw timestamps.
	Clock ClockType
	// HeaderTimestamp is the raw timestamp of the header record: the
	// clock value at StartTime.
	HeaderTimestamp int64
	// LoggerName and LogFileName follow the header.
	LoggerName, LogFileName string
}

// EventTrace compressed mode bit of LogFileMode.
const modeCompressed = 0x04000000

// Compressed reports whether the session wrote compressed buffers.
func (h *Header) Compressed() bool { return h.LogFileMode&modeCompressed != 0 }

// ticksPerSecond returns the raw clock's frequency.
func (h *Header) ticksPerSecond() uint64 {
	switch h.Clock {
	case ClockSystemTime:
		return 1e7
	case ClockCPUCycles:
		if h.CPUSpeedMHz != 0 {
			return uint64(h.CPUSpeedMHz) * 1e6
		}
	}
	if h.PerfFreq != 0 {
		return h.PerfFreq
	}
	return 1e7
}

// FileTime converts a raw timestamp to a UTC FILETIME as the clock type
// says: StartFileTime + (raw - HeaderTimestamp) * 1e7 / frequency, rounded
// down.
func (h *Header) FileTime(raw int64) int64 {
	freq := h.ticksPerSecond()
	d := raw - h.HeaderTimestamp
	if freq == 1e7 {
		return h.StartFileTime + d
	}
	neg := d < 0
	ud := uint64(d)
	if neg {
		ud = uint64(-d)
	}
	hi, lo := bits.Mul64(ud, 1e7)
	if hi >= freq { // result does not fit 64 bits: clamp
		if neg {
			return h.StartFileTime - (1 << 62)
		}
		return h.StartFileTime + (1 << 62)
	}
	q, rem := bits.Div64(hi, lo, freq)
	if neg {
		if rem != 0 {
			q++
		}
		return h.StartFileTime - int64(q)
	}
	return h.StartFileTime + int64(q)
}

// Time converts a raw timestamp to UTC time.
func (h *Header) Time(raw int64) time.Time { return tracelogging.FileTime(h.FileTime(raw)) }

func fileTimeOrZero(ft int64) time.Time {
	if ft <= 0 {
		return time.Time{}
	}
	return tracelogging.FileTime(ft)
}

// parseHeader decodes the logfile header record (the first record of the
// first buffer).
func parseHeader(rec *container.Record) (Header, error) {
	var h Header
	if !(rec.Kind == container.KindSystem32 || rec.Kind == container.KindSystem64) || rec.HookID != 0 {
		return h, fmt.Errorf("first record is %s with hook 0x%04X, not the EventTrace header", rec.Kind, rec.HookID)
	}
	ptr := rec.Kind.PointerSize()
	size := 0x118
	if ptr == 4 {
		size = 0x110
	}
	b := rec.UserData
	if len(b) < size {
		return h, fmt.Errorf("logfile header is %d bytes, want %d", len(b), size)
	}
	le := binary.LittleEndian
	h.BufferSize = le.Uint32(b[0x00:])
	h.Version = le.Uint32(b[0x04:])
	h.OSBuild = le.Uint32(b[0x08:])
	h.NumberOfProcessors = le.Uint32(b[0x0C:])
	h.EndTime = fileTimeOrZero(int64(le.Uint64(b[0x10:])))
	h.TimerResolution = le.Uint32(b[0x18:])
	h.MaximumFileSize = le.Uint32(b[0x1C:])
	h.LogFileMode = le.Uint32(b[0x20:])
	h.BuffersWritten = le.Uint32(b[0x24:])
	h.PointerSize = int(le.Uint32(b[0x2C:]))
	if h.PointerSize != 4 && h.PointerSize != 8 {
		h.PointerSize = ptr
	}
	h.EventsLost = le.Uint32(b[0x30:])
	h.CPUSpeedMHz = le.Uint32(b[0x34:])
	// Two pointers (LoggerName, LogFileName), then TIME_ZONE_INFORMATION.
	tz := b[0x38+2*ptr:]
	h.TimeZone = parseTimeZone(tz)
	p := 0x38 + 2*ptr + 0xAC + 4 // the zone is followed by 4 bytes of padding
	h.BootTime = fileTimeOrZero(int64(le.Uint64(b[p:])))
	h.PerfFreq = le.Uint64(b[p+8:])
	h.StartFileTime = int64(le.Uint64(b[p+16:]))
	h.StartTime = tracelogging.FileTime(h.StartFileTime)
	h.Clock = ClockType(le.Uint32(b[p+24:]))
	h.BuffersLost = le.Uint32(b[p+28:])
	h.HeaderTimestamp = rec.Timestamp
	names := b[size:]
	var n int
	h.LoggerName, n = utf16z(names)
	h.LogFileName, _ = utf16z(names[n:])
	if h.Clock == ClockQPC && h.PerfFreq == 0 {
		return h, fmt.Errorf("logfile header: QPC clock with frequency 0")
	}
	return h, nil
}

func parseTimeZone(b []byte) TimeZone {
	le := binary.LittleEndian
	var tz TimeZone
	tz.Bias = int32(le.Uint32(b))
	tz.StandardName, _ = utf16z(b[4:68])
	for i := range tz.StandardDate {
		tz.StandardDate[i] = le.Uint16(b[68+2*i:])
	}
	tz.StandardBias = int32(le.Uint32(b[84:]))
	tz.DaylightName, _ = utf16z(b[88:152])
	for i := range tz.DaylightDate {
		tz.DaylightDate[i] = le.Uint16(b[152+2*i:])
	}
	tz.DaylightBias = int32(le.Uint32(b[168:]))
	return tz
}

// utf16z decodes a NUL-terminated UTF-16 string at the start of b and
// returns it with the bytes used (the whole of b if unterminated).
func utf16z(b []byte) (string, int) {
	for i := 0; i+1 < len(b); i += 2 {
		if b[i] == 0 && b[i+1] == 0 {
			return string(tracelogging.AppendUTF16(nil, b[:i])), i + 2
		}
	}
	return string(tracelogging.AppendUTF16(nil, b)), len(b)
}
