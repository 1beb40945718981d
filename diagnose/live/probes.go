package live

import (
	"context"
	"fmt"
	"net"
	"os/user"
	"slices"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/wulog/wulog/diagnose"
)

// regValue reads one registry value given by its full path.
func (p *prober) regValue(ctx context.Context, path string) diagnose.Fact[diagnose.RegValue] {
	root, key, name, err := splitValuePath(path)
	if err != nil {
		return mkFact(p, diagnose.RegValue{}, err, path, "registry")
	}
	v, err := within(ctx, p.opts.Timeout, func(context.Context) (diagnose.RegValue, error) {
		return p.sys.ReadValue(root, key, name)
	})
	return mkFact(p, v, err, path, "registry")
}

// keySecurity reads the security descriptor of one registry key.
func (p *prober) keySecurity(ctx context.Context, path string) diagnose.Fact[[]byte] {
	root, key, err := splitKeyPath(path)
	if err != nil {
		return mkFact[[]byte](p, nil, err, "security descriptor of "+path, "RegGetKeySecurity")
	}
	sd, err := within(ctx, p.opts.Timeout, func(context.Context) ([]byte, error) {
		return p.sys.KeySecurity(root, key)
	})
	return mkFact(p, sd, err, "security descriptor of "+path, "RegGetKeySecurity")
}

// service reads the state and start type of one service.
func (p *prober) service(ctx context.Context, name string) diagnose.Fact[diagnose.Service] {
	raw, err := within(ctx, p.opts.Timeout, func(context.Context) (rawService, error) {
		return p.sys.Service(name)
	})
	f := mkFact(p, diagnose.Service{Name: name}, err, "service "+name, "service control manager")
	if err != nil {
		return f
	}
	f.Value.State = serviceState(raw.State)
	if raw.ConfigErr != nil {
		// The state is known; only the start type is missing.
		f.Err = "start type not read: " + p.fail("start type of service "+name, raw.ConfigErr)
	} else {
		f.Value.StartType = startType(raw.StartType, raw.Delayed)
	}
	return f
}

// endpointFacts is what the probe of one TLS endpoint found.
type endpointFacts struct {
	endpoint string
	chain    diagnose.Fact[diagnose.Chain]
	clock    diagnose.Clock
	clockErr error
}

// endpoint connects to one TLS endpoint, builds and verifies the chain the
// server sent with the machine's chain engine, and keeps the server's
// HTTP Date for the clock comparison.
func (p *prober) endpoint(ctx context.Context, ep string) endpointFacts {
	host, _, _ := net.SplitHostPort(ep)
	proxy := p.route.proxyFor(host)
	src := "TLS " + ep
	if proxy != "" {
		src += " via proxy " + proxy
	}
	src += ", CertGetCertificateChain, CertVerifyCertificateChainPolicy(SSL)"
	out := endpointFacts{endpoint: ep}
	res, err := within(ctx, p.opts.Timeout, func(ctx context.Context) (endpointResult, error) {
		return fetchEndpoint(ctx, p.dial, proxy, ep)
	})
	if err != nil {
		// Not reaching the server is itself a fact about the machine.
		out.chain = mkFact(p, diagnose.Chain{Endpoint: ep, ConnectError: err.Error()}, nil, "", src)
		out.clockErr = err
		return out
	}
	if res.DateErr != nil {
		out.clockErr = res.DateErr
	} else {
		out.clock = diagnose.Clock{Local: res.Local, Reference: res.Date, ReferenceSource: "HTTP Date header from " + ep}
	}
	urlTimeout := p.opts.Timeout / 2
	raw, err := within(ctx, p.opts.Timeout, func(context.Context) (rawChain, error) {
		return p.sys.VerifyChain(host, res.Certs, urlTimeout)
	})
	out.chain = mkFact(p, diagnose.Chain{Endpoint: ep}, err, "certificate chain of "+ep, src)
	if err == nil {
		out.chain.Value = assembleChain(ep, raw)
	}
	return out
}

// clockFact compares the clock with the first endpoint that sent a Date.
func clockFact(opts Options, eps []endpointFacts) diagnose.Fact[diagnose.Clock] {
	var errs []string
	for _, e := range eps {
		if e.clockErr == nil && !e.clock.Reference.IsZero() {
			return diagnose.Fact[diagnose.Clock]{
				Value: e.clock, Known: true, ReadAt: e.clock.Local,
				Source: "live: " + e.clock.ReferenceSource,
			}
		}
		if e.clockErr != nil {
			errs = append(errs, e.endpoint+": "+e.clockErr.Error())
		}
	}
	f := diagnose.Fact[diagnose.Clock]{Source: "live: HTTP Date header"}
	switch {
	case opts.NoNetwork:
		f.Err = "network probes skipped"
	case len(opts.Endpoints) == 0:
		f.Err = "no endpoint to compare the clock with"
	default:
		f.Err = "no endpoint sent an HTTP Date: " + strings.Join(errs, "; ")
	}
	return f
}

// notes say how the probes ran and what would read more.
func notes(opts Options, rt route, elevated diagnose.Fact[bool], denied []string, user string) []string {
	var n []string
	denied = slices.Sorted(slices.Values(denied))
	switch {
	case !elevated.Known:
		n = append(n, "Elevation unknown ("+elevated.Err+").")
	case elevated.Value:
		n = append(n, "Probes ran elevated (Run as administrator).")
	case len(denied) > 0:
		n = append(n, fmt.Sprintf("Not elevated: access was denied to %s. Run `wulog probe` from an elevated prompt (Run as administrator) to read them.", strings.Join(denied, ", ")))
	default:
		n = append(n, "Not elevated: every probe was allowed without elevation. Elevation matters only when a key's or a service's permissions shut out standard users; none did here.")
	}
	if user != "" {
		n = append(n, fmt.Sprintf("HKCU values are those of %s, the user who ran the probes; Windows Update itself runs as SYSTEM.", user))
	}
	if opts.NoNetwork {
		n = append(n, "Network probes skipped: no certificate chain and no clock comparison.")
	} else if len(opts.Endpoints) > 0 {
		n = append(n, rt.note)
	}
	n = append(n, "Boot time is the current time minus GetTickCount64: with Fast Startup it is the last full restart, not the last shutdown.")
	return n
}

// currentUser names the user running the probes, or "".
func currentUser() string {
	u, err := user.Current()
	if err != nil {
		return ""
	}
	return u.Username
}

// serviceState names a SERVICE_STATUS.dwCurrentState value.
func serviceState(s uint32) string {
	switch s {
	case 1:
		return "stopped"
	case 2:
		return "start-pending"
	case 3:
		return "stop-pending"
	case 4:
		return "running"
	case 5:
		return "continue-pending"
	case 6:
		return "pause-pending"
	case 7:
		return "paused"
	}
	return "unknown"
}

// startType names a QUERY_SERVICE_CONFIG.dwStartType value.
func startType(t uint32, delayed bool) string {
	if name := diagnose.StartType(t, delayed); name != "" {
		return name
	}
	return fmt.Sprintf("unknown (%d)", t)
}

// decodeText decodes a text file as Windows writes them: UTF-16 with a byte
// order mark, UTF-8 (with or without a BOM), or else the ANSI code page,
// read as Windows-1252's Latin-1 subset.
func decodeText(b []byte) (string, error) {
	switch {
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE, len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		be := b[0] == 0xFE
		b = b[2:]
		if len(b)%2 != 0 {
			return "", fmt.Errorf("UTF-16 text with an odd number of bytes (%d)", len(b))
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			if be {
				u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
			} else {
				u[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
			}
		}
		return string(utf16.Decode(u)), nil
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		b = b[3:]
	}
	if utf8.Valid(b) {
		return string(b), nil
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r), nil
}

// uptimeBoot converts an uptime read at now into a boot time.
func uptimeBoot(now time.Time, up time.Duration) time.Time {
	return now.Add(-up).Truncate(time.Second)
}
