package logparse

import (
	"bytes"
	"sync"

	"github.com/wulog/wulog/hresult"
)

// ExtractTokens sets r.Marker, r.Codes, r.URLs, r.Method and r.CV from
// r.Message. It reuses the capacity of r.Codes and r.URLs, so that a source
// that reuses one Record allocates nothing per record. Sources other than
// the text [Scanner] (ETL, live ETW) call it after setting Message.
//
// Codes are found in these spellings (the value is the hex number):
//
//   - "0x" or "0X" followed by 1 to 8 hex digits: "hr:0x80072f8f",
//     "Exit code = 0x240001", "failed: 0xC8000710". A value with the
//     severity bit set (0x8xxxxxxx, 0xCxxxxxxx) is a code wherever it is,
//     except inside a URL or after a word naming something that is not a
//     code (…Flags, …Type, …Reason, …Handle, …Handler, …Props, …Id,
//     …Number, PT, Options, Mask, Index, Count, Size, Version, Offset,
//     Priority, Level, Status for small values). A smaller value is a code only after a
//     word that names one: hr… (hr, hrDeploy, HR), …code, …error,
//     …result, …hresult, failed, MSI;
//   - exactly 8 hex digits in brackets after a space or at the start:
//     "*FAILED* [80072F8F]";
//   - exactly 8 hex digits after "hr" or "error" (optionally "error code"),
//     with an optional "=" or ":": "hr = 80072efe", "hr:80070005",
//     "(hr=80072EFD)", "with error code 80072EFD";
//   - the result column of a legacy "REPORT EVENT:" line (the 8th
//     tab-separated field, a bare hex number, "0" for success).
//
// Code.Success is !hresult.IsFailure(value): success codes such as
// "Exit code = 0x00000000" or 0x240001 are kept but never counted as
// failures.
func (r *Record) ExtractTokens() {
	m := r.Message
	if len(m) >= 64*smallMarks {
		sc := bigScratch.Get().(*scratch)
		sc.mk.reset()
		sc.mk.update(m)
		var kinds uint8
		sc.pos, kinds = triggers(sc.pos[:0], sc.mk.tg, 0, m)
		r.extract(sc.pos, kinds)
		bigScratch.Put(sc)
		return
	}
	var nl, tg [smallMarks]uint64
	var pos [64]int32
	classifyFrom(m, 0, nl[:], tg[:])
	p, kinds := triggers(pos[:0], tg[:], 0, m)
	r.extract(p, kinds)
}

// smallMarks is the number of bitmap words ExtractTokens keeps on the
// stack: messages shorter than 64*smallMarks bytes.
const smallMarks = 64

// scratch is what ExtractTokens needs for a long message.
type scratch struct {
	mk  marks
	pos []int32
}

var bigScratch = sync.Pool{New: func() any { return new(scratch) }}

// Kinds of triggers, as bits of the set that extract is given.
const (
	kindH     = 1 << iota // "ht", "hr"
	kindHTTP              // "HT"
	kind0x                // "0x"
	kind0X                // "0X"
	kindBr                // "["
	kindParen             // "(c"
	kindRR                // "rr"
)

// kindAt returns the kind of the trigger at m[i] (0 for ':', which only
// matters to the scanner, and for a trigger whose pair is cut off by the
// end of m).
func kindAt(m []byte, i int) uint8 {
	switch m[i] {
	case 'h':
		return kindH
	case 'H':
		return kindHTTP
	case '0':
		if i+1 < len(m) {
			if m[i+1] == 'x' {
				return kind0x
			}
			return kind0X
		}
	case '[':
		return kindBr
	case '(':
		return kindParen
	case 'r':
		return kindRR
	}
	return 0
}

// triggers appends to pos the indices in m of its triggers, whose bits
// start at bit a of tg, and returns pos and the set of their kinds.
func triggers(pos []int32, tg []uint64, a int, m []byte) ([]int32, uint8) {
	var kinds uint8
	for b := nextBit(tg, a, a+len(m)); b >= 0; b = nextBit(tg, b+1, a+len(m)) {
		i := b - a
		if k := kindAt(m, i); k != 0 {
			pos = append(pos, int32(i))
			kinds |= k
		}
	}
	return pos, kinds
}

// extract is ExtractTokens for a message whose triggers are at the indices
// pos (in order) and of the kinds in the set kinds: the scanner classifies
// its whole read buffer at once, so that each message costs a visit to each
// of its few triggers rather than a search for each pattern.
func (r *Record) extract(pos []int32, kinds uint8) {
	m := r.Message
	r.Codes = r.Codes[:0]
	r.URLs = r.URLs[:0]
	r.Method = Span{}
	r.CV = Span{}
	r.Marker = NoMarker
	if len(m) == 0 {
		return
	}
	r.Marker = findMarker(m)
	// 'h' starts "http://" and "hr = ..."; 'H' starts "HTTP://".
	if kinds&kindH != 0 {
		r.urls(m, pos, 'h')
	}
	if kinds&kindHTTP != 0 {
		r.urls(m, pos, 'H')
	}
	if kinds&kind0x != 0 {
		r.codes0x(m, pos, 'x')
	}
	if kinds&kind0X != 0 {
		r.codes0x(m, pos, 'X')
	}
	if kinds&kindBr != 0 {
		for _, q := range pos {
			if m[q] == '[' {
				r.bracket(m, int(q))
			}
		}
	}
	if kinds&kindRR != 0 {
		for _, q := range pos {
			i := int(q)
			if m[i] == 'r' && i+1 < len(m) && m[i+1] == 'r' && hasPrefixAt(m, i+2, "or") {
				r.keyword(m, i, 4, true)
			}
		}
	}
	if r.Format == Legacy && len(m) > 13 && m[0] == 'R' && bytes.HasPrefix(m, reportEvent) {
		r.findReportEvent(m)
	}
	if len(r.Codes) > 1 {
		sortCodes(r.Codes)
	}
	if kinds&kindParen != 0 {
		for _, q := range pos {
			if hasPrefixAt(m, int(q), "(cV") {
				r.CV = cvSpan(m, int(q)+len(cvOpen))
				break
			}
		}
	}
}

// urls takes the URLs that start with h ('h' or 'H') at the trigger
// indices pos, each skipped whole, and for 'h' the "hr" keywords outside
// them.
func (r *Record) urls(m []byte, pos []int32, h byte) {
	n := 0 // where the next URL may start
	for _, q := range pos {
		i := int(q)
		if i < n || m[i] != h {
			continue
		}
		n = i + 1
		if e := r.findURL(m, i); e >= 0 {
			n = e
		} else if h == 'h' && i+2 <= len(m) && m[i+1] == 'r' {
			r.keyword(m, i, 2, false)
		}
	}
}

// codes0x takes the codes written "0x..." (x is 'x') or "0X..." (x is 'X');
// code0x says where the next one may start.
func (r *Record) codes0x(m []byte, pos []int32, x byte) {
	from := 0
	for _, q := range pos {
		i := int(q)
		if i < from || m[i] != '0' || i+1 >= len(m) || m[i+1] != x {
			continue
		}
		from = r.code0x(m, i+1)
	}
}

var (
	reportEvent  = []byte("REPORT EVENT:")
	methodFailed = []byte("Method failed [")
	cvOpen       = []byte("(cV")
)

// findMarker returns the status marker at the start of m (after blanks and
// a legacy bullet such as "  * " or "  # ").
func findMarker(m []byte) Marker {
	i := skipBlanks(m, 0)
	if i >= len(m) {
		return NoMarker
	}
	switch m[i] {
	case '*':
		if hasPrefixAt(m, i, "*FAILED*") {
			return MarkerFailed
		}
		if hasPrefixAt(m, i, "*RESUMED*") {
			return MarkerResumed
		}
		if mk := banner(m, i); mk != NoMarker {
			return mk
		}
	case '#':
		if mk := banner(m, i); mk != NoMarker {
			return mk
		}
	case 'F':
		if hasPrefixAt(m, i, "FATAL:") {
			return MarkerFatal
		}
	case 'W':
		if hasPrefixAt(m, i, "WARNING:") {
			return MarkerWarning
		}
	}
	// Legacy bullets: "  * WARNING: Exit code = ...", "  # WARNING: ...",
	// "  - WARNING: ...".
	if (m[i] == '*' || m[i] == '#' || m[i] == '-') && i+1 < len(m) && m[i+1] == ' ' {
		j := i + 2
		for j < len(m) && m[j] == ' ' {
			j++
		}
		if hasPrefixAt(m, j, "WARNING:") {
			return MarkerWarning
		}
		if hasPrefixAt(m, j, "FATAL:") {
			return MarkerFatal
		}
	}
	return NoMarker
}

// banner recognises "* START *", "** START **", "##  END  ##" and the like
// at m[i:].
func banner(m []byte, i int) Marker {
	c := m[i]
	j := i
	for j < len(m) && m[j] == c {
		j++
	}
	k := j
	for k < len(m) && m[k] == ' ' {
		k++
	}
	if k == j {
		return NoMarker
	}
	mk := NoMarker
	switch {
	case hasPrefixAt(m, k, "START"):
		mk, k = MarkerStart, k+5
	case hasPrefixAt(m, k, "END"):
		mk, k = MarkerEnd, k+3
	default:
		return NoMarker
	}
	j = k
	for k < len(m) && m[k] == ' ' {
		k++
	}
	if k == j || k >= len(m) || m[k] != c {
		return NoMarker
	}
	return mk
}

func hasPrefixAt(m []byte, i int, p string) bool {
	return len(m)-i >= len(p) && string(m[i:i+len(p)]) == p
}

// hexVal is 0..15 for hex digits and 0xFF otherwise.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
		t[c-'a'+'A'] = byte(c-'a') + 10
	}
	return t
}()

// isWord is true for ASCII letters, digits and '_'.
var isWord = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['_'] = true
	return t
}()

// hexRun parses the hex digits at m[i:], at most 9 of them, and returns
// the value and the number of digits.
func hexRun(m []byte, i int) (v uint32, n int) {
	for i+n < len(m) && n < 9 {
		d := hexVal[m[i+n]]
		if d == 0xFF {
			break
		}
		v = v<<4 | uint32(d)
		n++
	}
	return v, n
}

func (r *Record) addCode(v uint32, start, end int) {
	for _, c := range r.Codes {
		if int(c.At.Start) == start {
			return // found twice (for example "hr = 0x..." by two rules)
		}
	}
	r.Codes = append(r.Codes, Code{Value: v, Success: !hresult.IsFailure(v), At: Span{int32(start), int32(end)}})
}

func (r *Record) inURL(i int) bool {
	for _, u := range r.URLs {
		if i >= int(u.Start) && i < int(u.End) {
			return true
		}
	}
	return false
}

// code0x takes the code whose "x" of "0x" is at m[i]; it returns where
// scanning may go on.
func (r *Record) code0x(m []byte, i int) int {
	if i >= 2 && isWord[m[i-2]] {
		return i + 1
	}
	v, n := hexRun(m, i+1)
	if n == 0 || n > 8 || (i+1+n < len(m) && isWord[m[i+1+n]]) {
		return i + 1
	}
	if r.inURL(i) {
		return i + 1
	}
	switch wordClass(prevWord(m, i-1)) {
	case wordNotCode:
		return i + 1 + n
	case wordWeak:
		if v&0x80000000 == 0 {
			return i + 1 + n
		}
	}
	r.addCode(v, i+1, i+1+n)
	return i + 1 + n
}

// bracket takes "[80072F8F]" at m[i:] after a blank or at the start, and
// the "Class::Method:line" of "Method failed [...]".
func (r *Record) bracket(m []byte, i int) {
	if i > 0 && m[i-1] != ' ' && m[i-1] != '\t' {
		return
	}
	if i >= len(methodFailed)-1 && r.Method == (Span{}) && string(m[i-len(methodFailed)+1:i+1]) == string(methodFailed) {
		end := bytes.IndexByte(m[i+1:], ']')
		if end < 0 {
			end = len(m) - i - 1
		}
		r.Method = Span{int32(i + 1), int32(i + 1 + end)}
		return
	}
	if i+9 < len(m) && m[i+9] == ']' {
		if v, n := hexRun(m, i+1); n == 8 {
			r.addCode(v, i+1, i+9)
		}
	}
}

// keyword takes 8 bare hex digits after "hr" or "(e|E)rror" (the keyword
// without its first letter for "rror") found at m[i:i+n]: "hr = 80072efe",
// "hr:80070005", "error code 80072EFD".
func (r *Record) keyword(m []byte, i, n int, isErr bool) {
	start := i
	if isErr {
		if i == 0 || (m[i-1] != 'e' && m[i-1] != 'E') {
			return
		}
		start = i - 1
	}
	if start > 0 && isWord[m[start-1]] {
		return
	}
	j := i + n
	if isErr && hasPrefixAt(m, j, " code") {
		j += 5
	}
	sep := j
	j = skipBlanks(m, j)
	if j < len(m) && (m[j] == '=' || m[j] == ':') {
		j = skipBlanks(m, j+1)
	}
	if j == sep {
		return // "hrDeploy", "errors"
	}
	v, k := hexRun(m, j)
	if k != 8 {
		return
	}
	if e := j + 8; e < len(m) && (isWord[m[e]] || m[e] == '-') {
		return
	}
	r.addCode(v, j, j+8)
}

// findReportEvent takes the result column of a legacy REPORT EVENT line:
// "REPORT EVENT: {guid}\t2017-03-23 12:49:13:642+0900\t1\t149\t102\t{guid}\t0\t80072efd\t...".
func (r *Record) findReportEvent(m []byte) {
	i := 0
	for f := 0; f < 7; f++ {
		k := bytes.IndexByte(m[i:], '\t')
		if k < 0 {
			return
		}
		i += k + 1
	}
	v, n := hexRun(m, i)
	if n == 0 || n > 8 || (i+n < len(m) && m[i+n] != '\t') {
		return
	}
	r.addCode(v, i, i+n)
}

// prevWord returns the identifier that ends before m[end], skipping blanks
// and the separators "=", ":", "[", "(" and ",".
func prevWord(m []byte, end int) []byte {
	j := end
	for j > 0 {
		c := m[j-1]
		if c == ' ' || c == '\t' || c == '=' || c == ':' || c == '[' || c == '(' || c == ',' {
			j--
			continue
		}
		break
	}
	k := j
	for k > 0 && isWord[m[k-1]] {
		k--
	}
	return m[k:j]
}

// Classes of the word before a 0x number.
const (
	wordWeak    = iota // only values with the severity bit set are codes
	wordNotCode        // never a code (flags, types, reasons, ...)
	wordCode           // any value is a code
)

// wordClass classifies the word before a 0x number (only its last 24
// bytes count), ignoring case.
func wordClass(w []byte) int {
	if len(w) == 0 {
		return wordWeak
	}
	if n := len(w); n > 24 {
		w = w[n-24:]
	}
	if len(w) >= 2 && w[0]|0x20 == 'h' && w[1]|0x20 == 'r' {
		return wordCode
	}
	// The words are bucketed by their last letter: a word is checked
	// against the not-code words first.
	last := w[len(w)-1] | 0x20
	for _, suf := range notCodeByLast[last] {
		if hasSuffixFold(w, suf) {
			return wordNotCode
		}
	}
	for _, suf := range codeByLast[last] {
		if hasSuffixFold(w, suf) {
			return wordCode
		}
	}
	return wordWeak
}

// hasSuffixFold reports whether w ends with the lower-case word suf, in
// any case. Bytes of w are lowered by setting 0x20, which maps no byte
// other than an upper-case letter onto a lower-case one.
func hasSuffixFold(w []byte, suf string) bool {
	if len(w) < len(suf) {
		return false
	}
	w = w[len(w)-len(suf):]
	for i := 0; i < len(suf); i++ {
		if w[i]|0x20 != suf[i] {
			return false
		}
	}
	return true
}

// byLast buckets words by their last byte.
func byLast(words []string) (t [256][]string) {
	for _, w := range words {
		t[w[len(w)-1]] = append(t[w[len(w)-1]], w)
	}
	return t
}

var (
	notCodeByLast = byLast(notCodeWords)
	codeByLast    = byLast(codeWords)
)

var (
	notCodeWords = []string{"flags", "flag", "type", "reason", "handle", "handler", "props", "id",
		"number", "options", "mask", "index", "count", "size", "version", "offset", "priority",
		"level", "pt"}
	codeWords = []string{"hr", "code", "error", "result", "hresult", "failed", "msi"}
)

func sortCodes(c []Code) {
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && c[j].At.Start < c[j-1].At.Start; j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
}

// findURL takes the URL that starts at m[i] with "http://", "https://",
// "HTTP://" or "HTTPS://"; it returns the end of the URL, or -1.
func (r *Record) findURL(m []byte, i int) int {
	if i > 0 && isWord[m[i-1]] {
		return -1
	}
	j := i + 4
	if j > len(m) || (string(m[i:j]) != "http" && string(m[i:j]) != "HTTP") {
		return -1
	}
	if j < len(m) && (m[j] == 's' || m[j] == 'S') {
		j++
	}
	if !hasPrefixAt(m, j, "://") {
		return -1
	}
	s := i
	i = j
	e := i + 3
	for e < len(m) && !urlStop[m[e]] {
		e++
	}
	// Trailing punctuation belongs to the sentence.
	for e > i+3 {
		c := m[e-1]
		if c == '.' || c == ',' || c == ';' || c == ':' || c == '\'' {
			e--
			continue
		}
		if (c == ')' && bytes.Count(m[s:e], []byte("(")) < bytes.Count(m[s:e], []byte(")"))) ||
			(c == ']' && bytes.Count(m[s:e], []byte("[")) < bytes.Count(m[s:e], []byte("]"))) {
			e--
			continue
		}
		break
	}
	if e == i+3 {
		return -1
	}
	r.URLs = append(r.URLs, Span{int32(s), int32(e)})
	return e
}

func isLetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

var urlStop = func() (t [256]bool) {
	for c := 0; c <= ' '; c++ {
		t[c] = true
	}
	for _, c := range []byte("\"<>|`\\") {
		t[c] = true
	}
	t[0x7F] = true
	return t
}()

// cvSpan returns the value of "(cV = value)" or "(cV: value)" whose text
// after "(cV" starts at m[i:]; "(null)" gives an empty span.
func cvSpan(m []byte, i int) Span {
	for i < len(m) && (m[i] == ' ' || m[i] == '=' || m[i] == ':') {
		i++
	}
	e := i
	for e < len(m) && m[e] != ')' && m[e] != ' ' && m[e] != '(' {
		e++
	}
	if e == i {
		return Span{}
	}
	return Span{int32(i), int32(e)}
}
