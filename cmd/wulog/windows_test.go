//go:build windows

package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"

	"github.com/wulog/wulog/bundle"
	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/snapshot"
	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/logparse/etl/etltest"
	"github.com/wulog/wulog/logparse/etl/wu"
)

// tempDir is t.TempDir without its RemoveAll, which Wine 8 refuses
// (POSIX delete semantics); files are removed one by one.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "wulog-cmd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			os.Remove(filepath.Join(dir, e.Name()))
		}
		os.Remove(dir)
	})
	return dir
}

func TestWindowsProbeWritesASnapshot(t *testing.T) {
	out := filepath.Join(tempDir(t), "pc.json")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"probe", "--no-network", "--format", "json", "-o", out}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	f, err := snapshot.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Live || f.Host == "" || len(f.Registry) != len(diagnose.RegistryValues) || !f.BootTime.Known {
		t.Errorf("snapshot: live %v host %q %d registry facts, boot %+v", f.Live, f.Host, len(f.Registry), f.BootTime)
	}
	// The Windows version is readable everywhere (Wine has it too).
	if v, ok := f.Registry[diagnose.RegCurrentBuild].Value.String(); !ok || v == "" {
		t.Errorf("CurrentBuild %+v", f.Registry[diagnose.RegCurrentBuild])
	}
	stdout.Reset()
	if code := run([]string{"probe", "--no-network"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("text: exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"read live", "Key security", "Services", "Notes"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestWindowsCollectMakesABundle(t *testing.T) {
	dir := tempDir(t)
	etlDir := filepath.Join(dir, "WindowsUpdate")
	if err := os.Mkdir(etlDir, 0o755); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ents, _ := os.ReadDir(etlDir)
		for _, e := range ents {
			os.Remove(filepath.Join(etlDir, e.Name()))
		}
		os.Remove(etlDir)
	}()
	start := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	f, err := os.Create(filepath.Join(etlDir, "WindowsUpdate.20240501.080000.1.etl"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := etltest.NewWriter(f, etltest.Options{Start: start})
	if err != nil {
		t.Fatal(err)
	}
	for i, msg := range []string{"*FAILED* [80072F8F] Send request", "*FAILED* [80072F8F] Method failed [CSLSClient::GetResponse:625]"} {
		if err := w.Add(etltest.Event{Provider: wu.ProviderName, ProviderID: wu.ProviderID, Name: "SLS",
			Fields: []etltest.Field{etltest.String(wu.InfoField, msg)}, Time: start.Add(time.Duration(i+1) * time.Second), PID: 4, TID: 8}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	out := filepath.Join(dir, "bundle.zip")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"collect", "--no-network", "--etl-dir", etlDir, "-o", out}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "1 .etl files") {
		t.Errorf("summary %q", stdout.String())
	}
	b, err := bundle.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Verify(); err != nil {
		t.Fatal(err)
	}
	facts, err := b.Facts(context.Background())
	if err != nil || !facts.Live || facts.Host != b.Manifest.Host {
		t.Fatalf("facts %v, err %v", facts, err)
	}
	rc, err := b.Open(bundle.LogName)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	sc := logparse.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		r := sc.Record()
		if r.Component != "SLS" || !r.Time.Equal(start.Add(time.Duration(n+1)*time.Second)) || !r.HasFailure() {
			t.Errorf("record %d: %s %v %q", n, r.Component, r.Time, r.Message)
		}
		n++
	}
	if n != 2 {
		t.Errorf("%d records in the bundle's log:\n%s", n, data)
	}
}

// TestWindowsWatchFailsCleanlyWithoutETW runs `wulog watch` where no ETW
// session can be opened (Wine stubs ETW; a standard user may not start
// one): it must stop with exit 2 and say why, not hang or crash.
func TestWindowsWatchFailsCleanlyWithoutETW(t *testing.T) {
	wine := windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
	if !wine && windows.GetCurrentProcessToken().IsElevated() {
		t.Skip("elevated on Windows: watch would really start following Windows Update")
	}
	done := make(chan int, 1)
	var stdout, stderr bytes.Buffer
	go func() {
		done <- run([]string{"watch", "--no-facts", "--show", "none"}, strings.NewReader(""), &stdout, &stderr)
	}()
	select {
	case code := <-done:
		if code != exitUsage || !strings.Contains(stderr.String(), "wulog-watch") {
			t.Errorf("exit %d, stderr %q", code, stderr.String())
		}
		t.Logf("watch without ETW: %s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("watch did not return within 30s although no ETW session can run")
	}
}
