package tracelogging_test

import (
	"fmt"

	tl "github.com/wulog/wulog/logparse/etl/tracelogging"
)

// Parse a TraceLogging event schema and decode a payload with it.
func ExampleDecoder_Decode() {
	// EVENT_SCHEMA_TL: size, no tags, event "Download", fields
	// "Url" (UnicodeString) and "hr" (UInt32 shown as HRESULT).
	meta := []byte{0, 0, 0}
	meta = append(meta, "Download\x00Url\x00\x01hr\x00\x88\x0f"...)
	meta[0] = byte(len(meta))
	schema, err := tl.ParseSchema(meta)
	if err != nil {
		fmt.Println(err)
		return
	}
	payload := []byte{'h', 0, 't', 0, 0, 0, 0x8F, 0x2F, 0x07, 0x80}
	var d tl.Decoder
	fields, _, err := d.Decode(schema, payload, 8)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(schema.Event)
	for _, f := range fields {
		fmt.Printf("%s (%s) = %s\n", f.Name(), f.Schema.TypeString(), f.String())
	}
	// Output:
	// Download
	// Url (UnicodeString) = ht
	// hr (UInt32/out0x0f) = 0x80072f8f
}
