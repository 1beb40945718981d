package logparse_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wulog/wulog/logparse"
)

// scanAll reads every record of data, cloned, and the stats.
func scanAll(t testing.TB, data []byte, maxLine int) ([]*logparse.Record, logparse.Stats) {
	t.Helper()
	s := logparse.NewScanner(bytes.NewReader(data))
	s.SetName("test.log")
	if maxLine > 0 {
		s.SetMaxLine(maxLine)
	}
	var recs []*logparse.Record
	for s.Scan() {
		recs = append(recs, s.Record().Clone())
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	checkAccounting(t, data, recs, st)
	return recs, st
}

// checkAccounting checks that no byte and no line is lost.
func checkAccounting(t testing.TB, data []byte, recs []*logparse.Record, st logparse.Stats) {
	t.Helper()
	var off int64
	for i, r := range recs {
		if r.Offset != off {
			t.Fatalf("record %d (line %d) at offset %d, want %d", i, r.Line, r.Offset, off)
		}
		if r.Size <= 0 && len(data) > 0 {
			t.Fatalf("record %d (line %d) has size %d", i, r.Line, r.Size)
		}
		off += r.Size
	}
	if off != int64(len(data)) || st.Bytes != int64(len(data)) {
		t.Fatalf("records cover %d bytes, stats say %d, input has %d", off, st.Bytes, len(data))
	}
	if st.Records+st.Unparsed+st.Continuations != st.Lines {
		t.Fatalf("records %d + unparsed %d + continuations %d != lines %d", st.Records, st.Unparsed, st.Continuations, st.Lines)
	}
	var sum int64
	for _, n := range st.Formats {
		sum += n
	}
	if sum != int64(len(recs)) || sum != st.Lines+st.Split {
		t.Fatalf("formats add up to %d, returned %d records, lines+split = %d", sum, len(recs), st.Lines+st.Split)
	}
}

func TestEncodings(t *testing.T) {
	want, err := os.ReadFile("testdata/win10-utf8-lf.log")
	if err != nil {
		t.Fatal(err)
	}
	wantRecs, _ := scanAll(t, want, 0)
	if len(wantRecs) != 5 {
		t.Fatalf("utf-8 fixture: %d records, want 5", len(wantRecs))
	}
	for _, tc := range []struct{ file, enc string }{
		{"win10-utf16le-bom.log", logparse.EncodingUTF16LE},
		{"win10-utf16be-bom.log", logparse.EncodingUTF16BE},
		{"win10-utf16le-nobom.log", logparse.EncodingUTF16LE},
		{"win10-utf8-bom-crlf.log", logparse.EncodingUTF8BOM},
		{"win10-utf8-lf.log", logparse.EncodingUTF8},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			recs, st := scanAll(t, data, 0)
			if st.Encoding != tc.enc {
				t.Errorf("encoding %q, want %q", st.Encoding, tc.enc)
			}
			if len(recs) != len(wantRecs) {
				t.Fatalf("%d records, want %d", len(recs), len(wantRecs))
			}
			for i, r := range recs {
				w := wantRecs[i]
				if r.Format != logparse.Win10 || string(r.Message) != string(w.Message) || !r.Time.Equal(w.Time) ||
					r.PID != w.PID || r.TID != w.TID || r.Component != w.Component || len(r.Codes) != len(w.Codes) {
					t.Errorf("record %d = %s %v %d %d %q %q, want %q %q", i, r.Format, r.Time, r.PID, r.TID, r.Component, r.Message, w.Component, w.Message)
				}
			}
			// The last message ends with non-ASCII text, including a
			// character outside the BMP (a surrogate pair in UTF-16).
			if last := string(recs[4].Message); !strings.HasSuffix(last, "0x240001 \u00e9\u00e8 \U0001F600") {
				t.Errorf("last message %q", last)
			}
		})
	}
}

type wantRec struct {
	format    logparse.Format
	time      string // RFC 3339 with fraction, "" for none
	zoneKnown bool
	pid, tid  uint32
	comp      string
	msg       string
	line      int64
	reason    string
}

func TestVariants(t *testing.T) {
	const w10 = "2023/03/21 22:19:01.8143606 19924 14968 Misc            *FAILED* [80072F8F] Send request"
	for _, tc := range []struct {
		name  string
		in    string
		want  []wantRec
		split int64
	}{
		{"win10 slash date", w10 + "\r\n", []wantRec{
			{logparse.Win10, "2023-03-21T22:19:01.8143606Z", false, 19924, 14968, "Misc", "*FAILED* [80072F8F] Send request", 1, ""}}, 0},
		{"win10 dash date, padded PID and TID", "2024-04-11 12:48:04.6269606 1980  8444  DownloadManager PurgeContent\r\n", []wantRec{
			{logparse.Win10, "2024-04-11T12:48:04.6269606Z", false, 1980, 8444, "DownloadManager", "PurgeContent", 1, ""}}, 0},
		{"win10 dot date", "2023.05.22 08:08:32.6295131 8096  8116  Shared          InitializeSus\n", []wantRec{
			{logparse.Win10, "2023-05-22T08:08:32.6295131Z", false, 8096, 8116, "Shared", "InitializeSus", 1, ""}}, 0},
		{"win10 message starting with a space", "2022/06/30 11:26:50.5064319 3996  8488  ComApi           Install ClientId = Windows Defender\n", []wantRec{
			{logparse.Win10, "2022-06-30T11:26:50.5064319Z", false, 3996, 8488, "ComApi", " Install ClientId = Windows Defender", 1, ""}}, 0},
		{"win10 2-digit PID", "2024/05/02 16:40:48.0807144 32    9104  Handler         MSI transaction completed.\n", []wantRec{
			{logparse.Win10, "2024-05-02T16:40:48.0807144Z", false, 32, 9104, "Handler", "MSI transaction completed.", 1, ""}}, 0},
		{"win10 collapsed whitespace", "2023/03/21 22:19:01.8143606 19924 14968 Misc *FAILED* [80072F8F] Send request\n", []wantRec{
			{logparse.Win10, "2023-03-21T22:19:01.8143606Z", false, 19924, 14968, "Misc", "*FAILED* [80072F8F] Send request", 1, ""}}, 0},
		{"pasted table pipes", "2019/06/05 11:07:40.9878054 21136 16428   ProtocolTalker  OK to reuse existing   configuration |  \n2", []wantRec{
			{logparse.Win10, "2019-06-05T11:07:40.9878054Z", false, 21136, 16428, "ProtocolTalker", "OK to reuse existing   configuration", 1, ""},
			{logparse.Continuation, "2019-06-05T11:07:40.9878054Z", false, 21136, 16428, "ProtocolTalker", "2", 2, ""}}, 0},
		{"records run together", w10 + " 2023/03/21 22:19:01.8143657 19924 14968 Misc            *FAILED* [80072F8F] WinHttp\n", []wantRec{
			{logparse.Win10, "2023-03-21T22:19:01.8143606Z", false, 19924, 14968, "Misc", "*FAILED* [80072F8F] Send request", 1, ""},
			{logparse.Win10, "2023-03-21T22:19:01.8143657Z", false, 19924, 14968, "Misc", "*FAILED* [80072F8F] WinHttp", 1, ""}}, 1},
		{"legacy", "2021-08-28\t11:05:07:920\t 576\ta70\tMisc\tWARNING: Send failed with hr = 80072efd.\r\n", []wantRec{
			{logparse.Legacy, "2021-08-28T11:05:07.92Z", false, 576, 0xa70, "Misc", "WARNING: Send failed with hr = 80072efd.", 1, ""}}, 0},
		{"legacy TID padded with a space", "2017-03-27\t03:35:53:703\t1112\t a8\tDtaStor\tDefault service\n", []wantRec{
			{logparse.Legacy, "2017-03-27T03:35:53.703Z", false, 1112, 0xa8, "DtaStor", "Default service", 1, ""}}, 0},
		{"legacy whitespace collapsed", "2016-09-08 10:48:19:500 848 604 Agent * Online = Yes\n", []wantRec{
			{logparse.Legacy, "2016-09-08T10:48:19.5Z", false, 848, 0x604, "Agent", "* Online = Yes", 1, ""}}, 0},
		{"legacy tz banner, changing", "2018-05-20\t19:21:13:219\t 908\t45c\tMisc\t===========  Logging initialized (build: 7.5.7601.17514, tz: -0700)  ===========\n" +
			"2018-05-20\t19:21:13:328\t 908\t45c\tMisc\t  = Process: C:\\Windows\\system32\\svchost.exe\n" +
			"2018-06-15\t20:58:42:511\t1020\t dc\tMisc\t===========  Logging initialized (build: 7.5.7601.17514, tz: +0530)  ===========\n", []wantRec{
			{logparse.Legacy, "2018-05-20T19:21:13.219-07:00", true, 908, 0x45c, "Misc", "===========  Logging initialized (build: 7.5.7601.17514, tz: -0700)  ===========", 1, ""},
			{logparse.Legacy, "2018-05-20T19:21:13.328-07:00", true, 908, 0x45c, "Misc", "  = Process: C:\\Windows\\system32\\svchost.exe", 2, ""},
			{logparse.Legacy, "2018-06-15T20:58:42.511+05:30", true, 1020, 0xdc, "Misc", "===========  Logging initialized (build: 7.5.7601.17514, tz: +0530)  ===========", 3, ""}}, 0},
		{"excerpt with hex PID", "03E4 1668 Misc Send request failed, hr:0x80072f8f\n\n7452 3228 Misc *FAILED* [80072F8F] Send request", []wantRec{
			{logparse.Excerpt, "", false, 0x3E4, 0x1668, "Misc", "Send request failed, hr:0x80072f8f", 1, ""},
			{logparse.Continuation, "", false, 0x3E4, 0x1668, "Misc", "", 2, ""},
			{logparse.Excerpt, "", false, 7452, 3228, "Misc", "*FAILED* [80072F8F] Send request", 3, ""}}, 0},
		{"no prefix before the first record", "...\n** START **  Agent: Finding updates\n" + w10, []wantRec{
			{logparse.Unparsed, "", false, 0, 0, "", "...", 1, logparse.ReasonNoPrefix},
			{logparse.Unparsed, "", false, 0, 0, "", "** START **  Agent: Finding updates", 2, logparse.ReasonNoPrefix},
			{logparse.Win10, "2023-03-21T22:19:01.8143606Z", false, 19924, 14968, "Misc", "*FAILED* [80072F8F] Send request", 3, ""}}, 0},
		{"blank lines", "\n" + w10 + "\n\n\n", []wantRec{
			{logparse.Unparsed, "", false, 0, 0, "", "", 1, logparse.ReasonBlank},
			{logparse.Win10, "2023-03-21T22:19:01.8143606Z", false, 19924, 14968, "Misc", "*FAILED* [80072F8F] Send request", 2, ""},
			{logparse.Continuation, "2023-03-21T22:19:01.8143606Z", false, 19924, 14968, "Misc", "", 3, ""},
			{logparse.Continuation, "2023-03-21T22:19:01.8143606Z", false, 19924, 14968, "Misc", "", 4, ""}}, 0},
		{"NUL bytes", "\x00\x00\x00\x00\n\x00\x00" + w10 + "\n", []wantRec{
			{logparse.Unparsed, "", false, 0, 0, "", "", 1, logparse.ReasonNUL},
			{logparse.Win10, "2023-03-21T22:19:01.8143606Z", false, 19924, 14968, "Misc", "*FAILED* [80072F8F] Send request", 2, ""}}, 0},
		{"invalid UTF-8 kept as is", "2017-03-23\t12:49:13:642\t1112\t19c4\tAU\tTitle \xff\xfe\xc3 end\n", []wantRec{
			{logparse.Legacy, "2017-03-23T12:49:13.642Z", false, 1112, 0x19c4, "AU", "Title \xff\xfe\xc3 end", 1, ""}}, 0},
		{"impossible date", "2023/02/30 22:19:01.8143606 19924 14968 Misc            text\n", []wantRec{
			{logparse.Unparsed, "", false, 0, 0, "", "2023/02/30 22:19:01.8143606 19924 14968 Misc            text", 1, logparse.ReasonBadDate}}, 0},
		{"symbol-less output", "1601/01/01 00:00:00.0000000 1020  1748                  Unknown( 10): GUID=5e0ee4cc-3618-f43a-06ca-9d3b0dabc11a (No Format Information found).\n", []wantRec{
			{logparse.Win10, "1601-01-01T00:00:00Z", false, 1020, 1748, "", "Unknown( 10): GUID=5e0ee4cc-3618-f43a-06ca-9d3b0dabc11a (No Format Information found).", 1, ""}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			recs, st := scanAll(t, []byte(tc.in), 0)
			if len(recs) != len(tc.want) {
				for _, r := range recs {
					t.Logf("%s line %d %q", r.Format, r.Line, r.Message)
				}
				t.Fatalf("%d records, want %d", len(recs), len(tc.want))
			}
			if st.Split != tc.split {
				t.Errorf("split %d, want %d", st.Split, tc.split)
			}
			for i, w := range tc.want {
				r := recs[i]
				tm := ""
				if !r.Time.IsZero() {
					tm = r.Time.Format(time.RFC3339Nano)
				}
				got := wantRec{r.Format, tm, r.ZoneKnown, r.PID, r.TID, r.Component, string(r.Message), r.Line, r.Reason}
				if got != w {
					t.Errorf("record %d:\n got %+v\nwant %+v", i, got, w)
				}
				if r.File != "test.log" {
					t.Errorf("record %d: File %q", i, r.File)
				}
			}
			if strings.Contains(tc.name, "symbol-less") && !st.DecodedWithoutSymbols() {
				t.Errorf("symbol-less output not reported: %+v", st)
			}
		})
	}
}

func TestLongLines(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", 100<<10/16) // 100 KiB, more than bufio.Scanner's 64 KiB
	line := "2023/03/21 22:19:01.8143606 19924 14968 Misc            *FAILED* [80072F8F] " + long
	data := []byte(line + "\r\n" + line + "\n")

	recs, st := scanAll(t, data, 0)
	if len(recs) != 2 || st.Split != 0 || !strings.HasSuffix(string(recs[0].Message), long) {
		t.Fatalf("default limit: %d records, split %d", len(recs), st.Split)
	}

	const max = 4096
	recs, st = scanAll(t, data, max)
	perLine := (len(line) + max - 1) / max
	if len(recs) != 2*perLine || st.Lines != 2 || st.Records != 2 || st.Split != int64(2*perLine-2) {
		t.Fatalf("limit %d: %d records, stats %+v", max, len(recs), st)
	}
	var rebuilt []byte
	for i, r := range recs[:perLine] {
		if i == 0 {
			if r.Format != logparse.Win10 {
				t.Fatalf("first chunk is %s", r.Format)
			}
			rebuilt = append(rebuilt, line[:int(r.Size)-len(r.Message)]...)
		} else if r.Format != logparse.Continuation || r.Line != 1 || r.Component != "Misc" {
			t.Fatalf("chunk %d: %s line %d %q", i, r.Format, r.Line, r.Component)
		}
		if r.Size > max+2 {
			t.Errorf("chunk %d has %d bytes, limit %d", i, r.Size, max)
		}
		rebuilt = append(rebuilt, r.Message...)
	}
	if string(rebuilt) != line {
		t.Errorf("chunks do not rebuild the line")
	}
}

func TestNoFinalNewline(t *testing.T) {
	data, err := os.ReadFile("testdata/win10-utf8-lf.log")
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := scanAll(t, data, 0)
	if got := string(recs[len(recs)-1].Message); !strings.HasSuffix(got, "\U0001F600") {
		t.Errorf("last record %q", got)
	}
}

// TestSteadyStateAllocs checks that scanning allocates nothing per record
// once the buffers have grown.
func TestSteadyStateAllocs(t *testing.T) {
	data := bytes.Repeat([]byte("2023/03/21 22:19:01.8143606 19924 14968 Misc            *FAILED* [80072F8F] Send request hr = 0x80072F8F https://sls.update.microsoft.com/x (cV = abc.1)\n"+
		"2017-03-23\t12:49:13:642\t1112\t19c4\tAU\tREPORT EVENT: {68F9689D-EEE7-4BF3-9CA4-BA4F38A64727}\t2017-03-23 12:49:13:642+0900\t1\t149\t102\t{00000000-0000-0000-0000-000000000000}\t0\t80072efd\tAutomaticUpdates\n"), 20000)
	s := logparse.NewScanner(bytes.NewReader(data))
	for i := 0; i < 100; i++ {
		s.Scan()
	}
	allocs := testing.AllocsPerRun(20000, func() {
		if !s.Scan() {
			t.Fatal("input ended")
		}
	})
	if allocs != 0 {
		t.Errorf("%.3f allocations per record, want 0", allocs)
	}
}

func TestAllIterator(t *testing.T) {
	s := logparse.NewScanner(strings.NewReader("a\nb\n"))
	n := 0
	for r, err := range logparse.All(s) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if r.Format != logparse.Unparsed {
			t.Errorf("%s", r.Format)
		}
	}
	if n != 2 {
		t.Errorf("%d records", n)
	}
	// A read error ends the iteration with one (nil, err) pair.
	s = logparse.NewScanner(&failingReader{data: "2023/03/21 22:19:01.8143606 19924 14968 Misc            text\n"})
	var errs []error
	for r, err := range logparse.All(s) {
		if err != nil {
			errs = append(errs, err)
			if r != nil {
				t.Error("error with a record")
			}
		}
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "disk on fire") {
		t.Errorf("errors %v", errs)
	}
}

type failingReader struct {
	data string
	done bool
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.done {
		return 0, fmt.Errorf("disk on fire")
	}
	f.done = true
	return copy(p, f.data), nil
}

// TestFormatMarkerNames checks the names of formats and markers, that
// ParseFormat reads every format name back, and the names of values out of
// range.
func TestFormatMarkerNames(t *testing.T) {
	want := []string{"unparsed", "continuation", "win10", "legacy", "excerpt", "etl"}
	if len(want) != logparse.NumFormats {
		t.Fatalf("NumFormats = %d, want %d", logparse.NumFormats, len(want))
	}
	for i, name := range want {
		f := logparse.Format(i)
		if f.String() != name {
			t.Errorf("Format(%d).String() = %q, want %q", i, f, name)
		}
		if g, ok := logparse.ParseFormat(strings.ToUpper(name)); !ok || g != f {
			t.Errorf("ParseFormat(%q) = %v, %v", strings.ToUpper(name), g, ok)
		}
	}
	if f, ok := logparse.ParseFormat("text"); ok {
		t.Errorf("ParseFormat(text) = %v, true", f)
	}
	if s := logparse.Format(200).String(); s != "format(200)" {
		t.Errorf("Format(200).String() = %q", s)
	}
	if s := logparse.MarkerResumed.String(); s != "*RESUMED*" {
		t.Errorf("MarkerResumed.String() = %q", s)
	}
	if s := logparse.Marker(17).String(); s != "marker(17)" {
		t.Errorf("Marker(17).String() = %q", s)
	}
}

// TestDetectEncoding checks the encoding decided from the first bytes,
// including heads too short to decide and NUL bytes that are not UTF-16.
func TestDetectEncoding(t *testing.T) {
	for _, tc := range []struct {
		head string
		want string
	}{
		{"", logparse.EncodingUTF8},
		{"2023", logparse.EncodingUTF8},
		{"\xEF\xBB\xBF2", logparse.EncodingUTF8BOM},
		{"\xEF\xBB", logparse.EncodingUTF8},
		{"\xFF\xFE", logparse.EncodingUTF16LE},
		{"\xFE\xFF\x00", logparse.EncodingUTF16BE},
		{"2\x000\x00", logparse.EncodingUTF16LE},
		{"\x002\x000", logparse.EncodingUTF16BE},
		{"2\x000", logparse.EncodingUTF8},           // too short to tell
		{"\x00\x00\x00\x00", logparse.EncodingUTF8}, // NULs, not characters
		{"2\x00\x00\x00", logparse.EncodingUTF8},
		{"20\x00\x00", logparse.EncodingUTF8},
	} {
		if got := logparse.DetectEncoding([]byte(tc.head)); got != tc.want {
			t.Errorf("DetectEncoding(%q) = %q, want %q", tc.head, got, tc.want)
		}
	}
}
