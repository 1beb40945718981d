// Package live reads the facts that the diagnosis rules use from the running
// Windows machine: registry values (HKLM, HKCU and Wow6432Node), the
// security descriptors of the certificate auto-update keys, the
// certificate chains that Windows builds for the Windows Update endpoints,
// the clock against the servers' HTTP Date, service states, boot time, the
// hosts file and whether the process is elevated.
//
// Probes only read. Each has a timeout and records its own failure in the
// returned Facts (Known false, Err) without stopping the others. The system
// calls are a thin layer in sys_windows.go; everything else, including the
// interpretation of what the calls return, is plain Go that is tested on
// every OS. On other systems [Source.Facts] returns [ErrNeedsWindows].
package live

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/wulog/wulog/diagnose"
)

// ErrNeedsWindows is returned by [Source.Facts] on systems other than
// Windows.
var ErrNeedsWindows = errors.New("live probes need Windows; use --facts snapshot.json, --software-hive/--system-hive/--user-hive, or analyze a bundle from `wulog collect`")

// DefaultTimeout bounds each probe when [Options.Timeout] is zero.
const DefaultTimeout = 20 * time.Second

// Options say what the probes read. The zero value reads everything the
// rules use ([diagnose.RegistryValues], [diagnose.SecuredKeys],
// [diagnose.Services], [diagnose.Endpoints]) with [DefaultTimeout].
type Options struct {
	// Endpoints are the host:port TLS endpoints whose certificate chain is
	// built and whose HTTP Date is compared with the clock. Nil means
	// diagnose.Endpoints.
	Endpoints []string
	// NoNetwork skips the TLS endpoints (chains and clock).
	NoNetwork bool
	// Proxy says how to reach the endpoints: "" follows the machine's
	// WinHTTP proxy (the WinHttpSettings value, as Windows Update does,
	// bypass list included), "direct" connects directly, anything else is
	// an HTTP proxy host:port used with CONNECT.
	Proxy string
	// Timeout bounds each probe: one endpoint, the registry values, the
	// key descriptors, the services, the rest. Zero means DefaultTimeout.
	Timeout time.Duration
	// Registry, Keys and Services override the lists of registry values,
	// secured keys and services to read (nil: the diagnose package's
	// lists).
	Registry []string
	Keys     []string
	Services []string
}

func (o Options) withDefaults() Options {
	if o.Endpoints == nil {
		o.Endpoints = diagnose.Endpoints
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Registry == nil {
		o.Registry = diagnose.RegistryValues
	}
	if o.Keys == nil {
		o.Keys = diagnose.SecuredKeys
	}
	if o.Services == nil {
		o.Services = diagnose.Services
	}
	return o
}

// Source is the live fact source. It implements diagnose.FactSource.
type Source struct {
	opts   Options
	sys    system
	sysErr error
	dial   dialFunc
	now    func() time.Time
}

var _ diagnose.FactSource = (*Source)(nil)

// New returns a live fact source. On systems other than Windows its Facts
// method returns ErrNeedsWindows.
func New(opts Options) *Source {
	s := &Source{opts: opts.withDefaults(), dial: (&net.Dialer{}).DialContext, now: time.Now}
	s.sys, s.sysErr = newSystem()
	return s
}

// Name describes the source for reports.
func (s *Source) Name() string { return "live probes" }

// Facts runs every probe and returns what they read. It returns an error
// only when the probes cannot run at all (ErrNeedsWindows) or ctx ends
// before they start.
func (s *Source) Facts(ctx context.Context) (*diagnose.Facts, error) {
	if s.sysErr != nil {
		return nil, s.sysErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return gather(ctx, s.sys, s.opts, s.dial, s.now), nil
}

// within runs f with a deadline of d. It returns errTimeout when f does not
// return in time (f keeps running in its goroutine; its result is dropped)
// and turns a panic in f into an error.
func within[T any](ctx context.Context, d time.Duration, f func(ctx context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				var zero T
				ch <- result{zero, fmt.Errorf("probe failed: %v\n%s", p, debug.Stack())}
			}
		}()
		v, err := f(ctx)
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return zero, fmt.Errorf("%w after %v", errTimeout, d)
		}
		return zero, ctx.Err()
	}
}

// prober holds what the probes share while they run.
type prober struct {
	sys  system
	opts Options
	dial dialFunc
	now  func() time.Time

	route route // how endpoints are reached

	mu     sync.Mutex
	denied []string // facts that failed with access denied
}

// fail turns a probe's error into the text of Fact.Err and remembers the
// facts that access checks refused.
func (p *prober) fail(what string, err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		p.mu.Lock()
		p.denied = append(p.denied, what)
		p.mu.Unlock()
		return "access denied: " + err.Error()
	}
	return err.Error()
}

// gather runs every probe, each group in its own goroutine with its own
// deadline, and assembles the facts.
func gather(ctx context.Context, sys system, opts Options, dial dialFunc, now func() time.Time) *diagnose.Facts {
	p := &prober{sys: sys, opts: opts, dial: dial, now: now}
	f := &diagnose.Facts{
		CollectedAt: now().UTC(),
		Live:        true,
		Registry:    map[string]diagnose.Fact[diagnose.RegValue]{},
		KeySecurity: map[string]diagnose.Fact[[]byte]{},
		Services:    map[string]diagnose.Fact[diagnose.Service]{},
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		elevated = diagnose.Fact[bool]{}
		eps      = make([]endpointFacts, len(opts.Endpoints))
	)
	set := func(fn func()) { mu.Lock(); fn(); mu.Unlock() }

	wg.Go(func() {
		host, err := within(ctx, opts.Timeout, func(context.Context) (string, error) { return sys.Hostname() })
		if err == nil {
			set(func() { f.Host = host })
		}
		e, err := within(ctx, opts.Timeout, func(context.Context) (bool, error) { return sys.Elevated() })
		set(func() { elevated = mkFact(p, e, err, "elevation", "token elevation") })
	})
	wg.Go(func() {
		gctx, cancel := context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
		for _, path := range opts.Registry {
			v := p.regValue(gctx, path)
			set(func() { f.Registry[path] = v })
		}
	})
	wg.Go(func() {
		gctx, cancel := context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
		for _, key := range opts.Keys {
			v := p.keySecurity(gctx, key)
			set(func() { f.KeySecurity[key] = v })
		}
	})
	wg.Go(func() {
		gctx, cancel := context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
		for _, name := range opts.Services {
			v := p.service(gctx, name)
			set(func() { f.Services[name] = v })
		}
	})
	wg.Go(func() {
		up, err := within(ctx, opts.Timeout, func(context.Context) (time.Duration, error) { return sys.Uptime() })
		bt := mkFact(p, time.Time{}, err, "boot time", "GetTickCount64")
		if err == nil {
			bt.Value = uptimeBoot(bt.ReadAt, up)
		}
		set(func() { f.BootTime = bt })
	})
	wg.Go(func() {
		type hosts struct {
			b    []byte
			path string
		}
		h, err := within(ctx, opts.Timeout, func(context.Context) (hosts, error) {
			b, path, err := sys.HostsFile()
			return hosts{b, path}, err
		})
		src := "hosts file"
		if h.path != "" {
			src = h.path
		}
		hf := mkFact(p, "", err, "hosts file", src)
		if err == nil {
			hf.Value, err = decodeText(h.b)
			if err != nil {
				hf.Known, hf.Err = false, err.Error()
			}
		}
		set(func() { f.HostsFile = hf })
	})
	if !opts.NoNetwork {
		p.route = p.winHTTPRoute(ctx)
		for i, ep := range opts.Endpoints {
			wg.Go(func() { eps[i] = p.endpoint(ctx, ep) })
		}
	}
	wg.Wait()

	for _, e := range eps {
		if e.chain.Known || e.chain.Err != "" {
			f.Chains = append(f.Chains, e.chain)
		}
	}
	f.Clock = clockFact(opts, eps)
	f.Notes = notes(opts, p.route, elevated, p.denied, currentUser())
	return f
}

// mkFact builds a Fact from a probe's value and error, read now.
func mkFact[T any](p *prober, v T, err error, what, source string) diagnose.Fact[T] {
	f := diagnose.Fact[T]{Source: "live: " + source, ReadAt: p.now().UTC()}
	if err != nil {
		f.Err = p.fail(what, err)
		return f
	}
	f.Value, f.Known = v, true
	return f
}
