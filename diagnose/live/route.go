package live

import (
	"context"
	"net"
	"strings"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/winproxy"
)

// route says how the TLS probes reach the endpoints.
type route struct {
	// proxy is the HTTP proxy (host:port) or "" for direct connections.
	proxy string
	// settings, when set, is the WinHTTP configuration that proxy came
	// from: its bypass list decides per host.
	settings *winproxy.Settings
	// note tells the reader how the endpoints were reached.
	note string
}

// proxyFor returns the proxy to reach host through, or "".
func (r route) proxyFor(host string) string {
	if r.proxy == "" || (r.settings != nil && r.settings.Bypasses(host)) {
		return ""
	}
	return r.proxy
}

// winHTTPRoute decides the route from Options.Proxy, reading the machine's
// WinHttpSettings when the option asks to follow WinHTTP.
func (p *prober) winHTTPRoute(ctx context.Context) route {
	switch strings.ToLower(p.opts.Proxy) {
	case "direct":
		return route{note: "Endpoints were reached directly (--proxy direct), whatever WinHTTP is configured to do."}
	case "":
	default:
		return route{proxy: p.opts.Proxy, note: "Endpoints were reached through the proxy " + p.opts.Proxy + " (HTTP CONNECT), as asked."}
	}
	root, key, name, _ := splitValuePath(diagnose.RegWinHTTPSettings)
	v, err := within(ctx, p.opts.Timeout, func(context.Context) (diagnose.RegValue, error) {
		return p.sys.ReadValue(root, key, name)
	})
	return routeFromWinHTTP(v, err)
}

// routeFromWinHTTP turns the WinHttpSettings value into a route.
func routeFromWinHTTP(v diagnose.RegValue, err error) route {
	const direct = "Endpoints were reached directly: "
	switch {
	case err != nil:
		return route{note: direct + "WinHttpSettings could not be read (" + err.Error() + "), so Windows Update's own route may differ."}
	case !v.Exists:
		return route{note: direct + "WinHTTP has no proxy configured (no WinHttpSettings value), as for Windows Update."}
	}
	s, err := winproxy.Parse(v.Data)
	if err != nil {
		return route{note: direct + "WinHttpSettings is malformed (" + err.Error() + "), so Windows Update's own route may differ."}
	}
	addr := proxyAddress(s.ProxyFor("https"))
	if addr == "" {
		return route{note: direct + "WinHTTP is set to direct access, as for Windows Update."}
	}
	return route{proxy: addr, settings: &s,
		note: "Endpoints were reached as WinHTTP would (and Windows Update does): through the proxy " + addr +
			" with CONNECT, except hosts in the bypass list " + quoteOrNone(s.Bypass) + "."}
}

// proxyAddress normalises a WinHTTP proxy entry ("http://p:8080", "p")
// to host:port; WinHTTP's default proxy port is 80.
func proxyAddress(a string) string {
	a = strings.TrimSpace(a)
	if i := strings.Index(a, "://"); i >= 0 {
		a = a[i+3:]
	}
	a = strings.TrimRight(a, "/")
	if a == "" {
		return ""
	}
	if _, _, err := net.SplitHostPort(a); err != nil {
		return net.JoinHostPort(strings.Trim(a, "[]"), "80")
	}
	return a
}

func quoteOrNone(s string) string {
	if s == "" {
		return "(empty)"
	}
	return `"` + s + `"`
}
