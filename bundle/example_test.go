package bundle_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wulog/wulog/bundle"
)

// A bundle written with NewWriter and read back with NewReader: every file
// is listed in the manifest with its SHA-256, and reading a file to its
// end checks it.
func Example() {
	var zipped bytes.Buffer
	w := bundle.NewWriter(&zipped, bundle.Manifest{Tool: "wulog", ToolVersion: "v1", Host: "PC1",
		CreatedAt: time.Date(2024, 5, 2, 10, 0, 0, 0, time.UTC)})
	log := "2024/05/02 09:59:58.1234567 1234  5678  Misc            *FAILED* [80072F8F] Send request\r\n"
	if err := w.Add(bundle.File{Name: bundle.LogName}, strings.NewReader(log)); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}

	b, err := bundle.NewReader(bytes.NewReader(zipped.Bytes()), int64(zipped.Len()), "bundle.zip")
	if err != nil {
		panic(err)
	}
	f, _ := b.Manifest.File(bundle.LogName)
	fmt.Println(b.Manifest.Format, b.Manifest.Host, f.Name, f.Size, f.SHA256[:16])
	rc, _ := b.Open(bundle.LogName)
	data, err := io.ReadAll(rc) // checks size and SHA-256 at the end
	fmt.Println(len(data), err)
	// Output:
	// wulog.bundle/v1 PC1 WindowsUpdate.log 90 f071add645729f10
	// 90 <nil>
}
