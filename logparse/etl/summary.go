package etl

import (
	"fmt"
	"path/filepath"

	"github.com/wulog/wulog/logparse/etl/tracelogging"
)

// Summary describes a whole file: container facts and event counts, with
// the JSON keys of the reference summaries in etl-samples/expected.
type Summary struct {
	File                    string          `json:"file"`
	FileSize                int64           `json:"file_size"`
	Buffers                 int             `json:"buffers"`
	BuffersWrittenInHeader  uint32          `json:"buffers_written_in_header"`
	BufferSizeHeader        uint32          `json:"buffer_size_header"`
	SessionBufferSize       uint32          `json:"session_buffer_size"`
	Compressed              bool            `json:"compressed"`
	CompressedBuffers       int             `json:"compressed_buffers"`
	BuffersDetail           []BufferSummary `json:"buffers_detail"`
	LogFileMode             string          `json:"log_file_mode"`
	PointerSize             int             `json:"pointer_size"`
	ClockType               uint32          `json:"clock_type"`
	PerfFreq                uint64          `json:"perf_freq"`
	StartTimeFileTime       int64           `json:"start_time_filetime"`
	StartTime               string          `json:"start_time"`
	HeaderRecordTimestamp   int64           `json:"header_record_raw_timestamp"`
	OSBuild                 uint32          `json:"os_build"`
	LoggerName              string          `json:"logger_name"`
	RecordsByKind           map[string]int  `json:"records_by_header_kind"`
	RecordsTotal            int             `json:"records_total"`
	EventHeaderRecords      int             `json:"event_header_records"`
	TLEvents                int             `json:"tl_events"`
	TLByProviderEvent       map[string]int  `json:"tl_events_by_provider_event"`
	NonTLByProvider         map[string]int  `json:"non_tl_event_header_by_provider_guid"`
	TLEqualTimestamps       int             `json:"tl_events_with_equal_timestamps"`
	SampleNonTL             []NonTLSample   `json:"sample_non_tl_event_header_records"`
	Undecodable             int             `json:"tl_events_undecodable"`
	WPPMessages             int             `json:"wpp_messages"`
	RawReasons              map[string]int  `json:"raw_events_by_reason"`
	Problems                []string        `json:"problems"`
	TimeZoneBias            int32           `json:"time_zone_bias_minutes"`
	StartTimeLocalZoneNames [2]string       `json:"time_zone_names"`
}

// BufferSummary is one entry of Summary.BuffersDetail.
type BufferSummary struct {
	Index       int    `json:"index"`
	Offset      int64  `json:"offset"`
	Size        uint32 `json:"size"`
	Filled      uint32 `json:"filled"`
	SavedOffset uint32 `json:"saved_offset"`
	Processor   uint16 `json:"processor"`
	Seq         int64  `json:"seq"`
	Flags       uint16 `json:"flags"`
	Type        uint16 `json:"type"`
}

// NonTLSample describes an EVENT_HEADER record that is not TraceLogging.
type NonTLSample struct {
	ProviderGUID   string `json:"provider_guid"`
	ID             uint16 `json:"id"`
	Version        uint8  `json:"version"`
	Opcode         uint8  `json:"opcode"`
	Level          uint8  `json:"level"`
	Keyword        uint64 `json:"keyword"`
	PID            uint32 `json:"pid"`
	TID            uint32 `json:"tid"`
	RawTimestamp   int64  `json:"raw_timestamp"`
	FileTime       int64  `json:"timestamp_filetime"`
	Timestamp      string `json:"timestamp"`
	PayloadLen     int    `json:"payload_len"`
	BufferIndex    int    `json:"buffer_index"`
	RecordOffset   int    `json:"record_offset_in_buffer"`
	Reason         string `json:"reason"`
	HeaderKindName string `json:"header_kind"`
}

// Summarize reads the whole file once more, in file order, and describes
// it.
func (rd *Reader) Summarize() (*Summary, error) {
	r, err := NewReader(rd.ra, rd.size, rd.name, &Options{FileOrder: true})
	if err != nil {
		return nil, err
	}
	h := r.Header()
	s := &Summary{
		File:                   filepath.Base(r.name),
		FileSize:               r.size,
		Buffers:                len(r.bufs),
		BuffersWrittenInHeader: h.BuffersWritten,
		SessionBufferSize:      h.BufferSize,
		LogFileMode:            fmt.Sprintf("0x%08X", h.LogFileMode),
		PointerSize:            h.PointerSize,
		ClockType:              uint32(h.Clock),
		PerfFreq:               h.PerfFreq,
		StartTimeFileTime:      h.StartFileTime,
		StartTime:              h.StartTime.Format(tracelogging.TimeLayout),
		HeaderRecordTimestamp:  h.HeaderTimestamp,
		OSBuild:                h.OSBuild,
		LoggerName:             h.LoggerName,
		RecordsByKind:          map[string]int{},
		TLByProviderEvent:      map[string]int{},
		NonTLByProvider:        map[string]int{},
		RawReasons:             map[string]int{},
		SampleNonTL:            []NonTLSample{},
		Problems:               []string{},
		TimeZoneBias:           h.TimeZone.Bias,
		StartTimeLocalZoneNames: [2]string{
			h.TimeZone.StandardName, h.TimeZone.DaylightName},
	}
	if len(r.bufs) > 0 {
		s.BufferSizeHeader = r.bufs[0].Size
	}
	for _, b := range r.bufs {
		if b.Compressed() {
			s.CompressedBuffers++
			s.Compressed = true
		}
		s.BuffersDetail = append(s.BuffersDetail, BufferSummary{
			Index: b.Index, Offset: b.FileOffset, Size: b.Size, Filled: b.Filled,
			SavedOffset: b.SavedOffset, Processor: b.Processor, Seq: b.Sequence,
			Flags: uint16(b.Flags), Type: uint16(b.Type),
		})
	}
	tlTimes := map[int64]int{}
	for r.Scan() {
		e := r.Event()
		s.RecordsByKind[e.Kind.String()]++
		s.RecordsTotal++
		if !e.Decoded {
			s.RawReasons[e.Reason]++
		}
		if !e.Kind.IsEventHeader() {
			continue
		}
		s.EventHeaderRecords++
		if e.IsTraceLogging() {
			s.TLEvents++
			s.TLByProviderEvent[e.ProviderName+"/"+e.Name]++
			tlTimes[e.Timestamp]++
			continue
		}
		s.NonTLByProvider[e.ProviderID.String()]++
		if len(s.SampleNonTL) < 3 {
			s.SampleNonTL = append(s.SampleNonTL, NonTLSample{
				ProviderGUID: e.ProviderID.String(), ID: e.ID, Version: e.Version,
				Opcode: e.Opcode, Level: e.Level, Keyword: e.Keyword, PID: e.PID, TID: e.TID,
				RawTimestamp: e.Timestamp, FileTime: e.FileTime,
				Timestamp:  e.Time.Format(tracelogging.TimeLayout),
				PayloadLen: len(e.UserData), BufferIndex: e.BufferIndex, RecordOffset: e.RecordOffset,
				Reason: e.Reason, HeaderKindName: e.Kind.String(),
			})
		}
	}
	for _, n := range tlTimes {
		if n > 1 {
			s.TLEqualTimestamps += n
		}
	}
	st := r.Stats()
	s.Undecodable = st.Undecodable
	s.WPPMessages = st.WPP
	for _, p := range r.Problems() {
		s.Problems = append(s.Problems, p.Error())
	}
	return s, r.Err()
}
