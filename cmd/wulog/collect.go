package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/wulog/wulog/bundle"
	"github.com/wulog/wulog/diagnose/live"
)

// errNeedsWindows explains that a command runs on Windows only and what
// to do instead.
func errNeedsWindows(cmd string) error {
	return fmt.Errorf("%s needs Windows: run it on the machine that fails to update (from an elevated prompt for the most facts). "+
		"Here, analyze what Windows gave you: a bundle from `wulog collect` (wulog analyze bundle.zip), "+
		"facts from `wulog probe --format json` (--facts snapshot.json), "+
		"or offline registry hives (--software-hive/--system-hive/--user-hive)", cmd)
}

// CollectCmd gathers facts and Windows Update logs into a bundle.
type CollectCmd struct {
	liveFlags
	Output string `short:"o" required:"" help:"The bundle to write: a zip with manifest.json, snapshot.json, etl/*.etl and WindowsUpdate.log (docs/bundle.md)." type:"path" placeholder:"bundle.zip"`
	ETLDir string `name:"etl-dir" help:"Folder of the Windows Update .etl files (default C:\\Windows\\Logs\\WindowsUpdate)." type:"path" placeholder:"DIR"`
}

// Run writes the bundle next to its final name, then renames it.
func (c *CollectCmd) Run(g *Globals) error {
	if runtime.GOOS != "windows" {
		return &exitError{exitUsage, errNeedsWindows("collect")}
	}
	ctx, stop := interruptible()
	defer stop()
	tmp, err := os.CreateTemp(filepath.Dir(c.Output), ".wulog-collect-*.zip")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	m, err := bundle.Collect(ctx, tmp, bundle.CollectOptions{
		Facts:       live.New(c.options()),
		ETLDir:      c.ETLDir,
		ToolVersion: version,
	})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), c.Output); err != nil {
		return err
	}
	var names []string
	if n := len(m.ETLFiles()); n > 0 {
		names = append(names, fmt.Sprintf("%d .etl files", n))
	}
	for _, f := range m.Files {
		if !strings.HasPrefix(f.Name, bundle.ETLDir) {
			names = append(names, f.Name)
		}
	}
	fmt.Fprintf(g.Stdout, "Wrote %s (host %s): %s.\n", c.Output, m.Host, strings.Join(names, ", "))
	for _, n := range m.Notes {
		fmt.Fprintf(g.Stdout, "  note: %s\n", n)
	}
	fmt.Fprintf(g.Stdout, "Analyze it on any system with: wulog analyze %s\n", filepath.Base(c.Output))
	return nil
}
