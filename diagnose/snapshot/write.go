package snapshot

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/chainstatus"
	"github.com/wulog/wulog/diagnose/secdesc"
)

// helpers are the decoded forms of a registry value.
type helpers struct {
	Time    *time.Time
	DWORD   *uint32
	QWORD   *uint64
	String  *string
	Strings []string
}

// decodeHelpers gives the helpers Write puts next to raw data: a time for
// an 8-byte REG_BINARY (a FILETIME, when it falls in years 1601-9999), a
// number for REG_DWORD/REG_QWORD, text for REG_SZ/REG_EXPAND_SZ/REG_MULTI_SZ.
func decodeHelpers(v diagnose.RegValue) helpers {
	var h helpers
	switch v.Type {
	case diagnose.RegBinary:
		if t, err := v.FileTime(); err == nil && t.Year() >= 1601 && t.Year() <= 9999 {
			h.Time = &t
		}
	case diagnose.RegDWORD:
		if d, ok := v.DWORD(); ok {
			h.DWORD = &d
		}
	case diagnose.RegQWORD:
		if len(v.Data) == 8 {
			q := binary.LittleEndian.Uint64(v.Data)
			h.QWORD = &q
		}
	case diagnose.RegSZ, diagnose.RegExpandSZ:
		if s, ok := v.String(); ok {
			h.String = &s
		}
	case diagnose.RegMultiSZ:
		if len(v.Data)%2 == 0 {
			h.Strings = multiSZ(v.Data)
		}
	}
	return h
}

// multiSZ splits REG_MULTI_SZ data (UTF-16LE strings, each NUL-terminated,
// ending with an empty string).
func multiSZ(b []byte) []string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	out := []string{}
	start := 0
	for i, c := range u {
		if c == 0 {
			if i == start {
				break
			}
			out = append(out, string(utf16.Decode(u[start:i])))
			start = i + 1
		}
	}
	if start < len(u) && u[len(u)-1] != 0 {
		out = append(out, string(utf16.Decode(u[start:])))
	}
	return out
}

// Marshal encodes facts as an indented snapshot document.
func Marshal(f *diagnose.Facts) ([]byte, error) {
	out := file{Schema: Schema, Host: f.Host, Live: f.Live, Notes: f.Notes}
	if !f.CollectedAt.IsZero() {
		t := f.CollectedAt.UTC()
		out.CollectedAt = &t
	}
	m := func(src string, at time.Time, err string) meta {
		mm := meta{Source: src, Error: err}
		if !at.IsZero() {
			t := at.UTC()
			mm.ReadAt = &t
		}
		return mm
	}
	for path, fact := range f.Registry {
		if !fact.Known && fact.Err == "" {
			continue
		}
		if out.Registry == nil {
			out.Registry = map[string]*regValue{}
		}
		rv := &regValue{meta: m(fact.Source, fact.ReadAt, fact.Err)}
		switch {
		case !fact.Known:
		case !fact.Value.Exists:
			no := false
			rv.Exists = &no
		default:
			t := regType(fact.Value.Type)
			data := hexData(append([]byte{}, fact.Value.Data...))
			rv.Type, rv.Data = &t, &data
			h := decodeHelpers(fact.Value)
			rv.Time, rv.DWORD, rv.QWORD, rv.String, rv.Strings = h.Time, h.DWORD, h.QWORD, h.String, h.Strings
		}
		out.Registry[path] = rv
	}
	for path, fact := range f.KeySecurity {
		if !fact.Known && fact.Err == "" {
			continue
		}
		if out.KeySecurity == nil {
			out.KeySecurity = map[string]*keySecurity{}
		}
		ks := &keySecurity{meta: m(fact.Source, fact.ReadAt, fact.Err)}
		if fact.Known {
			ks.Base64 = base64.StdEncoding.EncodeToString(fact.Value)
			if sd, err := secdesc.Parse(fact.Value); err == nil {
				ks.SDDL = sd.SDDL()
				p := sd.Protected()
				ks.Protected = &p
				ks.CryptSvcWrite = secdesc.ServiceKeyAccess(sd, "CryptSvc", secdesc.NetworkService).Reason
			}
		}
		out.KeySecurity[path] = ks
	}
	for _, fact := range f.Chains {
		c := fact.Value
		ch := &chain{meta: m(fact.Source, fact.ReadAt, fact.Err), Endpoint: c.Endpoint,
			ErrorStatus: hexUint32(c.ErrorStatus), InfoStatus: hexUint32(c.InfoStatus), PolicyError: hexUint32(c.PolicyError),
			ConnectError: c.ConnectError}
		if c.ErrorStatus != 0 {
			ch.ErrorStatusNames = names(c.ErrorStatus)
		}
		ch.PolicyErrorName = chainstatus.PolicyName(c.PolicyError)
		for _, e := range c.Elements {
			el := &chainElement{Subject: e.Subject, Issuer: e.Issuer, SHA1: e.Thumbprint,
				ErrorStatus: hexUint32(e.ErrorStatus), InfoStatus: hexUint32(e.InfoStatus)}
			if e.ErrorStatus != 0 {
				el.ErrorStatusNames = names(e.ErrorStatus)
			}
			if !e.NotBefore.IsZero() {
				t := e.NotBefore.UTC()
				el.NotBefore = &t
			}
			if !e.NotAfter.IsZero() {
				t := e.NotAfter.UTC()
				el.NotAfter = &t
			}
			ch.Elements = append(ch.Elements, el)
		}
		out.Chains = append(out.Chains, ch)
	}
	if c := f.Clock; c.Known || c.Err != "" {
		out.Clock = &clock{meta: m(c.Source, c.ReadAt, c.Err)}
		if c.Known {
			l, r := c.Value.Local.UTC(), c.Value.Reference.UTC()
			skew := c.Value.Skew().Seconds()
			out.Clock.Local, out.Clock.Reference, out.Clock.ReferenceSource, out.Clock.SkewSeconds = &l, &r, c.Value.ReferenceSource, &skew
		}
	}
	if b := f.BootTime; b.Known || b.Err != "" {
		out.BootTime = &bootTime{meta: m(b.Source, b.ReadAt, b.Err)}
		if b.Known {
			t := b.Value.UTC()
			out.BootTime.Time = &t
		}
	}
	for name, s := range f.Services {
		if !s.Known && s.Err == "" {
			continue
		}
		if out.Services == nil {
			out.Services = map[string]*service{}
		}
		out.Services[name] = &service{meta: m(s.Source, s.ReadAt, s.Err), State: s.Value.State, StartType: s.Value.StartType}
	}
	if h := f.HostsFile; h.Known || h.Err != "" {
		out.HostsFile = &hostsFile{meta: m(h.Source, h.ReadAt, h.Err)}
		if h.Known {
			c := h.Value
			out.HostsFile.Content = &c
		}
	}
	b, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func names(v uint32) string {
	bits := chainstatus.ErrorBits(v)
	n := make([]string, len(bits))
	for i, b := range bits {
		n[i] = b.Name
	}
	return strings.Join(n, " | ")
}

// Write encodes facts as a snapshot document to w.
func Write(w io.Writer, f *diagnose.Facts) error {
	b, err := Marshal(f)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// WriteFile writes facts to a snapshot file at path.
func WriteFile(path string, f *diagnose.Facts) error {
	b, err := Marshal(f)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
