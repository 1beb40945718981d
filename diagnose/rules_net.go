package diagnose

import (
	"fmt"
	"strings"

	"github.com/wulog/wulog/diagnose/winproxy"
)

// networkCodes are failures to reach a server at all.
var networkCodes = []uint32{
	0x8024402C, 0x80072EE7, // name not resolved
	0x80240438,                         // endpoint unreachable
	0x80072EFD, 0x80072EE2, 0x80072EFE, // cannot connect, timeout, aborted
	0x8024401B, 0x80244021, // HTTP 407 proxy authentication, 502 bad gateway
}

// describeWinHTTP describes a WinHttpSettings value like netsh does.
func describeWinHTTP(v RegValue) string {
	if !v.Exists {
		return "not set: Direct access (no proxy server)"
	}
	s, err := winproxy.Parse(v.Data)
	if err != nil {
		return "unreadable WinHttpSettings blob: " + err.Error()
	}
	return s.String()
}

// WinHTTPProxy is WU1030.
var WinHTTPProxy = &Rule{
	ID:    "WU1030",
	Name:  "winhttp-proxy",
	Title: "The WinHTTP proxy used by Windows Update fails",
	Doc: `Windows Update runs as SYSTEM and uses the WinHTTP proxy
(HKLM\...\Internet Settings\Connections\WinHttpSettings, "netsh winhttp
show proxy"), not the user's browser proxy; since the January 2021
updates WSUS scans fall back to the user proxy only with
SetProxyBehaviorForUpdateDetection=1. The log shows proxy trouble as
"WS error: The given proxy cannot be reached", "failed due to proxy or
proxy authentication error", "Proxy List used: <...>" and the codes
0x8024402C, 0x80240438, 0x80072EFD, 0x80072EE2, 0x8024401B (407) and
0x80244021 (502). The WinHttpSettings blob is parsed in Go (winproxy):
a proxy that the log says cannot be reached is confirmed; a configured
proxy with network failures in the log is suspected; a WSUS server that
the bypass list does not cover is a warning.`,
	Evidence: []string{"proxy lines and errors", "network failure chains", "\"WSUS server:\" line"},
	Facts:    []string{RegWinHTTPSettings, RegProxyBehavior, RegWUServer},
	Run:      runWinHTTPProxy,
}

func runWinHTTPProxy(p *Pass) (any, error) {
	ev := p.Evidence
	v := Verdict{Cause: "WinHTTP proxy problems", Needs: "the WinHTTP proxy settings (WinHttpSettings)"}
	net := group(ev.ChainsFor(networkCodes...))
	var logProxies []string
	for _, o := range ev.Proxies {
		if !strings.HasPrefix(o.Value, "direct") && !strings.EqualFold(o.Value, "No proxy") {
			logProxies = append(logProxies, o.Value)
		}
	}
	var settings *winproxy.Settings
	var fc Citation
	factKnown := false
	if p.HasFacts() {
		if fv, ok := p.Facts.Reg(RegWinHTTPSettings); ok && fv.Known {
			factKnown = true
			fc = p.cite(RegWinHTTPSettings, fv.Source, fv.ReadAt, describeWinHTTP(fv.Value))
			if fv.Value.Exists {
				if s, err := winproxy.Parse(fv.Value.Data); err == nil {
					settings = &s
				}
			}
		}
	}
	proxySet := settings != nil && !settings.Direct()
	f := Finding{Confidence: Suspected, RootCause: true}
	sev, why := persistence(ev, net, Scan, Download)
	if net.count == 0 && ev.ProxyErrors > 0 {
		sev, why = persistence(ev, chainGroup{count: ev.ProxyErrors, last: ev.FirstProxyError.Time}, Scan, Download)
	}
	f.Severity = sev
	wsus := wsusHost(ev)
	if p.HasFacts() {
		if s, st, _ := p.str(RegWUServer); st == regPresent && s != "" {
			wsus = endpointHost(s)
		}
	}
	switch {
	case proxySet && ev.ProxyErrors > 0:
		f.Confidence = Confirmed
		f.Title = "The WinHTTP proxy " + settings.Proxy + " cannot be reached or refuses Windows Update"
		v.State, v.Why = CauseConfirmed, "WinHTTP sends Windows Update through "+settings.Proxy+" and the log says the proxy fails"
	case proxySet && net.count > 0:
		f.Title = "Network failures through the WinHTTP proxy " + settings.Proxy
		v.State, v.Why = CauseSuspected, "WinHTTP sends Windows Update through "+settings.Proxy+" and requests fail"
		f.Confirm = []string{"whether " + settings.Proxy + " is reachable from the machine and lets SYSTEM through without user authentication"}
	case proxySet && wsus != "" && !settings.Bypasses(wsus):
		f.Severity = Warning
		f.Title = "The WSUS server " + wsus + " is reached through the WinHTTP proxy " + settings.Proxy
		v.State, v.Why = CauseSuspected, "the bypass list does not cover the WSUS server"
	case ev.ProxyErrors > 0 && factKnown && !proxySet:
		f.Title = "Windows Update falls back to a user proxy that cannot be reached (WinHTTP itself is direct)"
		v.State, v.Why = CauseSuspected, "WinHTTP is direct, but the log shows proxy errors from the user-proxy fallback"
		f.Confirm = []string{"the user's proxy settings (Internet Options) and SetProxyBehaviorForUpdateDetection"}
	case ev.ProxyErrors > 0:
		f.Title = "Windows Update cannot use its proxy"
		v.State, v.Why = CauseSuspected, "the log shows proxy errors"
		f.Confirm = []string{"the WinHTTP proxy settings (netsh winhttp show proxy / WinHttpSettings)"}
	case len(logProxies) > 0 && net.count > 0 && !factKnown:
		f.Title = "Network failures through the proxy " + strings.Join(logProxies, ", ")
		v.State, v.Why = CauseSuspected, "requests through "+strings.Join(logProxies, ", ")+" fail"
		f.Confirm = []string{"the WinHTTP proxy settings (netsh winhttp show proxy / WinHttpSettings)"}
	default:
		if factKnown && !proxySet && ev.ProxyErrors == 0 {
			v.State, v.Why = CauseRuledOut, "WinHTTP connects directly and the log shows no proxy errors"
		} else if factKnown && ev.ProxyErrors == 0 && net.count == 0 {
			v.State, v.Why = CauseRuledOut, "the log shows no proxy or network errors"
		}
		return v, nil
	}
	if net.count > 0 {
		f.Chain = append(f.Chain, net.describe())
		f.Evidence = append(f.Evidence, net.cite(3)...)
		f.Explains = []string{"WU2001", "WU2006", "WU2008", "WU2002"}
	}
	if ev.ProxyErrors > 0 {
		f.Chain = append(f.Chain, fmt.Sprintf("<- the proxy fails: %d proxy errors in the log, first at %s: %q", ev.ProxyErrors, ev.FirstProxyError.Where(), ev.FirstProxyError.Text))
		f.Evidence = append(f.Evidence, ev.FirstProxyError.Cite())
		if len(f.Explains) == 0 {
			f.Explains = []string{"WU2006"}
		}
	}
	for _, o := range ev.Proxies {
		f.Evidence = append(f.Evidence, o.First.Cite())
		if len(f.Evidence) > 6 {
			break
		}
	}
	if factKnown {
		f.Chain = append(f.Chain, "<- WinHTTP proxy (used by SYSTEM): "+fc.Text)
		f.Evidence = append(f.Evidence, fc)
	}
	f.Chain = append(f.Chain, "<- "+v.Why)
	if sev == Info {
		f.Chain = append(f.Chain, "("+why+")")
	}
	f.Remediation = []Step{
		{Kind: Investigate, Shell: "cmd", Text: "See the proxy SYSTEM uses and the one the logged-on user uses; they differ more often than not.",
			Commands: []string{`netsh winhttp show proxy`, `reg query "HKCU\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings" /v ProxyServer`}},
		{Kind: Fix, Shell: "cmd", Text: "Set the WinHTTP proxy to one that is reachable and lets the machine account through without user authentication (with the WSUS server and local names bypassed), or reset it to direct access if the network has no proxy.",
			Commands: []string{
				`netsh winhttp set proxy proxy-server="proxy.example.com:8080" bypass-list="<local>;*.example.com"`,
				`netsh winhttp reset proxy`,
			},
			Risk: "Run only the line that fits the network: `reset proxy` removes the proxy, `set proxy` replaces the current one (note it first with `netsh winhttp show proxy`)."},
		{Kind: Verify, Shell: "cmd", Text: "Check the setting and retry Windows Update.", Commands: []string{`netsh winhttp show proxy`, `UsoClient StartScan`}},
	}
	p.Report(f)
	return v, nil
}
