package logparse_test

import (
	"fmt"
	"strings"

	"github.com/wulog/wulog/logparse"
)

func ExampleScanner() {
	log := "2023/03/21 22:19:01.8143606 19924 14968 Misc            *FAILED* [80072F8F] Send request\r\n" +
		"2023/03/21 22:19:04.5991526 19924 14968 Agent           *FAILED* [80072F8F] Failed to execute service registration call (cV: BtquFucK3Uq1349eI9rrLw.277.1.1.0.1)\r\n" +
		"2023/03/21 22:19:05.0000000 19924 14968 Shared          * END * Service exit Exit code = 0x240001\r\n"
	s := logparse.NewScanner(strings.NewReader(log))
	s.SetName("WindowsUpdate.log")
	for s.Scan() {
		r := s.Record()
		fmt.Printf("%s:%d %s %s %q marker=%v", r.File, r.Line, r.Time.Format("15:04:05.0000000"), r.Component, r.Message, r.Marker)
		for _, c := range r.Codes {
			fmt.Printf(" code=0x%08X success=%v", c.Value, c.Success)
		}
		if r.CV.End > 0 {
			fmt.Printf(" cV=%s", r.Text(r.CV))
		}
		fmt.Println()
	}
	if err := s.Err(); err != nil {
		fmt.Println(err)
	}
	st := s.Stats()
	fmt.Println(st.Lines, "lines,", st.Records, "records,", st.Failures, "failures, encoding", st.Encoding)
	// Output:
	// WindowsUpdate.log:1 22:19:01.8143606 Misc "*FAILED* [80072F8F] Send request" marker=*FAILED* code=0x80072F8F success=false
	// WindowsUpdate.log:2 22:19:04.5991526 Agent "*FAILED* [80072F8F] Failed to execute service registration call (cV: BtquFucK3Uq1349eI9rrLw.277.1.1.0.1)" marker=*FAILED* code=0x80072F8F success=false cV=BtquFucK3Uq1349eI9rrLw.277.1.1.0.1
	// WindowsUpdate.log:3 22:19:05.0000000 Shared "* END * Service exit Exit code = 0x240001" marker=END code=0x00240001 success=true
	// 3 lines, 3 records, 2 failures, encoding utf-8
}

func ExampleAll() {
	log := "** START **  Agent: Finding updates\n" +
		"2016-09-08\t10:48:43:109\t 848\t604\tMisc\tWARNING: SendRequest failed with hr = 80072ee2.\n" +
		"\n"
	for r, err := range logparse.All(logparse.NewScanner(strings.NewReader(log))) {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(strings.TrimSpace(fmt.Sprintf("line %d: %s pid=%d tid=%#x %q failures=%d %s", r.Line, r.Format, r.PID, r.TID, r.Message, len(r.Failures()), r.Reason)))
	}
	// Output:
	// line 1: unparsed pid=0 tid=0x0 "** START **  Agent: Finding updates" failures=0 no record prefix (date, time, PID, TID, component) and no record before it
	// line 2: legacy pid=848 tid=0x604 "WARNING: SendRequest failed with hr = 80072ee2." failures=1
	// line 3: continuation pid=848 tid=0x604 "" failures=0
}
