package snapshot

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/secdesc"
)

// MaxSize is the largest snapshot Read accepts (64 MiB).
const MaxSize = 64 << 20

// Error is a problem in a snapshot file, with where it is.
type Error struct {
	// File is the file name given to Read.
	File string
	// Line and Column locate the problem in the file when known (1-based;
	// 0 when unknown).
	Line, Column int
	// Path is the JSON location, e.g. `registry["HKLM\SOFTWARE\...\LastSyncTime"].time`.
	Path string
	Msg  string
	// Err is a sentinel the problem wraps (ErrSchema), if any.
	Err error
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// Error describes the problem with its file, line and JSON location.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrSchema is wrapped by errors about a missing or unsupported schema.
var ErrSchema = errors.New("unsupported snapshot schema")

// Source is a FactSource backed by a snapshot file.
type Source struct {
	Path string
}

// Load returns a FactSource that reads the snapshot at path when asked for
// facts.
func Load(path string) diagnose.FactSource { return &Source{Path: path} }

// Name implements diagnose.FactSource: "snapshot pc1.json".
func (s *Source) Name() string { return "snapshot " + filepath.Base(s.Path) }

// Facts implements diagnose.FactSource.
func (s *Source) Facts(ctx context.Context) (*diagnose.Facts, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return ReadFile(s.Path)
}

// ReadFile reads the snapshot at path.
func ReadFile(path string) (*diagnose.Facts, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path)
}

// Read decodes a snapshot. name is used in errors and as the default
// source of facts ("snapshot <base name>").
func Read(r io.Reader, name string) (*diagnose.Facts, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(raw) > MaxSize {
		return nil, &Error{File: name, Msg: fmt.Sprintf("larger than %d bytes", MaxSize)}
	}
	d := &decoder{name: name, raw: raw}
	return d.decode()
}

type decoder struct {
	name string
	raw  []byte
}

func (d *decoder) errAt(offset int64, path, format string, args ...any) *Error {
	e := &Error{File: d.name, Path: path, Msg: fmt.Sprintf(format, args...)}
	if offset >= 0 {
		e.Line, e.Column = lineCol(d.raw, offset)
	}
	return e
}

// errKey reports a problem with an entry, locating the entry's key in the
// file when it can.
func (d *decoder) errKey(section, key, field, format string, args ...any) *Error {
	path := section
	if key != "" {
		path += fmt.Sprintf("[%q]", key)
	}
	if field != "" {
		path += "." + field
	}
	off := int64(-1)
	if key != "" {
		if enc, err := json.Marshal(key); err == nil {
			if i := bytes.Index(d.raw, enc); i >= 0 {
				off = int64(i)
			}
		}
	}
	return d.errAt(off, path, format, args...)
}

func lineCol(b []byte, off int64) (int, int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line, col := 1, 1
	for _, c := range b[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

func (d *decoder) decode() (*diagnose.Facts, error) {
	var head struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(d.raw, &head); err != nil {
		return nil, d.jsonErr(err, -1)
	}
	switch {
	case head.Schema == nil:
		e := d.errAt(-1, "schema", "missing; this wulog reads %q", Schema)
		e.Err = ErrSchema
		return nil, e
	case *head.Schema != Schema:
		e := d.errKeyValue("schema", *head.Schema, "%q is not supported; this wulog reads %q", *head.Schema, Schema)
		e.Err = ErrSchema
		return nil, e
	}
	dec := json.NewDecoder(bytes.NewReader(d.raw))
	dec.DisallowUnknownFields()
	var f file
	if err := dec.Decode(&f); err != nil {
		return nil, d.jsonErr(err, dec.InputOffset())
	}
	if dec.More() {
		return nil, d.errAt(dec.InputOffset(), "", "unexpected data after the snapshot object")
	}
	return d.facts(&f)
}

// errKeyValue is like errKey for a top-level string field's value.
func (d *decoder) errKeyValue(field, value, format string, args ...any) *Error {
	off := int64(-1)
	if enc, err := json.Marshal(value); err == nil {
		if i := bytes.Index(d.raw, enc); i >= 0 {
			off = int64(i)
		}
	}
	e := d.errAt(off, field, format, args...)
	return e
}

func (d *decoder) jsonErr(err error, fallback int64) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		if strings.Contains(se.Error(), "after top-level value") {
			return d.errAt(se.Offset-1, "", "unexpected data after the snapshot object")
		}
		return d.errAt(se.Offset-1, "", "invalid JSON: %v", se)
	case errors.As(err, &te):
		return d.errAt(te.Offset, te.Field, "%s where %s is expected", te.Value, te.Type)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return d.errAt(int64(len(d.raw)), "", "unexpected end of file")
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if field, ok := strings.CutPrefix(msg, "unknown field "); ok {
		// Point at the field's name rather than past its value.
		if i := bytes.LastIndex(d.raw[:min(int(fallback), len(d.raw))], []byte(field)); i >= 0 {
			fallback = int64(i)
		}
		msg += " (see docs/snapshot.md for the fields of wulog.snapshot/v1)"
	}
	return d.errAt(fallback, "", "%s", msg)
}

var hivePrefixes = []struct{ long, short string }{
	{`HKEY_LOCAL_MACHINE\`, `HKLM\`}, {`HKEY_CURRENT_USER\`, `HKCU\`}, {`HKLM:\`, `HKLM\`}, {`HKCU:\`, `HKCU\`},
	{`HKLM\`, `HKLM\`}, {`HKCU\`, `HKCU\`},
}

// canonicalPath turns a registry path into its canonical spelling: HKLM/
// HKCU prefixes, and the spelling of diagnose.RegistryValues or
// diagnose.SecuredKeys when one matches case-insensitively.
func canonicalPath(p string, known []string) (string, bool) {
	ok := false
	for _, h := range hivePrefixes {
		if len(p) >= len(h.long) && strings.EqualFold(p[:len(h.long)], h.long) {
			p = h.short + p[len(h.long):]
			ok = true
			break
		}
	}
	if !ok {
		return p, false
	}
	for _, k := range known {
		if strings.EqualFold(k, p) {
			return k, true
		}
	}
	return p, true
}

func (d *decoder) meta(m meta, def time.Time) (string, time.Time) {
	src := m.Source
	if src == "" {
		src = "snapshot " + filepath.Base(d.name)
	}
	at := def
	if m.ReadAt != nil {
		at = m.ReadAt.UTC()
	}
	return src, at
}

func (d *decoder) facts(f *file) (*diagnose.Facts, error) {
	out := &diagnose.Facts{Host: f.Host, Live: f.Live, Notes: f.Notes}
	var def time.Time
	if f.CollectedAt != nil {
		out.CollectedAt = f.CollectedAt.UTC()
		def = out.CollectedAt
	}
	fileSource := f.Source
	withSource := func(m meta) meta {
		if m.Source == "" {
			m.Source = fileSource
		}
		return m
	}
	if len(f.Registry) > 0 {
		out.Registry = make(map[string]diagnose.Fact[diagnose.RegValue], len(f.Registry))
	}
	seen := map[string]bool{}
	for key, v := range f.Registry {
		path, ok := canonicalPath(key, diagnose.RegistryValues)
		if !ok {
			return nil, d.errKey("registry", key, "", `path must start with HKLM\ or HKCU\ (or HKEY_LOCAL_MACHINE\, HKEY_CURRENT_USER\)`)
		}
		if v == nil {
			return nil, d.errKey("registry", key, "", "null entry; give a value, exists:false or error")
		}
		if seen[strings.ToLower(path)] {
			return nil, d.errKey("registry", key, "", "given twice (paths are case-insensitive)")
		}
		seen[strings.ToLower(path)] = true
		fact, err := d.regFact(key, v)
		if err != nil {
			return nil, err
		}
		fact.Source, fact.ReadAt = d.meta(withSource(v.meta), def)
		out.Registry[path] = fact
	}
	if len(f.KeySecurity) > 0 {
		out.KeySecurity = make(map[string]diagnose.Fact[[]byte], len(f.KeySecurity))
	}
	for key, v := range f.KeySecurity {
		path, ok := canonicalPath(key, diagnose.SecuredKeys)
		if !ok {
			return nil, d.errKey("key_security", key, "", `path must start with HKLM\ or HKCU\`)
		}
		if v == nil {
			return nil, d.errKey("key_security", key, "", "null entry; give base64, hex or sddl, or error")
		}
		if seen["sec:"+strings.ToLower(path)] {
			return nil, d.errKey("key_security", key, "", "given twice (paths are case-insensitive)")
		}
		seen["sec:"+strings.ToLower(path)] = true
		fact, err := d.secFact(key, v)
		if err != nil {
			return nil, err
		}
		fact.Source, fact.ReadAt = d.meta(withSource(v.meta), def)
		out.KeySecurity[path] = fact
	}
	for i, c := range f.Chains {
		if c == nil {
			return nil, d.errAt(-1, fmt.Sprintf("chains[%d]", i), "null entry")
		}
		fact := diagnose.Fact[diagnose.Chain]{Known: c.Error == "", Err: c.Error}
		if c.Endpoint == "" {
			return nil, d.errAt(-1, fmt.Sprintf("chains[%d].endpoint", i), "missing (host:port, e.g. slscr.update.microsoft.com:443)")
		}
		ch := diagnose.Chain{Endpoint: c.Endpoint, ErrorStatus: uint32(c.ErrorStatus), InfoStatus: uint32(c.InfoStatus),
			PolicyError: uint32(c.PolicyError), ConnectError: c.ConnectError}
		for j, e := range c.Elements {
			if e == nil {
				return nil, d.errAt(-1, fmt.Sprintf("chains[%d].elements[%d]", i, j), "null entry")
			}
			el := diagnose.ChainElement{Subject: e.Subject, Issuer: e.Issuer, Thumbprint: e.SHA1,
				ErrorStatus: uint32(e.ErrorStatus), InfoStatus: uint32(e.InfoStatus)}
			if e.NotBefore != nil {
				el.NotBefore = e.NotBefore.UTC()
			}
			if e.NotAfter != nil {
				el.NotAfter = e.NotAfter.UTC()
			}
			ch.Elements = append(ch.Elements, el)
		}
		fact.Value = ch
		fact.Source, fact.ReadAt = d.meta(withSource(c.meta), def)
		out.Chains = append(out.Chains, fact)
	}
	if c := f.Clock; c != nil {
		out.Clock.Err, out.Clock.Known = c.Error, c.Error == ""
		if c.Error == "" {
			if c.Local == nil || c.Reference == nil {
				return nil, d.errAt(-1, "clock", "needs local and reference times (or error)")
			}
			out.Clock.Value = diagnose.Clock{Local: c.Local.UTC(), Reference: c.Reference.UTC(), ReferenceSource: c.ReferenceSource}
		}
		out.Clock.Source, out.Clock.ReadAt = d.meta(withSource(c.meta), def)
	}
	if b := f.BootTime; b != nil {
		out.BootTime.Err, out.BootTime.Known = b.Error, b.Error == ""
		if b.Error == "" {
			if b.Time == nil {
				return nil, d.errAt(-1, "boot_time", "needs time (or error)")
			}
			out.BootTime.Value = b.Time.UTC()
		}
		out.BootTime.Source, out.BootTime.ReadAt = d.meta(withSource(b.meta), def)
	}
	if len(f.Services) > 0 {
		out.Services = make(map[string]diagnose.Fact[diagnose.Service], len(f.Services))
	}
	for name, s := range f.Services {
		if s == nil {
			return nil, d.errKey("services", name, "", "null entry")
		}
		if s.Error == "" {
			if !validState[s.State] {
				return nil, d.errKey("services", name, "state", "%q is not one of running, stopped, start-pending, stop-pending, paused, continue-pending, pause-pending, unknown", s.State)
			}
			if s.StartType != "" && !validStart[s.StartType] {
				return nil, d.errKey("services", name, "start_type", "%q is not one of boot, system, auto, delayed-auto, manual, disabled", s.StartType)
			}
		}
		fact := diagnose.Fact[diagnose.Service]{Known: s.Error == "", Err: s.Error}
		if s.Error == "" {
			fact.Value = diagnose.Service{Name: name, State: s.State, StartType: s.StartType}
		}
		fact.Source, fact.ReadAt = d.meta(withSource(s.meta), def)
		out.Services[name] = fact
	}
	if h := f.HostsFile; h != nil {
		out.HostsFile.Err, out.HostsFile.Known = h.Error, h.Error == ""
		if h.Error == "" {
			if h.Content == nil {
				return nil, d.errAt(-1, "hosts_file", "needs content (or error)")
			}
			out.HostsFile.Value = *h.Content
		}
		out.HostsFile.Source, out.HostsFile.ReadAt = d.meta(withSource(h.meta), def)
	}
	return out, nil
}

var validState = map[string]bool{"running": true, "stopped": true, "start-pending": true, "stop-pending": true,
	"paused": true, "continue-pending": true, "pause-pending": true, "unknown": true}
var validStart = map[string]bool{"boot": true, "system": true, "auto": true, "delayed-auto": true, "manual": true, "disabled": true}

func (v *regValue) helperCount() int {
	n := 0
	for _, b := range []bool{v.Time != nil, v.DWORD != nil, v.QWORD != nil, v.String != nil, v.Strings != nil} {
		if b {
			n++
		}
	}
	return n
}

func (d *decoder) regFact(key string, v *regValue) (diagnose.Fact[diagnose.RegValue], error) {
	var fact diagnose.Fact[diagnose.RegValue]
	hasValue := v.Data != nil || v.helperCount() > 0 || v.Type != nil
	switch {
	case v.Error != "":
		if hasValue || v.Exists != nil {
			return fact, d.errKey("registry", key, "error", "an entry with an error carries no value")
		}
		fact.Err = v.Error
		return fact, nil
	case v.Exists != nil && !*v.Exists:
		if hasValue {
			return fact, d.errKey("registry", key, "exists", "exists is false but a value is given")
		}
		fact.Known = true
		return fact, nil
	}
	fact.Known = true
	rv := diagnose.RegValue{Exists: true}
	if v.Data != nil {
		if v.Type == nil {
			return fact, d.errKey("registry", key, "type", "needed with data (REG_BINARY, REG_DWORD, REG_SZ, ...)")
		}
		rv.Type, rv.Data = uint32(*v.Type), []byte(*v.Data)
		if err := d.checkHelpers(key, v, rv); err != nil {
			return fact, err
		}
		fact.Value = rv
		return fact, nil
	}
	if n := v.helperCount(); n != 1 {
		if n == 0 {
			return fact, d.errKey("registry", key, "", "no value: give data (hex) with type, or one of time, dword, qword, string, strings; or exists:false; or error")
		}
		return fact, d.errKey("registry", key, "", "give only one of time, dword, qword, string, strings (or data)")
	}
	want := func(def uint32, allowed ...uint32) (uint32, error) {
		if v.Type == nil {
			return def, nil
		}
		for _, a := range allowed {
			if uint32(*v.Type) == a {
				return a, nil
			}
		}
		return 0, d.errKey("registry", key, "type", "%s does not fit the value given", RegTypeName(uint32(*v.Type)))
	}
	var err error
	switch {
	case v.Time != nil:
		if rv.Type, err = want(diagnose.RegBinary, diagnose.RegBinary); err != nil {
			return fact, err
		}
		rv.Data = binary.LittleEndian.AppendUint64(nil, diagnose.TimeToFileTime(v.Time.UTC()))
	case v.DWORD != nil:
		if rv.Type, err = want(diagnose.RegDWORD, diagnose.RegDWORD); err != nil {
			return fact, err
		}
		rv.Data = binary.LittleEndian.AppendUint32(nil, *v.DWORD)
	case v.QWORD != nil:
		if rv.Type, err = want(diagnose.RegQWORD, diagnose.RegQWORD); err != nil {
			return fact, err
		}
		rv.Data = binary.LittleEndian.AppendUint64(nil, *v.QWORD)
	case v.String != nil:
		if rv.Type, err = want(diagnose.RegSZ, diagnose.RegSZ, diagnose.RegExpandSZ); err != nil {
			return fact, err
		}
		rv.Data = utf16z(*v.String)
	default:
		if rv.Type, err = want(diagnose.RegMultiSZ, diagnose.RegMultiSZ); err != nil {
			return fact, err
		}
		for _, s := range v.Strings {
			rv.Data = append(rv.Data, utf16z(s)...)
		}
		rv.Data = append(rv.Data, 0, 0)
	}
	fact.Value = rv
	return fact, nil
}

// checkHelpers verifies that helpers written next to data agree with it.
func (d *decoder) checkHelpers(key string, v *regValue, rv diagnose.RegValue) error {
	h := decodeHelpers(rv)
	if v.Time != nil && (h.Time == nil || !h.Time.Equal(*v.Time)) {
		return d.errKey("registry", key, "time", "%s does not match data %s (%s); give one or make them agree",
			v.Time.UTC().Format(time.RFC3339Nano), hex.EncodeToString(rv.Data), describeHelper(h.Time))
	}
	if v.DWORD != nil && (h.DWORD == nil || *h.DWORD != *v.DWORD) {
		return d.errKey("registry", key, "dword", "%d does not match data %s", *v.DWORD, hex.EncodeToString(rv.Data))
	}
	if v.QWORD != nil && (h.QWORD == nil || *h.QWORD != *v.QWORD) {
		return d.errKey("registry", key, "qword", "%d does not match data %s", *v.QWORD, hex.EncodeToString(rv.Data))
	}
	if v.String != nil && (h.String == nil || *h.String != *v.String) {
		return d.errKey("registry", key, "string", "%q does not match data %s", *v.String, hex.EncodeToString(rv.Data))
	}
	if v.Strings != nil && (h.Strings == nil || strings.Join(h.Strings, "\x00") != strings.Join(v.Strings, "\x00") || len(h.Strings) != len(v.Strings)) {
		return d.errKey("registry", key, "strings", "%q does not match data %s", v.Strings, hex.EncodeToString(rv.Data))
	}
	return nil
}

func describeHelper(t *time.Time) string {
	if t == nil {
		return "not an 8-byte REG_BINARY FILETIME"
	}
	return "which is " + t.Format(time.RFC3339Nano)
}

func utf16z(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u)+2)
	for _, c := range u {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return append(b, 0, 0)
}

func (d *decoder) secFact(key string, v *keySecurity) (diagnose.Fact[[]byte], error) {
	var fact diagnose.Fact[[]byte]
	if v.Error != "" {
		if v.Base64 != "" || v.Hex != "" || v.SDDL != "" {
			return fact, d.errKey("key_security", key, "error", "an entry with an error carries no descriptor")
		}
		fact.Err = v.Error
		return fact, nil
	}
	fact.Known = true
	var bin []byte
	switch {
	case v.Base64 != "" && v.Hex != "":
		return fact, d.errKey("key_security", key, "", "give base64 or hex, not both")
	case v.Base64 != "":
		b, err := base64.StdEncoding.DecodeString(v.Base64)
		if err != nil {
			return fact, d.errKey("key_security", key, "base64", "not base64: %v", err)
		}
		bin = b
	case v.Hex != "":
		var h hexData
		if err := h.UnmarshalText([]byte(v.Hex)); err != nil {
			return fact, d.errKey("key_security", key, "hex", "%v", err)
		}
		bin = h
	}
	if bin != nil {
		sd, err := secdesc.Parse(bin)
		if err != nil {
			return fact, d.errKey("key_security", key, "", "%v", err)
		}
		if v.SDDL != "" {
			sd2, err := secdesc.ParseSDDL(v.SDDL)
			if err != nil {
				return fact, d.errKey("key_security", key, "sddl", "%v", err)
			}
			if sd.SDDL() != sd2.SDDL() {
				return fact, d.errKey("key_security", key, "sddl", "does not match the binary descriptor, which is %s", sd.SDDL())
			}
		}
		fact.Value = bin
		return fact, nil
	}
	if v.SDDL == "" {
		return fact, d.errKey("key_security", key, "", "no descriptor: give base64, hex or sddl (or error)")
	}
	sd, err := secdesc.ParseSDDL(v.SDDL)
	if err != nil {
		return fact, d.errKey("key_security", key, "sddl", "%v", err)
	}
	fact.Value = sd.Bytes()
	return fact, nil
}
