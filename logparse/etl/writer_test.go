package etl_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wulog/wulog/logparse/etl"
	"github.com/wulog/wulog/logparse/etl/container"
	"github.com/wulog/wulog/logparse/etl/etltest"
	"github.com/wulog/wulog/logparse/etl/guid"
	"github.com/wulog/wulog/logparse/etl/tracelogging"
)

var t0 = time.Date(2024, 3, 5, 6, 7, 8, 123456700, time.UTC)

// wuEvents returns n Windows Update-shaped events spread over 3
// processors, in time order, 1.5 ms apart.
func wuEvents(n int) []etltest.Event {
	comps := []string{"Agent", "DownloadManager", "SLS", "ProtocolTalker", "Misc"}
	var evs []etltest.Event
	for i := 0; i < n; i++ {
		t := t0.Add(time.Duration(i) * 1500 * time.Microsecond)
		info := fmt.Sprintf("event %d: Send request failed, hr:0x%08X", i, uint32(0x80072EE2)+uint32(i%3))
		evs = append(evs, etltest.WU(t, uint16(i%3), 1000+uint32(i%2), 2000+uint32(i%5), comps[i%len(comps)], info))
	}
	return evs
}

func readAll(t *testing.T, data []byte, opts *etl.Options) (*etl.Reader, []etl.Event, [][]byte) {
	t.Helper()
	r, err := etl.NewReader(bytes.NewReader(data), int64(len(data)), "test.etl", opts)
	if err != nil {
		t.Fatal(err)
	}
	var evs []etl.Event
	var jsons [][]byte
	for r.Scan() {
		e := r.Event()
		jsons = append(jsons, etl.AppendJSON(nil, e, 0))
		c := *e
		c.Fields = nil
		evs = append(evs, c)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return r, evs, jsons
}

func tlOnly(evs []etl.Event) []etl.Event {
	var out []etl.Event
	for _, e := range evs {
		if e.Schema != nil {
			out = append(out, e)
		}
	}
	return out
}

// TestWrittenWUFile reads a generated Windows Update file whose events
// are spread over three processors and several buffers: every event comes
// back once, in time order, with its exact time, IDs, name and Info text.
func TestWrittenWUFile(t *testing.T) {
	for _, compressed := range []bool{false, true} {
		t.Run(fmt.Sprintf("compressed=%v", compressed), func(t *testing.T) {
			in := wuEvents(300)
			data, err := etltest.Write(etltest.Options{BufferSize: 4096, Compressed: compressed}, in...)
			if err != nil {
				t.Fatal(err)
			}
			r, err := etl.NewReader(bytes.NewReader(data), int64(len(data)), "wu.etl", nil)
			if err != nil {
				t.Fatal(err)
			}
			i := 0
			for r.Scan() {
				e := r.Event()
				if e.Schema == nil {
					if e.Reason != etl.ReasonHeader {
						t.Errorf("unexpected raw event: %s", e.Reason)
					}
					continue
				}
				if i >= len(in) {
					t.Fatalf("more events than written")
				}
				w := in[i]
				info := e.Field("Info")
				if info == nil {
					t.Fatalf("event %d has no Info field", i)
				}
				if got, want := string(info.AppendString(nil)), w.Fields[0].Payload; got != string(decodeUTF16z(want)) {
					t.Errorf("event %d Info = %q, want %q", i, got, decodeUTF16z(want))
				}
				if !e.Time.Equal(w.Time) || e.PID != w.PID || e.TID != w.TID || e.Name != w.Name ||
					e.ProviderName != "WUTraceLogging" || e.ProviderID != etltest.WUProviderID || e.Level != w.Level || !e.Decoded {
					t.Errorf("event %d = %v %d %d %s %s, want %v %d %d %s", i, e.Time, e.PID, e.TID, e.Name, e.ProviderName, w.Time, w.PID, w.TID, w.Name)
				}
				i++
			}
			if i != len(in) {
				t.Errorf("read %d events, wrote %d", i, len(in))
			}
			st := r.Stats()
			if compressed && st.Compressed == 0 || !compressed && st.Compressed != 0 {
				t.Errorf("compressed buffers = %d", st.Compressed)
			}
			if st.Buffers < 6 {
				t.Errorf("only %d buffers: the test should span several per processor", st.Buffers)
			}
			if len(r.Problems()) != 0 {
				t.Errorf("problems: %v", r.Problems())
			}
		})
	}
}

func decodeUTF16z(b []byte) string {
	return string(tracelogging.AppendUTF16(nil, b[:len(b)-2]))
}

// TestTimeOrderAcrossProcessors writes processor 1's events into buffers
// that come first in the file but are later in time, and checks the k-way
// merge restores time order, while FileOrder keeps the file's order.
func TestTimeOrderAcrossProcessors(t *testing.T) {
	var evs []etltest.Event
	// Processor 1 gets the late events, written first.
	for i := 0; i < 50; i++ {
		evs = append(evs, etltest.WU(t0.Add(time.Duration(100+i)*time.Millisecond), 1, 1, 1, "Late", "late"))
	}
	for i := 0; i < 50; i++ {
		evs = append(evs, etltest.WU(t0.Add(time.Duration(i)*time.Millisecond), 0, 1, 1, "Early", "early"))
	}
	data, err := etltest.Write(etltest.Options{BufferSize: 2048}, evs...)
	if err != nil {
		t.Fatal(err)
	}
	_, got, _ := readAll(t, data, nil)
	got = tlOnly(got)
	if len(got) != 100 {
		t.Fatalf("%d events", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Time.Before(got[i-1].Time) {
			t.Fatalf("event %d at %v is before event %d at %v", i, got[i].Time, i-1, got[i-1].Time)
		}
	}
	_, fo, _ := readAll(t, data, &etl.Options{FileOrder: true})
	fo = tlOnly(fo)
	if fo[0].Name != "Late" {
		t.Errorf("file order starts with %s, want the Late events written first", fo[0].Name)
	}
}

// TestClocks checks the conversion of raw timestamps for every clock
// type: QPC at an odd frequency, system time and CPU cycles.
func TestClocks(t *testing.T) {
	cases := []etltest.Options{
		{Clock: etltest.ClockQPC, PerfFreq: 10_000_000},
		{Clock: etltest.ClockQPC, PerfFreq: 3_117_777},
		{Clock: etltest.ClockQPC, PerfFreq: 2_441_406},
		{Clock: etltest.ClockSystemTime},
		{Clock: etltest.ClockCPUCycles, CPUMHz: 2_995},
	}
	for _, o := range cases {
		t.Run(fmt.Sprintf("clock%d_%d", o.Clock, o.PerfFreq), func(t *testing.T) {
			var in []etltest.Event
			for i := 0; i < 20; i++ {
				// Times with 100 ns resolution, hours apart.
				tt := t0.Add(time.Duration(i)*37*time.Minute + time.Duration(i*i)*100)
				in = append(in, etltest.WU(tt, 0, 1, 2, "Agent", "x"))
			}
			data, err := etltest.Write(o, in...)
			if err != nil {
				t.Fatal(err)
			}
			r, got, _ := readAll(t, data, nil)
			if c := r.Header().Clock; uint32(c) != o.Clock {
				t.Errorf("clock type %v, want %d", c, o.Clock)
			}
			got = tlOnly(got)
			for i := range in {
				// A clock coarser than 100 ns can be one tick off.
				tol := time.Duration(0)
				if o.Clock == etltest.ClockQPC && o.PerfFreq < 1e7 {
					tol = time.Duration((1e7+o.PerfFreq-1)/o.PerfFreq) * 100 * time.Nanosecond
				}
				if d := got[i].Time.Sub(in[i].Time); d < 0 || d > tol {
					t.Errorf("event %d: %v, want %v (off by %v)", i, got[i].Time, in[i].Time, d)
				}
			}
		})
	}
}

// TestQPCConversion checks the FILETIME arithmetic of a QPC clock against
// the value worked out by hand for smallEtlFile.etl (3,117,777 Hz): 96,455
// ticks after the header are 309,371.07 FILETIME units, rounded down.
func TestQPCConversion(t *testing.T) {
	h := etl.Header{Clock: etl.ClockQPC, PerfFreq: 3117777, StartFileTime: 131159502220379266, HeaderTimestamp: 185227195741}
	if got, want := h.FileTime(185227292196), int64(131159502220688637); got != want {
		t.Errorf("FileTime = %d, want %d", got, want)
	}
	// Before the header record: rounded down too.
	if got, want := h.FileTime(185227195741-1), int64(131159502220379266-4); got != want {
		t.Errorf("FileTime(-1 tick) = %d, want %d", got, want)
	}
	// Far in the future without overflow: 10 days of ticks.
	ticks := int64(3117777) * 86400 * 10
	if got, want := h.FileTime(185227195741+ticks), int64(131159502220379266)+10*86400*1e7; got != want {
		t.Errorf("FileTime(+10 days) = %d, want %d", got, want)
	}
}

// TestPointerSize32 reads a file written with 32-bit pointers (SYSTEM32
// header, EVENT_HEADER32 records).
func TestPointerSize32(t *testing.T) {
	data, err := etltest.Write(etltest.Options{PointerSize: 4, BufferSize: 1024}, wuEvents(20)...)
	if err != nil {
		t.Fatal(err)
	}
	r, got, _ := readAll(t, data, nil)
	if r.Header().PointerSize != 4 {
		t.Errorf("pointer size %d", r.Header().PointerSize)
	}
	got = tlOnly(got)
	if len(got) != 20 || got[0].Kind != container.KindEventHeader32 {
		t.Fatalf("%d events, first %v", len(got), got[0].Kind)
	}
	if r.Header().LoggerName != "WindowsUpdate_trace_log" || r.Header().OSBuild != 19045 {
		t.Errorf("header %+v", r.Header())
	}
}

// TestTruncatedFile cuts a file inside its last buffer (as a copy of a log
// that was still being written): the events before the cut come back, the
// damage is reported as a Problem naming the buffer, and nothing fails.
func TestTruncatedFile(t *testing.T) {
	for _, compressed := range []bool{false, true} {
		t.Run(fmt.Sprintf("compressed=%v", compressed), func(t *testing.T) {
			in := wuEvents(120)
			for i := range in {
				in[i].Processor = 0
			}
			data, err := etltest.Write(etltest.Options{BufferSize: 4096, Compressed: compressed}, in...)
			if err != nil {
				t.Fatal(err)
			}
			full, all, _ := readAll(t, data, nil)
			bufs := full.Buffers()
			last := bufs[len(bufs)-1]
			cut := last.FileOffset + int64(last.OnDisk)/2
			if !compressed {
				cut = last.FileOffset + int64(last.Filled)/2
			}
			r, got, _ := readAll(t, data[:cut], nil)
			n := len(tlOnly(got))
			if n >= len(tlOnly(all)) || n == 0 {
				t.Errorf("read %d of %d events from the cut file", n, len(tlOnly(all)))
			}
			// Every event before the cut buffer is there.
			before := 0
			for _, e := range tlOnly(all) {
				if e.BufferIndex < last.Index {
					before++
				}
			}
			if n < before {
				t.Errorf("read %d events, %d were in complete buffers", n, before)
			}
			ps := r.Problems()
			if len(ps) != 1 || ps[0].Buffer != last.Index || !strings.Contains(ps[0].Error(), "test.etl") {
				t.Errorf("problems = %v, want one naming buffer %d", ps, last.Index)
			}
		})
	}
}

// TestDamagedBuffer overwrites one buffer header in the middle of a plain
// file: the reader reports it, skips that buffer and reads the others.
func TestDamagedBuffer(t *testing.T) {
	in := wuEvents(200)
	data, err := etltest.Write(etltest.Options{BufferSize: 2048}, in...)
	if err != nil {
		t.Fatal(err)
	}
	_, all, _ := readAll(t, data, nil)
	bad := append([]byte(nil), data...)
	off := 3 * 2048
	copy(bad[off:off+8], []byte{1, 2, 3, 4, 5, 6, 7, 8})
	r, got, _ := readAll(t, bad, nil)
	lostBuf := 0
	for _, e := range tlOnly(all) {
		if e.BufferIndex == 3 {
			lostBuf++
		}
	}
	if len(tlOnly(got)) != len(tlOnly(all))-lostBuf || lostBuf == 0 {
		t.Errorf("read %d events, want %d-%d", len(tlOnly(got)), len(tlOnly(all)), lostBuf)
	}
	if ps := r.Problems(); len(ps) != 1 || ps[0].Buffer != 3 || ps[0].Offset != int64(off) {
		t.Errorf("problems = %v", ps)
	}
	// A record that claims to run past its buffer stops that buffer only.
	bad2 := append([]byte(nil), data...)
	binary.LittleEndian.PutUint16(bad2[2048+0x48:], 0xFFF0)
	r2, got2, _ := readAll(t, bad2, nil)
	if len(r2.Problems()) != 1 || len(tlOnly(got2)) == 0 {
		t.Errorf("problems %v, %d events", r2.Problems(), len(tlOnly(got2)))
	}
}

// TestRawEvents writes a manifest-based event and WPP messages next to
// TraceLogging ones: they come back raw with their header data and a
// reason, and do not stop the file.
func TestRawEvents(t *testing.T) {
	var buf bytes.Buffer
	w, err := etltest.NewWriter(&buf, etltest.Options{BufferSize: 2048})
	if err != nil {
		t.Fatal(err)
	}
	psGUID := guid.MustParse("{a0c1853b-5c40-4b15-8766-3cf1c58f985a}")
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Add(etltest.WU(t0, 0, 10, 11, "Agent", "first")))
	must(w.Add(etltest.Event{ProviderID: psGUID, Descriptor: container.Descriptor{ID: 7937, Version: 1, Opcode: 20, Level: 4}, PID: 12, TID: 13,
		Time: t0.Add(time.Millisecond), Payload: []byte{1, 2, 3, 4, 5}}))
	msgGUID := guid.MustParse("{11111111-2222-3333-4444-555555555555}")
	for i := 0; i < 3; i++ {
		must(w.AddWPP(1, 14, 15, t0.Add(time.Duration(2+i)*time.Millisecond), msgGUID, uint16(10+i), []byte("args")))
	}
	must(w.Add(etltest.WU(t0.Add(10*time.Millisecond), 0, 10, 11, "Agent", "last")))
	must(w.Close())
	r, got, jsons := readAll(t, buf.Bytes(), nil)
	var names []string
	for i, e := range got {
		switch {
		case e.Schema != nil:
			names = append(names, e.Name)
		case e.Kind == container.KindEventHeader64:
			names = append(names, "manifest")
			if e.Reason != etl.ReasonManifest || e.ProviderID != psGUID || e.ID != 7937 || e.Opcode != 20 ||
				e.PID != 12 || !bytes.Equal(e.UserData, []byte{1, 2, 3, 4, 5}) || !e.Time.Equal(t0.Add(time.Millisecond)) {
				t.Errorf("manifest event = %+v", e)
			}
			if !strings.Contains(string(jsons[i]), `"reason": "manifest-based`) {
				t.Errorf("JSON lacks the reason: %s", jsons[i])
			}
		case e.Kind == container.KindMessage:
			names = append(names, "wpp")
			if e.Reason != etl.ReasonWPP || e.PID != 14 || e.TID != 15 || e.Record.ProviderID != msgGUID || string(e.UserData) != "args" {
				t.Errorf("WPP event = %+v", e)
			}
		default:
			names = append(names, "header")
		}
	}
	if got, want := strings.Join(names, " "), "header Agent manifest wpp wpp wpp Agent"; got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	if st := r.Stats(); st.WPP != 3 || st.Raw != 5 || st.TraceLogging != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestMerge merges three files with interleaved times: the result is in
// time order and holds every event of every file.
func TestMerge(t *testing.T) {
	var readers []*etl.Reader
	total := 0
	for f := 0; f < 3; f++ {
		var in []etltest.Event
		for i := 0; i < 40; i++ {
			tt := t0.Add(time.Duration(3*i+f) * time.Second)
			in = append(in, etltest.WU(tt, uint16(i%2), 1, uint32(f), "Agent", fmt.Sprintf("file %d event %d", f, i)))
		}
		total += len(in)
		data, err := etltest.Write(etltest.Options{BufferSize: 1024, Start: t0.Add(time.Duration(f) * time.Second)}, in...)
		if err != nil {
			t.Fatal(err)
		}
		r, err := etl.NewReader(bytes.NewReader(data), int64(len(data)), fmt.Sprintf("f%d.etl", f), nil)
		if err != nil {
			t.Fatal(err)
		}
		readers = append(readers, r)
	}
	m := etl.Merge(readers[2], readers[0], readers[1])
	var last time.Time
	n := 0
	for m.Scan() {
		e := m.Event()
		if e.Schema == nil {
			continue
		}
		if e.Time.Before(last) {
			t.Fatalf("%s: %v before %v", e.File, e.Time, last)
		}
		if want := fmt.Sprintf("f%d.etl", n%3); e.File != want {
			t.Fatalf("event %d from %s, want %s", n, e.File, want)
		}
		last = e.Time
		n++
	}
	if n != total {
		t.Errorf("merged %d events, want %d", n, total)
	}
	if st := m.Stats(); st.TraceLogging != total {
		t.Errorf("stats %+v", st)
	}
}

// failingReader fails every read once fail is set.
type failingReader struct {
	r    *bytes.Reader
	fail bool
}

func (f *failingReader) ReadAt(p []byte, off int64) (int, error) {
	if f.fail {
		return 0, errors.New("disk on fire")
	}
	return f.r.ReadAt(p, off)
}

// TestConcat reads files one after the other in the order given, in file
// order, and stops at the first file that fails with an I/O error.
func TestConcat(t *testing.T) {
	open := func(f int) (*etl.Reader, *failingReader) {
		var in []etltest.Event
		for i := 0; i < 40; i++ {
			tt := t0.Add(time.Duration(3*i+f) * time.Second)
			in = append(in, etltest.WU(tt, uint16(i%2), 1, uint32(f), "Agent", fmt.Sprintf("file %d event %d", f, i)))
		}
		data, err := etltest.Write(etltest.Options{BufferSize: 1024, Start: t0.Add(time.Duration(f) * time.Second)}, in...)
		if err != nil {
			t.Fatal(err)
		}
		fr := &failingReader{r: bytes.NewReader(data)}
		r, err := etl.NewReader(fr, int64(len(data)), fmt.Sprintf("f%d.etl", f), &etl.Options{FileOrder: true})
		if err != nil {
			t.Fatal(err)
		}
		return r, fr
	}
	read := func(m *etl.Multi) []string {
		var files []string
		for m.Scan() {
			if e := m.Event(); e.Schema != nil {
				if m.Reader().Name() != e.File {
					t.Fatalf("Reader() is %s for an event of %s", m.Reader().Name(), e.File)
				}
				if len(files) == 0 || files[len(files)-1] != e.File {
					files = append(files, e.File)
				}
			}
		}
		return files
	}
	r2, _ := open(2)
	r0, _ := open(0)
	m := etl.Concat(r2, r0)
	if got := read(m); fmt.Sprint(got) != "[f2.etl f0.etl]" || m.Err() != nil {
		t.Errorf("files in order %v, err %v; want [f2.etl f0.etl]", got, m.Err())
	}
	if st := m.Stats(); st.TraceLogging != 80 {
		t.Errorf("stats %+v, want 80 TraceLogging events", st)
	}
	r0, fail := open(0)
	r1, _ := open(1)
	fail.fail = true
	m = etl.Concat(r0, r1)
	if got := read(m); len(got) != 0 || m.Err() == nil || !strings.Contains(m.Err().Error(), "f0.etl") {
		t.Errorf("after an I/O error in f0.etl: read %v, err %v; want nothing and the error", got, m.Err())
	}
}

// TestNotETL checks that other data is refused with ErrNotETL.
func TestNotETL(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("2023/03/21 22:19:01.8143606 19924 14968 Misc   hello\r\n"), make([]byte, 4096)} {
		_, err := etl.NewReader(bytes.NewReader(data), int64(len(data)), "x.log", nil)
		if err == nil || !strings.Contains(err.Error(), "not an ETL file") || !strings.Contains(err.Error(), "x.log") {
			t.Errorf("err = %v", err)
		}
		if etl.Sniff(data) {
			t.Errorf("Sniff(%.20q) = true", data)
		}
	}
	data, _ := etltest.Write(etltest.Options{}, wuEvents(1)...)
	if !etl.Sniff(data[:512]) {
		t.Error("Sniff of a written file = false")
	}
}

// TestStringOnlyAndTraceMessageEvents: an EventWriteString event is
// decoded as one "String" field; an EVENT_HEADER record flagged as a trace
// message is a WPP event.
func TestStringOnlyAndTraceMessageEvents(t *testing.T) {
	p := guid.MustParse("{22222222-2222-2222-2222-222222222222}")
	data, err := etltest.Write(etltest.Options{},
		etltest.Event{ProviderID: p, Flags: container.EventFlagStringOnly, Payload: utf16z("plain text"), Time: t0},
		etltest.Event{ProviderID: p, Flags: container.EventFlagTraceMessage, Payload: []byte{1, 2}, Time: t0.Add(time.Second)},
	)
	if err != nil {
		t.Fatal(err)
	}
	r, got, jsons := readAll(t, data, nil)
	if len(got) != 3 {
		t.Fatalf("%d events", len(got))
	}
	if !got[1].Decoded || got[1].Schema != nil || got[1].Reason != "" || !strings.Contains(string(jsons[1]), `"fields": {"String": "plain text"}`) {
		t.Errorf("string-only event: %+v\n%s", got[1], jsons[1])
	}
	if got[2].Reason != etl.ReasonWPP || r.Stats().WPP != 1 {
		t.Errorf("trace message event: %q, stats %+v", got[2].Reason, r.Stats())
	}
}
