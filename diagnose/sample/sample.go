// Package sample holds the embedded seed case that `wulog analyze --sample`
// analyses: a Windows 10 WindowsUpdate.log excerpt in which every
// connection to slscr.update.microsoft.com fails with 0x80072F8F, and a
// snapshot of the machine's facts showing why: the disallowed CTL has not
// been refreshed for a week because the AuthRoot\AutoUpdate key's DACL is
// protected and lacks NT SERVICE\CryptSvc.
//
// The files were written for wulog (they mirror the public case at
// blog.gyojir.com/posts/4NiiPGx9e, with other times, IDs and host).
package sample

import (
	"bytes"
	"context"
	"embed"
	"io"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/snapshot"
	"github.com/wulog/wulog/logparse"
)

//go:embed seed
var files embed.FS

// Names of the sample's files, as shown in reports.
const (
	LogName      = "sample/WindowsUpdate.log"
	SnapshotName = "sample/snapshot.json"
)

// Log returns the sample's WindowsUpdate.log.
func Log() []byte { return mustRead("seed/WindowsUpdate.log") }

// Snapshot returns the sample's snapshot JSON.
func Snapshot() []byte { return mustRead("seed/snapshot.json") }

func mustRead(name string) []byte {
	b, err := files.ReadFile(name)
	if err != nil {
		panic("sample: embedded file missing: " + name) // a build without the files is broken
	}
	return b
}

// Records returns the sample log as a record source.
func Records() logparse.Source {
	sc := logparse.NewScanner(bytes.NewReader(Log()))
	sc.SetName(LogName)
	return sc
}

// Facts is the sample's facts source.
type Facts struct{}

// Name implements diagnose.FactSource.
func (Facts) Name() string { return "snapshot " + SnapshotName }

// Facts implements diagnose.FactSource.
func (Facts) Facts(context.Context) (*diagnose.Facts, error) {
	return snapshot.Read(bytes.NewReader(Snapshot()), SnapshotName)
}

// Open returns the sample log for tools that want a reader.
func Open() io.Reader { return bytes.NewReader(Log()) }
