package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Default input locations (Debian packages) and the pinned x/sys version.
const (
	DefaultMingw  = "/usr/share/mingw-w64/include"
	DefaultWinapi = "/usr/share/cargo/registry/winapi-0.3.9/src"
	XSysModule    = "golang.org/x/sys@v0.50.0"
)

// Config names the inputs.
type Config struct {
	Mingw     string // directory holding winerror.h etc.
	Winapi    string // winapi crate src directory
	XSys      string // zerrors_windows.go
	Overrides string // overrides.tsv
}

// FindXSys returns the path of zerrors_windows.go of the pinned x/sys
// version in the module cache, downloading the module with the go command
// if it is not there yet.
func FindXSys() (string, error) {
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), filepath.FromSlash(XSysModule), "windows", "zerrors_windows.go")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	out, err = exec.Command("go", "mod", "download", "-json", XSysModule).Output()
	if err != nil {
		return "", fmt.Errorf("cannot find %s in the module cache (go mod download %s: %v)", XSysModule, XSysModule, err)
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		return "", fmt.Errorf("go mod download %s: no directory in %q", XSysModule, out)
	}
	return filepath.Join(m.Dir, "windows", "zerrors_windows.go"), nil
}

// Kinds, as the hresult package spells them.
const (
	kWin32    = "KindWin32"
	kHRESULT  = "KindHRESULT"
	kNTSTATUS = "KindNTSTATUS"
)

// Source labels, as the hresult package names them (the header that
// defines the name).
const (
	sWinerror = "srcWinerror"
	sNtstatus = "srcNtstatus"
	sWuerror  = "srcWuerror"
	sBitsmsg  = "srcBitsmsg"
	sWininet  = "srcWininet"
	sWinhttp  = "srcWinhttp"
	sLmerr    = "srcLmerr"
	sRaserror = "srcRaserror"
	sMprerror = "srcMprerror"
)

// def is one numeric definition found in an input.
type def struct {
	name  string
	value uint32
	kind  string // kWin32, kHRESULT, kNTSTATUS
	src   string // header label
	input string // "mingw-w64 winerror.h:123", "x/sys …", "winapi …"
	order int    // position in the inputs, for a stable order
	// suspect is set for x/sys HRESULTs defined as a Win32 constant (the
	// E_NOT_SET family): they need an override.
	suspect bool
}

// facility is one FACILITY_* definition.
type facility struct {
	name string
	num  uint32
	nt   bool
}

// Report lists what the generator found, for -v and for tests.
type Report struct {
	Names                    int
	Win32, HRESULT, NTSTATUS int // distinct values
	WU                       int // WU_E_* and WU_S_* names
	Facilities               int
	Overridden               []string // "NAME: sources say …; using …"
	PerInput                 map[string]int
}

// Lines renders the report.
func (r Report) Lines() []string {
	l := []string{fmt.Sprintf("%d names; distinct values: %d Win32, %d HRESULT, %d NTSTATUS; %d WU_ names; %d facility names",
		r.Names, r.Win32, r.HRESULT, r.NTSTATUS, r.WU, r.Facilities)}
	var ins []string
	for k := range r.PerInput {
		ins = append(ins, k)
	}
	sort.Strings(ins)
	for _, k := range ins {
		l = append(l, fmt.Sprintf("  %-34s %5d definitions", k, r.PerInput[k]))
	}
	for _, o := range r.Overridden {
		l = append(l, "  override "+o)
	}
	return l
}

// Generate reads the inputs and returns the formatted Go source.
func Generate(cfg Config) ([]byte, Report, error) {
	rep := Report{PerInput: map[string]int{}}
	var defs []def
	var facs []facility
	order := 0
	add := func(in string, ds []def, fs []facility) {
		for i := range ds {
			ds[i].order = order
			order++
		}
		rep.PerInput[in] = len(ds)
		defs = append(defs, ds...)
		facs = append(facs, fs...)
	}

	// 1. mingw-w64 headers, in this order.
	for _, h := range []struct {
		file string
		src  string
		keep func(name string) bool
		kind func(name string, v uint32, hr bool) string
	}{
		{"winerror.h", sWinerror, keepAll, kindByValue},
		{"wuerror.h", sWuerror, prefix("WU_"), always(kHRESULT)},
		{"ntstatus.h", sNtstatus, keepAll, always(kNTSTATUS)},
		{"bitsmsg.h", sBitsmsg, prefix("BG_"), always(kHRESULT)},
		{"wininet.h", sWininet, prefix("ERROR_INTERNET_", "ERROR_HTTP_", "ERROR_FTP_", "ERROR_GOPHER_"), always(kWin32)},
		{"lmerr.h", sLmerr, prefix("NERR_"), always(kWin32)},
		{"raserror.h", sRaserror, prefix("ERROR_", "WARNING_"), always(kWin32)},
		{"mprerror.h", sMprerror, prefix("ERROR_", "WARNING_"), always(kWin32)},
	} {
		path := filepath.Join(cfg.Mingw, h.file)
		ds, fs, err := readHeader(path, h.file, h.src, h.keep, h.kind, h.file == "ntstatus.h")
		if err != nil {
			return nil, rep, err
		}
		add("mingw-w64 "+h.file, ds, fs)
	}

	// 2. x/sys.
	ds, fs, err := readXSys(cfg.XSys)
	if err != nil {
		return nil, rep, err
	}
	add("x/sys zerrors_windows.go", ds, fs)

	// 3. winapi.
	for _, r := range []struct {
		file string
		src  string
		keep func(string) bool
		nt   bool
	}{
		{"shared/winerror.rs", sWinerror, keepAll, false},
		{"shared/ntstatus.rs", sNtstatus, keepAll, true},
		{"um/winhttp.rs", sWinhttp, prefix("ERROR_WINHTTP_"), false},
		{"um/wininet.rs", sWininet, prefix("ERROR_INTERNET_", "ERROR_HTTP_", "ERROR_FTP_", "ERROR_GOPHER_"), false},
		{"um/bitsmsg.rs", sBitsmsg, prefix("BG_"), false},
	} {
		ds, fs, err := readRust(filepath.Join(cfg.Winapi, filepath.FromSlash(r.file)), r.file, r.src, r.keep, r.nt)
		if err != nil {
			return nil, rep, err
		}
		add("winapi "+r.file, ds, fs)
	}

	ov, err := readOverrides(cfg.Overrides)
	if err != nil {
		return nil, rep, err
	}
	merged, err := merge(defs, ov, &rep)
	if err != nil {
		return nil, rep, err
	}
	facs = mergeFacilities(facs)
	rep.Facilities = len(facs)
	count(merged, &rep)
	src, err := render(merged, facs, rep)
	return src, rep, err
}

func keepAll(string) bool { return true }

func prefix(ps ...string) func(string) bool {
	return func(n string) bool {
		for _, p := range ps {
			if strings.HasPrefix(n, p) {
				return true
			}
		}
		return false
	}
}

func always(k string) func(string, uint32, bool) string {
	return func(string, uint32, bool) string { return k }
}

// kindByValue classifies a winerror.h define: HRESULT-typed or 0x10000 and
// above is an HRESULT, anything else a Win32 code.
func kindByValue(_ string, v uint32, hr bool) string {
	if hr || v >= 0x10000 {
		return kHRESULT
	}
	return kWin32
}

// skip reports whether a name is not an error code: facility and severity
// numbers, masks, range markers (X_E_FIRST/X_E_LAST), bases of numbering
// ranges and include guards.
var skipRE = regexp.MustCompile(`^(_.*|FACILITY_.*|SEVERITY_.*|STATUS_SEVERITY_.*|ERROR_SEVERITY_.*|[A-Z0-9]+_[ES]_(FIRST|LAST)|DNS_ERROR_.*_BASE|DNS_ERROR_MASK|DNS_ERROR_RCODE_LAST|.*_ERROR_MASK|APPLICATION_ERROR_MASK|NERR_BASE|MAX_NERR|WSABASEERR|INTERNET_ERROR_BASE|INTERNET_ERROR_LAST|WINHTTP_ERROR_BASE|WINHTTP_ERROR_LAST|NETERR_INCLUDED)$`)

func skip(name string) bool { return skipRE.MatchString(name) }

var defineRE = regexp.MustCompile(`^\s*#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)\s+(.+?)\s*$`)

// readHeader reads the object-like #defines of a C header whose values
// evaluate to a number.
func readHeader(path, file, src string, keep func(string) bool, kind func(string, uint32, bool) string, nt bool) ([]def, []facility, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%v (install mingw-w64-common)", err)
	}
	env := map[string]uint32{}
	var defs []def
	var facs []facility
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		m := defineRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		name, expr := m[1], stripComment(m[2])
		if expr == "" {
			continue
		}
		v, hr, ok := evalC(expr, env)
		if !ok {
			continue
		}
		if !wanted(env, &facs, name, v, nt, keep) {
			continue
		}
		defs = append(defs, def{name: name, value: v, kind: kind(name, v, hr), src: src, input: fmt.Sprintf("mingw-w64 %s:%d", file, line)})
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s:%d: %w", path, line+1, err)
	}
	return defs, facs, nil
}

// wanted records name = v for later expressions, collects FACILITY_*
// names into facs, and reports whether name is an error code to keep.
func wanted(env map[string]uint32, facs *[]facility, name string, v uint32, nt bool, keep func(string) bool) bool {
	env[name] = v
	if strings.HasPrefix(name, "FACILITY_") && name != "FACILITY_NT_BIT" {
		*facs = append(*facs, facility{name, v, nt})
		return false
	}
	return !skip(name) && keep(name)
}

func stripComment(s string) string {
	if i := strings.Index(s, "/*"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "//"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// evalC evaluates the value of a C #define: numbers with L/U suffixes,
// names defined before, + - | << and parentheses, casts such as (HRESULT),
// and the wrappers _HRESULT_TYPEDEF_, __MSABI_LONG, _NDIS_ERROR_TYPEDEF_
// and HRESULT_FROM_WIN32. hr reports whether the value was typed HRESULT.
func evalC(expr string, env map[string]uint32) (v uint32, hr bool, ok bool) {
	toks, ok := lex(expr)
	if !ok {
		return 0, false, false
	}
	e := &evaluator{toks: toks, env: env}
	v, ok = e.expr()
	if !ok || e.pos != len(e.toks) {
		return 0, false, false
	}
	return v, e.hr, true
}

var lexRE = regexp.MustCompile(`^\s*(0[xX][0-9A-Fa-f]+[uUlL]*|[0-9]+[uUlL]*|[A-Za-z_][A-Za-z0-9_]*|<<|[()+|\-,~])`)

func lex(s string) ([]string, bool) {
	var toks []string
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return toks, true
		}
		m := lexRE.FindStringSubmatch(s)
		if m == nil {
			return nil, false
		}
		toks = append(toks, m[1])
		s = s[len(m[0]):]
	}
}

type evaluator struct {
	toks []string
	pos  int
	env  map[string]uint32
	hr   bool
	// rust enables "as TYPE" casts.
	rust bool
}

func (e *evaluator) peek() string {
	if e.pos < len(e.toks) {
		return e.toks[e.pos]
	}
	return ""
}

func (e *evaluator) next() string {
	t := e.peek()
	e.pos++
	return t
}

func (e *evaluator) expr() (uint32, bool) {
	v, ok := e.unary()
	if !ok {
		return 0, false
	}
	for {
		switch e.peek() {
		case "+", "-", "|", "<<":
			op := e.next()
			w, ok := e.unary()
			if !ok {
				return 0, false
			}
			switch op {
			case "+":
				v += w
			case "-":
				v -= w
			case "|":
				v |= w
			case "<<":
				v <<= w
			}
		default:
			return v, true
		}
	}
}

// typeNames are the casts found in the inputs.
var typeNames = map[string]bool{"HRESULT": true, "NTSTATUS": true, "DWORD": true, "LONG": true, "SCODE": true, "ULONG": true, "i32": true, "u32": true, "NDIS_STATUS": true}

func (e *evaluator) unary() (uint32, bool) {
	v, ok := e.primary()
	if !ok {
		return 0, false
	}
	// Rust: "x as i32".
	for e.rust && e.peek() == "as" {
		e.next()
		if !typeNames[e.next()] {
			return 0, false
		}
	}
	return v, true
}

func (e *evaluator) primary() (uint32, bool) {
	t := e.next()
	switch {
	case t == "":
		return 0, false
	case t == "-":
		v, ok := e.unary()
		return -v, ok
	case t == "~":
		v, ok := e.unary()
		return ^v, ok
	case t == "(":
		// A cast "(HRESULT) x" or a parenthesised expression.
		if typeNames[e.peek()] && e.pos+1 < len(e.toks) && e.toks[e.pos+1] == ")" {
			if e.peek() == "HRESULT" || e.peek() == "SCODE" {
				e.hr = true
			}
			e.pos += 2
			return e.unary()
		}
		v, ok := e.expr()
		if !ok || e.next() != ")" {
			return 0, false
		}
		return v, true
	case t[0] >= '0' && t[0] <= '9':
		n, err := strconv.ParseUint(strings.TrimRight(t, "uUlL"), 0, 64)
		if err != nil || n > 0xFFFFFFFF {
			return 0, false
		}
		return uint32(n), true
	}
	// A name, possibly a function-like wrapper.
	if e.peek() == "(" {
		switch t {
		case "_HRESULT_TYPEDEF_", "__MSABI_LONG", "_NDIS_ERROR_TYPEDEF_", "HRESULT_FROM_WIN32":
		default:
			return 0, false
		}
		e.next()
		v, ok := e.expr()
		if !ok || e.next() != ")" {
			return 0, false
		}
		switch t {
		case "_HRESULT_TYPEDEF_":
			e.hr = true
		case "HRESULT_FROM_WIN32":
			e.hr = true
			if int32(v) > 0 {
				v = v&0xFFFF | 0x80070000
			}
		}
		return v, true
	}
	v, ok := e.env[t]
	return v, ok
}

// readXSys reads the constants of zerrors_windows.go. The type says the
// kind: syscall.Errno is Win32, Handle is HRESULT, NTStatus is NTSTATUS;
// the untyped FACILITY_* constants are HRESULT facilities.
func readXSys(path string) ([]def, []facility, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, nil, fmt.Errorf("%v (go mod download %s)", err, XSysModule)
	}
	vals := map[string]uint32{}
	types := map[string]string{}
	var defs []def
	var facs []facility
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if len(vs.Names) != 1 || len(vs.Values) != 1 {
				continue
			}
			name := vs.Names[0].Name
			var v uint32
			typ := ""
			switch t := vs.Type.(type) {
			case *ast.Ident:
				typ = t.Name
			case *ast.SelectorExpr:
				typ = t.Sel.Name
			}
			ref := false
			switch x := vs.Values[0].(type) {
			case *ast.BasicLit:
				n, err := strconv.ParseUint(x.Value, 0, 64)
				if err != nil || n > 0xFFFFFFFF {
					continue
				}
				v = uint32(n)
			case *ast.Ident:
				w, ok := vals[x.Name]
				if !ok {
					continue
				}
				v = w
				ref = true
				if typ == "" {
					typ = types[x.Name] // an untyped constant takes the type of its value
				}
			default:
				continue
			}
			vals[name] = v
			types[name] = typ
			var kind string
			switch typ {
			case "Errno":
				kind = kWin32
				if v >= 0x10000 {
					kind = kHRESULT
				}
			case "Handle":
				kind = kHRESULT
			case "NTStatus":
				kind = kNTSTATUS
			case "":
				if strings.HasPrefix(name, "FACILITY_") && name != "FACILITY_NT_BIT" {
					facs = append(facs, facility{name, v, false})
				}
				continue
			default:
				continue
			}
			if skip(name) {
				continue
			}
			src := sWinerror
			if kind == kNTSTATUS {
				src = sNtstatus
			}
			defs = append(defs, def{name: name, value: v, kind: kind, src: src,
				input: fmt.Sprintf("x/sys zerrors_windows.go:%d", fset.Position(vs.Pos()).Line),
				// E_NOT_SET = ERROR_NOT_FOUND and its siblings: the SDK
				// defines them as HRESULT_FROM_WIN32(…), x/sys as the bare
				// Win32 code.
				suspect: ref && kind == kWin32 && strings.HasPrefix(name, "E_")})
		}
	}
	return defs, facs, nil
}

var rustConstRE = regexp.MustCompile(`(?s)pub const ([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([A-Za-z_][A-Za-z0-9_:]*)\s*=\s*([^;]+);`)

// readRust reads "pub const NAME: TYPE = EXPR;" items of a winapi source.
// DWORD values below 0x10000 are Win32 codes, NTSTATUS values (or any value
// of ntstatus.rs) NTSTATUS, everything else HRESULT.
func readRust(path, file, src string, keep func(string) bool, nt bool) ([]def, []facility, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%v (install librust-winapi-dev)", err)
	}
	text := string(data)
	env := map[string]uint32{}
	var defs []def
	var facs []facility
	for _, m := range rustConstRE.FindAllStringSubmatchIndex(text, -1) {
		name, typ, expr := text[m[2]:m[3]], text[m[4]:m[5]], text[m[6]:m[7]]
		line := 1 + strings.Count(text[:m[0]], "\n")
		toks, ok := lex(strings.ReplaceAll(expr, "\n", " "))
		if !ok {
			// "as" is lexed as a name; anything else unknown is skipped.
			continue
		}
		e := &evaluator{toks: toks, env: env, rust: true}
		v, ok := e.expr()
		if !ok || e.pos != len(e.toks) {
			continue
		}
		if !wanted(env, &facs, name, v, nt, keep) {
			continue
		}
		var kind string
		switch {
		case nt || typ == "NTSTATUS":
			kind = kNTSTATUS
		case typ == "DWORD" && v < 0x10000 && src != sBitsmsg:
			kind = kWin32
		case typ == "DWORD" || typ == "HRESULT":
			kind = kHRESULT
		default:
			continue
		}
		defs = append(defs, def{name: name, value: v, kind: kind, src: src, input: fmt.Sprintf("winapi %s:%d", file, line)})
	}
	return defs, facs, nil
}

// override is one row of overrides.tsv.
type override struct {
	name   string
	value  uint32
	kind   string
	reason string
	line   int
	used   bool
}

// readOverrides reads NAME<TAB>0xVALUE<TAB>KIND<TAB>reason rows.
func readOverrides(path string) (map[string]*override, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	ov := map[string]*override{}
	for i, l := range strings.Split(string(data), "\n") {
		l = strings.TrimRight(l, "\r")
		if l == "" || l[0] == '#' {
			continue
		}
		f := strings.Split(l, "\t")
		if len(f) != 4 {
			return nil, fmt.Errorf("%s:%d: want NAME, VALUE, KIND, reason separated by tabs", path, i+1)
		}
		n, err := strconv.ParseUint(f[1], 0, 32)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: bad value %q", path, i+1, f[1])
		}
		k := map[string]string{"Win32": kWin32, "HRESULT": kHRESULT, "NTSTATUS": kNTSTATUS}[f[2]]
		if k == "" {
			return nil, fmt.Errorf("%s:%d: bad kind %q", path, i+1, f[2])
		}
		if _, dup := ov[f[0]]; dup {
			return nil, fmt.Errorf("%s:%d: %s listed twice", path, i+1, f[0])
		}
		ov[f[0]] = &override{f[0], uint32(n), k, f[3], i + 1, false}
	}
	return ov, nil
}

// merge joins the definitions by name. The first input to define a name
// gives its header; all inputs must agree on the value and kind unless
// overrides.tsv settles the name.
func merge(defs []def, ov map[string]*override, rep *Report) ([]def, error) {
	byName := map[string][]def{}
	var names []string
	for _, d := range defs {
		if _, seen := byName[d.name]; !seen {
			names = append(names, d.name)
		}
		byName[d.name] = append(byName[d.name], d)
	}
	var out []def
	var problems []string
	for _, n := range names {
		ds := byName[n]
		first := ds[0]
		agree, suspect := true, false
		for _, d := range ds {
			if d.value != first.value || d.kind != first.kind {
				agree = false
			}
			suspect = suspect || d.suspect
		}
		if o, ok := ov[n]; ok {
			o.used = true
			var says []string
			for _, d := range ds {
				says = append(says, fmt.Sprintf("%s 0x%08X %s", d.input, d.value, strings.TrimPrefix(d.kind, "Kind")))
			}
			if agree && !suspect && first.value == o.value && first.kind == o.kind {
				problems = append(problems, fmt.Sprintf("overrides.tsv:%d: %s: every source already says 0x%08X; remove the override", o.line, n, o.value))
			}
			first.value, first.kind = o.value, o.kind
			rep.Overridden = append(rep.Overridden, fmt.Sprintf("%s: %s; using 0x%08X (%s)", n, strings.Join(says, ", "), o.value, o.reason))
			out = append(out, first)
			continue
		}
		if !agree || suspect {
			var says []string
			for _, d := range ds {
				says = append(says, fmt.Sprintf("%s says 0x%08X %s", d.input, d.value, strings.TrimPrefix(d.kind, "Kind")))
			}
			why := "the sources disagree"
			if agree {
				why = "x/sys defines this HRESULT as a Win32 constant"
			}
			problems = append(problems, fmt.Sprintf("%s: %s (%s); add a row to overrides.tsv", n, why, strings.Join(says, "; ")))
			continue
		}
		out = append(out, first)
	}
	for _, o := range ov {
		if !o.used {
			problems = append(problems, fmt.Sprintf("overrides.tsv:%d: %s is in no source; remove the override", o.line, o.name))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, errors.New("problems in the inputs:\n\t" + strings.Join(problems, "\n\t"))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].value != out[j].value {
			return out[i].value < out[j].value
		}
		return out[i].order < out[j].order
	})
	return out, nil
}

func mergeFacilities(fs []facility) []facility {
	seen := map[string]bool{}
	var out []facility
	for _, f := range fs {
		k := fmt.Sprintf("%v/%s", f.nt, f.name)
		if seen[k] || f.num > 0xFFF {
			continue
		}
		seen[k] = true
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].nt != out[j].nt {
			return !out[i].nt
		}
		return out[i].num < out[j].num
	})
	return out
}

func count(ds []def, rep *Report) {
	vals := map[string]map[uint32]bool{kWin32: {}, kHRESULT: {}, kNTSTATUS: {}}
	for _, d := range ds {
		vals[d.kind][d.value] = true
		if strings.HasPrefix(d.name, "WU_E_") || strings.HasPrefix(d.name, "WU_S_") {
			rep.WU++
		}
	}
	rep.Names = len(ds)
	rep.Win32 = len(vals[kWin32])
	rep.HRESULT = len(vals[kHRESULT])
	rep.NTSTATUS = len(vals[kNTSTATUS])
}

func render(ds []def, fs []facility, rep Report) ([]byte, error) {
	if len(ds) > 0xFFFF {
		return nil, fmt.Errorf("%d names do not fit the uint16 name index", len(ds))
	}
	var b bytes.Buffer
	b.WriteString(`// Code generated by go run ./internal/gen; DO NOT EDIT.
//
// Inputs: mingw-w64-common headers (winerror.h, wuerror.h, ntstatus.h,
// bitsmsg.h, wininet.h, lmerr.h, raserror.h, mprerror.h; public domain),
// golang.org/x/sys v0.50.0 windows/zerrors_windows.go (BSD-3-Clause) and
// the winapi 0.3.9 crate (winerror.rs, ntstatus.rs, winhttp.rs, wininet.rs,
// bitsmsg.rs; MIT or Apache-2.0), settled by internal/gen/overrides.tsv.
//
`)
	fmt.Fprintf(&b, "// %d names; distinct values: %d Win32, %d HRESULT, %d NTSTATUS; %d WU_E_/WU_S_ names.\n\n",
		rep.Names, rep.Win32, rep.HRESULT, rep.NTSTATUS, rep.WU)
	b.WriteString("package hresult\n\n")
	b.WriteString("var genNames = [...]genName{\n")
	for _, d := range ds {
		fmt.Fprintf(&b, "\t{0x%08X, %q, %s, %s},\n", d.value, d.name, d.kind, d.src)
	}
	b.WriteString("}\n\n")
	// genByName lists the indices of genNames in name order, so that the
	// package does not sort 10,000 names at start-up.
	idx := make([]int, len(ds))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool { return ds[idx[i]].name < ds[idx[j]].name })
	b.WriteString("var genByName = [...]uint16{")
	for i, x := range idx {
		if i%16 == 0 {
			b.WriteString("\n\t")
		} else {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%d,", x)
	}
	b.WriteString("\n}\n\n")
	b.WriteString("var genFacilities = [...]genFacility{\n")
	for _, f := range fs {
		fmt.Fprintf(&b, "\t{%d, %q, %v},\n", f.num, f.name, f.nt)
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}
