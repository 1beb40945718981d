package etltest

import "encoding/binary"

// CompressXpress compresses src in the MS-XCA plain LZ77 format that
// compressed ETL buffers use: a greedy LZ77 with a 3-byte hash, distances
// up to 8192 and every length escape of the format (3-bit, shared nibble,
// byte, 16-bit and 32-bit), so that tests exercise the whole decoder.
func CompressXpress(src []byte) []byte {
	const (
		hashBits = 14
		maxDist  = 8192
	)
	var table [1 << hashBits]int32
	for i := range table {
		table[i] = -1
	}
	hash := func(i int) uint32 {
		v := uint32(src[i]) | uint32(src[i+1])<<8 | uint32(src[i+2])<<16
		return (v * 2654435761) >> (32 - hashBits)
	}
	out := make([]byte, 4, len(src)+len(src)/8+16)
	flagPos, nflags := 0, 0
	var flags uint32
	halfByte := -1
	emit := func(match bool) {
		if nflags == 32 {
			binary.LittleEndian.PutUint32(out[flagPos:], flags)
			flagPos = len(out)
			out = append(out, 0, 0, 0, 0)
			flags, nflags = 0, 0
		}
		flags <<= 1
		if match {
			flags |= 1
		}
		nflags++
	}
	for i := 0; i < len(src); {
		best, bestLen := 0, 0
		if i+3 <= len(src) {
			h := hash(i)
			if c := int(table[h]); c >= 0 && i-c <= maxDist {
				n := 0
				for i+n < len(src) && src[c+n] == src[i+n] {
					n++
				}
				if n >= 3 {
					best, bestLen = i-c, n
				}
			}
			table[h] = int32(i)
		}
		if bestLen == 0 {
			emit(false)
			out = append(out, src[i])
			i++
			continue
		}
		emit(true)
		l := bestLen - 3
		tok := uint16(best-1) << 3
		if l < 7 {
			out = binary.LittleEndian.AppendUint16(out, tok|uint16(l))
		} else {
			out = binary.LittleEndian.AppendUint16(out, tok|7)
			l -= 7
			nib := min(l, 15)
			if halfByte < 0 {
				halfByte = len(out)
				out = append(out, byte(nib))
			} else {
				out[halfByte] |= byte(nib) << 4
				halfByte = -1
			}
			if l >= 15 {
				l -= 15
				if l < 255 {
					out = append(out, byte(l))
				} else {
					out = append(out, 255)
					total := bestLen - 3
					if total < 1<<16 {
						out = binary.LittleEndian.AppendUint16(out, uint16(total))
					} else {
						out = binary.LittleEndian.AppendUint16(out, 0)
						out = binary.LittleEndian.AppendUint32(out, uint32(total))
					}
				}
			}
		}
		for j := i + 1; j < i+bestLen && j+3 <= len(src); j++ {
			table[hash(j)] = int32(j)
		}
		i += bestLen
	}
	// Fill the last flag word with match bits: a match flag with no input
	// left ends the stream.
	for nflags < 32 {
		flags = flags<<1 | 1
		nflags++
	}
	binary.LittleEndian.PutUint32(out[flagPos:], flags)
	return out
}
