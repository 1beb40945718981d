package diagnose

import (
	"fmt"
	"strings"
)

// RootAutoUpdatePolicy is WU1040.
var RootAutoUpdatePolicy = &Rule{
	ID:    "WU1040",
	Name:  "root-autoupdate-policy",
	Title: "Automatic update of root and disallowed certificates is turned off or redirected by policy",
	Doc: `Reads the policies that stop the CTL updater:
DisableRootAutoUpdate=1 under HKLM\SOFTWARE\Policies\Microsoft\SystemCertificates\AuthRoot
("Turn off Automatic Root Certificates Update") turns off trusted root CTL
updates, and the disallowed CTL updates with them unless
EnableDisallowedCertAutoUpdate=1; EnableDisallowedCertAutoUpdate=0 (policy
key or AutoUpdate key) turns off the disallowed CTL updates that Microsoft
support never recommends disabling. RootDirURL in the AutoUpdate key
redirects the updater to an internal share or web server: that is
reported as information, or as a warning when the sync times are stale
(the mirror is not kept current). With TLS failures in the log the
finding is an error and explains WU1000 and WU1001.`,
	Facts:    []string{RegPolicyDisableRootAutoUpdate, RegPolicyEnableDisallowed, RegEnableDisallowed, RegRootDirURL},
	Requires: []*Rule{StaleCTLSync},
	Run:      runRootAutoUpdatePolicy,
}

func runRootAutoUpdatePolicy(p *Pass) (any, error) {
	v := Verdict{Cause: "root/disallowed certificate auto-update turned off by policy", Needs: "the AuthRoot policy values"}
	if !p.HasFacts() {
		return v, nil
	}
	disRoot, stRoot, cRoot := p.dword(RegPolicyDisableRootAutoUpdate)
	enPol, stPol, cPol := p.dword(RegPolicyEnableDisallowed)
	enKey, stKey, cKey := p.dword(RegEnableDisallowed)
	url, stURL, cURL := p.str(RegRootDirURL)
	if stRoot == regUnknown && stPol == regUnknown && stKey == regUnknown && stURL == regUnknown {
		return v, nil
	}
	var chain []string
	var ev []Citation
	rootOff := stRoot == regPresent && disRoot == 1
	disallowedOff := (stPol == regPresent && enPol == 0) || (stKey == regPresent && enKey == 0) ||
		(rootOff && !(stPol == regPresent && enPol == 1) && !(stKey == regPresent && enKey == 1))
	if rootOff {
		chain = append(chain, "DisableRootAutoUpdate=1: the trusted root CTL is not updated (policy \"Turn off Automatic Root Certificates Update\")")
		ev = append(ev, cRoot)
	}
	if disallowedOff {
		switch {
		case stPol == regPresent && enPol == 0:
			chain = append(chain, "EnableDisallowedCertAutoUpdate=0 (policy): the disallowed CTL is not updated")
			ev = append(ev, cPol)
		case stKey == regPresent && enKey == 0:
			chain = append(chain, "EnableDisallowedCertAutoUpdate=0 (AutoUpdate key): the disallowed CTL is not updated")
			ev = append(ev, cKey)
		default:
			chain = append(chain, "EnableDisallowedCertAutoUpdate is not 1, so turning off root updates turns off the disallowed CTL updates too")
		}
	}
	stale := verdictOf(p, StaleCTLSync)
	redirected := stURL == regPresent && strings.TrimSpace(url) != ""
	if !rootOff && !disallowedOff && !redirected {
		v.State = CauseRuledOut
		v.Why = "no policy turns off or redirects the CTL updater"
		return v, nil
	}
	symptom := group(tlsSymptom(p.Evidence))
	f := Finding{Severity: Warning, Confidence: Confirmed, RootCause: true}
	switch {
	case rootOff || disallowedOff:
		v.State = CauseConfirmed
		v.Why = strings.Join(chain, "; ")
		f.Title = "Certificate trust list updates are turned off by policy"
		if stale.State >= CauseSuspected {
			f.Explains = append(f.Explains, "WU1001")
		}
	default:
		f.Severity = Info
		f.RootCause = false
		f.Title = "Certificate trust lists come from an internal location (RootDirURL " + url + ")"
		chain = append(chain, fmt.Sprintf("RootDirURL %q: CryptSvc downloads the CTLs from there instead of ctldl.windowsupdate.com", url))
		ev = append(ev, cURL)
		if stale.State >= CauseSuspected {
			f.Severity, f.RootCause = Warning, true
			f.Title = "Certificate trust lists come from an internal location that is not current (RootDirURL " + url + ")"
			chain = append(chain, "and the sync times are stale: the internal location is unreachable for SYSTEM or not kept current")
			f.Explains = append(f.Explains, "WU1001")
			v.State = CauseConfirmed
			v.Why = chain[len(chain)-2] + " " + chain[len(chain)-1]
		}
	}
	if redirected && (rootOff || disallowedOff) {
		chain = append(chain, fmt.Sprintf("RootDirURL %q is set", url))
		ev = append(ev, cURL)
	}
	// Symptom first, then the stale CTL, then the policy that causes it.
	if symptom.count > 0 && f.RootCause {
		f.Severity = Error
		f.Chain = append(f.Chain, symptom.describe(), "<- 0x80092013 CRYPT_E_REVOCATION_OFFLINE: revocation checks cannot complete without current CTLs")
		f.Evidence = append(f.Evidence, symptom.cite(3)...)
		f.Explains = append(f.Explains, "WU1000", "WU1022")
	}
	if stale.State >= CauseSuspected {
		f.Chain = append(f.Chain, stale.Why)
		ev = append(ev, p.staleCites()...)
	}
	f.Chain = append(f.Chain, chain...)
	for i := 1; i < len(f.Chain); i++ {
		f.Chain[i] = "<- " + strings.TrimPrefix(f.Chain[i], "<- ")
	}
	f.Evidence = append(f.Evidence, ev...)
	if rootOff || disallowedOff {
		f.Remediation = []Step{
			{Kind: Fix, Shell: "cmd",
				Text: "Set the Group Policy \"Computer Configuration > Administrative Templates > System > Internet Communication Management > Internet Communication settings > Turn off Automatic Root Certificates Update\" to Not Configured (in the GPO that sets it), or remove the local values, then refresh policy.",
				Commands: []string{
					`reg delete "` + KeyAuthRootPolicy + `" /v DisableRootAutoUpdate /f`,
					`reg delete "` + KeyAuthRootPolicy + `" /v EnableDisallowedCertAutoUpdate /f`,
					`gpupdate /target:computer /force`,
				},
				Risk: "On networks that must not reach the Internet the policy is deliberate: distribute the CTLs internally instead (certutil -syncWithWU to a share, then RootDirURL) rather than leaving them stale."},
			stepResync, stepVerifySync,
		}
	} else {
		f.Remediation = []Step{
			{Kind: Investigate, Shell: "powershell",
				Text: "Check that the internal CTL location is current and readable by the machine account; refresh it from Windows Update.",
				Commands: []string{
					`reg query "` + KeyAutoUpdate + `" /v RootDirURL`,
					`certutil -syncWithWU \\server\share\CTL`,
				}},
			stepResync, stepVerifySync,
		}
	}
	p.Report(f)
	return v, nil
}

// CryptSvcDisabled is WU1042.
var CryptSvcDisabled = &Rule{
	ID:    "WU1042",
	Name:  "cryptsvc-disabled",
	Title: "Cryptographic Services (CryptSvc) is disabled or stopped",
	Doc: `CryptSvc runs the CTL updater and serves signature and catalog
checks for Windows Update. Reads the service's start type and state from
the services facts, or its Start value under
HKLM\SYSTEM\CurrentControlSet\Services\CryptSvc (4 = disabled). Disabled
is a confirmed cause; stopped (from live facts) is a warning. With stale
CTL sync times or TLS failures it explains WU1001 and WU1000.`,
	Facts:    []string{"service CryptSvc", RegCryptSvcStart},
	Requires: []*Rule{StaleCTLSync},
	Run: func(p *Pass) (any, error) {
		v := Verdict{Cause: "CryptSvc disabled", Needs: "the state of the CryptSvc service"}
		state, start, known, c := p.service("CryptSvc", RegCryptSvcStart)
		if !known {
			return v, nil
		}
		disabled := start == "disabled"
		stopped := state == "stopped"
		if !disabled && !stopped {
			v.State, v.Why = CauseRuledOut, "CryptSvc start type "+orDash(start)+", state "+orDash(state)
			return v, nil
		}
		v.State = CauseConfirmed
		f := Finding{Severity: Warning, Confidence: Confirmed, RootCause: true, Evidence: []Citation{c}}
		if disabled {
			f.Title = "Cryptographic Services (CryptSvc) is disabled"
			v.Why = "CryptSvc is disabled: the CTL updater never runs"
		} else {
			f.Title = "Cryptographic Services (CryptSvc) is stopped"
			v.Why = "CryptSvc is stopped: the CTL updater is not running"
		}
		if s := verdictOf(p, StaleCTLSync); s.State >= CauseSuspected {
			f.Explains = append(f.Explains, "WU1001")
			f.Chain = append(f.Chain, s.Why)
			f.Evidence = append(f.Evidence, p.staleCites()...)
			if disabled {
				f.Severity = Error
			}
		}
		if g := group(tlsSymptom(p.Evidence)); g.count > 0 {
			f.Severity = Error
			f.Chain = append([]string{g.describe()}, f.Chain...)
			f.Evidence = append(g.cite(2), f.Evidence...)
			f.Explains = append(f.Explains, "WU1000", "WU1022")
		}
		for i := 1; i < len(f.Chain); i++ {
			f.Chain[i] = "<- " + f.Chain[i]
		}
		f.Chain = append(f.Chain, "<- "+v.Why)
		f.Remediation = []Step{
			{Kind: Fix, Shell: "powershell", Text: "Set CryptSvc to start automatically and start it.",
				Commands: []string{`Set-Service -Name CryptSvc -StartupType Automatic`, `Start-Service -Name CryptSvc`}},
			{Kind: Verify, Shell: "powershell", Text: "Check that it runs, then retry Windows Update.",
				Commands: []string{`Get-Service -Name CryptSvc | Format-List Status, StartType`, `UsoClient StartScan`}},
		}
		p.Report(f)
		return v, nil
	},
}

// hostsEntry is one mapping of the hosts file.
type hostsEntry struct {
	line int
	addr string
	name string
	text string
}

// hostsEntries returns the mappings of a hosts file whose name satisfies
// match.
func hostsEntries(content string, match func(name string) bool) []hostsEntry {
	var out []hostsEntry
	for i, l := range strings.Split(content, "\n") {
		raw := strings.TrimRight(l, "\r")
		if j := strings.IndexByte(l, '#'); j >= 0 {
			l = l[:j]
		}
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		for _, n := range f[1:] {
			n = strings.ToLower(strings.TrimSuffix(n, "."))
			if match(n) {
				out = append(out, hostsEntry{line: i + 1, addr: f[0], name: n, text: strings.TrimSpace(raw)})
			}
		}
	}
	return out
}

func isCTLHost(h string) bool {
	return h == "ctldl.windowsupdate.com" || h == "windowsupdate.com" || h == "*.windowsupdate.com"
}

// HostsRedirect is WU1043.
var HostsRedirect = &Rule{
	ID:    "WU1043",
	Name:  "hosts-file-redirect",
	Title: "The hosts file redirects Windows Update endpoints",
	Doc: `Reads %SystemRoot%\System32\drivers\etc\hosts and reports entries
for Windows Update hosts (*.update.microsoft.com, *.windowsupdate.com,
*.delivery.mp.microsoft.com, ctldl.windowsupdate.com), as privacy
blocklists and "debloat" scripts add. Such an entry sends the client to an
unrelated server (certificate errors such as 0x80072F8F) or nowhere
(0x8024402C, 0x80072EFD). Confirmed by the file itself; an error when the
log shows failures to those endpoints.`,
	Facts: []string{"hosts file"},
	Run: func(p *Pass) (any, error) {
		v := Verdict{Cause: "hosts file redirects Windows Update endpoints", Needs: "the hosts file"}
		if !p.HasFacts() || !p.Facts.HostsFile.Known {
			return v, nil
		}
		hf := p.Facts.HostsFile
		ents := hostsEntries(hf.Value, func(n string) bool { return isWUHost(n) || isCTLHost(n) })
		if len(ents) == 0 {
			v.State, v.Why = CauseRuledOut, "the hosts file has no entry for Windows Update hosts"
			return v, nil
		}
		v.State = CauseConfirmed
		var names []string
		f := Finding{Severity: Warning, Confidence: Confirmed, RootCause: true}
		for _, e := range ents {
			names = addUnique(names, e.name)
			f.Evidence = append(f.Evidence, Citation{Source: p.source(hf.Source) + ` (hosts)`, Line: int64(e.line), Fact: "hosts file", Text: e.text})
		}
		v.Why = "the hosts file maps " + strings.Join(names, ", ") + " to fixed addresses"
		f.Title = "The hosts file redirects " + strings.Join(names, ", ")
		var failing []*FailureChain
		for _, c := range p.Evidence.Chains {
			if c.Endpoint != "" && containsHost(names, c.Endpoint) {
				failing = append(failing, c)
			}
		}
		if g := group(failing); g.count > 0 {
			f.Severity = Error
			f.Chain = append(f.Chain, g.describe())
			f.Evidence = append(g.cite(3), f.Evidence...)
			f.Explains = []string{"WU1000", "WU2001", "WU2008", "WU2006"}
		}
		f.Chain = append(f.Chain, "<- "+v.Why+": the client reaches the wrong server or none")
		f.Remediation = []Step{
			{Kind: Fix, Shell: "powershell", Text: "Remove the Windows Update entries from the hosts file (keep a copy), then flush the DNS cache.",
				Commands: []string{
					`$h = "$env:SystemRoot\System32\drivers\etc\hosts"`,
					`Copy-Item $h "$h.bak"`,
					`(Get-Content $h) | Where-Object { $_ -notmatch '(update\.microsoft\.com|windowsupdate\.com|delivery\.mp\.microsoft\.com)' } | Set-Content $h`,
					`ipconfig /flushdns`,
				},
				Risk: "If a security product or policy manages the hosts file it may put the entries back; change it there."},
			{Kind: Verify, Shell: "powershell", Text: "Check that the names resolve through DNS again, then retry Windows Update.",
				Commands: []string{`Resolve-DnsName slscr.update.microsoft.com`, `Resolve-DnsName ctldl.windowsupdate.com`, `UsoClient StartScan`}},
		}
		p.Report(f)
		return v, nil
	},
}

func containsHost(names []string, h string) bool {
	for _, n := range names {
		if n == h || (strings.HasPrefix(n, "*.") && strings.HasSuffix(h, n[1:])) {
			return true
		}
	}
	return false
}

// CTLDownloadBlocked is WU1041.
var CTLDownloadBlocked = &Rule{
	ID:    "WU1041",
	Name:  "ctl-download-blocked",
	Title: "CryptSvc cannot download the certificate trust lists from ctldl.windowsupdate.com",
	Doc: `The CTL updater fetches http://ctldl.windowsupdate.com/msdownload/update/v3/static/trustedr/en/
(authrootstl.cab, disallowedcertstl.cab) over plain HTTP on port 80 as
SYSTEM through the WinHTTP proxy. Firewalls that only open 443, proxies
that want user authentication, DNS filters and hosts-file blocklists stop
it. Confirmed when the hosts file maps ctldl.windowsupdate.com; suspected
when the sync times are stale (WU1001) although CryptSvc may write the key
(WU1002 ruled out), no policy turns the updater off (WU1040 ruled out) and
CryptSvc is not disabled (WU1042 ruled out): the download is what is left.
CAPI2 events 11/4107 in the Application log confirm it ("Failed extract of
third-party root list from auto update cab ...").`,
	Facts:    []string{"the facts of WU1001, WU1002, WU1040 and WU1042", "hosts file", RegWinHTTPSettings},
	Requires: []*Rule{StaleCTLSync, AutoUpdateACL, RootAutoUpdatePolicy, CryptSvcDisabled},
	Run: func(p *Pass) (any, error) {
		v := Verdict{Cause: "CTL download from ctldl.windowsupdate.com blocked", Needs: "the sync times, the AutoUpdate key's permissions, the policies and the hosts file"}
		if !p.HasFacts() {
			return v, nil
		}
		stale := verdictOf(p, StaleCTLSync)
		acl := verdictOf(p, AutoUpdateACL)
		pol := verdictOf(p, RootAutoUpdatePolicy)
		svc := verdictOf(p, CryptSvcDisabled)
		var hosts []hostsEntry
		if hf := p.Facts.HostsFile; hf.Known {
			hosts = hostsEntries(hf.Value, isCTLHost)
		}
		f := Finding{Severity: Warning, RootCause: true, Title: "CryptSvc cannot download the certificate trust lists from ctldl.windowsupdate.com"}
		switch {
		case len(hosts) > 0:
			v.State, f.Confidence = CauseConfirmed, Confirmed
			for _, e := range hosts {
				f.Evidence = append(f.Evidence, Citation{Source: p.source(p.Facts.HostsFile.Source) + " (hosts)", Line: int64(e.line), Fact: "hosts file", Text: e.text})
			}
			v.Why = "the hosts file maps ctldl.windowsupdate.com to " + hosts[0].addr
			f.Explains = append(f.Explains, "WU1043")
		case stale.State >= CauseSuspected && acl.State == CauseRuledOut && pol.State == CauseRuledOut && svc.State != CauseConfirmed:
			v.State, f.Confidence = CauseSuspected, Suspected
			v.Why = "the CTLs are stale although CryptSvc may write the key and no policy stops the updater: the download itself fails"
			f.Title += " (suspected)"
			f.Confirm = []string{
				"CAPI2 events 11 and 4107 in the Application log naming ctldl.windowsupdate.com",
				"an HTTP GET of http://ctldl.windowsupdate.com/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab through the SYSTEM WinHTTP proxy",
			}
		default:
			if stale.State == CauseRuledOut {
				v.State, v.Why = CauseRuledOut, stale.Why
			}
			return v, nil
		}
		if stale.State >= CauseSuspected {
			f.Explains = append(f.Explains, "WU1001")
		}
		if g := group(tlsSymptom(p.Evidence)); g.count > 0 {
			f.Severity = Error
			f.Chain = append(f.Chain, g.describe(), "<- 0x80092013 CRYPT_E_REVOCATION_OFFLINE: revocation checks cannot complete without current CTLs")
			f.Evidence = append(g.cite(3), f.Evidence...)
			f.Explains = append(f.Explains, "WU1000", "WU1022")
		}
		if stale.State >= CauseSuspected {
			f.Chain = append(f.Chain, "<- "+stale.Why)
		}
		if acl.State == CauseRuledOut {
			f.Chain = append(f.Chain, "(not the key's permissions: CryptSvc may write the AutoUpdate key)")
		}
		f.Evidence = append(f.Evidence, p.staleCites()...)
		f.Chain = append(f.Chain, "<- "+v.Why)
		if wp, ok := p.Facts.Reg(RegWinHTTPSettings); ok && wp.Known {
			f.Evidence = append(f.Evidence, p.cite(RegWinHTTPSettings, wp.Source, wp.ReadAt, describeWinHTTP(wp.Value)))
		}
		f.Remediation = []Step{
			{Kind: Investigate, Shell: "powershell", Text: "See the updater's own errors and test the download the way SYSTEM does it (WinHTTP proxy, port 80).",
				Commands: []string{
					`Get-WinEvent -FilterHashtable @{LogName='Application'; ProviderName='Microsoft-Windows-CAPI2'; Id=11,4107} -MaxEvents 20 | Format-List TimeCreated, Message`,
					`netsh winhttp show proxy`,
					`Invoke-WebRequest -UseBasicParsing -Uri http://ctldl.windowsupdate.com/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab -OutFile $env:TEMP\disallowedcertstl.cab`,
				}},
			{Kind: Fix, Text: "Allow HTTP (port 80) to ctldl.windowsupdate.com (and its CDN names) for the machine account in the firewall, proxy and DNS filter; remove hosts-file entries for it; if a proxy is needed, set it for WinHTTP (netsh winhttp set proxy) and exempt the CTL URLs from authentication."},
			stepResync, stepVerifySync,
		}
		p.Report(f)
		return v, nil
	},
}
