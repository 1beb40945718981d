// Command wulog analyzes Windows Update logs: it parses WindowsUpdate.log
// and .etl files, decodes error codes and names the root cause of update
// failures from log evidence and facts about the machine.
//
// Each command is a small adapter over the library packages; see the
// README for usage.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/alecthomas/kong"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes.
const (
	exitOK       = 0 // analysed (with or without findings)
	exitFindings = 1 // findings at or above --fail-on
	exitUsage    = 2 // usage or input error
)

// exitError carries an exit code through a command's returned error.
type exitError struct {
	code int
	err  error
}

// Error returns the carried error's text, or "exit status N" without one.
func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// Unwrap returns the carried error.
func (e *exitError) Unwrap() error { return e.err }

// Globals are flags and streams shared by every command.
type Globals struct {
	NoColor bool `help:"Disable colour (also when NO_COLOR is set)." env:"NO_COLOR"`

	Stdin  io.Reader `kong:"-"`
	Stdout io.Writer `kong:"-"`
	Stderr io.Writer `kong:"-"`
}

// CLI is the command tree.
type CLI struct {
	Globals

	Version kong.VersionFlag `help:"Print the version and exit."`

	Analyze AnalyzeCmd `cmd:"" help:"Name the root cause of Windows Update failures in logs."`
	Parse   ParseCmd   `cmd:"" help:"Print the records of Windows Update logs (text, JSON lines or CSV)."`
	Hresult HresultCmd `cmd:"" name:"hresult" help:"Decode HRESULT, Win32 and NTSTATUS codes."`
	Rules   RulesCmd   `cmd:"" help:"List every diagnosis rule with its ID, title and documentation."`
	Convert ConvertCmd `cmd:"" help:"Convert Windows Update .etl files to a Get-WindowsUpdateLog style text log."`
	Etl     EtlCmd     `cmd:"" name:"etl" help:"Inspect any ETL trace file."`
	Probe   ProbeCmd   `cmd:"" help:"Read the facts about this Windows machine that the rules use (Windows only)."`
	Collect CollectCmd `cmd:"" help:"Collect facts and Windows Update logs into a bundle for analysis anywhere (Windows only)."`
	Watch   WatchCmd   `cmd:"" help:"Follow Windows Update live through ETW and report findings as they appear (Windows only)."`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run parses args, runs the selected command and returns the exit code. It
// is separate from main so that tests can call it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cli := CLI{Globals: Globals{Stdin: stdin, Stdout: stdout, Stderr: stderr}}
	exitCode := -1
	parser, err := kong.New(&cli,
		kong.Name("wulog"),
		kong.Description("Windows Update log analyzer: from WindowsUpdate.log and .etl files to a named root cause."),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Vars{"version": version},
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exitCode = code }),
	)
	if err != nil {
		fmt.Fprintf(stderr, "wulog: %v\n", err)
		return exitUsage
	}
	ctx, err := parser.Parse(args)
	if exitCode >= 0 { // --help or --version
		return exitCode
	}
	if err != nil {
		fmt.Fprintf(stderr, "wulog: %v\n", err)
		return exitUsage
	}
	if err := ctx.Run(&cli.Globals); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.err != nil {
				fmt.Fprintf(stderr, "wulog: %v\n", ee.err)
			}
			return ee.code
		}
		fmt.Fprintf(stderr, "wulog: %v\n", err)
		return exitUsage
	}
	return exitOK
}
