// Package winproxy decodes the WinHTTP proxy settings that `netsh winhttp
// set proxy` stores in the REG_BINARY value WinHttpSettings under
// HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections
// (the machine-wide proxy that Windows Update, CryptSvc and other services
// use), and the WinINET DefaultConnectionSettings blob that shares its
// header.
//
// The format is undocumented. Layout, all integers little-endian uint32:
//
//	version   0x18 (netsh, Windows 7+), 0x28; 0x3C/0x46 for WinINET blobs
//	counter   incremented on each change
//	flags     1 direct, 2 proxy, 4 auto-config URL, 8 auto-detect
//	n, proxy  proxy server list, n bytes, ANSI, no terminator
//	m, bypass bypass list, m bytes
//	[k, url]  auto-config URL (WinINET blobs; absent or zero in WinHttpSettings)
//	...       WinINET blobs carry further fields, kept as Trailing
//
// "Direct access (no proxy server)" as netsh reports it is
// 18 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00
// (Microsoft documentation).
package winproxy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Flags are the connection flags of the blob (INTERNET_PER_CONN_FLAGS).
type Flags uint32

// Flag bits.
const (
	FlagDirect        Flags = 0x1
	FlagProxy         Flags = 0x2
	FlagAutoProxyURL  Flags = 0x4
	FlagAutoDetect    Flags = 0x8
	knownFlags              = FlagDirect | FlagProxy | FlagAutoProxyURL | FlagAutoDetect
	maxReasonableSize       = 1 << 20
)

// String lists the flags: "direct|proxy".
func (f Flags) String() string {
	var p []string
	for _, x := range []struct {
		f Flags
		n string
	}{{FlagDirect, "direct"}, {FlagProxy, "proxy"}, {FlagAutoProxyURL, "auto-config-url"}, {FlagAutoDetect, "auto-detect"}} {
		if f&x.f != 0 {
			p = append(p, x.n)
		}
	}
	if r := f &^ knownFlags; r != 0 {
		p = append(p, fmt.Sprintf("0x%X", uint32(r)))
	}
	if len(p) == 0 {
		return "0"
	}
	return strings.Join(p, "|")
}

// Settings is a decoded WinHttpSettings (or DefaultConnectionSettings) blob.
type Settings struct {
	Version uint32 `json:"version"`
	Counter uint32 `json:"counter"`
	Flags   Flags  `json:"flags"`
	// Proxy is the proxy server list: "host:port" or
	// "http=host:port;https=host:port".
	Proxy string `json:"proxy,omitempty"`
	// Bypass is the bypass list, e.g. "<local>;*.contoso.com".
	Bypass string `json:"bypass,omitempty"`
	// AutoConfigURL is the PAC URL of WinINET blobs.
	AutoConfigURL string `json:"auto_config_url,omitempty"`
	// Trailing holds bytes after the fields above (non-zero ones only;
	// WinINET blobs end in reserved fields).
	Trailing []byte `json:"trailing,omitempty"`
}

// ErrTruncated reports a blob that ends inside a field.
var ErrTruncated = errors.New("WinHttpSettings blob truncated")

// Parse decodes a blob. Lengths are checked against the data; a blob that
// ends inside a field is an error wrapping ErrTruncated that names the
// field and offset.
func Parse(b []byte) (Settings, error) {
	var s Settings
	if len(b) > maxReasonableSize {
		return s, fmt.Errorf("WinHttpSettings blob of %d bytes is implausibly large", len(b))
	}
	p := 0
	u32 := func(field string) (uint32, error) {
		if p+4 > len(b) {
			return 0, fmt.Errorf("%w: %s at offset %d needs 4 bytes, %d left", ErrTruncated, field, p, len(b)-p)
		}
		v := binary.LittleEndian.Uint32(b[p:])
		p += 4
		return v, nil
	}
	str := func(field string) (string, error) {
		n, err := u32(field + " length")
		if err != nil {
			return "", err
		}
		if uint64(n) > uint64(len(b)-p) {
			return "", fmt.Errorf("%w: %s at offset %d is %d bytes, %d left", ErrTruncated, field, p, n, len(b)-p)
		}
		v := string(b[p : p+int(n)])
		p += int(n)
		return strings.TrimRight(v, "\x00"), nil
	}
	var err error
	if s.Version, err = u32("version"); err != nil {
		return s, err
	}
	if s.Counter, err = u32("counter"); err != nil {
		return s, err
	}
	var f uint32
	if f, err = u32("flags"); err != nil {
		return s, err
	}
	s.Flags = Flags(f)
	if s.Proxy, err = str("proxy server"); err != nil {
		return s, err
	}
	if s.Bypass, err = str("bypass list"); err != nil {
		return s, err
	}
	rest := b[p:]
	if len(rest) >= 4 {
		// Optional auto-config URL: accept it only if its length fits.
		n := binary.LittleEndian.Uint32(rest)
		if uint64(n) <= uint64(len(rest)-4) {
			s.AutoConfigURL = strings.TrimRight(string(rest[4:4+n]), "\x00")
			rest = rest[4+n:]
		}
	}
	if len(bytes.Trim(rest, "\x00")) > 0 {
		s.Trailing = append([]byte(nil), rest...)
	}
	return s, nil
}

// Build encodes s in the WinHttpSettings layout (no auto-config URL field
// unless AutoConfigURL or Trailing is set). Version 0 is written as 0x18.
func Build(s Settings) []byte {
	v := s.Version
	if v == 0 {
		v = 0x18
	}
	b := binary.LittleEndian.AppendUint32(nil, v)
	b = binary.LittleEndian.AppendUint32(b, s.Counter)
	b = binary.LittleEndian.AppendUint32(b, uint32(s.Flags))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s.Proxy)))
	b = append(b, s.Proxy...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(s.Bypass)))
	b = append(b, s.Bypass...)
	if s.AutoConfigURL != "" || len(s.Trailing) > 0 {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s.AutoConfigURL)))
		b = append(b, s.AutoConfigURL...)
		b = append(b, s.Trailing...)
	}
	return b
}

// Direct reports whether WinHTTP connects directly: no proxy flag or an
// empty proxy list ("Direct access (no proxy server)" in netsh).
func (s Settings) Direct() bool { return s.Flags&FlagProxy == 0 || strings.TrimSpace(s.Proxy) == "" }

// ProxyEntry is one element of the proxy list.
type ProxyEntry struct {
	// Scheme is "http", "https", ... or "" for a proxy used for all schemes.
	Scheme string
	// Address is host:port (possibly with an http:// prefix as written).
	Address string
}

// Proxies splits the proxy list ("http=p1:80;https=p2:443" or "p:8080",
// separated by ';' or spaces).
func (s Settings) Proxies() []ProxyEntry {
	var out []ProxyEntry
	for _, f := range splitList(s.Proxy) {
		e := ProxyEntry{Address: f}
		if i := strings.IndexByte(f, '='); i >= 0 {
			e.Scheme, e.Address = strings.ToLower(f[:i]), f[i+1:]
		}
		out = append(out, e)
	}
	return out
}

// ProxyFor returns the proxy used for a URL scheme ("https"), or "" for
// a direct connection.
func (s Settings) ProxyFor(scheme string) string {
	if s.Direct() {
		return ""
	}
	var def string
	for _, e := range s.Proxies() {
		if strings.EqualFold(e.Scheme, scheme) {
			return e.Address
		}
		if e.Scheme == "" && def == "" {
			def = e.Address
		}
	}
	return def
}

// BypassList splits the bypass list.
func (s Settings) BypassList() []string { return splitList(s.Bypass) }

func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ' ' || r == '\t' })
}

// Bypasses reports whether WinHTTP would skip the proxy for host: "<local>"
// matches names without a dot, "*" wildcards match any run of characters,
// matching is case-insensitive. Loopback is always bypassed.
func (s Settings) Bypasses(host string) bool {
	host = strings.ToLower(host)
	if host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]" {
		return true
	}
	for _, p := range s.BypassList() {
		p = strings.ToLower(p)
		if p == "<local>" {
			if !strings.Contains(host, ".") {
				return true
			}
			continue
		}
		if wildMatch(p, host) {
			return true
		}
	}
	return false
}

// wildMatch matches s against a pattern where '*' matches any run of
// characters, in linear time.
func wildMatch(pattern, s string) bool {
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == s[i] && pattern[p] != '*':
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// String describes the settings like `netsh winhttp show proxy`.
func (s Settings) String() string {
	if s.Direct() {
		return "Direct access (no proxy server)"
	}
	out := "Proxy Server(s): " + s.Proxy
	if s.Bypass != "" {
		out += "; Bypass List: " + s.Bypass
	} else {
		out += "; Bypass List: (none)"
	}
	return out
}
