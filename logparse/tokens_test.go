package logparse_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/wulog/wulog/logparse"
)

// codesOf formats the codes of a message as "0x80072F8F" or "0x00240001/ok".
func codesOf(r *logparse.Record) string {
	var s []string
	for _, c := range r.Codes {
		v := fmt.Sprintf("0x%08X", c.Value)
		if c.Success {
			v += "/ok"
		}
		s = append(s, v)
	}
	return strings.Join(s, " ")
}

func TestTokens(t *testing.T) {
	for _, tc := range []struct {
		format logparse.Format
		msg    string
		codes  string
		marker logparse.Marker
		urls   string
		method string
		cv     string
	}{
		{logparse.Win10, "*FAILED* [80072F8F] Send request", "0x80072F8F", logparse.MarkerFailed, "", "", ""},
		{logparse.Legacy, "WARNING: SendRequest failed with hr = 80072efe. Proxy List used: <(null)>", "0x80072EFE", logparse.MarkerWarning, "", "", ""},
		{logparse.Legacy, "WARNING: UpdateNow for accelerated install failed with hr:80070005", "0x80070005", logparse.MarkerWarning, "", "", ""},
		{logparse.Excerpt, "Send request failed, hr:0x80072f8f", "0x80072F8F", logparse.NoMarker, "", "", ""},
		{logparse.Win10, "Failed to find updates with error code 80072EFD", "0x80072EFD", logparse.NoMarker, "", "", ""},
		{logparse.Win10, "Library download error. Error 0x80072f8f. Will retry.", "0x80072F8F", logparse.NoMarker, "", "", ""},
		{logparse.Legacy, "WARNING: PTError: 0x8024000b", "0x8024000B", logparse.MarkerWarning, "", "", ""},
		{logparse.Legacy, "FATAL: DataStore initialization failed: 0xC8000710", "0xC8000710", logparse.MarkerFatal, "", "", ""},
		{logparse.Legacy, "  * WARNING: Exit code = 0x00000000, Result code = 0x80072EFD", "0x00000000/ok 0x80072EFD", logparse.MarkerWarning, "", "", ""},
		{logparse.Win10, "* END * Service exit Exit code = 0x240001", "0x00240001/ok", logparse.MarkerEnd, "", "", ""},
		{logparse.Legacy, "**  END  **  Service: Service exit [Exit code = 0x240001]", "0x00240001/ok", logparse.MarkerEnd, "", "", ""},
		{logparse.Legacy, "## START ##  AU: Search for updates", "", logparse.MarkerStart, "", "", ""},
		{logparse.Win10, "*RESUMED*   Search ClientId = <<PROCESS>>: taskhostw.exe (cV = Blc8rrSMw0iRfLR0.1.1.0)", "", logparse.MarkerResumed, "", "", "Blc8rrSMw0iRfLR0.1.1.0"},
		{logparse.Win10, "*FAILED* [80072F8F] Failed to execute service registration call {8AB60E13-99C0-4723-B11F-FBA5A0DB78E1} (cV: BtquFucK3Uq1349eI9rrLw.277.1.1.0.1)", "0x80072F8F", logparse.MarkerFailed, "", "", "BtquFucK3Uq1349eI9rrLw.277.1.1.0.1"},
		{logparse.Win10, "* START * Finding updates (cV = (null))", "", logparse.MarkerStart, "", "", ""},
		{logparse.Win10, "*FAILED* [80240438] Method failed [CSLSClient::GetResponse:625]", "0x80240438", logparse.MarkerFailed, "", "CSLSClient::GetResponse:625", ""},
		{logparse.Win10, "Making request with URL HTTPS://slscr.update.microsoft.com/SLS/{9482F4B4-E343}/x64/0?CH=584&P=&PT=0x65&WUA=10.0.19041.2546 and send SLS events.",
			"", logparse.NoMarker, "HTTPS://slscr.update.microsoft.com/SLS/{9482F4B4-E343}/x64/0?CH=584&P=&PT=0x65&WUA=10.0.19041.2546", "", ""},
		{logparse.Legacy, "WARNING: WinHttp: SendRequestUsingProxy failed for <https://www.update.microsoft.com/v11/3/legacy/wuident.cab>. error 0x80072efe",
			"0x80072EFE", logparse.MarkerWarning, "https://www.update.microsoft.com/v11/3/legacy/wuident.cab", "", ""},
		{logparse.Win10, "ServiceId = {3DA21691}, Server URL = http://wsus.company.net:8530/ClientWebService/client.asmx", "", logparse.NoMarker, "http://wsus.company.net:8530/ClientWebService/client.asmx", "", ""},
		// Numbers that are not codes.
		{logparse.Win10, "Search ClientId = Update, Flags: 0X80010010 (cV = x.1)", "", logparse.NoMarker, "", "", "x.1"},
		{logparse.Win10, "Calling into handler 0x9 to generate download request", "", logparse.NoMarker, "", "", ""},
		{logparse.Win10, "Suspended update for reason 0x40000 (DownloadedSuspend)", "", logparse.NoMarker, "", "", ""},
		{logparse.Legacy, "CWERReporter::HandleEvents - WER report upload completed with status 0x8", "", logparse.NoMarker, "", "", ""},
		{logparse.Win10, "Update 0x80072efd0 and 0x1G", "", logparse.NoMarker, "", "", ""},
		{logparse.Win10, "revId[41339695] updId[E81C016F-ED6B]", "", logparse.NoMarker, "", "", ""},
		{logparse.Win10, "Added update 8B586643-1DFB-4074-94D3-3D761D2AD98C.1 hr = 8B586643-1DFB", "", logparse.NoMarker, "", "", ""},
		{logparse.Win10, "Load undocked module: UusId:wu.handler.wuauengcore|hr:0x0|ModuleVer:1507", "0x00000000/ok", logparse.NoMarker, "", "", ""},
		// 3010 (reboot required) is a Win32 success code.
		{logparse.Win10, "MSI transaction completed. MSI: 0x00000BC2, Handler: 0x00000000", "0x00000BC2/ok", logparse.NoMarker, "", "", ""},
		{logparse.Win10, "Driver Install (mapping to error 8024200B)", "0x8024200B", logparse.NoMarker, "", "", ""},
		{logparse.Win10, "Search warning [MetadataIntegrity]: hr=80247140", "0x80247140", logparse.NoMarker, "", "", ""},
		{logparse.Legacy, "REPORT EVENT: {68F9689D-EEE7-4BF3-9CA4-BA4F38A64727}\t2017-03-23 12:49:13:642+0900\t1\t149\t102\t{00000000-0000-0000-0000-000000000000}\t0\t80072efd\tAutomaticUpdates\tFailure\tSoftware Synchronization\tWindows Update Client failed to detect with error 0x80072efd.",
			"0x80072EFD 0x80072EFD", logparse.NoMarker, "", "", ""},
		{logparse.Legacy, "REPORT EVENT: {6A1D70DA-3080-4D89-AA49-8406A37465CB}\t2018-10-02 10:55:18:155+0300\t1\t149\t102\t{00000000-0000-0000-0000-000000000000}\t0\t0\tAutomaticUpdates\tFailure\tSoftware Synchronization\tUnable to Connect",
			"0x00000000/ok", logparse.NoMarker, "", "", ""},
	} {
		r := &logparse.Record{Format: tc.format, Message: []byte(tc.msg)}
		r.ExtractTokens()
		var urls []string
		for _, u := range r.URLs {
			urls = append(urls, string(r.Text(u)))
		}
		got := fmt.Sprintf("codes=%q marker=%v urls=%q method=%q cv=%q", codesOf(r), r.Marker, strings.Join(urls, " "), r.Text(r.Method), r.Text(r.CV))
		want := fmt.Sprintf("codes=%q marker=%v urls=%q method=%q cv=%q", tc.codes, tc.marker, tc.urls, tc.method, tc.cv)
		if got != want {
			t.Errorf("%q:\n got %s\nwant %s", tc.msg, got, want)
		}
		for _, c := range r.Codes {
			if c.At.Start < 0 || c.At.End > int32(len(r.Message)) || c.At.Start >= c.At.End {
				t.Errorf("%q: code span %v", tc.msg, c.At)
			}
		}
		if fails := r.Failures(); len(fails) != strings.Count(tc.codes, "0x")-strings.Count(tc.codes, "/ok") {
			t.Errorf("%q: %d failures", tc.msg, len(fails))
		}
	}
}

// TestExtractTokensAllocs checks that ExtractTokens allocates nothing once
// the record's slices have grown, for short and long messages (sources
// such as the .etl reader call it for every record).
func TestExtractTokensAllocs(t *testing.T) {
	short := "*FAILED* [80072F8F] Send request hr = 0x80072F8F https://sls.update.microsoft.com/x error 80240438 (cV = abc.1)"
	long := strings.Repeat(short+" ", 100)
	for _, msg := range []string{short, long} {
		r := &logparse.Record{Format: logparse.Win10, Message: []byte(msg)}
		r.ExtractTokens()
		if len(r.Codes) == 0 || len(r.URLs) == 0 || r.CV == (logparse.Span{}) {
			t.Fatalf("tokens not found in %.40q: %+v", msg, r)
		}
		if n := testing.AllocsPerRun(100, r.ExtractTokens); n != 0 {
			t.Errorf("%d-byte message: %.1f allocations per call", len(msg), n)
		}
	}
}
