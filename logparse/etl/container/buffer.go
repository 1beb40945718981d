// Package container walks the on-disk layout of ETL (Event Trace Log)
// files: the WMI_BUFFER_HEADER of each buffer, XPRESS-compressed buffers,
// and the records inside a buffer with every header kind ETW writes
// (system, compact, perfinfo, classic full and instance headers,
// EVENT_HEADER with its extended data items, and WPP trace messages).
//
// It knows nothing about time conversion, merging or payload decoding:
// package etl builds on it. Every length read from the input is checked
// against the buffer that holds it, so hostile input cannot make it read out
// of bounds or allocate without limit.
package container

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/wulog/wulog/logparse/etl/xpress"
)

// BufferHeaderSize is the size of WMI_BUFFER_HEADER.
const BufferHeaderSize = 0x48

// MaxBufferSize caps the size of one buffer, compressed or not. ETW buffers
// are at most 16 MiB; anything larger is corrupt.
const MaxBufferSize = 16 << 20

// BufferFlag is the WMI_BUFFER_HEADER BufferFlag bit set.
type BufferFlag uint16

// Buffer flags.
const (
	FlagFlushMarker     BufferFlag = 0x01
	FlagEventsLost      BufferFlag = 0x02
	FlagBufferLost      BufferFlag = 0x04
	FlagRTBackupCorrupt BufferFlag = 0x08
	FlagRTBackup        BufferFlag = 0x10
	FlagProcIndex       BufferFlag = 0x20
	FlagCompressed      BufferFlag = 0x40
)

// BufferType is the WMI_BUFFER_HEADER BufferType.
type BufferType uint16

// Buffer types.
const (
	TypeGeneric     BufferType = 0
	TypeRundown     BufferType = 1
	TypeCtxSwap     BufferType = 2
	TypeRefTime     BufferType = 3
	TypeHeader      BufferType = 4
	TypeBatched     BufferType = 5
	TypeEmptyMarker BufferType = 6
	TypeDbgInfo     BufferType = 7
)

// BufferHeader is the decoded WMI_BUFFER_HEADER.
type BufferHeader struct {
	// Size is the buffer's size on disk (for a compressed buffer: its
	// compressed size); the next buffer starts Size bytes later.
	Size uint32
	// SavedOffset is kept for reference only: it can be stale.
	SavedOffset uint32
	// CurrentOffset is the writer's position when the buffer was flushed.
	CurrentOffset uint32
	// TimeStamp is the buffer's flush time in the session's raw clock.
	TimeStamp uint64
	// Sequence orders the buffers of a session.
	Sequence int64
	// Processor is the processor whose events the buffer holds.
	Processor uint16
	// LoggerID is the ETW session's logger ID.
	LoggerID uint16
	// State is the buffer state (3 in files).
	State uint32
	// Filled is the end of the valid data, counted from the start of the
	// header, after decompression (the Offset field).
	Filled uint32
	// Flags and Type describe the buffer.
	Flags BufferFlag
	Type  BufferType
}

// Compressed reports whether the buffer's data is XPRESS-compressed.
func (h *BufferHeader) Compressed() bool { return h.Flags&FlagCompressed != 0 }

// ErrShortHeader is returned for fewer than BufferHeaderSize bytes.
var ErrShortHeader = errors.New("etl: buffer header is shorter than 72 bytes")

// ParseBufferHeader decodes a WMI_BUFFER_HEADER from the first 72 bytes of
// b. It checks only that the sizes are self-consistent, not that the buffer
// is complete on disk.
func ParseBufferHeader(b []byte) (BufferHeader, error) {
	var h BufferHeader
	if len(b) < BufferHeaderSize {
		return h, ErrShortHeader
	}
	le := binary.LittleEndian
	h.Size = le.Uint32(b[0x00:])
	h.SavedOffset = le.Uint32(b[0x04:])
	h.CurrentOffset = le.Uint32(b[0x08:])
	h.TimeStamp = le.Uint64(b[0x10:])
	h.Sequence = int64(le.Uint64(b[0x18:]))
	h.State = le.Uint32(b[0x2C:])
	h.Filled = le.Uint32(b[0x30:])
	h.Flags = BufferFlag(le.Uint16(b[0x34:]))
	h.Type = BufferType(le.Uint16(b[0x36:]))
	if h.Flags&FlagProcIndex != 0 {
		h.Processor = le.Uint16(b[0x28:])
	} else {
		// Before Windows 8 ETW_BUFFER_CONTEXT held a one-byte
		// ProcessorNumber followed by an alignment byte.
		h.Processor = uint16(b[0x28])
	}
	h.LoggerID = le.Uint16(b[0x2A:])
	switch {
	case h.Size < BufferHeaderSize:
		return h, fmt.Errorf("etl: buffer size %d is smaller than its header", h.Size)
	case h.Size > MaxBufferSize:
		return h, fmt.Errorf("etl: buffer size %d is larger than 16 MiB", h.Size)
	case h.Filled > MaxBufferSize:
		return h, fmt.Errorf("etl: buffer data end %d is beyond 16 MiB", h.Filled)
	case !h.Compressed() && h.Filled > h.Size:
		return h, fmt.Errorf("etl: buffer data end %d is beyond the buffer size %d", h.Filled, h.Size)
	}
	return h, nil
}

// Unpack returns the buffer's valid bytes, header included, as records are
// addressed from the start of the header: raw[:Filled] for a plain buffer,
// the header followed by the decompressed data for a compressed one (written
// into scratch, grown as needed up to Filled bytes). raw is the buffer as
// read from disk, possibly cut short at end of file. When the data is cut
// short or does not decompress completely, Unpack returns what it could
// recover together with an error.
func Unpack(h *BufferHeader, raw, scratch []byte) ([]byte, error) {
	if len(raw) < BufferHeaderSize {
		return nil, ErrShortHeader
	}
	want := int(h.Filled)
	if want < BufferHeaderSize {
		return raw[:BufferHeaderSize], nil
	}
	if !h.Compressed() {
		if len(raw) < want {
			return raw, fmt.Errorf("etl: buffer cut short: %d of %d bytes", len(raw), want)
		}
		return raw[:want], nil
	}
	if cap(scratch) < want {
		scratch = make([]byte, want)
	}
	out := scratch[:want]
	copy(out, raw[:BufferHeaderSize])
	src := raw[BufferHeaderSize:]
	if len(src) > int(h.Size)-BufferHeaderSize {
		src = src[:int(h.Size)-BufferHeaderSize]
	}
	n, err := xpress.Decompress(out[BufferHeaderSize:], src)
	got := BufferHeaderSize + n
	if err != nil {
		return out[:got], fmt.Errorf("etl: decompressing buffer: %w after %d of %d bytes", err, n, want-BufferHeaderSize)
	}
	if got < want {
		return out[:got], fmt.Errorf("etl: compressed buffer holds %d of %d bytes", n, want-BufferHeaderSize)
	}
	return out, nil
}
