package logparse

import (
	"bytes"
	"encoding/binary"
	"time"
)

// prefix is what the record prefix of a line says.
type prefix struct {
	format     Format
	y, mo, d   int
	h, mi, sec int
	nsec       int
	pid, tid   uint32
	comp       []byte
	msg        int // start of the message in the line
	// cached: the component name is name (comp is not set).
	cached bool
	name   string
}

// skipJunk returns the index of the first byte of l after byte order marks
// and NUL bytes.
func skipJunk(l []byte) int {
	i := 0
	for i < len(l) {
		switch {
		case l[i] == 0:
			i++
		case l[i] == 0xEF && i+2 < len(l) && l[i+1] == 0xBB && l[i+2] == 0xBF:
			i += 3
		default:
			return i
		}
	}
	return i
}

func isDigit(c byte) bool { return c-'0' < 10 }

func d2(l []byte, i int) (int, bool) {
	a, b := l[i]-'0', l[i+1]-'0'
	return int(a)*10 + int(b), a < 10 && b < 10
}

// parseWin10Fast parses "2023/03/21 22:19:01.8143606 19924 14968 Misc   msg"
// with the exact column layout Get-WindowsUpdateLog writes.
func parseWin10Fast(l []byte, p *prefix) bool {
	return parseWin10Time(l, p) && parseWin10Rest(l, 28, p)
}

// parseWin10Time parses the "2023/03/21 22:19:01.8143606 " that starts a
// Windows 10 line.
func parseWin10Time(l []byte, p *prefix) bool {
	if len(l) < 28 {
		return false
	}
	sep := l[4]
	if (sep != '/' && sep != '-' && sep != '.') || l[7] != sep || l[10] != ' ' || l[13] != ':' ||
		l[16] != ':' || l[19] != '.' || l[27] != ' ' {
		return false
	}
	if !parseDateTime(l, p) {
		return false
	}
	ns, ok := frac7(l)
	p.nsec = ns
	return ok
}

// parseDateTime parses "YYYY?MM?DD HH:MM:SS" at l[0:19].
func parseDateTime(l []byte, p *prefix) bool {
	y1, ok1 := d2(l, 0)
	y2, ok2 := d2(l, 2)
	mo, ok3 := d2(l, 5)
	d, ok4 := d2(l, 8)
	h, ok5 := d2(l, 11)
	mi, ok6 := d2(l, 14)
	s, ok7 := d2(l, 17)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || mo < 1 || mo > 12 || d < 1 || d > 31 ||
		h > 23 || mi > 59 || s > 60 {
		return false
	}
	p.y, p.mo, p.d, p.h, p.mi, p.sec = y1*100+y2, mo, d, h, mi, s
	return true
}

// dtKey is the date and time "2023/03/21 22:19:01" (l[0:19]) of the last
// Windows 10 record, as three overlapping words, so that comparing it with
// a line costs three loads.
type dtKey [3]uint64

// same reports whether l (at least 19 bytes) starts with the date and time.
func (k *dtKey) same(l []byte) bool {
	_ = l[18]
	return binary.LittleEndian.Uint64(l) == k[0] && binary.LittleEndian.Uint64(l[8:]) == k[1] &&
		binary.LittleEndian.Uint64(l[11:]) == k[2]
}

// set remembers the date and time that l (at least 19 bytes) starts with.
func (k *dtKey) set(l []byte) {
	_ = l[18]
	k[0], k[1], k[2] = binary.LittleEndian.Uint64(l), binary.LittleEndian.Uint64(l[8:]), binary.LittleEndian.Uint64(l[11:])
}

// The columns after the time of a Windows 10 line, in the layout
// Get-WindowsUpdateLog writes: PID and TID left-aligned in 5 columns and a
// blank, the component left-aligned in 15 and a blank, then the message at
// 56 ("19924 14968 Misc            *FAILED* ..."). parseWin10Cols reads
// them when they have exactly this layout, and gives the same result as
// parseWin10Rest (which looks at no byte outside l[28:56] then). Lines
// mostly repeat the IDs of the line before, and a few components, so the
// scanner remembers the last IDs and the last few components by their
// bytes: then these columns cost a few word comparisons.

// idCache is the last l[28:40] ("19924 14968 ") read and its values.
type idCache struct {
	w        [2]uint64 // l[28:36], l[32:40]
	ok       bool
	pid, tid uint32
}

// compCache holds the last few l[40:56] read ("Misc            ") and the
// component names they hold.
type compCache struct {
	w    [4][2]uint64 // l[40:48], l[48:56]
	name [4]string
	n    int // entries in use
	next int // entry to replace next
}

// parseWin10Cols parses the standard columns l[28:56] (see above) and
// returns the component, or false when the line does not have them.
func (s *Scanner) parseWin10Cols(l []byte, p *prefix) (string, bool) {
	if len(l) < 56 {
		return "", false
	}
	_ = l[55]
	a, b := binary.LittleEndian.Uint64(l[28:]), binary.LittleEndian.Uint64(l[32:])
	if c := &s.ids; c.ok && c.w[0] == a && c.w[1] == b {
		p.pid, p.tid = c.pid, c.tid
	} else {
		pid, ok1 := fixedID(l[28:34])
		tid, ok2 := fixedID(l[34:40])
		if !ok1 || !ok2 {
			return "", false
		}
		*c = idCache{w: [2]uint64{a, b}, ok: true, pid: pid, tid: tid}
		p.pid, p.tid = pid, tid
	}
	a, b = binary.LittleEndian.Uint64(l[40:]), binary.LittleEndian.Uint64(l[48:])
	c := &s.colComp
	for k := 0; k < c.n; k++ {
		if c.w[k][0] == a && c.w[k][1] == b {
			p.format, p.msg = Win10, 56
			return c.name[k], true
		}
	}
	f := l[40:56]
	ce := 0
	for ce < len(f) && f[ce] != ' ' && f[ce] != '\t' {
		ce++
	}
	if ce == 0 || ce == len(f) || !allSpace(f[ce:]) || bytes.HasPrefix(f, unknownOpen) {
		return "", false
	}
	name := s.intern(f[:ce])
	k := c.next
	c.w[k], c.name[k] = [2]uint64{a, b}, name
	c.next = (k + 1) % len(c.w)
	c.n = max(c.n, k+1)
	p.format, p.msg = Win10, 56
	return name, true
}

// fixedID parses a left-aligned decimal number of 1 to 5 digits padded
// with blanks to 6 bytes ("19924 ", "7728  ").
func fixedID(f []byte) (uint32, bool) {
	var v uint32
	i := 0
	for i < 5 && isDigit(f[i]) {
		v = v*10 + uint32(f[i]-'0')
		i++
	}
	if i == 0 {
		return 0, false
	}
	for ; i < 6; i++ {
		if f[i] != ' ' {
			return 0, false
		}
	}
	return v, true
}

// win10Rest parses "PID TID Component   message" from l[28:] of a Windows
// 10 line; p.comp is set, or p.name when the component name is known.
func (s *Scanner) win10Rest(l []byte, p *prefix) bool {
	if name, ok := s.parseWin10Cols(l, p); ok {
		p.name, p.cached = name, true
		return true
	}
	return parseWin10Rest(l, 28, p)
}

// parseWin10Rest parses "PID TID Component   message" from l[i:]. The
// component field is 15 wide and never cut; the message starts one space
// after it and may itself start with spaces.
func parseWin10Rest(l []byte, i int, p *prefix) bool {
	var ok bool
	if p.pid, i, ok = decField(l, i); !ok {
		return false
	}
	if p.tid, i, ok = decField(l, i); !ok {
		return false
	}
	c0 := i
	for c0 < len(l) && l[c0] == ' ' {
		c0++
	}
	if c0 == i && c0 < len(l) {
		return false
	}
	ce := c0
	for ce < len(l) && l[ce] != ' ' && l[ce] != '\t' {
		ce++
	}
	p.format = Win10
	if bytes.HasPrefix(l[c0:ce], unknownOpen) {
		// Symbol-less output: no component, the message is
		// "Unknown( 10): GUID=... (No Format Information found)."
		p.comp = nil
		p.msg = c0
		return true
	}
	p.comp = l[c0:ce]
	pad := c0 + 15
	if pad < ce {
		pad = ce
	}
	if pad < len(l) && allSpace(l[ce:pad+1]) {
		p.msg = pad + 1
		return true
	}
	// Collapsed whitespace: the message starts after the blanks.
	p.msg = skipBlanks(l, ce)
	return true
}

var unknownOpen = []byte("Unknown(")

func allSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' {
			return false
		}
	}
	return true
}

// decField parses blanks then a decimal number followed by a blank.
func decField(l []byte, i int) (uint32, int, bool) {
	i = skipBlanks(l, i)
	s := i
	var v uint64
	for i < len(l) && isDigit(l[i]) {
		v = v*10 + uint64(l[i]-'0')
		i++
	}
	if i == s || i-s > 10 || v > 0xFFFFFFFF || i >= len(l) || (l[i] != ' ' && l[i] != '\t') {
		return 0, i, false
	}
	return uint32(v), i, true
}

// parseLegacyFast parses the tab-separated legacy layout
// "2021-08-28\t11:05:07:920\t 576\ta70\tMisc\tmessage".
func parseLegacyFast(l []byte, p *prefix) bool {
	if len(l) < 24 || l[4] != '-' || l[7] != '-' || l[10] != '\t' || l[13] != ':' || l[16] != ':' ||
		l[19] != ':' || l[23] != '\t' {
		return false
	}
	if !parseDateTime(l, p) {
		return false
	}
	ms := 0
	for i := 20; i < 23; i++ {
		c := l[i] - '0'
		if c > 9 {
			return false
		}
		ms = ms*10 + int(c)
	}
	p.nsec = ms * 1e6
	return parseLegacyRest(l, 24, p, '\t')
}

// parseLegacyRest parses "PID<sep>TID(hex)<sep>Component<sep>message". With
// sep '\t' the fields are tab separated (PID padded with spaces); with sep
// ' ' any run of blanks separates them (whitespace collapsed by a web page).
func parseLegacyRest(l []byte, i int, p *prefix, sep byte) bool {
	for i < len(l) && l[i] == ' ' {
		i++
	}
	s := i
	var v uint64
	for i < len(l) && isDigit(l[i]) {
		v = v*10 + uint64(l[i]-'0')
		i++
	}
	if i == s || i-s > 10 || v > 0xFFFFFFFF || !isSep(l, i, sep) {
		return false
	}
	p.pid = uint32(v)
	i = skipSep(l, i, sep)
	for i < len(l) && l[i] == ' ' {
		i++
	}
	s = i
	v = 0
	for i < len(l) && hexVal[l[i]] != 0xFF {
		v = v<<4 | uint64(hexVal[l[i]])
		i++
	}
	if i == s || i-s > 8 || !isSep(l, i, sep) {
		return false
	}
	p.tid = uint32(v)
	i = skipSep(l, i, sep)
	s = i
	for i < len(l) && l[i] != '\t' && (sep == '\t' || l[i] != ' ') {
		i++
	}
	if i == s {
		return false
	}
	p.comp = l[s:i]
	if i < len(l) {
		i++ // one separator; the message may start with blanks
		if sep == ' ' {
			i = skipBlanks(l, i)
		}
	}
	p.msg = i
	p.format = Legacy
	return true
}

func isSep(l []byte, i int, sep byte) bool {
	return i < len(l) && (l[i] == sep || (sep == ' ' && l[i] == '\t'))
}

func skipSep(l []byte, i int, sep byte) int {
	if sep == '\t' {
		return i + 1
	}
	return skipBlanks(l, i)
}

// parseSlow parses damaged prefixes: whitespace collapsed or changed
// (tabs to spaces, several spaces), fractions of any length, and excerpts
// without the date and time columns.
func parseSlow(l []byte, p *prefix) bool {
	return parseDated(l, p) || parseExcerpt(l, p)
}

// parseDated parses a dated prefix with any blanks between the fields.
func parseDated(l []byte, p *prefix) bool {
	if len(l) >= 19 && isDigit(l[0]) {
		sep := l[4]
		if (sep == '/' || sep == '-' || sep == '.') && l[7] == sep && (l[10] == ' ' || l[10] == '\t') &&
			l[13] == ':' && l[16] == ':' && parseDateTime(l, p) {
			i := 19
			if i < len(l) && (l[i] == '.' || l[i] == ':') {
				dot := l[i] == '.'
				i++
				s := i
				f := 0
				for i < len(l) && isDigit(l[i]) && i-s < 9 {
					f = f*10 + int(l[i]-'0')
					i++
				}
				n := i - s
				if n == 0 || (!dot && n != 3) || i >= len(l) || (l[i] != ' ' && l[i] != '\t') {
					return false
				}
				for k := n; k < 9; k++ {
					f *= 10
				}
				p.nsec = f
				if dot {
					return parseWin10Rest(l, i, p)
				}
				return parseLegacyRest(l, i, p, ' ')
			}
			return false
		}
	}
	return false
}

// parseExcerpt parses "03E4 1668 Misc message" and "7452 3228 Misc message":
// PID and TID without date and time, as support articles quote them. Both
// are read as hex when either has a hex letter or a leading zero (the
// pre-1709 layout), else as decimal.
func parseExcerpt(l []byte, p *prefix) bool {
	a0, a1, ok := hexTok(l, 0)
	if !ok {
		return false
	}
	b0, b1, ok := hexTok(l, skipBlanks(l, a1))
	if !ok {
		return false
	}
	c0 := skipBlanks(l, b1)
	c1 := c0
	for c1 < len(l) && isWord[l[c1]] {
		c1++
	}
	if c1 == c0 || c1-c0 > 32 || !isLetter(l[c0]) || (c1 < len(l) && l[c1] != ' ' && l[c1] != '\t') {
		return false
	}
	pt, tt := l[a0:a1], l[b0:b1]
	if !hasDigit(pt) && !hasDigit(tt) {
		return false
	}
	hex := hasHexLetter(pt) || hasHexLetter(tt) || (len(pt) > 1 && pt[0] == '0') || (len(tt) > 1 && tt[0] == '0')
	p.pid, ok = parseNum(pt, hex)
	if !ok {
		return false
	}
	if p.tid, ok = parseNum(tt, hex); !ok {
		return false
	}
	p.comp = l[c0:c1]
	p.msg = skipBlanks(l, c1)
	p.format = Excerpt
	return true
}

func skipBlanks(l []byte, i int) int {
	for i < len(l) && (l[i] == ' ' || l[i] == '\t') {
		i++
	}
	return i
}

// hexTok returns the hex-digit token at l[i:], 1 to 8 digits, followed by a
// blank.
func hexTok(l []byte, i int) (int, int, bool) {
	s := i
	for i < len(l) && hexVal[l[i]] != 0xFF {
		i++
	}
	if i == s || i-s > 8 || i >= len(l) || (l[i] != ' ' && l[i] != '\t') {
		return 0, 0, false
	}
	return s, i, true
}

func hasDigit(b []byte) bool {
	for _, c := range b {
		if isDigit(c) {
			return true
		}
	}
	return false
}

func hasHexLetter(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return true
		}
	}
	return false
}

func parseNum(b []byte, hex bool) (uint32, bool) {
	var v uint64
	for _, c := range b {
		if hex {
			v = v<<4 | uint64(hexVal[c])
		} else {
			if !isDigit(c) {
				return 0, false
			}
			v = v*10 + uint64(c-'0')
		}
	}
	return uint32(v), v <= 0xFFFFFFFF
}

// dateCache turns dates into Unix days quickly: log lines share dates.
type dateCache struct {
	y, mo, d int
	unix     int64 // seconds at midnight UTC of that date
	ok       bool
}

// seconds returns the Unix time of the wall clock p as if it were UTC, and
// false if the date does not exist.
func (c *dateCache) seconds(p *prefix) (int64, bool) {
	if !c.ok || c.y != p.y || c.mo != p.mo || c.d != p.d {
		t := time.Date(p.y, time.Month(p.mo), p.d, 0, 0, 0, 0, time.UTC)
		if t.Day() != p.d {
			return 0, false
		}
		c.y, c.mo, c.d, c.unix, c.ok = p.y, p.mo, p.d, t.Unix(), true
	}
	return c.unix + int64(p.h*3600+p.mi*60+p.sec), true
}
