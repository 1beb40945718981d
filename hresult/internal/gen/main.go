// Command gen writes hresult/zz_codes.go, the table of every Win32, HRESULT
// and NTSTATUS name the permissively licensed sources define.
//
// Inputs (see the hresult package documentation):
//   - the public-domain mingw-w64 headers of Debian's mingw-w64-common
//     package: winerror.h, wuerror.h, ntstatus.h, bitsmsg.h, wininet.h,
//     lmerr.h, raserror.h and mprerror.h (the LGPL winhttp.h, winineti.h
//     and corerror.h are not read);
//   - golang.org/x/sys windows/zerrors_windows.go (BSD-3-Clause), parsed as
//     Go source, never imported;
//   - the winapi 0.3.9 crate of Debian's librust-winapi-dev package (MIT or
//     Apache-2.0): shared/winerror.rs, shared/ntstatus.rs, um/winhttp.rs,
//     um/wininet.rs and um/bitsmsg.rs;
//   - overrides.tsv next to this file: the value to use where the sources
//     disagree or are known to be wrong, with the reason.
//
// The output depends only on the contents of these files: rows are sorted
// by value and, within a value, by the order of the inputs above, and the
// file is gofmt'ed. Running gen twice writes the same bytes.
//
// Usage (from the hresult directory, as go generate runs it):
//
//	go run ./internal/gen -o zz_codes.go
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	var cfg Config
	flag.StringVar(&cfg.Mingw, "mingw", DefaultMingw, "directory of the mingw-w64-common headers")
	flag.StringVar(&cfg.Winapi, "winapi", DefaultWinapi, "src directory of the winapi 0.3.9 crate")
	flag.StringVar(&cfg.XSys, "xsys", "", "path of golang.org/x/sys/windows/zerrors_windows.go (default: found in the module cache for "+XSysModule+")")
	flag.StringVar(&cfg.Overrides, "overrides", "internal/gen/overrides.tsv", "override file")
	out := flag.String("o", "zz_codes.go", "output file")
	verbose := flag.Bool("v", false, "print the counts and the disagreements that overrides settled")
	flag.Parse()

	if cfg.XSys == "" {
		p, err := FindXSys()
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		cfg.XSys = p
	}
	src, rep, err := Generate(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if *verbose {
		for _, l := range rep.Lines() {
			fmt.Fprintln(os.Stderr, l)
		}
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
