package logparse_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wulog/wulog/internal/shared"
)

// corpusDir is ../shared/corpus next to the repository.
func corpusDir() string { return shared.Path("corpus") }

// manifestRow is one line of the corpus MANIFEST.tsv.
type manifestRow struct {
	file  string
	bytes int64
	lines int64
	// top maps the HRESULTs most often seen after FAILED, FATAL or WARNING
	// to their counts, as the corpus curator counted them.
	top map[uint32]int
}

func readManifest(t *testing.T) []manifestRow {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir(), "MANIFEST.tsv"))
	if err != nil {
		t.Skipf("corpus not available (%v): it lives in ../shared/corpus next to the repository", err)
	}
	defer f.Close()
	var rows []manifestRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var cols map[string]int
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if cols == nil {
			cols = map[string]int{}
			for i, name := range fields {
				cols[name] = i
			}
			continue
		}
		row := manifestRow{file: fields[cols["filename"]], top: map[uint32]int{}}
		row.bytes, _ = strconv.ParseInt(fields[cols["bytes"]], 10, 64)
		row.lines, _ = strconv.ParseInt(fields[cols["line_count"]], 10, 64)
		for _, item := range strings.Split(fields[cols["hresults_top10_after_FAILED_FATAL_WARNING"]], ", ") {
			code, count, ok := strings.Cut(item, "x")
			if !ok {
				continue
			}
			v, err1 := strconv.ParseUint(code, 16, 32)
			n, err2 := strconv.Atoi(count)
			if err1 != nil || err2 != nil {
				t.Fatalf("manifest %s: bad item %q", row.file, item)
			}
			row.top[uint32(v)] = n
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		t.Fatal("empty manifest")
	}
	return rows
}

// independentCodes counts, with regular expressions and without the
// scanner, the failure codes with the severity bit set in the usual
// spellings: "[80072F8F]", "0x80072f8f", "hr = 80072efe", "error code
// 80072EFD". Values in URLs and after "Flags" are not codes.
var (
	reFailureCode = regexp.MustCompile(`(?i)(?:(?:^|[^0-9a-z_])0x|(?:^|[ \t])\[|(?:^|[^0-9a-z_])hr\s*[=:]?\s*|(?:^|[^0-9a-z_])error(?: code)?\s*[=:]?\s*)([89a-f][0-9a-f]{7})(?:$|[^0-9a-z_-])`)
	reNotCode     = regexp.MustCompile(`(?i)(flags|type|reason|handle|handler|props|id|number|options|mask|index|count|size|version|offset|priority|level|pt)[ \t=:\[(,]*0x$`)
	reURL         = regexp.MustCompile(`(?i)https?://[^ \t"<>|\x60\\]*`)
)

func independentCodes(line string) int {
	line = reURL.ReplaceAllStringFunc(line, func(u string) string { return strings.Repeat("_", len(u)) })
	n := 0
	for _, m := range reFailureCode.FindAllStringSubmatchIndex(line, -1) {
		if reNotCode.MatchString(line[:m[2]]) {
			continue
		}
		n++
	}
	// Legacy REPORT EVENT lines: the result is the 13th tab-separated
	// field of the line, bare hex.
	if f := strings.Split(line, "\t"); len(f) > 12 && strings.HasPrefix(f[5], "REPORT EVENT:") {
		if v, err := strconv.ParseUint(f[12], 16, 32); err == nil && v >= 0x80000000 {
			n++
		}
	}
	return n
}

func TestCorpus(t *testing.T) {
	rows := readManifest(t)
	for _, row := range rows {
		t.Run(row.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(corpusDir(), row.file))
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(data)) != row.bytes {
				t.Fatalf("file has %d bytes, manifest says %d", len(data), row.bytes)
			}
			recs, st := scanAll(t, data, 0)
			if st.Lines != row.lines {
				t.Errorf("%d physical lines, manifest says %d", st.Lines, row.lines)
			}
			if st.Records < st.Lines*9/10 {
				t.Errorf("only %d of %d lines are records", st.Records, st.Lines)
			}

			// Failure codes after FAILED, FATAL or WARNING, per code, must
			// match the curator's counts.
			after := map[uint32]int{}
			// Failure codes with the severity bit per physical line must
			// match the regular expression count.
			var scanned, indep int
			lines := bytes.Split(data, []byte("\n"))
			seen := map[int64]bool{}
			for _, r := range recs {
				raw := string(data[r.Offset : r.Offset+r.Size])
				if strings.Contains(raw, "FAILED") || strings.Contains(raw, "FATAL") || strings.Contains(raw, "WARNING") {
					for _, c := range r.Codes {
						if !c.Success && c.Value >= 0x80000000 {
							after[c.Value]++
						}
					}
				}
				for _, c := range r.Codes {
					if c.Value >= 0x80000000 {
						scanned++
					}
				}
				if !seen[r.Line] {
					seen[r.Line] = true
					indep += independentCodes(string(lines[r.Line-1]))
				}
			}
			for code, n := range row.top {
				if after[code] != n {
					t.Errorf("0x%08X after FAILED/FATAL/WARNING: %d, manifest says %d", code, after[code], n)
				}
			}
			if scanned != indep {
				t.Errorf("scanner found %d failure codes, regular expressions %d", scanned, indep)
			}
			if st.Encoding == "" {
				t.Error("no encoding reported")
			}
		})
	}
}
