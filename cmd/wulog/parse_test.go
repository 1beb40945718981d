package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wulog/wulog/logparse/etl/etltest"
)

const parseSample = "...\n" +
	"2023/03/21 22:19:01.8143606 19924 14968 Misc            *FAILED* [80072F8F] Send request\r\n" +
	"2023/03/21 22:19:04.5991526 19924 14968 Agent           *FAILED* [80072F8F] Failed (cV: Btqu.277.1) \"q\" \xff\r\n" +
	"2023/03/21 22:19:05.0000000 19924 14968 Shared          * END * Service exit Exit code = 0x240001\r\n" +
	"continued\r\n"

func writeSample(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "WindowsUpdate.log")
	if err := os.WriteFile(p, []byte(parseSample), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runParse(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"parse"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestParseJSONL(t *testing.T) {
	p := writeSample(t)
	code, out, stderr := runParse(t, "", "--format", "jsonl", p)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	type rec struct {
		File      string   `json:"file"`
		Line      int      `json:"line"`
		Format    string   `json:"format"`
		Time      *string  `json:"time"`
		ZoneKnown bool     `json:"zone_known"`
		PID       int      `json:"pid"`
		TID       int      `json:"tid"`
		Component string   `json:"component"`
		Message   string   `json:"message"`
		HResults  []string `json:"hresults"`
		Reason    string   `json:"reason"`
		CV        string   `json:"cv"`
	}
	var recs []rec
	for _, l := range lines {
		var r rec
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		if r.File != p {
			t.Errorf("file %q", r.File)
		}
		recs = append(recs, r)
	}
	if recs[0].Format != "unparsed" || recs[0].Time != nil || recs[0].Reason == "" {
		t.Errorf("first line: %+v", recs[0])
	}
	r := recs[2]
	if r.Format != "win10" || r.Line != 3 || *r.Time != "2023-03-21T22:19:04.5991526Z" || r.ZoneKnown || r.PID != 19924 ||
		r.Component != "Agent" || r.Message != "*FAILED* [80072F8F] Failed (cV: Btqu.277.1) \"q\" \uFFFD" ||
		strings.Join(r.HResults, ",") != "0x80072F8F" || r.CV != "Btqu.277.1" {
		t.Errorf("record 3: %+v", r)
	}
	// Success codes are not listed as HRESULT failures.
	if len(recs[3].HResults) != 0 {
		t.Errorf("exit code 0x240001 listed: %v", recs[3].HResults)
	}
	if recs[4].Format != "continuation" || recs[4].Component != "Shared" || recs[4].Message != "continued" {
		t.Errorf("continuation: %+v", recs[4])
	}
}

func TestParseCSVAndText(t *testing.T) {
	p := writeSample(t)
	code, out, _ := runParse(t, "", "-f", "csv", p)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 || rows[0][0] != "file" || rows[2][2] != "win10" || rows[2][10] != "0x80072F8F" {
		t.Errorf("csv rows %q", rows)
	} else if rows[3][9] != "*FAILED* [80072F8F] Failed (cV: Btqu.277.1) \"q\" \uFFFD" {
		t.Errorf("csv message %q: invalid UTF-8 not replaced", rows[3][9])
	}

	code, out, _ = runParse(t, "", p)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 || !strings.Contains(lines[1], ":2  2023-03-21 22:19:01.8143606  19924 14968 Misc            *FAILED* [80072F8F] Send request") {
		t.Errorf("text output:\n%s", out)
	}
}

func TestParseErrorsAndStdin(t *testing.T) {
	p := writeSample(t)
	bin := filepath.Join(t.TempDir(), "x.bin")
	os.WriteFile(bin, []byte("MZ\x00\x00\x01\x02\x03"), 0o644)
	dir := t.TempDir()
	code, out, stderr := runParse(t, parseSample, "--stats", "/no/such/file", bin, dir, p, "-")
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	errLines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(errLines) != 3 || !strings.HasPrefix(errLines[0], "wulog: /no/such/file: ") ||
		!strings.Contains(stderr, "wulog: "+dir+": is a directory") || !strings.Contains(stderr, "wulog: "+bin+": binary file") {
		t.Errorf("stderr:\n%s", stderr)
	}
	// The readable inputs are still processed: the file, stdin and a total.
	for _, want := range []string{p + ": 5 lines", "<stdin>: 5 lines", "total: 10 lines", "records 6, continuation lines 2, unparsed 2"} {
		if !strings.Contains(out, want) {
			t.Errorf("stats output lacks %q:\n%s", want, out)
		}
	}
}

// TestParseETLFolder: wulog parse on a folder of .etl files prints one
// time-merged stream under the folder's name, and a file of the folder that
// is not an ETL file gives one error line naming it and exit status 2
// while the others are still printed.
func TestParseETLFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "WindowsUpdate")
	os.MkdirAll(dir, 0o755)
	t0 := time.Date(2023, 3, 21, 22, 19, 1, 0, time.UTC)
	for f := 0; f < 2; f++ {
		var evs []etltest.Event
		for i := f; i < 10; i += 2 {
			evs = append(evs, etltest.WU(t0.Add(time.Duration(i)*time.Second), 0, 100, uint32(i), "Misc", fmt.Sprintf("*FAILED* [80072F8F] send %d", i)))
		}
		data, err := etltest.Write(etltest.Options{}, evs...)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("WindowsUpdate.20230321.2219%02d.etl", f)), data, 0o644)
	}
	code, out, stderr := runParse(t, "", "--format", "jsonl", dir)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, l := range lines {
		if !strings.Contains(l, fmt.Sprintf(`"message":"*FAILED* [80072F8F] send %d"`, i)) || !strings.Contains(l, `"hresults":["0x80072F8F"]`) {
			t.Errorf("line %d: %s", i, l)
		}
	}
	if len(lines) != 10 {
		t.Errorf("%d records", len(lines))
	}

	bad := filepath.Join(dir, "WindowsUpdate.20230321.221959.etl")
	os.WriteFile(bad, []byte("copied while Windows Update was writing it: not an ETL file yet"), 0o644)
	code, out, stderr = runParse(t, "", "--stats", dir)
	name := dir + string(os.PathSeparator) + " (3 .etl files)"
	if code != 2 || !strings.HasPrefix(out, name+": ") || !strings.Contains(out, "records 10") ||
		strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "wulog: "+bad+": ") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
}

// TestParseFailureLists checks the failure codes of a record with several
// codes in JSON and CSV: failures only, in order, separated.
func TestParseFailureLists(t *testing.T) {
	p := filepath.Join(t.TempDir(), "WindowsUpdate.log")
	line := "2023/03/21 22:19:01.8143606 19924 14968 Agent           *FAILED* hr = 0x80072f8f, Exit code = 0x00000000, error 0x80092013\r\n"
	if err := os.WriteFile(p, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runParse(t, "", "-f", "jsonl", p)
	if code != 0 || !strings.Contains(out, `"hresults":["0x80072F8F","0x80092013"]`) {
		t.Errorf("jsonl: exit %d, %s", code, out)
	}
	code, out, _ = runParse(t, "", "-f", "csv", p)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(rows) != 2 || rows[1][10] != "0x80072F8F 0x80092013" {
		t.Errorf("csv: exit %d, %v, %q", code, err, rows)
	}
}

// TestParseStatsCSV checks that --stats with --format csv prints the JSON
// totals line only, without the header of the CSV records it does not print.
func TestParseStatsCSV(t *testing.T) {
	p := writeSample(t)
	code, out, stderr := runParse(t, "", "--stats", "-f", "csv", p)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], `{"stats":`) {
		t.Errorf("output:\n%s", out)
	}
}
