package logparse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"
)

// DefaultMaxLine is the default line limit of a [Scanner]: the rest of a
// longer line is returned as Continuation records of at most this size.
const DefaultMaxLine = 1 << 20

// The scanner's buffer holds firstRead bytes at first, so that short
// inputs cost little, then readSize (unless the line limit is smaller).
const (
	firstRead = 32 << 10
	readSize  = 256 << 10
)

// minMaxLine is the smallest line limit SetMaxLine accepts.
const minMaxLine = 64

// maxInterned bounds the number of distinct component names a Scanner
// keeps (so that hostile input cannot grow memory without bound).
const maxInterned = 1024

// Reasons given in [Record.Reason] for Unparsed records.
const (
	ReasonNoPrefix = "no record prefix (date, time, PID, TID, component) and no record before it"
	ReasonBlank    = "blank line before the first record"
	ReasonNUL      = "only NUL bytes"
	ReasonBadDate  = "record prefix with an impossible date"
	ReasonLongRest = "rest of a line longer than the line limit, with no record before it"
)

// Scanner reads the records of a Windows Update text log from an
// io.Reader: Get-WindowsUpdateLog output (any date separator), the legacy
// tab-separated WindowsUpdate.log, excerpts without date columns, and
// damaged copies of all of them. It detects UTF-8 (with or without BOM)
// and UTF-16LE/BE (with or without BOM), CRLF or LF line endings, and
// never drops a byte: every physical line is returned as a record, a
// Continuation of the record before it, or an Unparsed record with a
// Reason.
//
// Memory is bounded by the line limit (see [Scanner.SetMaxLine]); the
// record returned by [Scanner.Record] and its slices are reused by the
// next Scan, exactly like [bufio.Scanner.Bytes].
type Scanner struct {
	r       io.Reader
	name    string
	maxLine int
	started bool

	buf        []byte
	start, end int   // unconsumed bytes are buf[start:end]
	searched   int   // bytes of buf[start:end] known to hold no newline
	consumed   int64 // input offset of buf[start]
	eof        bool
	rerr       error
	err        error
	emptyReads int

	enc   string
	u16   int  // 0 for UTF-8, 2 for UTF-16
	le    bool // UTF-16 byte order
	u8    []byte
	long  bool // the current line goes on after the current chunk
	chunk bool // the current text is the rest of a line longer than maxLine

	// The current physical line (or chunk of one).
	text    []byte // decoded text
	textAt  int    // bit of text[0] in the trigger bitmap (s.mk or s.mk16)
	mk      marks  // over buf[:end] (UTF-8)
	mk16    marks  // over text (UTF-16)
	textOff int64  // input offset of text[0]
	rawLen  int64  // input bytes of the line, without the terminator
	term    int64  // input bytes of the terminator (0, 1 or 2)
	pend    int    // start in text of the next run-together record, or -1

	rec     Record
	pos     []int32 // triggers of the message, for extract
	prev    Record  // last record with a prefix, for continuations
	have    bool    // prev is set
	dates   dateCache
	dt      dtKey // "2023/03/21 22:19:01" of the last Win10 record
	dtSecs  int64 // its seconds
	dtOK    bool
	ids     idCache   // last Win10 PID and TID columns
	colComp compCache // last Win10 component columns
	zone    *time.Location
	zoneOff int
	zoned   bool
	zones   map[int]*time.Location
	comps   map[string]string
	last    string // last component, checked before the map
	stats   Stats
}

// NewScanner returns a Scanner reading from r.
func NewScanner(r io.Reader) *Scanner {
	return &Scanner{r: r, maxLine: DefaultMaxLine, pend: -1}
}

// SetName sets the name copied into [Record.File] and used in errors.
func (s *Scanner) SetName(name string) { s.name = name }

// SetMaxLine sets the line limit in bytes (default [DefaultMaxLine],
// at least 64). It must be called before the first Scan.
func (s *Scanner) SetMaxLine(n int) {
	if s.started {
		panic("logparse: SetMaxLine called after Scan")
	}
	s.maxLine = max(n, minMaxLine)
}

// Record returns the record read by the last Scan. It and its slices are
// valid until the next Scan.
func (s *Scanner) Record() *Record { return &s.rec }

// Err returns the first read error, or nil at a normal end of input.
func (s *Scanner) Err() error { return s.err }

// Stats returns the totals so far.
func (s *Scanner) Stats() Stats {
	st := s.stats
	st.Encoding = s.enc
	return st
}

// Scan reads the next record. It returns false at the end of the input or
// after a read error.
func (s *Scanner) Scan() bool {
	if !s.started {
		s.start0()
	}
	if s.pend >= 0 {
		s.piece(s.pend)
		return true
	}
	if !s.nextLine() {
		if s.rerr != nil && s.err == nil {
			s.err = s.wrap(s.rerr)
		}
		return false
	}
	s.piece(0)
	return true
}

func (s *Scanner) wrap(err error) error {
	if s.name != "" {
		return fmt.Errorf("%s: after line %d: %w", s.name, s.stats.Lines, err)
	}
	return fmt.Errorf("after line %d: %w", s.stats.Lines, err)
}

// start0 reads the first bytes and detects the encoding.
func (s *Scanner) start0() {
	s.started = true
	s.buf = make([]byte, min(firstRead, s.maxLine+8))
	for s.end < 4 && !s.eof {
		s.fill()
	}
	s.enc = DetectEncoding(s.buf[:s.end])
	switch s.enc {
	case EncodingUTF16LE:
		s.u16, s.le = 2, true
	case EncodingUTF16BE:
		s.u16 = 2
	}
}

// DetectEncoding returns the text encoding (one of the Encoding constants)
// that a [Scanner] reads an input starting with head in: a byte order mark
// decides, else the first two characters are read as UTF-16 when one byte of
// each is NUL and the other not, else the input is UTF-8. Four bytes are
// enough to decide.
func DetectEncoding(head []byte) string {
	b := head
	switch {
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		return EncodingUTF8BOM
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE:
		return EncodingUTF16LE
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		return EncodingUTF16BE
	case len(b) >= 4 && b[0] != 0 && b[1] == 0 && b[2] != 0 && b[3] == 0:
		return EncodingUTF16LE
	case len(b) >= 4 && b[0] == 0 && b[1] != 0 && b[2] == 0 && b[3] != 0:
		return EncodingUTF16BE
	}
	return EncodingUTF8
}

// fill reads more input into buf, compacting or growing it first.
func (s *Scanner) fill() {
	if s.start > 0 && (s.end == len(s.buf) || s.start > len(s.buf)/2) {
		buf := s.buf
		if n := min(readSize, s.maxLine+8); len(buf) < n {
			// The input is longer than the first read: read more at a time.
			buf = make([]byte, n)
		}
		s.moveTo(buf)
	}
	if s.end == len(s.buf) {
		n := min(2*len(s.buf), s.maxLine+8)
		if n <= len(s.buf) {
			n = len(s.buf) + 8
		}
		s.moveTo(make([]byte, n))
	}
	n, err := s.r.Read(s.buf[s.end:])
	if n < 0 || n > len(s.buf)-s.end {
		err, n = errors.New("invalid read count"), 0
	}
	s.end += n
	s.stats.Bytes += int64(n)
	switch {
	case err == io.EOF:
		s.eof = true
	case err != nil:
		s.rerr, s.eof = err, true
	case n == 0:
		s.emptyReads++
		if s.emptyReads > 100 {
			s.rerr, s.eof = io.ErrNoProgress, true
		}
	default:
		s.emptyReads = 0
	}
}

// moveTo moves the unconsumed bytes to the start of buf (which may be
// s.buf itself), and makes buf the buffer.
func (s *Scanner) moveTo(buf []byte) {
	copy(buf, s.buf[s.start:s.end])
	s.buf = buf
	s.end -= s.start
	s.start = 0
	s.mk.reset()
}

// nextLine finds the next physical line (or chunk of a too long line) and
// decodes it into s.text. It returns false at the end of the input.
func (s *Scanner) nextLine() bool {
	unit := 1
	if s.u16 != 0 {
		unit = 2
	}
	for {
		avail := s.buf[s.start:s.end]
		if i := s.indexNL(avail); i >= 0 {
			s.setLine(avail[:i], int64(unit), false)
			s.start += i + unit
			return true
		}
		s.searched = max(0, len(avail)-unit)
		if len(avail) >= s.maxLine {
			n := s.cut(avail)
			s.setLine(avail[:n], 0, true)
			s.start += n
			return true
		}
		if s.eof {
			if len(avail) == 0 {
				return false
			}
			s.setLine(avail, 0, false)
			s.start = s.end
			return true
		}
		s.fill()
	}
}

// indexNL returns the index of the newline in b = buf[start:end] (at a
// code unit boundary for UTF-16), or -1.
func (s *Scanner) indexNL(b []byte) int {
	from := s.searched
	if s.u16 == 0 {
		if s.mk.upto != s.end {
			s.mk.update(s.buf[:s.end])
		}
		if i := nextBit(s.mk.nl, s.start+from, s.end); i >= 0 {
			return i - s.start
		}
		return -1
	}
	for from < len(b) {
		i := bytes.IndexByte(b[from:], '\n')
		if i < 0 {
			return -1
		}
		i += from
		if s.le {
			if i&1 == 0 && i+1 < len(b) && b[i+1] == 0 {
				return i
			}
			if i&1 == 0 && i+1 == len(b) {
				return -1 // the other half is not read yet
			}
		} else if i&1 == 1 && b[i-1] == 0 {
			return i - 1
		}
		from = i + 1
	}
	return -1
}

// cut returns where to cut a line longer than the limit: at the limit,
// moved back to a character boundary.
func (s *Scanner) cut(b []byte) int {
	n := s.maxLine
	if s.u16 != 0 {
		n &^= 1
		// Do not separate a surrogate pair.
		hi := b[n-2]
		if s.le {
			hi = b[n-1]
		}
		if hi >= 0xD8 && hi <= 0xDB {
			n -= 2
		}
		return n
	}
	// Do not cut a UTF-8 sequence: find where the last character starts
	// and cut before it when it does not end before n.
	i := n - 1
	for k := 0; k < 3 && i > 0 && b[i]&0xC0 == 0x80; k++ {
		i--
	}
	if l := utf8SeqLen(b[i]); i > 0 && i+l > n {
		return i
	}
	return n
}

// setLine makes raw (without its terminator of term bytes) the current
// line; cut says that the line goes on after raw.
func (s *Scanner) setLine(raw []byte, term int64, cut bool) {
	s.chunk = s.long
	s.long = cut
	if !s.chunk {
		s.stats.Lines++
	}
	s.searched = 0
	s.textOff = s.consumed
	s.rawLen = int64(len(raw))
	s.term = term
	s.consumed += s.rawLen + term
	if s.u16 != 0 {
		s.text = s.decode16(raw)
		s.mk16.reset()
		s.mk16.update(s.text)
		s.textAt = 0
	} else {
		s.text = raw
		s.textAt = s.start
	}
}

// decode16 converts a UTF-16 line to UTF-8 in s.u8.
func (s *Scanner) decode16(raw []byte) []byte {
	out := s.u8[:0]
	for i := 0; i+1 < len(raw); i += 2 {
		var u uint16
		if s.le {
			u = uint16(raw[i]) | uint16(raw[i+1])<<8
		} else {
			u = uint16(raw[i])<<8 | uint16(raw[i+1])
		}
		switch {
		case u < 0x80:
			out = append(out, byte(u))
		case u >= 0xD800 && u < 0xDC00 && i+3 < len(raw):
			var u2 uint16
			if s.le {
				u2 = uint16(raw[i+2]) | uint16(raw[i+3])<<8
			} else {
				u2 = uint16(raw[i+2])<<8 | uint16(raw[i+3])
			}
			if u2 >= 0xDC00 && u2 < 0xE000 {
				out = utf8.AppendRune(out, 0x10000+(rune(u)-0xD800)<<10+(rune(u2)-0xDC00))
				i += 2
			} else {
				out = utf8.AppendRune(out, utf8.RuneError)
			}
		case u >= 0xD800 && u < 0xE000:
			out = utf8.AppendRune(out, utf8.RuneError)
		default:
			out = utf8.AppendRune(out, rune(u))
		}
	}
	if len(raw)&1 == 1 {
		out = utf8.AppendRune(out, utf8.RuneError)
	}
	s.u8 = out
	return out
}

// rawPos returns the input offset of text position i of the current line.
func (s *Scanner) rawPos(i int) int64 {
	if i >= len(s.text) {
		return s.textOff + s.rawLen
	}
	if s.u16 == 0 {
		return s.textOff + int64(i)
	}
	n := int64(0)
	for _, r := range string(s.text[:i]) {
		if r >= 0x10000 {
			n += 4
		} else {
			n += 2
		}
	}
	return s.textOff + n
}

// utf8SeqLen is the length of the UTF-8 sequence that lead byte c starts
// (1 for ASCII and for bytes that cannot start a sequence).
func utf8SeqLen(c byte) int {
	switch {
	case c >= 0xF0 && c < 0xF8:
		return 4
	case c >= 0xE0 && c < 0xF0:
		return 3
	case c >= 0xC0 && c < 0xE0:
		return 2
	}
	return 1
}
