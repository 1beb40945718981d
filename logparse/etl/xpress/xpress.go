// Package xpress decompresses the MS-XCA "plain LZ77" format (Windows
// COMPRESSION_FORMAT_XPRESS, [MS-XCA] section 2.4), which ETW uses for the
// buffers of compressed trace files (EVENT_TRACE_COMPRESSED_MODE).
//
// The format is a sequence of 32-bit little-endian flag words, read most
// significant bit first: a 0 bit is a literal byte, a 1 bit a 16-bit match
// token (distance-1 in the high 13 bits, length-3 in the low 3 bits, with
// nibble, byte, 16-bit and 32-bit escapes for longer matches).
//
// Decompression never writes past the destination slice, so the output size
// is bounded by the caller.
package xpress

import (
	"encoding/binary"
	"errors"
)

// Errors returned by Decompress. Both come with the number of bytes
// decoded before the problem.
var (
	// ErrCorrupt reports a match that refers before the start of the
	// output, a length escape that is invalid, or output that does not fit
	// in the destination.
	ErrCorrupt = errors.New("xpress: corrupt input")
	// ErrTruncated reports input that ended inside a token, before the
	// destination was full.
	ErrTruncated = errors.New("xpress: input ends before the output is complete")
)

// Decompress decodes src into dst and returns how many bytes it wrote. It
// stops when dst is full or src ends at a token boundary, so len(dst) must
// be the expected decompressed size (or an upper bound). On error, dst[:n]
// holds what was decoded before the problem.
func Decompress(dst, src []byte) (n int, err error) {
	var (
		in       int    // read position in src
		out      int    // write position in dst
		flags    uint32 // current flag word
		nflags   int    // flag bits left in it
		halfByte = -1   // position of a shared length nibble, or -1
	)
	for out < len(dst) {
		if nflags == 0 {
			if in+4 > len(src) {
				if in == len(src) {
					return out, nil // clean end at a flag word
				}
				return out, ErrTruncated
			}
			flags = binary.LittleEndian.Uint32(src[in:])
			in += 4
			nflags = 32
		}
		nflags--
		if flags&(1<<uint(nflags)) == 0 {
			if in >= len(src) {
				return out, nil
			}
			dst[out] = src[in]
			in++
			out++
			continue
		}
		if in == len(src) {
			return out, nil // end of stream marker
		}
		if in+2 > len(src) {
			return out, ErrTruncated
		}
		tok := int(binary.LittleEndian.Uint16(src[in:]))
		in += 2
		length := tok & 7
		dist := tok>>3 + 1
		if length == 7 {
			if halfByte < 0 {
				if in >= len(src) {
					return out, ErrTruncated
				}
				length = int(src[in] & 15)
				halfByte = in
				in++
			} else {
				length = int(src[halfByte] >> 4)
				halfByte = -1
			}
			if length == 15 {
				if in >= len(src) {
					return out, ErrTruncated
				}
				length = int(src[in])
				in++
				if length == 255 {
					if in+2 > len(src) {
						return out, ErrTruncated
					}
					length = int(binary.LittleEndian.Uint16(src[in:]))
					in += 2
					if length == 0 {
						if in+4 > len(src) {
							return out, ErrTruncated
						}
						l32 := binary.LittleEndian.Uint32(src[in:])
						in += 4
						if uint64(l32) > uint64(len(dst)) {
							return out, ErrCorrupt
						}
						length = int(l32)
					}
					if length < 15+7 {
						return out, ErrCorrupt
					}
					length -= 15 + 7
				}
				length += 15
			}
			length += 7
		}
		length += 3
		if dist > out || length > len(dst)-out {
			return out, ErrCorrupt
		}
		from := out - dist
		if dist >= length {
			copy(dst[out:out+length], dst[from:from+length])
			out += length
			continue
		}
		// Overlapping copy: repeat the pattern in growing chunks.
		end := out + length
		for out < end {
			c := copy(dst[out:end], dst[from:out])
			out += c
		}
	}
	return out, nil
}
