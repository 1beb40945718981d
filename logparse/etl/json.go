package etl

import (
	"path/filepath"
	"strconv"

	"github.com/wulog/wulog/logparse/etl/internal/pyjson"
	"github.com/wulog/wulog/logparse/etl/tracelogging"
)

// AppendJSON appends e as one line of JSON (without the newline) with the
// keys and layout of the reference decodings in etl-samples/expected:
// file, provider_name, provider_guid, event_name, timestamp_filetime,
// timestamp, pid, tid, level, keyword, opcode, fields, id, version, channel,
// task, activity_id, event_header_flags, field_types, payload_len,
// buffer_index, buffer_processor, record_offset_in_buffer, file_order (when
// fileOrder > 0) and raw_timestamp. Events that are not TraceLogging have
// "kind" instead of the provider and event names (and "fields" only when
// decoded, as for string-only events); events that are not fully decoded
// end with "reason".
func AppendJSON(dst []byte, e *Event, fileOrder int) []byte {
	key := func(k string) { dst = pyjson.AppendKey(dst, k, false) }
	dst = append(dst, '{')
	dst = pyjson.AppendKey(dst, "file", true)
	dst = pyjson.AppendString(dst, filepath.Base(e.File))
	tl := e.IsTraceLogging()
	if tl {
		key("provider_name")
		dst = pyjson.AppendString(dst, e.ProviderName)
	} else {
		key("kind")
		dst = pyjson.AppendString(dst, e.Kind.String())
	}
	key("provider_guid")
	dst = append(dst, '"')
	dst = e.ProviderID.AppendText(dst)
	dst = append(dst, '"')
	if tl {
		key("event_name")
		dst = pyjson.AppendString(dst, e.Name)
	}
	key("timestamp_filetime")
	dst = strconv.AppendInt(dst, e.FileTime, 10)
	key("timestamp")
	dst = append(dst, '"')
	dst = e.Time.AppendFormat(dst, tracelogging.TimeLayout)
	dst = append(dst, '"')
	key("pid")
	dst = strconv.AppendUint(dst, uint64(e.PID), 10)
	key("tid")
	dst = strconv.AppendUint(dst, uint64(e.TID), 10)
	key("level")
	dst = strconv.AppendUint(dst, uint64(e.Level), 10)
	key("keyword")
	dst = strconv.AppendUint(dst, e.Keyword, 10)
	key("opcode")
	dst = strconv.AppendUint(dst, uint64(e.Opcode), 10)
	if tl || len(e.Fields) > 0 {
		key("fields")
		dst = append(dst, '{')
		for i := range e.Fields {
			dst = pyjson.AppendKey(dst, e.Fields[i].Schema.Name, i == 0)
			dst = e.Fields[i].AppendJSON(dst)
		}
		dst = append(dst, '}')
	}
	key("id")
	dst = strconv.AppendUint(dst, uint64(e.ID), 10)
	key("version")
	dst = strconv.AppendUint(dst, uint64(e.Version), 10)
	key("channel")
	dst = strconv.AppendUint(dst, uint64(e.Channel), 10)
	key("task")
	dst = strconv.AppendUint(dst, uint64(e.Task), 10)
	if e.Kind.IsEventHeader() {
		key("activity_id")
		dst = append(dst, '"')
		dst = e.ActivityID.AppendText(dst)
		dst = append(dst, '"')
		key("event_header_flags")
		dst = strconv.AppendUint(dst, uint64(e.HeaderFlags), 10)
	}
	if tl {
		key("field_types")
		dst = append(dst, '{')
		for i := range e.Schema.Fields {
			dst = pyjson.AppendKey(dst, e.Schema.Fields[i].Name, i == 0)
			dst = pyjson.AppendString(dst, e.Schema.Fields[i].TypeString())
		}
		dst = append(dst, '}')
	}
	key("payload_len")
	dst = strconv.AppendInt(dst, int64(len(e.UserData)), 10)
	key("buffer_index")
	dst = strconv.AppendInt(dst, int64(e.BufferIndex), 10)
	key("buffer_processor")
	dst = strconv.AppendUint(dst, uint64(e.Processor), 10)
	key("record_offset_in_buffer")
	dst = strconv.AppendInt(dst, int64(e.RecordOffset), 10)
	if fileOrder > 0 {
		key("file_order")
		dst = strconv.AppendInt(dst, int64(fileOrder), 10)
	}
	key("raw_timestamp")
	dst = strconv.AppendInt(dst, e.Timestamp, 10)
	if !e.Decoded {
		key("reason")
		dst = pyjson.AppendString(dst, e.Reason)
	}
	return append(dst, '}')
}

// FileOrder numbers the TraceLogging events of a file in file order, from
// 1, as the reference decodings' file_order does.
type FileOrder map[[2]int]int

// FileOrder reads the file once more, in file order, and numbers its
// TraceLogging events.
func (rd *Reader) FileOrder() (FileOrder, error) {
	r, err := NewReader(rd.ra, rd.size, rd.name, &Options{FileOrder: true})
	if err != nil {
		return nil, err
	}
	o := FileOrder{}
	for r.Scan() {
		if e := r.Event(); e.IsTraceLogging() {
			o[[2]int{e.BufferIndex, e.RecordOffset}] = len(o) + 1
		}
	}
	return o, r.Err()
}

// Of returns e's number, or 0 when e is not a TraceLogging event of the
// file.
func (o FileOrder) Of(e *Event) int { return o[[2]int{e.BufferIndex, e.RecordOffset}] }
