package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/chainstatus"
	"github.com/wulog/wulog/diagnose/live"
	"github.com/wulog/wulog/diagnose/secdesc"
	"github.com/wulog/wulog/diagnose/snapshot"
	"github.com/wulog/wulog/diagnose/winproxy"
)

// liveFlags are the options of the live probes, shared by probe, collect
// and watch.
type liveFlags struct {
	Endpoint  []string      `help:"TLS endpoint whose certificate chain is built and whose HTTP Date is compared with the clock (repeatable; default: slscr.update.microsoft.com:443 and fe2cr.update.microsoft.com:443)." placeholder:"HOST:PORT"`
	NoNetwork bool          `help:"Connect to no endpoint: no certificate chains, no clock comparison."`
	Proxy     string        `help:"How to reach the endpoints: empty follows the machine's WinHTTP proxy like Windows Update does, 'direct' connects directly, HOST:PORT uses that HTTP proxy." placeholder:"direct|HOST:PORT"`
	Timeout   time.Duration `help:"Timeout of each probe." default:"20s"`
}

// options converts the flags.
func (f liveFlags) options() live.Options {
	o := live.Options{NoNetwork: f.NoNetwork, Proxy: f.Proxy, Timeout: f.Timeout}
	if len(f.Endpoint) > 0 {
		o.Endpoints = f.Endpoint
	}
	return o
}

// interruptible returns a context cancelled by Ctrl-C.
func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

// ProbeCmd reads the facts of this Windows machine.
type ProbeCmd struct {
	liveFlags
	Format string `help:"Output format: text, or json (the wulog.snapshot/v1 schema that --facts reads)." enum:"text,json" default:"text"`
	Output string `short:"o" help:"Write to this file instead of standard output." type:"path" placeholder:"FILE"`
}

// Run probes and prints the facts.
func (c *ProbeCmd) Run(g *Globals) error {
	ctx, stop := interruptible()
	defer stop()
	facts, err := live.New(c.options()).Facts(ctx)
	if err != nil {
		if errors.Is(err, live.ErrNeedsWindows) {
			return &exitError{exitUsage, fmt.Errorf("probe: %w", err)}
		}
		return err
	}
	out := g.Stdout
	var f *os.File
	if c.Output != "" && c.Output != "-" {
		if f, err = os.Create(c.Output); err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	if c.Format == "json" {
		err = snapshot.Write(out, facts)
	} else {
		err = writeFactsText(out, facts)
	}
	if err == nil && f != nil {
		err = f.Close()
	}
	return err
}

// writeFactsText prints facts for a person: each value interpreted
// (FILETIMEs with their age, descriptors as SDDL with CryptSvc's rights,
// WinHttpSettings like netsh, chain status bits and policy errors by name).
func writeFactsText(w io.Writer, f *diagnose.Facts) error {
	bw := bufio.NewWriter(w)
	now := f.CollectedAt
	if now.IsZero() {
		now = time.Now().UTC()
	}
	how := "from a snapshot"
	if f.Live {
		how = "read live"
	}
	host := f.Host
	if host == "" {
		host = "this machine"
	}
	fmt.Fprintf(bw, "Facts about %s, %s at %s\n", host, how, now.Format("2006-01-02 15:04:05 MST"))

	fmt.Fprintf(bw, "\nRegistry\n")
	paths := slices.Collect(maps.Keys(f.Registry))
	// By key, then value name, ignoring case as the registry does.
	split := func(p string) (string, string) {
		i := max(strings.LastIndexByte(p, '\\'), 0)
		return strings.ToLower(p[:i]), strings.ToLower(p[i:])
	}
	slices.SortFunc(paths, func(a, b string) int {
		ka, va := split(a)
		kb, vb := split(b)
		if c := strings.Compare(ka, kb); c != 0 {
			return c
		}
		return strings.Compare(va, vb)
	})
	key := ""
	for _, p := range paths {
		i := max(strings.LastIndexByte(p, '\\'), 0)
		if k := p[:i]; k != key {
			key = k
			fmt.Fprintf(bw, "  %s\n", k)
		}
		fmt.Fprintf(bw, "    %-34s %s\n", strings.TrimPrefix(p[i:], `\`), regText(p, f.Registry[p], now))
	}

	fmt.Fprintf(bw, "\nKey security\n")
	for _, k := range slices.Sorted(maps.Keys(f.KeySecurity)) {
		fmt.Fprintf(bw, "  %s\n", k)
		for _, l := range sdText(f.KeySecurity[k]) {
			fmt.Fprintf(bw, "    %s\n", l)
		}
	}

	fmt.Fprintf(bw, "\nCertificate chains\n")
	if len(f.Chains) == 0 {
		fmt.Fprintf(bw, "  (none built)\n")
	}
	for _, c := range f.Chains {
		for _, l := range chainText(c) {
			fmt.Fprintf(bw, "  %s\n", l)
		}
	}

	fmt.Fprintf(bw, "\nClock\n  %s\n", clockText(f.Clock))
	fmt.Fprintf(bw, "\nBoot time\n  ")
	if f.BootTime.Known {
		fmt.Fprintf(bw, "%s (up %s)\n", f.BootTime.Value.UTC().Format(time.RFC3339), age(now.Sub(f.BootTime.Value)))
	} else {
		fmt.Fprintf(bw, "unknown: %s\n", f.BootTime.Err)
	}

	fmt.Fprintf(bw, "\nServices\n")
	for _, n := range slices.Sorted(maps.Keys(f.Services)) {
		s := f.Services[n]
		switch {
		case s.Known && s.Err != "":
			fmt.Fprintf(bw, "  %-10s %-14s (%s)\n", n, s.Value.State, s.Err)
		case s.Known:
			fmt.Fprintf(bw, "  %-10s %-14s start %s\n", n, s.Value.State, s.Value.StartType)
		default:
			fmt.Fprintf(bw, "  %-10s unknown: %s\n", n, s.Err)
		}
	}

	fmt.Fprintf(bw, "\nHosts file\n")
	for _, l := range hostsText(f.HostsFile) {
		fmt.Fprintf(bw, "  %s\n", l)
	}
	if len(f.Notes) > 0 {
		fmt.Fprintf(bw, "\nNotes\n")
		for _, n := range f.Notes {
			fmt.Fprintf(bw, "  - %s\n", n)
		}
	}
	return bw.Flush()
}

// regText renders one registry fact.
func regText(path string, f diagnose.Fact[diagnose.RegValue], now time.Time) string {
	if !f.Known {
		return "unknown: " + f.Err
	}
	v := f.Value
	if !v.Exists {
		return "(absent)"
	}
	switch {
	case strings.HasSuffix(path, "SyncTime"):
		t, err := v.FileTime()
		if err != nil {
			return fmt.Sprintf("malformed: %v: %s", err, hexText(v.Data))
		}
		return fmt.Sprintf("%s (%s ago)", t.Format("2006-01-02 15:04:05 UTC"), age(now.Sub(t)))
	case strings.EqualFold(path, diagnose.RegWinHTTPSettings):
		s, err := winproxy.Parse(v.Data)
		if err != nil {
			return fmt.Sprintf("malformed: %v: %s", err, hexText(v.Data))
		}
		return s.String()
	}
	switch v.Type {
	case diagnose.RegDWORD:
		if d, ok := v.DWORD(); ok {
			return fmt.Sprintf("0x%X (%d)", d, d)
		}
	case diagnose.RegSZ, diagnose.RegExpandSZ:
		if s, ok := v.String(); ok {
			return fmt.Sprintf("%q", s)
		}
	case diagnose.RegQWORD:
		if len(v.Data) == 8 {
			q := binary.LittleEndian.Uint64(v.Data)
			return fmt.Sprintf("0x%X (%d)", q, q)
		}
	}
	return fmt.Sprintf("type %s, %s", snapshot.RegTypeName(v.Type), hexText(v.Data))
}

func hexText(b []byte) string {
	if len(b) > 64 {
		return hex.EncodeToString(b[:64]) + fmt.Sprintf("... (%d bytes)", len(b))
	}
	return hex.EncodeToString(b)
}

// age prints a duration in days and hours (or less).
func age(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	var s string
	switch {
	case d >= 24*time.Hour:
		s = fmt.Sprintf("%dd %dh", d/(24*time.Hour), (d%(24*time.Hour))/time.Hour)
	case d >= time.Hour:
		s = fmt.Sprintf("%dh %dm", d/time.Hour, (d%time.Hour)/time.Minute)
	default:
		s = d.Round(time.Second).String()
	}
	if neg {
		return "in the future by " + s
	}
	return s
}

// sdText renders a key's descriptor: SDDL, inheritance and what CryptSvc
// may do with the key.
func sdText(f diagnose.Fact[[]byte]) []string {
	if !f.Known {
		return []string{"unknown: " + f.Err}
	}
	sd, err := secdesc.Parse(f.Value)
	if err != nil {
		return []string{fmt.Sprintf("malformed descriptor: %v", err)}
	}
	prot := "no (inherits from its parent)"
	if sd.Protected() {
		prot = "yes (inheritance disabled)"
	}
	a := secdesc.ServiceKeyAccess(sd, "CryptSvc", secdesc.NetworkService)
	return []string{sd.SDDL(), "DACL protected: " + prot, a.Reason}
}

// chainText renders one certificate chain.
func chainText(f diagnose.Fact[diagnose.Chain]) []string {
	c := f.Value
	if !f.Known {
		return []string{c.Endpoint + ": unknown: " + f.Err}
	}
	if c.ConnectError != "" {
		return []string{c.Endpoint + ": no connection: " + c.ConnectError}
	}
	s := chainstatus.Summarize(c.ErrorStatus, c.PolicyError)
	out := []string{
		fmt.Sprintf("%s: %s", c.Endpoint, s.Explanation),
		"  policy " + s.Policy + ", chain status " + s.ErrorStatus,
	}
	for i, e := range c.Elements {
		out = append(out, fmt.Sprintf("  [%d] %s", i, e.Subject),
			fmt.Sprintf("      issuer %s; valid %s to %s; sha1 %s", e.Issuer, e.NotBefore.Format("2006-01-02"), e.NotAfter.Format("2006-01-02"), e.Thumbprint))
		if e.ErrorStatus != 0 {
			out = append(out, "      status "+chainstatus.ErrorString(e.ErrorStatus))
		}
	}
	return out
}

// clockText compares the clock with the reference.
func clockText(f diagnose.Fact[diagnose.Clock]) string {
	if !f.Known {
		return "not compared: " + f.Err
	}
	skew := f.Value.Skew()
	state := "ahead of"
	if skew < 0 {
		state = "behind"
	}
	return fmt.Sprintf("local %s is %s %s by %s (%s)", f.Value.Local.Format(time.RFC3339), state,
		f.Value.Reference.Format(time.RFC3339), age(skew.Abs()), f.Value.ReferenceSource)
}

// hostsText lists the active entries of the hosts file.
func hostsText(f diagnose.Fact[string]) []string {
	if !f.Known {
		return []string{"unknown: " + f.Err}
	}
	var active []string
	for l := range strings.Lines(f.Value) {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		active = append(active, l)
	}
	if len(active) == 0 {
		return []string{"no active entry"}
	}
	out := []string{fmt.Sprintf("%d active entries:", len(active))}
	for _, l := range active {
		out = append(out, "  "+l)
	}
	return out
}
