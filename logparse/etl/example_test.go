package etl_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/wulog/wulog/logparse/etl"
	"github.com/wulog/wulog/logparse/etl/etltest"
)

// A small Windows Update-shaped file, as the test writer makes it.
func exampleFile() []byte {
	t := time.Date(2024, 3, 5, 6, 7, 8, 0, time.UTC)
	data, _ := etltest.Write(etltest.Options{},
		etltest.WU(t.Add(2*time.Second), 1, 1234, 5678, "SLS", "*FAILED* [80072F8F] Method failed [CSLSClient::DownloadSLSFile:1140]"),
		etltest.WU(t, 0, 1234, 5678, "Agent", "* START * Finding updates"),
	)
	return data
}

// Read the events of an ETL file in time order. The logfile header event
// and any event that is not self-describing come back with Decoded false
// and a Reason.
func ExampleNewReader() {
	data := exampleFile()
	r, err := etl.NewReader(bytes.NewReader(data), int64(len(data)), "WindowsUpdate.etl", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("OS build", r.Header().OSBuild, "clock", r.Header().Clock)
	for r.Scan() {
		e := r.Event()
		if !e.Decoded {
			fmt.Println("raw:", e.Reason)
			continue
		}
		fmt.Println(e.Time.Format(time.RFC3339), e.PID, e.TID, e.ProviderName, e.Name, e.Field("Info").String())
	}
	if err := r.Err(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// OS build 19045 clock QPC
	// raw: logfile header (EventTrace/Header)
	// 2024-03-05T06:07:08Z 1234 5678 WUTraceLogging Agent * START * Finding updates
	// 2024-03-05T06:07:10Z 1234 5678 WUTraceLogging SLS *FAILED* [80072F8F] Method failed [CSLSClient::DownloadSLSFile:1140]
}

// AppendJSON writes an event in the layout of the reference decodings.
func ExampleAppendJSON() {
	data := exampleFile()
	r, _ := etl.NewReader(bytes.NewReader(data), int64(len(data)), "WindowsUpdate.etl", nil)
	for r.Scan() {
		if e := r.Event(); e.Name == "Agent" {
			line := string(etl.AppendJSON(nil, e, 0))
			head, _, _ := strings.Cut(line, `, "fields"`)
			fmt.Println(head + ", ...}")
		}
	}
	// Output:
	// {"file": "WindowsUpdate.etl", "provider_name": "WUTraceLogging", "provider_guid": "{0b7a6f19-47c4-454e-8c5c-e868d637e4d8}", "event_name": "Agent", "timestamp_filetime": 133540924280000000, "timestamp": "2024-03-05T06:07:08.0000000Z", "pid": 1234, "tid": 5678, "level": 4, "keyword": 1, "opcode": 0, ...}
}
