// Package hresult decodes the HRESULT, Win32 and NTSTATUS codes that
// Windows Update logs are full of.
//
// [Decode] turns a 32-bit value into a [Code]: its bit layout ([MS-ERREF]
// sections 2.1 and 2.3: severity, the R, C, N and X bits, facility and code),
// the Win32 code it wraps (HRESULT_FROM_WIN32, NTSTATUS_FROM_WIN32), the
// NTSTATUS it wraps (HRESULT_FROM_NT), the HTTP status of FACILITY_HTTP and
// WU_E_PT_HTTP_STATUS_* codes, and every known symbolic name for the value,
// ranked for the Windows Update context: Windows Update talks to its servers
// through WinHTTP, so 0x80072F8F reads first as ERROR_WINHTTP_SECURE_FAILURE
// and only then as ERROR_INTERNET_DECODING_FAILED or
// WININET_E_DECODING_FAILED. Decode does not allocate: the candidate lists
// are slices of tables built once.
//
// [Parse] reads a code in any of the spellings found in logs and in
// conversation: 0x80072F8F, 80072F8F, [80072F8F], hr = 80072ee2, signed and
// unsigned decimal, bare Win32 numbers (reported as ambiguous), symbolic
// names and Windows Setup result/extend pairs such as 0xC1900101 - 0x4001E.
//
// # Where the names come from
//
// The names and values are generated into zz_codes.go from sources anyone
// can install: the public-domain mingw-w64 headers of Debian's
// mingw-w64-common package (winerror.h, wuerror.h, ntstatus.h, bitsmsg.h,
// wininet.h, lmerr.h, raserror.h, mprerror.h; the LGPL winhttp.h,
// winineti.h and corerror.h are not read), golang.org/x/sys/windows
// zerrors_windows.go (BSD-3-Clause, read as text from the module cache) and the winapi 0.3.9 Rust crate of Debian's
// librust-winapi-dev package (MIT or Apache-2.0; winerror.rs, ntstatus.rs,
// winhttp.rs, wininet.rs, bitsmsg.rs). Where the sources disagree on a value,
// internal/gen/overrides.tsv decides and says why. See NOTICE at the
// repository root for the licences.
//
// Codes that no header has (CBS_E_*, Windows Setup MOSETUP_E_* and 0xC19…,
// USO_E_*, Delivery Optimization DO_E_*), WMI WBEM_E_* (an enum the
// generator does not read) and the WinHTTP codes newer than winapi 0.3.9 are
// kept by hand in extra.tsv, one row per code with the URL of the page that
// documents it. Descriptions are
// written for this project in its own words and kept in descriptions.tsv
// (no Microsoft or Wine message text is used); for codes that point at
// certificates, the clock or the network they say what to check. Both files
// are embedded, so editing them needs no regeneration.
//
// # Regenerating zz_codes.go
//
//	apt-get install mingw-w64-common librust-winapi-dev
//	go mod download golang.org/x/sys@v0.50.0
//	go generate ./hresult
//
// The generator (internal/gen) is deterministic: run twice, it writes the
// same bytes, and TestGeneratedUpToDate checks that the committed file
// matches the inputs when they are installed.
//
// [MS-ERREF]: https://learn.microsoft.com/openspecs/windows_protocols/ms-erref/
package hresult

//go:generate go run ./internal/gen -o zz_codes.go
