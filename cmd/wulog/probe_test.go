package main

import (
	"bytes"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/snapshot"
)

func TestProbeTextOfTheSeedSnapshot(t *testing.T) {
	f, err := snapshot.ReadFile(filepath.Join("..", "..", "testdata", "snapshots", "seed-authroot-acl.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := writeFactsText(&out, f); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"Facts about PC-SEED, from a snapshot at 2023-03-21 22:30:00 UTC",
		// FILETIME with its age against the collection time.
		"DisallowedCertLastSyncTime         2023-03-14 08:12:37 UTC (7d 14h ago)",
		"RootDirURL                         (absent)",
		"UBR                                0xAA8 (2728)",
		`ProductName                        "Windows 10 Pro"`,
		"WinHttpSettings                    Direct access (no proxy server)",
		// The seed cause: the key's DACL is protected and lacks CryptSvc.
		"DACL protected: yes (inheritance disabled)",
		`NT SERVICE\CryptSvc cannot set values`,
		"0x80092013 CRYPT_E_REVOCATION_OFFLINE",
		"chain status 0x01000040",
		"local 2023-03-21T22:30:00Z is ahead of 2023-03-21T22:29:58Z by 2s",
		"CryptSvc   running        start auto",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
}

// liveCommands are the command lines that need Windows (watch_test.go
// adds watch).
var liveCommands = func(t *testing.T) [][]string {
	return [][]string{{"probe"}, {"probe", "--format", "json"}, {"collect", "-o", filepath.Join(t.TempDir(), "b.zip")}}
}

func TestLiveCommandsNeedWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("on Windows these commands run")
	}
	for _, args := range liveCommands(t) {
		var stdout, stderr bytes.Buffer
		code := run(args, strings.NewReader(""), &stdout, &stderr)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		msg := stderr.String()
		for _, want := range []string{"Windows", "--facts", "--software-hive", "bundle"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%v: message %q lacks %q", args, msg, want)
			}
		}
	}
}

// TestRegTextQWORD: a REG_QWORD is little-endian, shown in hex and decimal.
func TestRegTextQWORD(t *testing.T) {
	v := diagnose.RegValue{Exists: true, Type: diagnose.RegQWORD, Data: []byte{8, 7, 6, 5, 4, 3, 2, 1}}
	got := regText(`HKLM\SOFTWARE\X\Q`, diagnose.Fact[diagnose.RegValue]{Value: v, Known: true}, time.Time{})
	if want := "0x102030405060708 (72623859790382856)"; got != want {
		t.Errorf("regText = %q, want %q", got, want)
	}
}
