package logparse_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/wulog/wulog/logparse"
)

func addSeeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.log")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("2023/03/21 22:19:01.8143606 19924 14968 Misc            *FAILED* [80072F8F] Send request\r\n\n..."))
	f.Add([]byte("2018-05-20\t19:21:13:219\t 908\t45c\tMisc\t===========  Logging initialized (build: 7.5.7601.17514, tz: -0700)  ===========\n"))
	f.Add([]byte("2017-03-23\t12:49:18:649\t1112\t2adc\tReport\tREPORT EVENT: {68F9689D}\t2017-03-23 12:49:13:642+0900\t1\t149\t102\t{0}\t0\t80072efd\tAU\n"))
	f.Add([]byte("03E4 1668 Misc Send request failed, hr:0x80072f8f\n\x00\x00\xff\xfe"))
	f.Add([]byte("\xff\xfe2\x000\x00\n\x00\xd8\x00"))
	f.Add([]byte("x 2023/03/21 22:19:01.8143606 19924 14968 Misc a 2023/03/21 22:19:01.8143606 1 2 B c |  "))
}

// FuzzScanner checks that the scanner never panics and never loses a byte
// or a line, whatever the input and line limit.
func FuzzScanner(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, max := range []int{0, 64, 77} {
			recs, _ := scanAll(t, data, max)
			for _, r := range recs {
				for _, c := range r.Codes {
					if c.At.Start < 0 || c.At.End > int32(len(r.Message)) || c.At.Start > c.At.End {
						t.Fatalf("code span %v outside message of %d bytes", c.At, len(r.Message))
					}
				}
			}
		}
	})
}

// FuzzTokens checks that token extraction never panics, that every span
// lies inside the message and that every code's digits spell its value.
func FuzzTokens(f *testing.F) {
	for _, m := range []string{
		"*FAILED* [80072F8F] Send request (cV = abc.1)",
		"WARNING: Send failed with hr = 80072efe. error code 8024200B",
		"Making request with URL https://x.example/a?PT=0x65 hr:0x0|",
		"REPORT EVENT: {x}\t2017\t1\t149\t102\t{0}\t0\t80072efd\tAU",
		"*FAILED* [80240438] Method failed [CSLSClient::GetResponse:625",
		"Flags: 0X80010010 0x 0x1G [1234567] (cV",
	} {
		f.Add(m, false)
	}
	f.Fuzz(func(t *testing.T, msg string, legacy bool) {
		r := &logparse.Record{Format: logparse.Win10, Message: []byte(msg)}
		if legacy {
			r.Format = logparse.Legacy
		}
		r.ExtractTokens()
		n := int32(len(msg))
		spans := append([]logparse.Span{r.Method, r.CV}, r.URLs...)
		for _, s := range spans {
			if s.Start < 0 || s.End > n || s.Start > s.End {
				t.Fatalf("span %v outside message of %d bytes", s, n)
			}
		}
		last := int32(-1)
		for _, c := range r.Codes {
			if c.At.Start < 0 || c.At.End > n || c.At.Start >= c.At.End || c.At.End-c.At.Start > 8 {
				t.Fatalf("code span %v in %q", c.At, msg)
			}
			if c.At.Start <= last {
				t.Fatalf("codes out of order in %q", msg)
			}
			last = c.At.Start
			var v uint32
			for _, d := range bytes.ToLower(r.Text(c.At)) {
				switch {
				case d >= '0' && d <= '9':
					v = v<<4 | uint32(d-'0')
				case d >= 'a' && d <= 'f':
					v = v<<4 | uint32(d-'a'+10)
				default:
					t.Fatalf("code digits %q in %q", r.Text(c.At), msg)
				}
			}
			if v != c.Value {
				t.Fatalf("code %q has value 0x%X", r.Text(c.At), c.Value)
			}
		}
	})
}
