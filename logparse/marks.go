package logparse

import (
	"bytes"
	"math/bits"
)

// The scanner classifies its read buffer once, 64 bytes at a time, into two
// bitmaps with one bit per byte: the newlines, and the trigger bytes where a
// token or a run-together record can start. Splitting lines and extracting
// tokens then only visit set bits, instead of calling bytes.IndexByte once
// per line and per pattern. On amd64 with AVX2 the classification runs in
// assembly (about 30 instructions per 32 bytes, 16 GB/s); elsewhere, and
// with the purego build tag, a pure Go version does the same work.
//
// A trigger is the first byte of one of these patterns (the letters marked
// "any case" match in upper or lower case; the code that takes a trigger
// checks the exact spelling):
//
//	"ht" "hr"  'h' or 'H', then 't' or 'r' (any case): "http://", "HTTP://", "hr = ..."
//	"0x"       '0', then 'x' (any case): "0x80072f8f", "0X80010010"
//	"["        "[80072F8F]", "Method failed [...]"
//	"(c"       '(', then 'c' (any case): "(cV = ...)"
//	"rr"       the "rr" of "error"
//	":..:"     ':' with another ':' 3 bytes on: the "HH:MM:" of a record
//	           prefix inside a message
//
// Pairs keep the bits rare (about one per two lines of a Windows 10 log,
// where single bytes such as 'h', 'x' and ':' would give five or six).
// Keep triggerAt, classifyGo and the assembly in step with this list.

// triggerAt reports whether h[i] is a trigger.
func triggerAt(h []byte, i int) bool {
	var c1, c3 byte
	if i+1 < len(h) {
		c1 = h[i+1] | 0x20
	}
	if i+3 < len(h) {
		c3 = h[i+3]
	}
	switch h[i] {
	case 'h', 'H':
		return c1 == 't' || c1 == 'r'
	case 'r':
		return i+1 < len(h) && h[i+1] == 'r'
	case '0':
		return c1 == 'x'
	case '[':
		return true
	case '(':
		return c1 == 'c'
	case ':':
		return c3 == ':'
	}
	return false
}

// after is the number of bytes after a block that its classification
// reads.
const after = 3

// marks is the classification of a haystack (the scanner's buffer, or one
// decoded UTF-16 line, or one message): bit i of nl (word i/64, bit i%64)
// is set when hay[i] is '\n', bit i of tg when hay[i] is a trigger byte.
type marks struct {
	nl, tg []uint64
	// hay[:done] is classified for good: a multiple of 64, and each of
	// those blocks was classified with the after bytes that follow it
	// known. The bits of the blocks after done are provisional (a pair
	// may end in bytes not read yet).
	done int
	// upto is the length of the haystack last classified, or -1.
	upto int
}

// reset forgets the classification, for a haystack whose bytes moved.
func (mk *marks) reset() { mk.done, mk.upto = 0, -1 }

// update classifies hay from mk.done on: whole blocks that have their
// bytes after them for good, the rest provisionally.
func (mk *marks) update(hay []byte) {
	n := len(hay)
	mk.upto = n
	if w := n/64 + 1; len(mk.tg) < w || len(mk.nl) < w {
		mk.nl = append(mk.nl, make([]uint64, w+w/4-len(mk.nl))...)
		mk.tg = append(mk.tg, make([]uint64, w+w/4-len(mk.tg))...)
	}
	mk.done = classifyFrom(hay, mk.done, mk.nl, mk.tg)
}

// classifyFrom classifies hay from done (a multiple of 64) on into nl and
// tg (at least len(hay)/64+1 words): whole blocks that have their bytes
// after them for good, the rest provisionally. It returns the new done.
func classifyFrom(hay []byte, done int, nl, tg []uint64) int {
	n := len(hay)
	if full := (n - after) &^ 63; full > done {
		classify(hay[done:full+after], nl[done/64:], tg[done/64:])
		done = full
	}
	// The rest, at most 64+after bytes, bit by bit; the words are rewritten
	// whole.
	for k := done; k < n; k += 64 {
		var nw, tw uint64
		for i := k; i < min(k+64, n); i++ {
			b := uint64(1) << uint(i&63)
			if hay[i] == '\n' {
				nw |= b
			}
			if triggerAt(hay, i) {
				tw |= b
			}
		}
		nl[k/64], tg[k/64] = nw, tw
	}
	return done
}

// classify classifies the (len(p)-after)/64 whole blocks of p: p has
// after bytes more than the blocks. nl and tg receive one word per block.
func classify(p []byte, nl, tg []uint64) {
	blocks := (len(p) - after) / 64
	if blocks <= 0 {
		return
	}
	_, _ = nl[blocks-1], tg[blocks-1]
	if classifyAsm(p, blocks, nl, tg) {
		return
	}
	classifyGo(p, blocks, nl, tg)
}

// classifyGo is the pure Go classification. Testing each byte costs more
// in Go than the rest of the scanning, so it looks for the rarer byte of
// each pair with bytes.IndexByte and bytes.Index, which the standard
// library runs vectorised on most platforms, and checks the other byte.
func classifyGo(p []byte, blocks int, nl, tg []uint64) {
	n := blocks * 64
	clear(nl[:blocks])
	clear(tg[:blocks])
	set := func(w []uint64, i int) { w[i>>6] |= 1 << uint(i&63) }
	each := func(c byte, from, to int, f func(i int)) {
		for i := from; i < to; {
			k := bytes.IndexByte(p[i:to], c)
			if k < 0 {
				return
			}
			f(i + k)
			i += k + 1
		}
	}
	each('\n', 0, n, func(i int) { set(nl, i) })
	each('[', 0, n, func(i int) { set(tg, i) })
	each('(', 0, n, func(i int) {
		if p[i+1]|0x20 == 'c' {
			set(tg, i)
		}
	})
	each(':', 0, n, func(i int) {
		if p[i+3] == ':' {
			set(tg, i)
		}
	})
	for _, h := range []byte{'h', 'H'} {
		each(h, 0, n, func(i int) {
			if c := p[i+1] | 0x20; c == 't' || c == 'r' {
				set(tg, i)
			}
		})
	}
	// The 'x' of "0x" may be the byte after the last block.
	for _, x := range []byte{'x', 'X'} {
		each(x, 1, n+1, func(i int) {
			if p[i-1] == '0' {
				set(tg, i-1)
			}
		})
	}
	for i := 0; i < n; {
		k := bytes.Index(p[i:n+1], rr)
		if k < 0 {
			break
		}
		set(tg, i+k)
		i += k + 1
	}
}

var rr = []byte("rr")

// nextBit returns the index of the first bit set in w at or after i and
// before end, or -1.
func nextBit(w []uint64, i, end int) int {
	for i < end {
		k := i >> 6
		if x := w[k] >> uint(i&63); x != 0 {
			if j := i + bits.TrailingZeros64(x); j < end {
				return j
			}
			return -1
		}
		i = (k + 1) << 6
	}
	return -1
}
