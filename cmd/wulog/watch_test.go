package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wulog/wulog/diagnose/snapshot"
	"github.com/wulog/wulog/internal/shared"
	"github.com/wulog/wulog/logparse"
)

func init() {
	probeOnly := liveCommands
	liveCommands = func(t *testing.T) [][]string { return append(probeOnly(t), []string{"watch"}) }
}

// slowSource yields the records of a text log one by one, then blocks
// until ctx ends, like a live session that has gone quiet.
type slowSource struct {
	ctx context.Context
	sc  *logparse.Scanner
	n   int
}

func (s *slowSource) Scan() bool {
	if s.sc.Scan() {
		s.n++
		return true
	}
	<-s.ctx.Done()
	return false
}
func (s *slowSource) Record() *logparse.Record { return s.sc.Record() }
func (s *slowSource) Err() error               { return s.sc.Err() }
func (s *slowSource) Stats() logparse.Stats    { return s.sc.Stats() }

func TestWatchPrintsFindingsOnce(t *testing.T) {
	logPath := shared.Path("corpus", "excerpt_win10-22H2_gyojir-blog_80072F8F_SLS-cert-revocation_2023-03-21.txt")
	f, err := os.Open(logPath)
	if err != nil {
		t.Skipf("shared corpus not available: %v", err)
	}
	defer f.Close()
	facts, err := snapshot.ReadFile(filepath.Join("..", "..", "testdata", "snapshots", "seed-authroot-acl.json"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	fch := make(chan factsResult, 1)
	fch <- factsResult{facts: facts, name: "snapshot seed-authroot-acl.json"}
	var out bytes.Buffer
	src := &slowSource{ctx: ctx, sc: logparse.NewScanner(f)}
	err = watchLoop(ctx, src, fch, &out, watchOptions{every: 100 * time.Millisecond, show: "failures"})
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	// Failure events are echoed as they arrive, in Get-WindowsUpdateLog form.
	if !strings.Contains(text, "Misc            *FAILED* [80072F8F] Send request") {
		t.Errorf("failure events not echoed:\n%s", text)
	}
	// The seed cause is found, and each finding is printed once although
	// the rules ran many times.
	if !strings.Contains(text, ">> root cause ") {
		t.Errorf("no root cause printed:\n%s", text)
	}
	seen := map[string]bool{}
	for l := range strings.Lines(text) {
		if strings.HasPrefix(l, ">> ") {
			if seen[l] {
				t.Errorf("finding printed twice: %s", l)
			}
			seen[l] = true
		}
	}
	if !strings.Contains(text, "facts read from snapshot seed-authroot-acl.json") || !strings.Contains(text, "Windows Update events,") {
		t.Errorf("no facts line or summary:\n%s", text)
	}
}
