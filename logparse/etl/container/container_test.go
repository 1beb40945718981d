package container_test

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/wulog/wulog/logparse/etl/container"
	"github.com/wulog/wulog/logparse/etl/etltest"
)

// buffers returns the buffers of a generated file, compressed or not.
func buffers(t testing.TB, compressed bool) [][]byte {
	t.Helper()
	var evs []etltest.Event
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := 0; i < 40; i++ {
		evs = append(evs, etltest.WU(t0.Add(time.Duration(i)*time.Second), uint16(i%2), 1, 2, "Agent", "hello hello hello"))
	}
	data, err := etltest.Write(etltest.Options{BufferSize: 1024, Compressed: compressed}, evs...)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for off := 0; off+container.BufferHeaderSize <= len(data); {
		h, err := container.ParseBufferHeader(data[off:])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data[off:off+int(h.Size)])
		off += int(h.Size)
	}
	return out
}

func TestWalkWrittenBuffers(t *testing.T) {
	for _, compressed := range []bool{false, true} {
		n := 0
		for i, raw := range buffers(t, compressed) {
			h, _ := container.ParseBufferHeader(raw)
			if i > 0 && h.Compressed() != compressed {
				t.Errorf("buffer %d compressed=%v", i, h.Compressed())
			}
			data, err := container.Unpack(&h, raw, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(data) != int(h.Filled) {
				t.Errorf("unpacked %d bytes, want %d", len(data), h.Filled)
			}
			var w container.Walker
			w.Reset(data)
			for w.Next() {
				r := w.Record()
				if i == 0 {
					if r.Kind != container.KindSystem64 || r.HookID != 0 {
						t.Errorf("header record %v hook %d", r.Kind, r.HookID)
					}
					continue
				}
				if r.Kind != container.KindEventHeader64 || len(r.Ext) != 2 || r.ExtData(container.ExtEventSchemaTL) == nil ||
					r.ExtData(container.ExtProvTraits) == nil || r.PID != 1 || r.TID != 2 || r.Offset%8 != 0 {
					t.Errorf("record %+v", r)
				}
				n++
			}
			if w.Err() != nil {
				t.Errorf("buffer %d: %v", i, w.Err())
			}
		}
		if n != 40 {
			t.Errorf("compressed=%v: %d events", compressed, n)
		}
	}
}

func TestBufferHeaderErrors(t *testing.T) {
	b := make([]byte, 0x48)
	if _, err := container.ParseBufferHeader(b[:10]); err != container.ErrShortHeader {
		t.Errorf("short: %v", err)
	}
	binary.LittleEndian.PutUint32(b, 0x10) // smaller than its header
	if _, err := container.ParseBufferHeader(b); err == nil {
		t.Error("size 16 accepted")
	}
	binary.LittleEndian.PutUint32(b, 0x1000)
	binary.LittleEndian.PutUint32(b[0x30:], 0x2000) // data end past the buffer
	if _, err := container.ParseBufferHeader(b); err == nil {
		t.Error("Offset past size accepted")
	}
	binary.LittleEndian.PutUint16(b[0x34:], 0x40) // compressed: Offset may exceed Size
	if _, err := container.ParseBufferHeader(b); err != nil {
		t.Errorf("compressed: %v", err)
	}
}

// FuzzWalker treats the input as one buffer: header, optional
// decompression and records. Nothing may panic, every record must lie
// inside the unpacked data and every extended item inside its record.
func FuzzWalker(f *testing.F) {
	for _, c := range []bool{false, true} {
		for _, b := range buffers(f, c)[:2] {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		h, err := container.ParseBufferHeader(raw)
		if err != nil {
			return
		}
		data, _ := container.Unpack(&h, raw, nil)
		if len(data) > int(h.Filled) && len(data) > container.BufferHeaderSize {
			t.Fatalf("unpacked %d bytes, header says %d", len(data), h.Filled)
		}
		var w container.Walker
		w.Reset(data)
		for w.Next() {
			r := w.Record()
			if r.Offset < container.BufferHeaderSize || r.Offset+len(r.Data) > len(data) {
				t.Fatalf("record [%d,+%d) outside %d bytes", r.Offset, len(r.Data), len(data))
			}
			for _, x := range r.Ext {
				if !within(r.Data, x.Data) {
					t.Fatal("extended item outside its record")
				}
			}
			if !within(r.Data, r.UserData) {
				t.Fatal("user data outside its record")
			}
		}
	})
}

// within reports whether inner is a sub-slice of outer.
func within(outer, inner []byte) bool {
	if len(inner) == 0 {
		return true
	}
	for i := 0; i+len(inner) <= len(outer); i++ {
		if &outer[i] == &inner[0] {
			return bytes.Equal(outer[i:i+len(inner)], inner)
		}
	}
	return false
}
