package logparse

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"time"
)

// piece makes s.rec from the current line's text starting at start: a
// whole line, a record that ran into the previous one on the same line, or
// the rest of a line longer than the limit.
func (s *Scanner) piece(start int) {
	t := s.text
	r := &s.rec
	first := start == 0 && !s.chunk
	if !first {
		s.stats.Split++
	}
	s.pend = -1
	end := len(t)
	r.File = s.name
	r.Line = s.stats.Lines
	r.Reason = ""

	tg := s.mk.tg
	if s.u16 != 0 {
		tg = s.mk16.tg
	}
	var p prefix
	parsed, fast := false, false
	mstart := 0
	j := start
	if !(start == 0 && s.chunk) {
		j += skipJunk(t[start:])
		l := t[j:]
		if len(l) >= 28 && l[19] == '.' && l[27] == ' ' {
			// Most lines share their second with the line before: then
			// only the fraction and the rest need parsing.
			if s.dtOK && s.dt.same(l) {
				if ns, ok := frac7(l); ok && s.win10Rest(l, &p) {
					p.nsec = ns
					parsed, fast = true, true
				}
			} else if parseWin10Time(l, &p) && s.win10Rest(l, &p) {
				parsed = true
			}
		}
		if !parsed {
			parsed = parseLegacyFast(l, &p) || parseSlow(l, &p)
		}
	}
	var secs int64
	if fast {
		secs = s.dtSecs
	} else if parsed && p.format != Excerpt {
		var ok bool
		if secs, ok = s.dates.seconds(&p); !ok {
			parsed = false
			r.Reason = ReasonBadDate
		} else if p.format == Win10 && len(t)-j >= 19 {
			s.dt.set(t[j:])
			s.dtSecs, s.dtOK = secs, true
		}
	}
	s.pos = s.pos[:0]
	var kinds uint8
	if parsed {
		ms := j + p.msg
		// One pass over the triggers of the rest of the line: where a
		// record run into this one starts (Win10 and legacy lines), and
		// the triggers of the message.
		runs := p.format == Win10 || p.format == Legacy
		for b := nextBit(tg, s.textAt+ms, s.textAt+len(t)); b >= 0; b = nextBit(tg, b+1, s.textAt+len(t)) {
			c := b - s.textAt
			if t[c] == ':' {
				if k := c - 13; runs && startsRecord(t, ms, k) {
					end = k
					s.pend = k
					break
				}
				continue
			}
			if k := kindAt(t, c); k != 0 {
				s.pos = append(s.pos, int32(c-ms))
				kinds |= k
			}
		}
		mstart = min(ms, end)
		msg := trimMessage(t[mstart:end])
		r.Format = p.format
		r.PID, r.TID = p.pid, p.tid
		if p.cached {
			r.Component = p.name
		} else {
			r.Component = s.intern(p.comp)
		}
		r.Message = msg
		switch p.format {
		case Win10:
			r.Time = time.Unix(secs, int64(p.nsec)).UTC()
			r.ZoneKnown = false
		case Legacy:
			if len(msg) > 0 && msg[0] == '=' {
				s.banner(msg)
			}
			if s.zoned {
				r.Time = time.Unix(secs-int64(s.zoneOff), int64(p.nsec)).In(s.zone)
				r.ZoneKnown = true
			} else {
				r.Time = time.Unix(secs, int64(p.nsec)).UTC()
				r.ZoneKnown = false
			}
		default:
			r.Time = time.Time{}
			r.ZoneKnown = false
		}
		s.prev.Time, s.prev.ZoneKnown, s.prev.PID, s.prev.TID, s.prev.Component =
			r.Time, r.ZoneKnown, r.PID, r.TID, r.Component
		s.have = true
		if first {
			s.stats.Records++
		}
	} else {
		mstart = j
		r.Message = trimMessage(t[j:end])
		if s.have {
			r.Format = Continuation
			r.Time, r.ZoneKnown, r.PID, r.TID, r.Component =
				s.prev.Time, s.prev.ZoneKnown, s.prev.PID, s.prev.TID, s.prev.Component
			r.Reason = ""
			if first {
				s.stats.Continuations++
			}
		} else {
			r.Format = Unparsed
			r.Time, r.ZoneKnown, r.PID, r.TID, r.Component = time.Time{}, false, 0, 0, ""
			if r.Reason == "" {
				switch {
				case !first:
					r.Reason = ReasonLongRest
				case len(r.Message) == 0 && j == len(t) && j > start && t[j-1] == 0:
					r.Reason = ReasonNUL
				case len(r.Message) == 0:
					r.Reason = ReasonBlank
				default:
					r.Reason = ReasonNoPrefix
				}
			}
			if first {
				s.stats.Unparsed++
			}
		}
	}
	r.Offset = s.rawPos(start)
	if end == len(t) {
		r.Size = s.textOff + s.rawLen + s.term - r.Offset
	} else {
		r.Size = s.rawPos(end) - r.Offset
	}

	if !parsed {
		s.pos, kinds = triggers(s.pos, tg, s.textAt+mstart, r.Message)
	} else {
		// The message may have lost its end (trailing blanks, " |"):
		// keep the triggers inside it.
		for len(s.pos) > 0 && int(s.pos[len(s.pos)-1]) >= len(r.Message) {
			s.pos = s.pos[:len(s.pos)-1]
		}
	}
	r.extract(s.pos, kinds)
	s.stats.Formats[r.Format]++
	s.stats.Codes += int64(len(r.Codes))
	for _, c := range r.Codes {
		if !c.Success {
			s.stats.Failures++
		}
	}
	if m := r.Message; len(m) > 8 && (m[0] == 'U' || m[0] == ' ') {
		i := 0
		for i < len(m) && m[i] == ' ' {
			i++
		}
		if bytes.HasPrefix(m[i:], unknownOpen) && bytes.Contains(m, noFormatInfo) {
			s.stats.NoSymbols++
		}
	}
}

var noFormatInfo = []byte("No Format Information found")

// startsRecord reports whether a record that ran into the one whose message
// starts at t[ms:] starts at t[k:]: a full Win10 or legacy prefix after a
// blank, as when a web page joined the lines of a log. The scanner tries
// this at 13 bytes before each ":..:" trigger in the message: the first ':'
// of "2023/03/21 22:19:01" is at 13.
func startsRecord(t []byte, ms, k int) bool {
	if k <= ms || (t[k-1] != ' ' && t[k-1] != '\t') || !isDigit(t[k]) {
		return false
	}
	var q prefix
	l := t[k:]
	return parseWin10Fast(l, &q) || parseLegacyFast(l, &q) || parseDated(l, &q)
}

// trimMessage removes the line ending, trailing blanks and NULs, and the
// " |" that a table paste leaves at the end of each line.
func trimMessage(m []byte) []byte {
	e := len(m)
	for e > 0 && isTrail(m[e-1]) {
		e--
	}
	if e >= 2 && m[e-1] == '|' && (m[e-2] == ' ' || m[e-2] == '\t') {
		e--
		for e > 0 && isTrail(m[e-1]) {
			e--
		}
	}
	return m[:e]
}

func isTrail(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == 0 || c == '\n' }

// intern returns the component name for b, allocating each distinct name
// once (up to maxInterned names).
func (s *Scanner) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if string(b) == s.last {
		return s.last
	}
	if v, ok := s.comps[string(b)]; ok {
		s.last = v
		return v
	}
	v := string(b)
	if s.comps == nil {
		s.comps = make(map[string]string)
	}
	if len(s.comps) < maxInterned {
		s.comps[v] = v
	}
	s.last = v
	return v
}

var (
	loggingInit = []byte("Logging initialized")
	tzField     = []byte("tz: ")
)

// banner reads the zone of a legacy "Logging initialized (build: ...,
// tz: -0700)" banner; it applies from this record on.
func (s *Scanner) banner(m []byte) {
	if !bytes.Contains(m, loggingInit) {
		return
	}
	i := bytes.Index(m, tzField)
	if i < 0 {
		return
	}
	z := m[i+len(tzField):]
	if len(z) < 5 || (z[0] != '+' && z[0] != '-') {
		return
	}
	hh, ok1 := d2(z, 1)
	mm, ok2 := d2(z, 3)
	if !ok1 || !ok2 || hh > 14 || mm > 59 {
		return
	}
	off := hh*3600 + mm*60
	if z[0] == '-' {
		off = -off
	}
	loc, ok := s.zones[off]
	if !ok {
		if s.zones == nil {
			s.zones = make(map[int]*time.Location)
		}
		loc = time.FixedZone(zoneName(off), off)
		s.zones[off] = loc
	}
	s.zone, s.zoneOff, s.zoned = loc, off, true
}

func zoneName(off int) string {
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	h, m := off/3600, off%3600/60
	return string(sign) + pad2(h) + pad2(m)
}

func pad2(v int) string {
	if v < 10 {
		return "0" + strconv.Itoa(v)
	}
	return strconv.Itoa(v)
}

// frac7 parses the 7 digits of the time fraction of a Windows 10 prefix
// l ("2023/03/21 22:19:01.8143606 ..."; len(l) >= 28) and returns
// nanoseconds. It converts the digits 8 at a time (SWAR): the '.' before
// them stands for a leading zero.
func frac7(l []byte) (int, bool) {
	x := binary.LittleEndian.Uint64(l[19:27])&^0xFF | '0'
	if x&0xF0F0F0F0F0F0F0F0 != 0x3030303030303030 || (x+0x0606060606060606)&0xF0F0F0F0F0F0F0F0 != 0x3030303030303030 {
		return 0, false
	}
	v := x - 0x3030303030303030
	v = (v*10 + v>>8) & 0x00FF00FF00FF00FF
	v = (v*100 + v>>16) & 0x0000FFFF0000FFFF
	v = (v*10000 + v>>32) & 0xFFFFFFFF
	return int(v) * 100, true
}
