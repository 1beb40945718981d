package logparse

import (
	"bytes"
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

	var p prefix
	parsed, fast := false, false
	mstart := 0
	j := start
	if !(start == 0 && s.chunk) {
		j += skipJunk(t[start:])
		l := t[j:]
		// Most lines share their second with the line before: then only the
		// fraction and the rest need parsing.
		if s.dtOK && len(l) >= 28 && string(l[:19]) == string(s.dt[:]) && l[19] == '.' && l[27] == ' ' {
			if ns, ok := frac7(l[20:27]); ok && parseWin10Rest(l, 28, &p) {
				p.nsec = ns
				parsed, fast = true, true
			}
		}
		if !parsed {
			parsed = parseWin10Fast(l, &p) || parseLegacyFast(l, &p) || parseSlow(l, &p)
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
			copy(s.dt[:], t[j:j+19])
			s.dtSecs, s.dtOK = secs, true
		}
	}
	if parsed {
		ms := j + p.msg
		if (p.format == Win10 || p.format == Legacy) && ms < len(t) {
			if k := s.runTogether(t, ms); k >= 0 {
				end = k
				s.pend = k
			}
		}
		mstart = min(ms, end)
		msg := trimMessage(t[mstart:end])
		r.Format = p.format
		r.PID, r.TID = p.pid, p.tid
		r.Component = s.intern(p.comp)
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

	r.extract(&s.f, s.textAt+mstart)
	s.stats.Formats[r.Format]++
	s.stats.Codes += int64(len(r.Codes))
	for _, c := range r.Codes {
		if !c.Success {
			s.stats.Failures++
		}
	}
	if m := r.Message; len(m) > 8 && (m[0] == 'U' || m[0] == ' ') {
		if i := bytes.Index(m, unknownOpen); i >= 0 && allSpace(m[:i]) && bytes.Contains(m, noFormatInfo) {
			s.stats.NoSymbols++
		}
	}
}

var noFormatInfo = []byte("No Format Information found")

// runTogether returns where a second record starts inside the message of
// the record whose message starts at t[ms:], or -1: a full Win10 or legacy
// prefix after a blank, as when a web page joined the lines of a log. It
// looks at the ':' of each "HH:" in the message.
func (s *Scanner) runTogether(t []byte, ms int) int {
	for i := ms; i < len(t); {
		c := indexColon(t, i)
		if c < 0 {
			return -1
		}
		i = c + 1
		k := c - 13 // "2023/03/21 22:" has its first ':' at 13
		if k <= ms || (t[k-1] != ' ' && t[k-1] != '\t') || !isDigit(t[k]) {
			continue
		}
		var q prefix
		l := t[k:]
		if parseWin10Fast(l, &q) || parseLegacyFast(l, &q) || parseDated(l, &q) {
			return k
		}
	}
	return -1
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

// frac7 parses the 7 digits of a Windows 10 time fraction (100 ns units)
// and returns nanoseconds.
func frac7(b []byte) (int, bool) {
	ns := 0
	for _, c := range b[:7] {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		ns = ns*10 + int(d)
	}
	return ns * 100, true
}
