package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/logparse/etl"
	"github.com/wulog/wulog/logparse/etl/etltest"
	"github.com/wulog/wulog/logparse/etl/wu"
)

var convT0 = time.Date(2023, 3, 21, 22, 19, 1, 814360600, time.UTC)

// wuFolder writes a WindowsUpdate folder of two ETL files (one compressed)
// whose events interleave in time, with messages like the seed case's.
func wuFolder(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "WindowsUpdate")
	os.MkdirAll(dir, 0o755)
	msgs := []struct{ comp, info string }{
		{"Agent", "* START * Finding updates CallerId = UpdateOrchestrator  Id = 8"},
		{"SLS", "Get response for service 855DA8A1-... - forceExpire[False] asyncRefreshOnExpiry[True]"},
		{"Misc", "Send request failed, hr:0x80072f8f (cV = Tn5BSn6I9kyqA6hj.1.1)"},
		{"SLS", "*FAILED* [80072F8F] Method failed [CSLSClient::DownloadSLSFile:1140]"},
		{"ProtocolTalker", "Fetching URL https://slscr.update.microsoft.com/SLS/{9482F4B4-E343-43B6-B170-9A65BC822C77}/x64/10.0.19045.2728/0?CH=686&L=en-US&P=&PT=0x30&WUA=1003.2302.2020.0"},
		{"DownloadManager", "PurgeExpiredFiles::Found 0 expired files to delete."},
		{"Shared", "Effective power state: AC"},
		{"EndPointProvider", "Endpoint Provider: 00000000-0000-0000-0000-000000000000"},
	}
	for f := 0; f < 2; f++ {
		var evs []etltest.Event
		for i := 0; i < 400; i++ {
			m := msgs[(i+f)%len(msgs)]
			tt := convT0.Add(time.Duration(2*i+f)*time.Millisecond + time.Duration(i)*100)
			evs = append(evs, etltest.WU(tt, uint16(i%3), 11884+uint32(f), 6000+uint32(i%7), m.comp, m.info))
		}
		data, err := etltest.Write(etltest.Options{BufferSize: 8192, Compressed: f == 1}, evs...)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("WindowsUpdate.20230321.221901.%03d.%d.etl", f, f+1)), data, 0o644)
	}
	return dir
}

// TestConvertRoundTrip converts a generated WindowsUpdate folder and
// parses the output back with the text scanner: every record equals the
// record read from the ETL files (time, IDs, component, message, marker,
// codes, URLs, method, correlation vector), and the lines have
// Get-WindowsUpdateLog's layout.
func TestConvertRoundTrip(t *testing.T) {
	dir := wuFolder(t)
	out := filepath.Join(t.TempDir(), "WindowsUpdate.log")
	code, _, stderr := runWulog(t, "convert", dir, "-o", out, "--tz", "UTC")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	m, err := etl.OpenAll(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	src := wu.NewSource(m, nil)
	var want []*logparse.Record
	for src.Scan() {
		want = append(want, src.Record().Clone())
	}
	sc := logparse.NewScanner(bytes.NewReader(text))
	i := 0
	for sc.Scan() {
		r := sc.Record()
		if i >= len(want) {
			t.Fatalf("more text records than ETL records")
		}
		w := want[i]
		if r.Format != logparse.Win10 || !r.Time.Equal(w.Time) || r.PID != w.PID || r.TID != w.TID || r.Component != w.Component ||
			!bytes.Equal(r.Message, w.Message) || r.Marker != w.Marker || fmt.Sprint(r.Codes) != fmt.Sprint(w.Codes) ||
			fmt.Sprint(r.URLs) != fmt.Sprint(w.URLs) || r.Method != w.Method || r.CV != w.CV {
			t.Fatalf("record %d:\n text %+v\n  etl %+v", i, r, w)
		}
		i++
	}
	if i != 800 || len(want) != 800 {
		t.Errorf("%d text records, %d ETL records, want 800", i, len(want))
	}
	// The layout: time, PID and TID padded to 5, component to 15, CRLF.
	first := strings.SplitN(string(text), "\r\n", 2)[0]
	if wantLine := "2023/03/21 22:19:01.8143606 11884 6000  Agent           * START * Finding updates CallerId = UpdateOrchestrator  Id = 8"; first != wantLine {
		t.Errorf("first line\n %q\nwant\n %q", first, wantLine)
	}
	if strings.Count(string(text), "\r\n") != 800 || strings.Count(string(text), "\n") != 800 {
		t.Error("lines do not all end in CRLF")
	}
}

// TestConvertTimeZones: --tz shifts the wall clock as Get-WindowsUpdateLog
// on a machine in that zone would; unknown zones are usage errors.
func TestConvertTimeZones(t *testing.T) {
	dir := wuFolder(t)
	code, out, stderr := runWulog(t, "convert", dir, "-o", "-", "--tz", "America/New_York")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// 22:19 UTC on 21 March 2023 is 18:19 EDT.
	if !strings.HasPrefix(out, "2023/03/21 18:19:01.8143606 11884 6000  Agent ") {
		t.Errorf("first line %q", strings.SplitN(out, "\r\n", 2)[0])
	}
	code, _, stderr = runWulog(t, "convert", dir, "-o", "-", "--tz", "Mars/Olympus")
	if code != 2 || !strings.Contains(stderr, "Mars/Olympus") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

// TestConvertPre1709: a folder of WPP-only Windows Update logs cannot be
// converted: the error says to use Get-WindowsUpdateLog with symbols.
func TestConvertPre1709(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	w, _ := etltest.NewWriter(&buf, etltest.Options{OSBuild: 14393})
	for i := 0; i < 10; i++ {
		w.AddWPP(0, 1, 2, convT0.Add(time.Duration(i)*time.Second), wu.ProviderID, uint16(i), []byte("x"))
	}
	w.Close()
	os.WriteFile(filepath.Join(dir, "WindowsUpdate.20170101.etl"), buf.Bytes(), 0o644)
	code, out, stderr := runWulog(t, "convert", dir, "-o", "-")
	if code != 2 || out != "" || !strings.Contains(stderr, wu.NeedsSymbols) || !strings.Contains(stderr, "build 14393") {
		t.Errorf("exit %d\nstdout %q\nstderr %s", code, out, stderr)
	}
}
