package hresult

import (
	"cmp"
	_ "embed"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Name is one candidate symbolic name for a code.
type Name struct {
	// Name is the symbolic name, such as "ERROR_WINHTTP_SECURE_FAILURE".
	Name string `json:"name"`
	// Kind is the number space in which the name has Value.
	Kind Kind `json:"kind"`
	// Value is the name's own value. It differs from the decoded code when
	// the code wraps it: under 0x80072F8F, ERROR_WINHTTP_SECURE_FAILURE is
	// the Win32 code 12175.
	Value uint32 `json:"value"`
	// Source is the header that defines the name (for example "winerror.h",
	// "winhttp.h", "wuerror.h") or "extra.tsv" for the hand-kept table.
	Source string `json:"source"`
	// Description says what the code means in the project's own words, and
	// what to check; "" when none has been written.
	Description string `json:"description,omitempty"`
	// URL is the documentation that backs a hand-kept (extra.tsv) row.
	URL string `json:"url,omitempty"`
}

// Names returns every known name for the code, best first for the Windows
// Update context, or nil when no source names it.
//
// The candidates are the names defined with exactly this value (in any
// number space) and the names of what the value wraps: the Win32 code of a
// 0x8007xxxx, 0xC007xxxx or 0xD007xxxx value, the NTSTATUS of an
// HRESULT_FROM_NT value (N bit set) and the SPAPI_E_* HRESULT of a SetupAPI
// 0xE0000xxx error. The slice is shared and must not be modified. Names does
// not allocate.
func (c Code) Names() []Name { return lookup(c.Value) }

// Name returns the best symbolic name for the code, or "" when none is
// known.
func (c Code) Name() string {
	if n := lookup(c.Value); len(n) > 0 {
		return n[0].Name
	}
	return ""
}

// Description returns the description of the best-ranked name that has
// one, or "".
func (c Code) Description() string {
	for _, n := range lookup(c.Value) {
		if n.Description != "" {
			return n.Description
		}
	}
	return ""
}

// Lookup returns the code a symbolic name stands for and the number space
// of the name. Case is ignored when no name matches exactly.
//
// A Win32 name yields the Win32 code (Lookup("ERROR_ACCESS_DENIED") is 5,
// whose HRESULT form is 0x80070005).
func Lookup(name string) (Code, Kind, bool) {
	t := tab()
	i, ok := slices.BinarySearchFunc(t.byName, name, func(r nameRef, n string) int { return strings.Compare(r.name, n) })
	if !ok {
		// Rare: a name in the wrong case. A linear scan avoids keeping a
		// second, case-folded index.
		i = slices.IndexFunc(t.byName, func(r nameRef) bool { return strings.EqualFold(r.name, name) })
		if i < 0 {
			return Code{}, KindUnknown, false
		}
	}
	r := t.byName[i]
	return Code{r.value}, r.kind, true
}

// source says which header a generated name comes from.
type source uint8

const (
	srcNone source = iota
	srcWinerror
	srcNtstatus
	srcWuerror
	srcBitsmsg
	srcWininet
	srcWinhttp
	srcLmerr
	srcRaserror
	srcMprerror
	srcExtra
)

var sourceLabels = [...]string{
	srcNone:     "",
	srcWinerror: "winerror.h",
	srcNtstatus: "ntstatus.h",
	srcWuerror:  "wuerror.h",
	srcBitsmsg:  "bitsmsg.h",
	srcWininet:  "wininet.h",
	srcWinhttp:  "winhttp.h",
	srcLmerr:    "lmerr.h",
	srcRaserror: "raserror.h",
	srcMprerror: "mprerror.h",
	srcExtra:    "extra.tsv",
}

// genName is one row of the generated table (zz_codes.go).
type genName struct {
	value uint32
	name  string
	kind  Kind
	src   source
}

// genFacility is one facility name of the generated table.
type genFacility struct {
	num  uint16
	name string
	nt   bool // an NTSTATUS facility (12 bits), else an HRESULT facility
}

//go:embed extra.tsv
var extraTSV string

//go:embed descriptions.tsv
var descriptionsTSV string

// table holds every name, grouped by the value they are looked up by.
type table struct {
	keys   []uint32 // sorted
	start  []int32  // names[start[i]:start[i+1]] is the group of keys[i]
	names  []Name
	byName []nameRef // sorted by name

	// Problems found while merging the embedded files; tests report them.
	problems []string
	// described counts the names that got a description.
	described int
}

type nameRef struct {
	name  string
	value uint32
	kind  Kind
}

var (
	tableOnce sync.Once
	theTable  *table
)

func tab() *table {
	tableOnce.Do(func() { theTable = buildTable(genNames[:], genByName[:], extraTSV, descriptionsTSV) })
	return theTable
}

// group returns the ranked names of key, if key has a group.
func (t *table) group(key uint32) ([]Name, bool) {
	i := sort.Search(len(t.keys), func(i int) bool { return t.keys[i] >= key })
	if i < len(t.keys) && t.keys[i] == key {
		return t.names[t.start[i]:t.start[i+1]:t.start[i+1]], true
	}
	return nil, false
}

// lookup returns the ranked candidate names of v.
func lookup(v uint32) []Name {
	t := tab()
	if g, ok := t.group(v); ok {
		return g
	}
	switch {
	case v < 0x10000:
		return nil
	case v>>16 == win32>>16, v>>16 == ntw32>>16, v>>16 == (ntw32|bitN)>>16:
		if v&0xFFFF == 0 {
			return nil // HRESULT_FROM_WIN32(0) is 0, never 0x80070000
		}
		g, _ := t.group(v & 0xFFFF)
		return win32Prefix(g)
	case v&bitN != 0:
		return lookup(v &^ bitN)
	case v&0xFFFFF000 == 0xE0000000:
		// HRESULT_FROM_SETUPAPI: 0xE0000xxx is 0x800Fxxxx.
		g, _ := t.group(0x800F0000 | v&0xFFF)
		return g
	}
	return nil
}

// win32Prefix returns the leading Win32 names of a group (Win32 names rank
// first in the groups of values below 0x10000).
func win32Prefix(g []Name) []Name {
	n := 0
	for n < len(g) && g[n].Kind == KindWin32 {
		n++
	}
	return g[:n:n]
}

// buildTable merges the generated names, the hand-kept rows and the
// descriptions, and groups and ranks them.
//
// byName lists the indices of gen in name order.
func buildTable(gen []genName, byName []uint16, extra, descriptions string) *table {
	t := &table{}
	entries := make([]Name, 0, len(gen)+128)
	index := make(map[string]int, len(gen)+128)
	for _, g := range gen {
		index[g.name] = len(entries)
		entries = append(entries, Name{Name: g.name, Kind: g.kind, Value: g.value, Source: sourceLabels[g.src]})
	}

	rows, errs := parseExtra(extra)
	t.problems = append(t.problems, errs...)
	for _, r := range rows {
		if i, ok := index[r.Name]; ok {
			e := &entries[i]
			if e.Value != r.Value || e.Kind != r.Kind {
				t.problems = append(t.problems, "extra.tsv: "+r.Name+" is "+Code{r.Value}.String()+" but the headers say "+Code{e.Value}.String())
				continue
			}
			e.URL = r.URL
			if r.Description != "" {
				e.Description = r.Description
			}
			continue
		}
		index[r.Name] = len(entries)
		entries = append(entries, r)
	}

	descs, errs := parseDescriptions(descriptions)
	t.problems = append(t.problems, errs...)
	for _, d := range descs {
		i, ok := index[d.name]
		if !ok {
			t.problems = append(t.problems, "descriptions.tsv: unknown name "+d.name)
			continue
		}
		if entries[i].Description != "" {
			t.problems = append(t.problems, "descriptions.tsv: "+d.name+" is also described in extra.tsv")
			continue
		}
		entries[i].Description = d.text
	}
	for i := range entries {
		if entries[i].Description != "" {
			t.described++
		}
	}

	// Group by value, keeping the input order inside a value. The
	// generated rows are already sorted; sorting indices keeps it cheap.
	order := make([]int32, len(entries))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(entries[a].Value, entries[b].Value) })

	// The generated names come in name order (genByName); merge the few
	// hand-kept ones in.
	added := make([]nameRef, 0, len(entries)-len(gen))
	for _, e := range entries[len(gen):] {
		added = append(added, nameRef{e.Name, e.Value, e.Kind})
	}
	slices.SortFunc(added, func(a, b nameRef) int { return strings.Compare(a.name, b.name) })
	t.byName = make([]nameRef, 0, len(entries))
	for _, gi := range byName {
		e := &entries[gi]
		for len(added) > 0 && added[0].name < e.Name {
			t.byName = append(t.byName, added[0])
			added = added[1:]
		}
		t.byName = append(t.byName, nameRef{e.Name, e.Value, e.Kind})
	}
	t.byName = append(t.byName, added...)

	// Direct groups, and combined groups for 0x8007xxxx values that have
	// names of their own and whose low word has Win32 names.
	type span struct{ lo, hi int }
	direct := make(map[uint32]span, len(entries))
	var keys []uint32
	for lo := 0; lo < len(order); {
		v := entries[order[lo]].Value
		hi := lo + 1
		for hi < len(order) && entries[order[hi]].Value == v {
			hi++
		}
		direct[v] = span{lo, hi}
		keys = append(keys, v)
		lo = hi
	}
	t.keys = keys
	t.start = make([]int32, 0, len(keys)+1)
	t.names = make([]Name, 0, len(entries)+256)
	var cand []Name
	for _, k := range keys {
		s := direct[k]
		cand = cand[:0]
		for _, i := range order[s.lo:s.hi] {
			cand = append(cand, entries[i])
		}
		if k>>16 == win32>>16 {
			if w, ok := direct[k&0xFFFF]; ok {
				for _, i := range order[w.lo:w.hi] {
					if entries[i].Kind == KindWin32 {
						cand = append(cand, entries[i])
					}
				}
			}
		}
		if len(cand) > 1 {
			slices.SortStableFunc(cand, func(a, b Name) int { return rank(k, &a, &b) })
		}
		t.start = append(t.start, int32(len(t.names)))
		t.names = append(t.names, cand...)
	}
	t.start = append(t.start, int32(len(t.names)))
	return t
}

// rank orders two candidate names of key for the Windows Update context:
// first by number space (class), then by preference; equal names keep the
// source order.
func rank(key uint32, a, b *Name) int {
	if c := cmp.Compare(class(key, a), class(key, b)); c != 0 {
		return c
	}
	return cmp.Compare(prefer(a), prefer(b))
}

// class orders the number spaces for a key: the reading that fits the
// value's layout comes first.
func class(key uint32, n *Name) int {
	switch {
	case key < 0x10000:
		// Win32 code first; the same small value is also S_FALSE-style
		// success HRESULTs and STATUS_WAIT_n-style NTSTATUS values.
		switch n.Kind {
		case KindWin32:
			return 0
		case KindHRESULT:
			return 1
		}
		return 2
	case key>>16 == win32>>16:
		// HRESULT_FROM_WIN32: the classic COM names (E_ACCESSDENIED,
		// E_OUTOFMEMORY, E_INVALIDARG, E_HANDLE) are what everyone calls
		// these; otherwise the Win32 reading beats HRESULT aliases such as
		// WININET_E_* and the SDK's E_NOT_SET family.
		switch {
		case n.Kind == KindHRESULT && classicCOM(n.Name):
			return 0
		case n.Kind == KindWin32:
			return 1
		}
		return 2
	case key&bitN == 0 && key&bitR != 0:
		// 0x4… and 0xC…: NTSTATUS layout.
		if n.Kind == KindNTSTATUS {
			return 0
		}
		return 1
	}
	// HRESULT layout (0x8… failures, 0x0001…–0x3… successes): FACILITY_HTTP
	// 0x8019xxxx is also an NTSTATUS warning in FACILITY_TRANSACTION.
	if n.Kind == KindNTSTATUS {
		return 1
	}
	return 0
}

// classicCOM reports whether name is one of the short E_ names of COM.
func classicCOM(name string) bool {
	return strings.HasPrefix(name, "E_") && !strings.Contains(name[2:], "_")
}

// prefer breaks ties inside a class: WinHTTP names first (Windows Update
// talks to its servers through WinHTTP), then names with a description
// (the ones this project curated).
func prefer(n *Name) int {
	p := 2
	if strings.HasPrefix(n.Name, "ERROR_WINHTTP_") {
		p = 0
	}
	if n.Description == "" {
		p++
	}
	return p
}

// parseExtra reads extra.tsv: tab-separated value, name, kind, description,
// URL; lines starting with # and empty lines are ignored.
func parseExtra(s string) ([]Name, []string) {
	var rows []Name
	var errs []string
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		where := "extra.tsv:" + strconv.Itoa(i+1)
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			errs = append(errs, where+": want 5 tab-separated fields, got "+strconv.Itoa(len(f)))
			continue
		}
		v, ok := parseHex(f[0])
		if !ok {
			errs = append(errs, where+": bad value "+f[0])
			continue
		}
		var k Kind
		switch f[2] {
		case "Win32":
			k = KindWin32
		case "HRESULT":
			k = KindHRESULT
		case "NTSTATUS":
			k = KindNTSTATUS
		default:
			errs = append(errs, where+": bad kind "+f[2])
			continue
		}
		if !strings.HasPrefix(f[4], "https://") {
			errs = append(errs, where+": citation URL must start with https://")
			continue
		}
		if !isSymbol(f[1]) {
			errs = append(errs, where+": bad name "+f[1])
			continue
		}
		rows = append(rows, Name{Name: f[1], Kind: k, Value: v, Source: sourceLabels[srcExtra], Description: f[3], URL: f[4]})
	}
	return rows, errs
}

type description struct{ name, text string }

// parseDescriptions reads descriptions.tsv: tab-separated name and
// description; lines starting with # and empty lines are ignored.
func parseDescriptions(s string) ([]description, []string) {
	var out []description
	var errs []string
	seen := make(map[string]bool)
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		where := "descriptions.tsv:" + strconv.Itoa(i+1)
		name, text, ok := strings.Cut(line, "\t")
		if !ok || strings.Contains(text, "\t") || text == "" {
			errs = append(errs, where+": want NAME<TAB>description")
			continue
		}
		if seen[name] {
			errs = append(errs, where+": "+name+" described twice")
			continue
		}
		seen[name] = true
		out = append(out, description{name, text})
	}
	return out, errs
}

// parseHex parses "0x" followed by 1 to 8 hex digits.
func parseHex(s string) (uint32, bool) {
	if len(s) < 3 || len(s) > 10 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return 0, false
	}
	return hexDigits(s[2:])
}

func hexVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// isSymbol reports whether s looks like a C identifier.
func isSymbol(s string) bool {
	if s == "" || isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isWord(s[i]) {
			return false
		}
	}
	return true
}
