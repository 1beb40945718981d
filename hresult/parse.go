package hresult

import (
	"errors"
	"fmt"
	"strings"
)

// Form says how [Parse] read the number.
type Form uint8

// The spellings Parse understands.
const (
	FormHex      Form = iota + 1 // 0x80072F8F, 0X8007000D, 0x643
	FormBareHex                  // 80072F8F, [8024402C], c1900101: hex without 0x
	FormSigned                   // -2147012721: negative decimal (two's complement)
	FormUnsigned                 // 2147954575, 2359302: decimal above 65535
	FormWin32                    // 12175, 5, 3010: decimal up to 65535, read as a Win32 code
	FormName                     // CRYPT_E_REVOCATION_OFFLINE
)

var formNames = [...]string{
	FormHex:      "hex",
	FormBareHex:  "bare hex",
	FormSigned:   "signed decimal",
	FormUnsigned: "unsigned decimal",
	FormWin32:    "decimal Win32 code",
	FormName:     "symbolic name",
}

// String names the form ("hex", "signed decimal", …).
func (f Form) String() string {
	if int(f) < len(formNames) && formNames[f] != "" {
		return formNames[f]
	}
	return "unknown"
}

// MarshalText encodes the form as its String.
func (f Form) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// Parsed is a code read by [Parse], with how it was written. It embeds the
// [Code], so p.Name(), p.Names(), p.IsFailure() and the layout methods work
// on it directly (including MarshalText: encoded as text or JSON, a Parsed
// is its code, "0x80072F8F").
type Parsed struct {
	Code
	// Input is the text that was parsed, without surrounding space.
	Input string
	// Form is the spelling of the number (or FormName).
	Form Form
	// Ambiguous is set when the input can be read in more than one way:
	// a bare decimal number from 10 to 65535 is read as a Win32 code but
	// could be meant as hex; see [Parsed.HexReading].
	Ambiguous bool
	// Extend is the Windows Setup extend code of a "result - extend" pair;
	// HasExtend says whether there was one.
	Extend    Extend
	HasExtend bool
	// GLE is the value of a "[gle=0x…]" suffix (the thread's last error,
	// which may itself be an HRESULT_FROM_NT value); HasGLE says whether
	// there was one.
	GLE    uint32
	HasGLE bool
}

// HexReading returns the code the digits of an ambiguous decimal input would
// be if they were hex ("12175" as 0x12175), and true; or false when the
// input was not ambiguous.
func (p Parsed) HexReading() (Code, bool) {
	if !p.Ambiguous {
		return Code{}, false
	}
	digits := p.digits()
	v, ok := hexDigits(digits)
	return Code{v}, ok
}

// digits returns the decimal digits of an ambiguous input.
func (p Parsed) digits() string {
	s := p.Input
	i := strings.IndexFunc(s, func(r rune) bool { return '0' <= r && r <= '9' })
	if i < 0 {
		return ""
	}
	j := i
	for j < len(s) && '0' <= s[j] && s[j] <= '9' {
		j++
	}
	return s[i:j]
}

// ErrSyntax is wrapped by every error Parse returns.
var ErrSyntax = errors.New("not an error code")

// ParseError describes input that is not a code.
type ParseError struct {
	Input  string // the input as given
	Reason string
}

// Error describes why the input is not an error code.
func (e *ParseError) Error() string {
	return fmt.Sprintf("%q is not an error code: %s", e.Input, e.Reason)
}

// Unwrap returns ErrSyntax.
func (e *ParseError) Unwrap() error { return ErrSyntax }

// Parse reads one code in any of the spellings found in Windows Update,
// CBS, Setup and tool output:
//
//	0x80072F8F  0X8007000D  0x643            hex, any case, leading zeros optional
//	80072F8F  [8024402C]  c1900101          hex without 0x (8 digits, or any with a letter)
//	hr = 80072ee2  hr:0x80070005  Result = 0x…  gle=0xd0000034   with a label
//	-2147012721                              signed decimal
//	2147954575  2359302                      unsigned decimal (above 65535)
//	12175  5  3010                           Win32 code (decimal up to 65535: ambiguous)
//	CRYPT_E_REVOCATION_OFFLINE               symbolic name (case ignored if needed)
//	0xC1900101 - 0x4001E  0xC1900101-0x4001E Setup result and extend code
//	0xC1800104[gle=0x00000002]               with a last-error suffix
//	0x800f0805 - CBS_E_INVALID_PACKAGE        with a label (CBS.log)
//	0x80092013 (-2146885613 CRYPT_E_REVOCATION_OFFLINE) -- 2148081683 (-2146885613)
//	                                         certutil -error: the other spellings must agree
//
// The whole input may be wrapped in [ ] or ( ). Anything else is an error
// that names the input and what is wrong with it.
func Parse(s string) (Parsed, error) {
	in := strings.TrimSpace(s)
	p := Parsed{Input: in}
	if in == "" {
		return p, &ParseError{s, "empty"}
	}
	rest := unwrap(in)
	if len(rest) > 3 && rest[0] == '(' && rest[2] == ')' {
		// CSI marks failing lines "(F) 80220008 […]".
		rest = strings.TrimSpace(rest[3:])
	}
	rest = strings.TrimRight(rest, ".,;")
	rest = stripLabel(rest)
	if rest == "" {
		return p, &ParseError{s, "no number or name"}
	}

	// The code itself.
	tok, after := token(rest)
	if err := p.primary(s, tok); err != nil {
		return p, err
	}
	// What may follow it.
	for after = strings.TrimSpace(after); after != ""; after = strings.TrimSpace(after) {
		var err error
		after, err = p.suffix(s, after)
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

// MustParse is like Parse but panics on error; for tests and tables.
func MustParse(s string) Parsed {
	p, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return p
}

// unwrap removes balanced outer [ ] and ( ).
func unwrap(s string) string {
	for len(s) >= 2 {
		o, c := s[0], s[len(s)-1]
		if !(o == '[' && c == ']' || o == '(' && c == ')') {
			break
		}
		// Only when the opening bracket closes at the very end.
		if matching(s) != len(s)-1 {
			break
		}
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// matching returns the index of the bracket closing s[0], or -1.
func matching(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[', '(':
			depth++
		case ']', ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// labels that may precede a code, as in "hr = 0x80070057" or
// "Result = 0xC1800104".
var labels = [...]string{"hresult", "hr", "result", "gle", "error", "status", "code", "exit code", "lasterror"}

// stripLabel removes a leading "label =", "label:" or "label " before a code.
func stripLabel(s string) string {
	for _, l := range labels {
		if len(s) <= len(l) || !strings.EqualFold(s[:len(l)], l) {
			continue
		}
		r := s[len(l):]
		t := strings.TrimLeft(r, " \t")
		switch {
		case t != "" && (t[0] == '=' || t[0] == ':'):
			return strings.TrimLeft(t[1:], " \t")
		case len(t) < len(r) && t != "" && (isDigit(t[0]) || t[0] == '-'):
			// "Error 0x80072f8f": a space and a number.
			return t
		}
	}
	return s
}

// token splits s after its first token: a run of letters, digits and
// underscores, with a leading '-' for negative numbers.
func token(s string) (string, string) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	for i < len(s) && isWord(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

func isWord(c byte) bool {
	return c == '_' || isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// primary parses the code token into p.
func (p *Parsed) primary(in, tok string) error {
	if tok == "" || tok == "-" {
		return &ParseError{in, "no number or name"}
	}
	v, form, reason := number(tok)
	switch {
	case reason == "" && form != 0:
		p.Value, p.Form = v, form
		// A decimal up to 65535 could be meant as hex, unless both readings
		// give the same value (0 to 9).
		p.Ambiguous = form == FormWin32 && v >= 10
		return nil
	case reason != "":
		return &ParseError{in, reason}
	}
	// A symbolic name.
	if !isSymbol(tok) {
		return &ParseError{in, "neither a number nor a symbolic name"}
	}
	c, _, ok := Lookup(tok)
	if !ok {
		return &ParseError{in, "unknown name " + tok}
	}
	p.Code, p.Form = c, FormName
	return nil
}

// number parses a numeric token. It returns form 0 and no reason when the
// token is not a number at all (a name).
func number(tok string) (v uint32, form Form, reason string) {
	switch {
	case tok == "":
		return 0, 0, "missing number"
	case len(tok) >= 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X'):
		v, ok := hexDigits(tok[2:])
		if !ok {
			return 0, 0, hexReason(tok[2:])
		}
		return v, FormHex, ""
	case tok[0] == '-':
		d := tok[1:]
		if !allDigits(d) {
			return 0, 0, "a minus sign must be followed by decimal digits"
		}
		n, ok := decimal(d)
		if !ok || n > 1<<31 {
			return 0, 0, "negative number below -2147483648 (not 32 bits)"
		}
		return uint32(-int64(n)), FormSigned, ""
	case allDigits(tok):
		if len(tok) == 8 {
			v, _ := hexDigits(tok)
			return v, FormBareHex, ""
		}
		n, ok := decimal(tok)
		if !ok || n > 0xFFFFFFFF {
			return 0, 0, "decimal number above 4294967295 (not 32 bits)"
		}
		if n <= 0xFFFF {
			return uint32(n), FormWin32, ""
		}
		return uint32(n), FormUnsigned, ""
	case allHex(tok):
		v, ok := hexDigits(tok)
		if !ok {
			return 0, 0, hexReason(tok)
		}
		return v, FormBareHex, ""
	}
	return 0, 0, ""
}

func hexReason(d string) string {
	if d == "" {
		return "0x without hex digits"
	}
	if !allHex(d) {
		return "bad hex digit in 0x" + d
	}
	return "more than 8 significant hex digits (not 32 bits)"
}

// hexDigits parses hex digits; leading zeros do not count against the 8
// digits of a 32-bit value.
func hexDigits(d string) (uint32, bool) {
	if d == "" || !allHex(d) {
		return 0, false
	}
	d = strings.TrimLeft(d, "0")
	if len(d) > 8 {
		return 0, false
	}
	var v uint32
	for i := 0; i < len(d); i++ {
		v = v<<4 | uint32(hexVal(d[i]))
	}
	return v, true
}

func decimal(d string) (uint64, bool) {
	d = strings.TrimLeft(d, "0")
	if len(d) > 10 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(d); i++ {
		n = n*10 + uint64(d[i]-'0')
	}
	return n, true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func allHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if hexVal(s[i]) < 0 {
			return false
		}
	}
	return true
}

// suffix parses one thing that may follow the code and returns the rest.
func (p *Parsed) suffix(in, s string) (string, error) {
	switch {
	case hasFoldPrefix(s, "[gle="):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", &ParseError{in, "unclosed [gle="}
		}
		v, form, reason := number(strings.TrimSpace(s[len("[gle="):end]))
		if reason != "" || form == 0 || form == FormName {
			return "", &ParseError{in, "bad number in [gle=…]"}
		}
		p.GLE, p.HasGLE = v, true
		return s[end+1:], nil

	case s[0] == '[' || s[0] == '(':
		// An annotation: "[Error,Facility=…,Code=8]" (CBS/CSI) is taken as
		// is; "(-2146885613 CRYPT_E_REVOCATION_OFFLINE)" (certutil) must
		// agree with the code.
		end := matching(s)
		if end < 0 {
			return "", &ParseError{in, "unbalanced " + s[:1]}
		}
		if s[0] == '(' {
			if err := p.agree(in, s[1:end]); err != nil {
				return "", err
			}
		}
		return s[end+1:], nil

	case strings.HasPrefix(s, "--"):
		// certutil: "-- 2148081683 (-2146885613)".
		return "", p.agree(in, s[2:])

	case s[0] == '#':
		// CSI: "STATUS_OBJECT_NAME_NOT_FOUND #70#".
		end := strings.IndexByte(s[1:], '#')
		if end < 0 || !allDigits(s[1:1+end]) {
			return "", &ParseError{in, "bad #n# suffix"}
		}
		return s[end+2:], nil

	case s[0] == '-' || strings.HasPrefix(s, "–"):
		// "0xC1900101 - 0x4001E" (Setup) or "0x800f0805 - CBS_E_…" (CBS).
		if s[0] == '-' {
			s = s[1:]
		} else {
			s = s[len("–"):]
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return "", &ParseError{in, "nothing after -"}
		}
		tok, rest := token(s)
		if tok != "" && isDigit(tok[0]) {
			// Setup prints extend codes in hex, with or without 0x.
			if p.HasExtend {
				return "", &ParseError{in, "more than one extend code"}
			}
			d := tok
			if len(d) > 2 && d[0] == '0' && (d[1] == 'x' || d[1] == 'X') {
				d = d[2:]
			}
			v, ok := hexDigits(d)
			if !ok {
				return "", &ParseError{in, "bad extend code " + tok}
			}
			if v > 0xFFFFF {
				return "", &ParseError{in, "a Setup extend code has at most 5 hex digits, got " + tok}
			}
			p.Extend, p.HasExtend = Extend(v), true
			return rest, nil
		}
		// A label such as "CBS_E_INVALID_PACKAGE" or "Unknown Error".
		return "", nil
	}
	return "", &ParseError{in, fmt.Sprintf("unexpected %q after the code", s)}
}

// agree checks that the numbers and names in s all denote p's value, as the
// spellings in certutil output do: "(WIN32: 1722 RPC_S_SERVER_UNAVAILABLE)",
// "(NT: 0xc00000fd STATUS_STACK_OVERFLOW)", "-- 2147944122 (-2147023174)".
func (p *Parsed) agree(in, s string) error {
	w32, isW32 := p.Win32()
	nt, isNT := p.NTSTATUS()
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '(' || r == ')' || r == ',' }) {
		if strings.HasSuffix(f, ":") && isLabelWord(f[:len(f)-1]) {
			continue // "WIN32:", "NT:", "WIN32/HTTP:"
		}
		v, form, reason := number(f)
		switch {
		case reason != "":
			return &ParseError{in, "bad number " + f}
		case form != 0:
			if v != p.Value && !(isW32 && v == w32) && !(isNT && v == nt) {
				return &ParseError{in, fmt.Sprintf("%s is 0x%08X, not %s", f, v, p.Code)}
			}
		case isSymbol(f):
			c, _, ok := Lookup(f)
			if ok && !p.hasName(f) && c.Value != p.Value {
				return &ParseError{in, fmt.Sprintf("%s is %s, not %s", f, c, p.Code)}
			}
		default:
			return &ParseError{in, "unexpected " + f}
		}
	}
	return nil
}

func isLabelWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(isWord(s[i]) || s[i] == '/') {
			return false
		}
	}
	return true
}

func (p *Parsed) hasName(name string) bool {
	for _, n := range p.Names() {
		if strings.EqualFold(n.Name, name) {
			return true
		}
	}
	return false
}

func hasFoldPrefix(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
