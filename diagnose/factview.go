package diagnose

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// regState says what a source found for a registry value.
type regState uint8

const (
	regUnknown   regState = iota // not collected, or could not be read
	regAbsent                    // looked for and not there
	regPresent                   // there, with the expected type
	regMalformed                 // there, with an unexpected type or size
)

// regName returns the last element of a registry path.
func regName(path string) string {
	if i := strings.LastIndexByte(path, '\\'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// source names where a fact came from for a citation.
func (p *Pass) source(factSource string) string {
	if factSource == "" {
		return p.FactSource
	}
	return factSource
}

// cite returns a citation of a fact.
func (p *Pass) cite(fact, factSource string, readAt time.Time, text string) Citation {
	if !readAt.IsZero() && (p.Facts == nil || !readAt.Equal(p.Facts.CollectedAt)) {
		text += " [read " + readAt.UTC().Format("2006-01-02 15:04:05 UTC") + "]"
	}
	return Citation{Source: p.source(factSource), Fact: fact, Text: text}
}

// dword reads a REG_DWORD fact.
func (p *Pass) dword(path string) (uint32, regState, Citation) {
	fv, ok := p.Facts.Reg(path)
	if !ok || !fv.Known {
		return 0, regUnknown, Citation{}
	}
	if !fv.Value.Exists {
		return 0, regAbsent, p.cite(path, fv.Source, fv.ReadAt, "not set")
	}
	v, ok := fv.Value.DWORD()
	if !ok {
		return 0, regMalformed, p.cite(path, fv.Source, fv.ReadAt, describeValue(fv.Value))
	}
	return v, regPresent, p.cite(path, fv.Source, fv.ReadAt, fmt.Sprintf("%d (0x%X)", v, v))
}

// str reads a REG_SZ or REG_EXPAND_SZ fact.
func (p *Pass) str(path string) (string, regState, Citation) {
	fv, ok := p.Facts.Reg(path)
	if !ok || !fv.Known {
		return "", regUnknown, Citation{}
	}
	if !fv.Value.Exists {
		return "", regAbsent, p.cite(path, fv.Source, fv.ReadAt, "not set")
	}
	v, ok := fv.Value.String()
	if !ok {
		return "", regMalformed, p.cite(path, fv.Source, fv.ReadAt, describeValue(fv.Value))
	}
	return v, regPresent, p.cite(path, fv.Source, fv.ReadAt, fmt.Sprintf("%q", v))
}

// describeValue shows a value of unexpected type or size.
func describeValue(v RegValue) string {
	d := v.Data
	more := ""
	if len(d) > 16 {
		d, more = d[:16], "..."
	}
	t := RegTypeName(v.Type)
	if t == "" {
		t = fmt.Sprintf("type %d", v.Type)
	}
	return fmt.Sprintf("%s, %d bytes: %s%s", t, len(v.Data), hex.EncodeToString(d), more)
}

// syncReading is the state of one CTL sync time: the newer of the HKLM
// value and its HKCU twin, as crypt32 uses it.
type syncReading struct {
	name string // "DisallowedCertLastSyncTime"
	// known is true when at least one of the two values was read.
	known bool
	// present is true when a well-formed value exists; t is the newer one
	// and cite cites it.
	present bool
	t       time.Time
	cite    Citation
	path    string
	// malformed cites values of the wrong type or size; absent cites
	// values that were looked for and are not there.
	malformed []Citation
	absent    []Citation
}

func (p *Pass) syncTime(machine, user string) syncReading {
	s := syncReading{name: regName(machine)}
	if p.Facts == nil {
		return s
	}
	for _, path := range []string{machine, user} {
		fv, ok := p.Facts.Reg(path)
		if !ok || !fv.Known {
			continue
		}
		s.known = true
		if !fv.Value.Exists {
			s.absent = append(s.absent, p.cite(path, fv.Source, fv.ReadAt, "not set"))
			continue
		}
		t, err := fv.Value.FileTime()
		if err != nil {
			s.malformed = append(s.malformed, p.cite(path, fv.Source, fv.ReadAt,
				describeValue(fv.Value)+": crypt32 ignores it (needs an 8-byte REG_BINARY FILETIME)"))
			continue
		}
		if !s.present || t.After(s.t) {
			s.present, s.t, s.path = true, t, path
			s.cite = p.cite(path, fv.Source, fv.ReadAt, t.UTC().Format("2006-01-02 15:04:05 UTC")+" (REG_BINARY FILETIME)")
		}
	}
	return s
}

// age returns how old t is at the pass's reference time.
func (p *Pass) age(t time.Time) time.Duration { return p.Now.Sub(t) }

// nowLabel describes the reference time: "at the log's last record
// (2023-03-21 22:19:04 (local))".
func (p *Pass) nowLabel() string {
	switch {
	case strings.HasPrefix(p.NowFrom, "last log record"):
		return "at the log's last record, " + fmtTime(p.Now, p.NowSlack == 0)
	case strings.HasPrefix(p.NowFrom, "current time"):
		return "now (" + fmtTime(p.Now, true) + ")"
	case p.NowFrom == "--now":
		return "at " + fmtTime(p.Now, true) + " (--now)"
	}
	return "at " + fmtTime(p.Now, true) + " (" + p.NowFrom + ")"
}

// service returns the state of a service from the services facts, or from
// its Start value in the registry.
func (p *Pass) service(name, startPath string) (state, startType string, known bool, c Citation) {
	if p.Facts == nil {
		return "", "", false, Citation{}
	}
	if f, ok := p.Facts.Services[name]; ok && f.Known {
		text := "start type " + orDash(f.Value.StartType) + ", state " + orDash(f.Value.State)
		return f.Value.State, f.Value.StartType, true, p.cite("service "+name, f.Source, f.ReadAt, text)
	}
	v, st, c := p.dword(startPath)
	if st != regPresent {
		return "", "", false, Citation{}
	}
	t := StartType(v, false)
	if t == "" {
		t = fmt.Sprintf("start %d", v)
	}
	c.Text += " = " + t
	return "", t, true, c
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
