package etltest

import (
	"io"
	"time"
)

// wuMessages are typical Windows Update messages (lengths and token
// density as in real logs) for generated files.
var wuMessages = []struct{ comp, info string }{
	{"Agent", "* START * Finding updates CallerId = UpdateOrchestrator  Id = 8"},
	{"Agent", "Online = Yes; AllowCachedResults = No; Ignore download priority = No"},
	{"SLS", "Get response for service 855DA8A1-... - forceExpire[False] asyncRefreshOnExpiry[True]"},
	{"Misc", "Send request failed, hr:0x80072f8f (cV = Tn5BSn6I9kyqA6hj.1.1)"},
	{"SLS", "*FAILED* [80072F8F] Method failed [CSLSClient::DownloadSLSFile:1140]"},
	{"ProtocolTalker", "Fetching URL https://slscr.update.microsoft.com/SLS/{9482F4B4-E343-43B6-B170-9A65BC822C77}/x64/10.0.19045.2728/0?CH=686&L=en-US&P=&PT=0x30&WUA=1003.2302.2020.0"},
	{"DownloadManager", "PurgeExpiredFiles::Found 0 expired files to delete."},
	{"Shared", "Effective power state: AC"},
	{"EndPointProvider", "Endpoint Provider: 00000000-0000-0000-0000-000000000000"},
	{"ComApi", "* END * Search ClientId = UpdateOrchestrator, Updates found = 0, ServiceId = {8B24B027-1DEE-BABB-9A95-3517DFB9C552} (cV = Tn5BSn6I9kyqA6hj.1.0.1)"},
}

// GenerateWU writes a Windows Update-shaped ETL file of about size bytes
// of buffers to w: typical messages from four processors, 137 µs apart.
// It returns the number of events written. Benchmarks use it to build
// large files in a temporary directory.
func GenerateWU(w io.Writer, size int64, o Options) (int, error) {
	if o.Start.IsZero() {
		o.Start = time.Date(2024, 5, 2, 8, 0, 0, 0, time.UTC)
	}
	if o.BufferSize == 0 {
		o.BufferSize = 64 << 10
	}
	ew, err := NewWriter(w, o)
	if err != nil {
		return 0, err
	}
	t := o.Start.Add(time.Second)
	var evs []Event
	for _, m := range wuMessages {
		evs = append(evs, WU(t, 0, 0, 0, m.comp, m.info))
	}
	n := 0
	for i := 0; ; i++ {
		// Buffers counts buffers written: compressed buffers are
		// smaller, so a compressed file holds as many events as a plain
		// one of the same size would.
		if i%1000 == 0 && int64(ew.Buffers())*int64(o.BufferSize) >= size {
			break
		}
		e := evs[i%len(evs)]
		e.Time = t.Add(time.Duration(i) * 137 * time.Microsecond)
		e.Processor = uint16(i % 4)
		e.PID, e.TID = 1000+uint32(i%3), 2000+uint32(i%17)
		if err := ew.Add(e); err != nil {
			return n, err
		}
		n++
	}
	return n, ew.Close()
}
