package wu_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/logparse/etl"
	"github.com/wulog/wulog/logparse/etl/etltest"
	"github.com/wulog/wulog/logparse/etl/wu"
)

// Read the Windows Update records of an ETL file and print them as
// Get-WindowsUpdateLog does.
func ExampleNewSource() {
	t := time.Date(2023, 3, 21, 22, 19, 1, 814360600, time.UTC)
	data, _ := etltest.Write(etltest.Options{},
		etltest.WU(t, 0, 19924, 14968, "SLS", "*FAILED* [80072F8F] GetDownloadedOnWeakHashesPolicy"),
		etltest.WU(t.Add(time.Millisecond), 1, 19924, 14968, "Misc", "Got 855A8937-... URL = https://slscr.update.microsoft.com/SLS/x"),
	)
	r, err := etl.NewReader(bytes.NewReader(data), int64(len(data)), "WindowsUpdate.etl", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	src := wu.NewSource(r, nil)
	for rec, err := range logparse.All(src) {
		if err != nil {
			fmt.Println(err)
			return
		}
		os.Stdout.Write(bytes.TrimRight(wu.AppendLine(nil, rec, time.UTC), "\r\n"))
		fmt.Println(" | codes:", len(rec.Codes), "failure:", rec.HasFailure())
	}
	// Output:
	// 2023/03/21 22:19:01.8143606 19924 14968 SLS             *FAILED* [80072F8F] GetDownloadedOnWeakHashesPolicy | codes: 1 failure: true
	// 2023/03/21 22:19:01.8153606 19924 14968 Misc            Got 855A8937-... URL = https://slscr.update.microsoft.com/SLS/x | codes: 0 failure: false
}

// Map turns the plain data of any Windows Update event, here as a live ETW
// session would deliver it, into a logparse record.
func ExampleMap() {
	ev := wu.Event{
		ProviderID: wu.ProviderID, Name: "Agent",
		Time: time.Date(2024, 5, 2, 10, 0, 0, 0, time.UTC), PID: 1040, TID: 2200,
		Fields: []wu.Field{{Name: wu.InfoField, Value: []byte("Exit code = 0x80240022")}},
	}
	var rec logparse.Record
	if wu.IsWindowsUpdate(ev.ProviderID, ev.ProviderName) {
		wu.Map(&rec, &ev)
	}
	fmt.Println(rec.Format, rec.Component, string(rec.Message), fmt.Sprintf("0x%08X", rec.Codes[0].Value))
	// Output:
	// etl Agent Exit code = 0x80240022 0x80240022
}

// Convert an ETL file to the text Get-WindowsUpdateLog writes; what is not
// a Windows Update record (here a WPP message) is passed to the callback.
func ExampleWriteLog() {
	t := time.Date(2023, 3, 21, 22, 19, 1, 814360600, time.UTC)
	var data bytes.Buffer
	w, _ := etltest.NewWriter(&data, etltest.Options{Start: t})
	w.Add(etltest.WU(t, 0, 19924, 14968, "SLS", "*FAILED* [80072F8F] GetDownloadedOnWeakHashesPolicy"))
	w.AddWPP(0, 19924, 14968, t.Add(time.Millisecond), wu.ProviderID, 7, []byte("args"))
	w.Add(etltest.WU(t.Add(2*time.Millisecond), 0, 19924, 14968, "Agent", "Exit code = 0x80072F8F"))
	w.Close()
	r, err := etl.NewReader(bytes.NewReader(data.Bytes()), int64(data.Len()), "WindowsUpdate.etl", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	var text bytes.Buffer
	n, err := wu.WriteLog(&text, wu.NewSource(r, nil), time.UTC, func(rec *logparse.Record) {
		what, _, _ := strings.Cut(rec.Reason, ":")
		fmt.Println("skipped:", rec.File, what)
	})
	fmt.Println(n, "lines, error:", err)
	fmt.Print(strings.ReplaceAll(text.String(), "\r\n", "\n"))
	// Output:
	// skipped: WindowsUpdate.etl WPP trace messages (the format Windows Update used before Windows 10 1709, logged on Windows build 19045)
	// 2 lines, error: <nil>
	// 2023/03/21 22:19:01.8143606 19924 14968 SLS             *FAILED* [80072F8F] GetDownloadedOnWeakHashesPolicy
	// 2023/03/21 22:19:01.8163606 19924 14968 Agent           Exit code = 0x80072F8F
}
