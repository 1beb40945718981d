package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/wulog/wulog/hresult"
)

// HresultCmd decodes error codes: `wulog hresult CODE...`.
type HresultCmd struct {
	Codes  []string `arg:"" name:"code" help:"Codes to decode: 0x80072F8F, 80072F8F, [80072F8F], 'hr = 80072ee2', -2147012721, 2147954575, 12175, CRYPT_E_REVOCATION_OFFLINE, '0xC1900101 - 0x4001E'. '-' reads one code per line from standard input."`
	Format string   `help:"Output format: text or json." enum:"text,json" default:"text" short:"f"`
}

// Run decodes every argument. Malformed codes are reported one line each on
// standard error; the others are still decoded, and the exit status is 2.
func (c *HresultCmd) Run(g *Globals) error {
	var inputs []string
	for _, a := range c.Codes {
		if a != "-" {
			inputs = append(inputs, a)
			continue
		}
		sc := bufio.NewScanner(g.Stdin)
		for sc.Scan() {
			if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
				inputs = append(inputs, l)
			}
		}
		if err := sc.Err(); err != nil {
			return &exitError{exitUsage, fmt.Errorf("hresult: reading standard input: %w", err)}
		}
	}

	bad, shown := 0, 0
	var out []codeJSON
	w := bufio.NewWriter(g.Stdout)
	for _, in := range inputs {
		p, err := hresult.Parse(in)
		if err != nil {
			bad++
			fmt.Fprintf(g.Stderr, "wulog: hresult: %v\n", err)
			continue
		}
		if c.Format == "json" {
			out = append(out, toJSON(p))
			continue
		}
		if shown > 0 {
			w.WriteString("\n")
		}
		shown++
		writeCodeText(w, p)
	}
	if c.Format == "json" {
		if out == nil {
			out = []codeJSON{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if bad > 0 {
		return &exitError{code: exitUsage}
	}
	return nil
}

// codeJSON is one element of the --format json array.
type codeJSON struct {
	Input        string      `json:"input"`
	Form         string      `json:"form"`
	Code         string      `json:"code"`
	Signed       int32       `json:"signed"`
	Unsigned     uint32      `json:"unsigned"`
	Kind         string      `json:"kind"`
	Failure      bool        `json:"failure"`
	Severity     string      `json:"severity"`
	Facility     uint16      `json:"facility"`
	FacilityName string      `json:"facility_name"`
	Layout       layoutJSON  `json:"layout"`
	Win32        *uint32     `json:"win32,omitempty"`
	NTSTATUS     string      `json:"ntstatus,omitempty"`
	HTTPStatus   int         `json:"http_status,omitempty"`
	WUComponent  string      `json:"wu_component,omitempty"`
	Ambiguous    bool        `json:"ambiguous,omitempty"`
	HexReading   string      `json:"hex_reading,omitempty"`
	Extend       *extendJSON `json:"extend,omitempty"`
	GLE          *gleJSON    `json:"gle,omitempty"`
	Names        []nameJSON  `json:"names"`
	Note         string      `json:"note,omitempty"`
}

type layoutJSON struct {
	S        bool   `json:"s"`
	R        bool   `json:"r"`
	C        bool   `json:"c"`
	N        bool   `json:"n"`
	X        bool   `json:"x"`
	Facility uint16 `json:"facility"`
	Code     uint16 `json:"code"`
}

type extendJSON struct {
	Code          string `json:"code"`
	Phase         uint8  `json:"phase"`
	PhaseName     string `json:"phase_name,omitempty"`
	Operation     uint8  `json:"operation"`
	OperationName string `json:"operation_name,omitempty"`
}

type gleJSON struct {
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
}

type nameJSON struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Value       string `json:"value"`
	Source      string `json:"source"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"`
}

const noName = "no name is known for this value"

func toJSON(p hresult.Parsed) codeJSON {
	c := p.Code
	h := c.HRESULT()
	j := codeJSON{
		Input:        p.Input,
		Form:         p.Form.String(),
		Code:         c.String(),
		Signed:       c.Signed(),
		Unsigned:     c.Value,
		Kind:         c.Kind().String(),
		Failure:      c.IsFailure(),
		Severity:     c.Severity(),
		Facility:     c.Facility(),
		FacilityName: c.FacilityName(),
		Layout:       layoutJSON{h.S, h.R, h.C, h.N, h.X, h.Facility, h.Code},
		WUComponent:  c.WUComponent(),
		Ambiguous:    p.Ambiguous,
		Names:        []nameJSON{},
	}
	if w, ok := c.Win32(); ok {
		j.Win32 = &w
	}
	if nt, ok := c.NTSTATUS(); ok && nt != c.Value {
		j.NTSTATUS = hresult.Decode(nt).String()
	}
	if s, ok := c.HTTPStatus(); ok {
		j.HTTPStatus = s
	}
	if hx, ok := p.HexReading(); ok {
		j.HexReading = hx.String()
	}
	if p.HasExtend {
		ph, phn := p.Extend.Phase()
		op, opn := p.Extend.Operation()
		j.Extend = &extendJSON{p.Extend.String(), ph, phn, op, opn}
	}
	if p.HasGLE {
		j.GLE = &gleJSON{hresult.Decode(p.GLE).String(), hresult.Decode(p.GLE).Name()}
	}
	for _, n := range c.Names() {
		j.Names = append(j.Names, nameJSON{n.Name, n.Kind.String(), hresult.Decode(n.Value).String(), n.Source, n.Description, n.URL})
	}
	if len(j.Names) == 0 {
		j.Note = noName
	}
	return j
}

// writeCodeText prints one code the way certutil -error does (hex, signed
// and unsigned decimal), then the bit layout and every candidate name.
func writeCodeText(w *bufio.Writer, p hresult.Parsed) {
	c := p.Code
	fmt.Fprintf(w, "%s (%d) -- %d", c, c.Signed(), c.Value)
	if n := c.Name(); n != "" {
		fmt.Fprintf(w, "  %s", n)
	}
	w.WriteString("\n")
	fmt.Fprintf(w, "  input:     %q read as %s", p.Input, p.Form)
	if hx, ok := p.HexReading(); ok {
		fmt.Fprintf(w, "; ambiguous: as hex it would be %s", hx)
	}
	w.WriteString("\n")
	fmt.Fprintf(w, "  reading:   %s, severity %s\n", c.Kind(), c.Severity())
	h := c.HRESULT()
	fmt.Fprintf(w, "  HRESULT:   S=%d R=%d C=%d N=%d X=%d facility %d%s code 0x%04X (%d)\n",
		b2i(h.S), b2i(h.R), b2i(h.C), b2i(h.N), b2i(h.X), h.Facility, facName(hresult.FacilityName(h.Facility)), h.Code, h.Code)
	if c.Kind() == hresult.KindNTSTATUS || h.N {
		ntv := c.Value
		if nt, ok := c.NTSTATUS(); ok {
			ntv = nt
		}
		n := hresult.Decode(ntv).NTSTATUSLayout()
		label := "NTSTATUS:"
		if ntv != c.Value {
			label = "wraps NT:"
			fmt.Fprintf(w, "  NTSTATUS:  HRESULT_FROM_NT of %s\n", hresult.Decode(ntv))
		}
		fmt.Fprintf(w, "  %-10s Sev=%d (%s) C=%d N=%d facility 0x%X%s code 0x%04X (%d)\n",
			label, n.Sev, n.SeverityName(), b2i(n.C), b2i(n.N), n.Facility, facName(hresult.NTSTATUSFacilityName(n.Facility)), n.Code, n.Code)
	}
	if h.C && c.Kind() != hresult.KindWin32 {
		w.WriteString("  note:      customer bit set: a non-Microsoft (customer-defined) code\n")
	}
	if v, ok := c.Win32(); ok && c.Value >= 0x10000 {
		fmt.Fprintf(w, "  Win32:     %d (0x%X)\n", v, v)
	} else if ok && v != 0 {
		fmt.Fprintf(w, "  as HRESULT: 0x%08X (HRESULT_FROM_WIN32)\n", 0x80070000|v)
	}
	if s, ok := c.HTTPStatus(); ok {
		fmt.Fprintf(w, "  HTTP:      status %d\n", s)
	}
	if comp := c.WUComponent(); comp != "" {
		fmt.Fprintf(w, "  WU part:   %s\n", comp)
	}
	if p.HasExtend {
		ph, phn := p.Extend.Phase()
		op, opn := p.Extend.Operation()
		fmt.Fprintf(w, "  extend:    %s: phase %d %s, operation 0x%02X %s\n", p.Extend, ph, orUnnamed(phn), op, orUnnamed(opn))
	}
	if p.HasGLE {
		g := hresult.Decode(p.GLE)
		fmt.Fprintf(w, "  gle:       %s %s\n", g, orUnnamed(g.Name()))
	}
	names := c.Names()
	if len(names) == 0 {
		fmt.Fprintf(w, "  names:     %s\n", noName)
		return
	}
	w.WriteString("  names (best first for Windows Update):\n")
	width := 0
	for _, n := range names {
		if len(n.Name) > width {
			width = len(n.Name)
		}
	}
	for i, n := range names {
		val := ""
		if n.Value != c.Value {
			val = " " + strconv.FormatUint(uint64(n.Value), 10)
			if n.Kind != hresult.KindWin32 {
				val = " " + hresult.Decode(n.Value).String()
			}
		}
		fmt.Fprintf(w, "    %d. %-*s  %s%s, %s\n", i+1, width, n.Name, n.Kind, val, n.Source)
		if n.Description != "" {
			writeWrapped(w, n.Description, "       ", 78)
		}
		if n.URL != "" {
			fmt.Fprintf(w, "       see %s\n", n.URL)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func facName(n string) string {
	if n == "" {
		return ""
	}
	return " " + n
}

func orUnnamed(n string) string {
	if n == "" {
		return "(unnamed)"
	}
	return n
}

// writeWrapped writes text wrapped at width columns, each line indented.
func writeWrapped(w io.Writer, text, indent string, width int) {
	line := indent
	for _, word := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(word) > width {
			fmt.Fprintln(w, line)
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	if len(line) > len(indent) {
		fmt.Fprintln(w, line)
	}
}
