package hresult

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/wulog/wulog/internal/shared"
)

// TestEmbeddedTables checks that extra.tsv and descriptions.tsv merge
// cleanly: every row parses, every described name exists, no name is
// described twice and no hand-kept row contradicts the headers.
func TestEmbeddedTables(t *testing.T) {
	for _, p := range tab().problems {
		t.Error(p)
	}
}

// TestExtraRows checks every row of the hand-kept table: it decodes to its
// name, its name parses back to its value, and its value fits the layout
// its kind implies.
func TestExtraRows(t *testing.T) {
	rows, errs := parseExtra(extraTSV)
	for _, e := range errs {
		t.Error(e)
	}
	if len(rows) < 100 {
		t.Fatalf("extra.tsv has %d rows", len(rows))
	}
	for _, r := range rows {
		c := Decode(r.Value)
		if !slices.Contains(names(c), r.Name) {
			t.Errorf("extra.tsv %s: Decode(%s) names %v", r.Name, c, names(c))
		}
		if p, err := Parse(r.Name); err != nil || p.Value != r.Value {
			t.Errorf("extra.tsv %s: Parse(name) = %s, %v", r.Name, p.Code, err)
		}
		if p, err := Parse(c.String()); err != nil || p.Value != r.Value {
			t.Errorf("extra.tsv %s: Parse(%s) = %s, %v", r.Name, c, p.Code, err)
		}
		if r.Description == "" || r.URL == "" {
			t.Errorf("extra.tsv %s: description or citation missing", r.Name)
		}
		h := c.HRESULT()
		switch {
		case strings.HasPrefix(r.Name, "CBS_E_"), strings.HasPrefix(r.Name, "PSFX_E_"):
			if r.Kind != KindHRESULT || h.Facility != 15 || !h.S {
				t.Errorf("extra.tsv %s %s: CBS codes are failure HRESULTs in facility 15", r.Name, c)
			}
		case strings.HasPrefix(r.Name, "DO_E_"):
			if r.Kind != KindHRESULT || h.Facility != 208 {
				t.Errorf("extra.tsv %s %s: Delivery Optimization is facility 208", r.Name, c)
			}
		case strings.HasPrefix(r.Name, "USO_E_"):
			if c.WUComponent() != "USO" {
				t.Errorf("extra.tsv %s %s: USO codes are 0x8024A1xx", r.Name, c)
			}
		case strings.HasPrefix(r.Name, "MOSETUP_E_"):
			if r.Kind != KindNTSTATUS || r.Value>>20 != 0xC19 {
				t.Errorf("extra.tsv %s %s: Setup result codes are 0xC19xxxxx", r.Name, c)
			}
		case strings.HasPrefix(r.Name, "WBEM_E_"):
			if r.Kind != KindHRESULT || h.Facility != 4 || !h.S {
				t.Errorf("extra.tsv %s %s: WMI codes are failure HRESULTs in FACILITY_ITF", r.Name, c)
			}
		case strings.HasPrefix(r.Name, "ERROR_WINHTTP_"), strings.HasPrefix(r.Name, "ERROR_INTERNET_"):
			if r.Kind != KindWin32 || r.Value < 12000 || r.Value > 12999 {
				t.Errorf("extra.tsv %s %d: WinHTTP/WinINet codes are Win32 12xxx", r.Name, r.Value)
			}
		default:
			t.Errorf("extra.tsv %s: no layout check for this family; add one", r.Name)
		}
	}
}

// TestNamesRoundTrip checks that every generated name parses back to a
// code that lists it, and that Lookup agrees.
func TestNamesRoundTrip(t *testing.T) {
	for _, g := range genNames {
		p, err := Parse(g.name)
		if err != nil {
			t.Errorf("Parse(%s): %v", g.name, err)
			continue
		}
		if p.Value != g.value || p.Form != FormName {
			t.Errorf("Parse(%s) = %s, want 0x%08X", g.name, p.Code, g.value)
		}
		if !slices.Contains(names(p.Code), g.name) {
			t.Errorf("Decode(0x%08X) does not list %s", g.value, g.name)
		}
		c, k, ok := Lookup(g.name)
		if !ok || c.Value != g.value || k != g.kind {
			t.Errorf("Lookup(%s) = %s %s %v", g.name, c, k, ok)
		}
	}
}

// TestCoverage asserts the coverage the issue asks for.
func TestCoverage(t *testing.T) {
	vals := map[Kind]map[uint32]bool{KindWin32: {}, KindHRESULT: {}, KindNTSTATUS: {}}
	wu := 0
	for _, g := range genNames {
		vals[g.kind][g.value] = true
		if g.src == srcWuerror {
			wu++
			if !strings.HasPrefix(g.name, "WU_E_") && !strings.HasPrefix(g.name, "WU_S_") {
				t.Errorf("wuerror.h name %s", g.name)
			}
		}
	}
	for k, min := range map[Kind]int{KindWin32: 3500, KindHRESULT: 4000, KindNTSTATUS: 2500} {
		if n := len(vals[k]); n < min {
			t.Errorf("%d distinct %s values, want at least %d", n, k, min)
		} else {
			t.Logf("%d distinct %s values", n, k)
		}
	}
	if wu != 465 {
		t.Errorf("%d WU_E_/WU_S_ names from wuerror.h, want all 465", wu)
	}
	tb := tab()
	if tb.described < 400 {
		t.Errorf("%d names have a description, want at least 400", tb.described)
	}
	t.Logf("%d names have a description", tb.described)
	// Every code family the issue names is described in full.
	for _, n := range tb.names {
		full := strings.HasPrefix(n.Name, "WU_E_") || strings.HasPrefix(n.Name, "WU_S_") ||
			strings.HasPrefix(n.Name, "ERROR_WINHTTP_") || strings.HasPrefix(n.Name, "CERT_E_") ||
			strings.HasPrefix(n.Name, "TRUST_E_") || n.Source == "extra.tsv"
		if full && n.Description == "" {
			t.Errorf("%s has no description", n.Name)
		}
	}
	for _, name := range []string{"CRYPT_E_REVOCATION_OFFLINE", "CRYPT_E_REVOKED", "SEC_E_UNTRUSTED_ROOT", "SEC_E_ILLEGAL_MESSAGE",
		"BG_E_HTTP_ERROR_404", "BG_E_VALIDATION_FAILED", "ERROR_ACCESS_DENIED", "ERROR_FILE_NOT_FOUND", "ERROR_PATH_NOT_FOUND",
		"ERROR_SHARING_VIOLATION", "ERROR_INVALID_PARAMETER", "ERROR_INSTALL_FAILURE", "ERROR_SXS_COMPONENT_STORE_CORRUPT",
		"ERROR_INTERNET_DECODING_FAILED", "WININET_E_DECODING_FAILED"} {
		c, _, _ := Lookup(name)
		found := false
		for _, n := range c.Names() {
			if n.Name == name {
				found = n.Description != ""
			}
		}
		if !found {
			t.Errorf("%s has no description", name)
		}
	}
}

// TestDescriptionsSayWhatToCheck checks that descriptions of codes that
// point at certificates, the clock or the network say what to check.
func TestDescriptionsSayWhatToCheck(t *testing.T) {
	for _, name := range []string{
		"ERROR_WINHTTP_SECURE_FAILURE", "ERROR_WINHTTP_TIMEOUT", "ERROR_WINHTTP_CANNOT_CONNECT", "ERROR_WINHTTP_NAME_NOT_RESOLVED",
		"ERROR_WINHTTP_CONNECTION_ERROR", "ERROR_WINHTTP_SECURE_CERT_DATE_INVALID", "ERROR_WINHTTP_SECURE_INVALID_CA",
		"ERROR_WINHTTP_SECURE_CERT_REV_FAILED", "CRYPT_E_REVOCATION_OFFLINE", "CERT_E_EXPIRED", "CERT_E_UNTRUSTEDROOT",
		"CERT_E_REVOCATION_FAILURE", "TRUST_E_EXPLICIT_DISTRUST", "SEC_E_TIME_SKEW", "SEC_E_CERT_EXPIRED",
		"WU_E_PT_HTTP_STATUS_PROXY_AUTH_REQ", "WU_E_PT_WINHTTP_NAME_NOT_RESOLVED", "WU_E_PT_ENDPOINT_UNREACHABLE",
		"WU_E_REDIRECTOR_SLS_GENERIC_ERROR", "WU_E_METADATA_TIMESTAMP_TOKEN_ALL_BAD", "DO_E_DOWNLOAD_NO_PROGRESS", "BG_E_TRUST_FAILURE",
	} {
		c, _, ok := Lookup(name)
		if !ok {
			t.Errorf("no name %s", name)
			continue
		}
		d := ""
		for _, n := range c.Names() {
			if n.Name == name {
				d = n.Description
			}
		}
		if !strings.Contains(d, "Check") && !strings.Contains(d, "check") {
			t.Errorf("%s: description does not say what to check: %q", name, d)
		}
	}
}

// TestCorpusManifest reads the shared corpus manifest, whose notes pair
// codes found in real logs with the names the people who collected them
// gave ("80092004 (CRYPT_E_NOT_FOUND)"), and checks that the codes decode to
// those names and that every top code of every log parses.
func TestCorpusManifest(t *testing.T) {
	path := shared.Path("corpus", "MANIFEST.tsv")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("corpus manifest not available (%v); it lives in ../shared next to the repository", err)
	}
	defer f.Close()
	pair := regexp.MustCompile(`\b([0-9A-Fa-f]{8}) \(([A-Z][A-Z0-9_]+_[A-Z0-9_]+)\)`)
	namePair := regexp.MustCompile(`\b([A-Z][A-Z0-9]+_E_[A-Z0-9_]+) (0x[0-9A-Fa-f]{8})\b`)
	top := regexp.MustCompile(`\b([0-9A-F]{8})x[0-9]+`)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	pairs, tops := 0, 0
	for sc.Scan() {
		line := sc.Text()
		for _, m := range pair.FindAllStringSubmatch(line, -1) {
			pairs++
			p, err := Parse(m[1])
			if err != nil || !slices.Contains(names(p.Code), m[2]) {
				t.Errorf("manifest pairs %s with %s; we decode %s as %v (%v)", m[1], m[2], m[1], names(p.Code), err)
			}
		}
		for _, m := range namePair.FindAllStringSubmatch(line, -1) {
			pairs++
			p, err := Parse(m[2])
			if err != nil || p.Name() != m[1] {
				t.Errorf("manifest pairs %s with %s; we decode it as %v (%v)", m[2], m[1], names(p.Code), err)
			}
		}
		for _, m := range top.FindAllStringSubmatch(line, -1) {
			tops++
			p, err := Parse(m[1])
			if err != nil {
				t.Errorf("manifest top code %s: %v", m[1], err)
				continue
			}
			if !p.IsFailure() {
				t.Errorf("manifest top failure code %s does not read as a failure", m[1])
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if pairs == 0 || tops == 0 {
		t.Fatalf("found %d code/name pairs and %d top codes in the manifest; its format changed", pairs, tops)
	}
	t.Logf("%d code/name pairs and %d top codes checked", pairs, tops)
}

// TestCorpusLogCodes reads the real logs of the shared corpus and parses
// every code written after a failure marker ("*FAILED* [8024402C]",
// "hr = 80072efd", "hr:0x80072f8f"): each must parse, those after *FAILED*
// must read as failures, and almost all must have a name.
func TestCorpusLogCodes(t *testing.T) {
	dir := shared.Path("corpus")
	files, err := filepath.Glob(filepath.Join(dir, "*.*"))
	if err != nil || len(files) == 0 {
		t.Skipf("corpus not available in %s; it lives in ../shared next to the repository", dir)
	}
	re := regexp.MustCompile(`(\*FAILED\* \[[0-9A-Fa-f]{8}\]|hr ?[=:] ?(0x)?[0-9A-Fa-f]{1,8}\b)`)
	total, named := 0, 0
	unnamed := map[string]int{}
	for _, f := range files {
		if strings.HasSuffix(f, ".tsv") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllString(string(data), -1) {
			in := strings.TrimPrefix(m, "*FAILED* ")
			p, err := Parse(in)
			if err != nil {
				t.Errorf("%s: Parse(%q): %v", filepath.Base(f), in, err)
				continue
			}
			total++
			// "hr =" also logs successes (0x00242015
			// WU_S_UH_INSTALLSTILLPENDING); *FAILED* only failures.
			if strings.HasPrefix(m, "*FAILED*") && !p.IsFailure() {
				t.Errorf("%s: %q does not read as a failure", filepath.Base(f), m)
			}
			if p.Name() != "" || p.Value == 0 {
				named++
			} else {
				unnamed[p.String()]++
			}
		}
	}
	if total == 0 {
		t.Fatal("no codes found in the corpus")
	}
	t.Logf("%d codes after failure markers, %d with a name; without one: %v", total, named, unnamed)
	if named*100 < total*95 {
		t.Errorf("only %d of %d codes in real logs have a name", named, total)
	}
}

// TestParseTablesBadRows checks that malformed rows of the embedded tables
// are reported with the file and line, and the good rows kept.
func TestParseTablesBadRows(t *testing.T) {
	extra := strings.Join([]string{
		"# value, name, kind, description, URL",
		"0x80240001\tWU_E_NO_SERVICE\tHRESULT\tok\thttps://example.org/a",
		"0x80240002\tFOUR\tHRESULT\tdesc",
		"0x8024ZZZZ\tBADHEX\tHRESULT\td\thttps://example.org/a",
		"0x123456789\tNINE\tHRESULT\td\thttps://example.org/a",
		"80240001\tNOPREFIX\tHRESULT\td\thttps://example.org/a",
		"0x\tEMPTY\tHRESULT\td\thttps://example.org/a",
		"0x1\tKIND\tHResult\td\thttps://example.org/a",
		"0x1\tPLAIN\tWin32\td\thttp://example.org/a",
		"0x1\t1NAME\tWin32\td\thttps://example.org/a",
		"",
		"0X00000005\tUPPER_X\tWin32\td\thttps://example.org/a\r",
	}, "\n")
	rows, errs := parseExtra(extra)
	want := []string{
		"extra.tsv:3: want 5 tab-separated fields, got 4",
		"extra.tsv:4: bad value 0x8024ZZZZ",
		"extra.tsv:5: bad value 0x123456789",
		"extra.tsv:6: bad value 80240001",
		"extra.tsv:7: bad value 0x",
		"extra.tsv:8: bad kind HResult",
		"extra.tsv:9: citation URL must start with https://",
		"extra.tsv:10: bad name 1NAME",
	}
	if !slices.Equal(errs, want) {
		t.Errorf("parseExtra errors:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(want, "\n"))
	}
	if len(rows) != 2 || rows[0].Name != "WU_E_NO_SERVICE" || rows[0].Value != 0x80240001 ||
		rows[1].Name != "UPPER_X" || rows[1].Value != 5 || rows[1].Kind != KindWin32 {
		t.Errorf("parseExtra rows = %+v", rows)
	}

	descs, errs := parseDescriptions("A\tfirst\nB\n\n# c\nC\ttwo\ttabs\nA\tagain\nD\t\nE\tok\r\n")
	want = []string{
		"descriptions.tsv:2: want NAME<TAB>description",
		"descriptions.tsv:5: want NAME<TAB>description",
		"descriptions.tsv:6: A described twice",
		"descriptions.tsv:7: want NAME<TAB>description",
	}
	if !slices.Equal(errs, want) {
		t.Errorf("parseDescriptions errors:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Equal(descs, []description{{"A", "first"}, {"E", "ok"}}) {
		t.Errorf("parseDescriptions = %v", descs)
	}
}
