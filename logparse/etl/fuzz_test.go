package etl_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/wulog/wulog/logparse/etl"
	"github.com/wulog/wulog/logparse/etl/etltest"
)

// FuzzReader reads arbitrary bytes as an ETL file: whatever the damage,
// the reader must not panic, must keep within its memory bound, and every
// event it returns must come from a buffer of the file.
func FuzzReader(f *testing.F) {
	var evs []etltest.Event
	for i := 0; i < 12; i++ {
		evs = append(evs, etltest.WU(time.Date(2024, 1, 1, 0, 0, i, 0, time.UTC), uint16(i%3), 1, 2, "Agent", "* START * hr=0x80070005"))
	}
	for _, o := range []etltest.Options{{BufferSize: 512}, {BufferSize: 512, Compressed: true}, {BufferSize: 512, PointerSize: 4}} {
		data, err := etltest.Write(o, evs...)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := etl.NewReader(bytes.NewReader(data), int64(len(data)), "fuzz.etl", &etl.Options{MaxMemory: 16 << 20})
		if err != nil {
			return
		}
		n := 0
		for r.Scan() {
			e := r.Event()
			if e.BufferIndex < 0 || e.BufferIndex >= len(r.Buffers()) {
				t.Fatalf("event from buffer %d of %d", e.BufferIndex, len(r.Buffers()))
			}
			_ = etl.AppendJSON(nil, e, 0)
			n++
		}
		if st := r.Stats(); st.Records != n {
			t.Fatalf("stats count %d records, scanned %d", st.Records, n)
		}
	})
}
