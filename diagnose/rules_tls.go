package diagnose

import (
	"fmt"
	"strings"
	"time"

	"github.com/wulog/wulog/diagnose/chainstatus"
)

// TLSFailure is WU1000, the symptom rule for failed TLS connections.
var TLSFailure = &Rule{
	ID:    "WU1000",
	Name:  "tls-failure",
	Title: "TLS or certificate failure talking to Windows Update (0x80072F8F and relatives)",
	Doc: `Log-only symptom rule. Groups the failure chains whose code is a
TLS or certificate failure (0x80072F8F ERROR_WINHTTP_SECURE_FAILURE, the
other ERROR_WINHTTP_SECURE_* codes, 0x80092013, 0x80092012, 0x800B0109,
0x800B0101, 0x800B010F), with the endpoints they went to
(slscr.update.microsoft.com, fe2cr.update.microsoft.com, ...). The log
cannot say why the certificate check failed: crypt32 does not write
0x80092013 to WindowsUpdate.log. The finding therefore weighs the cause
rules (WU1001-WU1003, WU1010, WU1020-WU1022, WU1030, WU1040-WU1043,
WU1050): facts that rule a cause out are listed, causes that the facts
could not check are listed with the facts that would settle them, ranked
by how often they are the real cause. When a cause rule confirms a cause,
its finding explains this one.

0x80092004 CRYPT_E_NOT_FOUND is not part of this family: Windows Update
logs it when it finds no user auth token ("Method failed to get auth
token"), which is normal. A failure followed by a successful scan or
download is reported as information.`,
	Evidence: []string{"failure chains with TLS codes and their endpoints", "scan and download outcomes", "clock jumps"},
	Run:      runTLSFailure,
}

func runTLSFailure(p *Pass) (any, error) {
	chains := tlsSymptom(p.Evidence)
	if len(chains) == 0 {
		return nil, nil
	}
	g := group(chains)
	sev, why := persistence(p.Evidence, g, Scan, Download)
	f := Finding{Severity: sev, Confidence: Suspected,
		Title: fmt.Sprintf("TLS/certificate failure talking to Windows Update: %s%s", g.codesLabel(), g.where())}
	f.Chain = []string{g.describe()}
	f.Evidence = g.cite(4)
	if sev == Info {
		f.Title += " (recovered)"
		f.Chain = append(f.Chain, "("+why+")")
		p.Report(f)
		return nil, nil
	}
	f.Chain = append(f.Chain, "<- the server certificate or the TLS handshake failed the client's checks; the reason is not in WindowsUpdate.log (crypt32 does not log 0x80092013 there)")
	var ruledOut, confirmed []string
	var unknown []Verdict
	for _, r := range p.Rule.Requires {
		v := verdictOf(p, r)
		switch v.State {
		case CauseRuledOut:
			if r != CTLUpdaterBlocked && r != CTLDownloadBlocked { // they combine the verdicts of others
				ruledOut = append(ruledOut, v.Cause+": "+v.Why)
			}
		case CauseConfirmed, CauseSuspected:
			confirmed = append(confirmed, v.Cause)
		default:
			unknown = append(unknown, v)
		}
	}
	for _, j := range p.Evidence.ClockJumps {
		if !g.last.IsZero() && !j.To.After(g.last) && j.ZoneChange == "" {
			f.Chain = append(f.Chain, fmt.Sprintf("(suspect: the log's clock stepped back %s at %s before these failures; see WU1011)", Age(-j.Delta()), j.Line.Where()))
			f.Evidence = append(f.Evidence, j.Line.Cite())
			break
		}
	}
	if len(confirmed) > 0 {
		f.Chain = append(f.Chain, "<- caused by: "+strings.Join(confirmed, "; "))
	} else {
		f.Title += " (cause not determined)"
	}
	for _, r := range ruledOut {
		f.Chain = append(f.Chain, "(ruled out: "+r+")")
	}
	for _, v := range unknown {
		if v.Needs != "" {
			f.Confirm = append(f.Confirm, v.Cause+": "+v.Needs)
		}
	}
	if !p.HasFacts() {
		f.Confirm = []string{
			"system clock wrong: the clock compared with a trusted time (w32tm), and the log's clock jumps",
			"TLS inspection: the issuer of the certificate chain built for slscr.update.microsoft.com and fe2cr.update.microsoft.com",
			"certificate trust lists not refreshed: DisallowedCertLastSyncTime and LastSyncTime under " + KeyAutoUpdate + " and their age",
			"AutoUpdate key permissions: the security descriptor of " + KeyAutoUpdate + " (inheritance, NT SERVICE\\CryptSvc)",
			"root auto-update policy: DisableRootAutoUpdate and EnableDisallowedCertAutoUpdate under " + KeyAuthRootPolicy,
			"revocation servers unreachable: the WinHTTP proxy (WinHttpSettings) and access to crl.microsoft.com and oneocsp.microsoft.com",
			"TLS 1.2 disabled: SCHANNEL TLS 1.2 Client Enabled/DisabledByDefault and WinHTTP DefaultSecureProtocols",
			"hosts file entries for Windows Update hosts",
		}
	}
	f.Remediation = []Step{
		{Kind: Investigate, Text: "Collect the facts that name the cause and analyse again: on the machine run `wulog collect` (or `wulog analyze --live WindowsUpdate.log`), or copy its SOFTWARE and SYSTEM hives and run `wulog analyze --software-hive SOFTWARE --system-hive SYSTEM WindowsUpdate.log`."},
		{Kind: Investigate, Shell: "powershell", Text: "Or check the usual causes by hand, most frequent first.",
			Commands: []string{
				`w32tm /stripchart /computer:time.windows.com /dataonly /samples:3`,
				`$k = Get-ItemProperty '` + autoUpdatePS + `'; [DateTime]::FromFileTimeUtc([BitConverter]::ToInt64($k.DisallowedCertLastSyncTime, 0))`,
				`(Get-Acl '` + autoUpdatePS + `').AreAccessRulesProtected`,
				`netsh winhttp show proxy`,
				`reg query "` + KeyAuthRootPolicy + `"`,
				`reg query "` + KeySchannelTLS12 + `"`,
				`$r = [Net.HttpWebRequest]::Create('https://slscr.update.microsoft.com/'); try { $r.GetResponse().Dispose() } catch {}; $r.ServicePoint.Certificate.Issuer`,
			}},
	}
	p.Report(f)
	return nil, nil
}

// ClockSkewThreshold is the clock difference reported by WU1010.
const (
	ClockSkewThreshold = 5 * time.Minute
	// ClockSkewSevere is the difference that breaks certificate validity
	// checks outright.
	ClockSkewSevere = 24 * time.Hour
)

// ClockSkew is WU1010.
var ClockSkew = &Rule{
	ID:    "WU1010",
	Name:  "clock-skew",
	Title: "System clock is wrong",
	Doc: `Compares the machine's clock with a trusted reference (an HTTP
Date header, NTP) from the clock fact. A difference of 5 minutes or more
is reported; 24 hours or more makes certificates look expired or not yet
valid and is an error, as is any skew with TLS failures in the log. The
most cited home-user cause of 0x80072F8F (dead CMOS battery, broken
w32time). Certificates in the chain facts that are not valid at the
machine's time are cited too.`,
	Facts: []string{"clock", "chains", RegW32TimeType, RegW32TimeServer},
	Run: func(p *Pass) (any, error) {
		v := Verdict{Cause: "system clock wrong", Needs: "the machine's clock compared with a trusted time"}
		if !p.HasFacts() || !p.Facts.Clock.Known {
			return v, nil
		}
		ck := p.Facts.Clock
		skew := ck.Value.Skew()
		abs := skew
		if abs < 0 {
			abs = -abs
		}
		dir := "ahead of"
		if skew < 0 {
			dir = "behind"
		}
		desc := fmt.Sprintf("the clock is %s %s %s", Age(abs), dir, orDash(ck.Value.ReferenceSource))
		if abs < ClockSkewThreshold {
			v.State, v.Why = CauseRuledOut, desc
			return v, nil
		}
		v.State, v.Why = CauseConfirmed, desc
		f := Finding{Severity: Warning, Confidence: Confirmed, RootCause: true,
			Title: fmt.Sprintf("System clock is %s %s the reference time", Age(abs), dir)}
		f.Evidence = append(f.Evidence, p.cite("clock", ck.Source, ck.ReadAt,
			fmt.Sprintf("local %s, reference %s (%s)", ck.Value.Local.UTC().Format(time.RFC3339), ck.Value.Reference.UTC().Format(time.RFC3339), orDash(ck.Value.ReferenceSource))))
		if abs >= ClockSkewSevere {
			f.Severity = Error
		}
		g := group(tlsSymptom(p.Evidence))
		if g.count > 0 {
			f.Severity = Error
			f.Chain = append(f.Chain, g.describe(), "<- certificates are checked against the machine's clock, so valid certificates look expired or not yet valid")
			f.Evidence = append(g.cite(3), f.Evidence...)
			f.Explains = []string{"WU1000", "WU1011", "WU1022"}
		}
		for _, c := range p.Facts.Chains {
			for _, el := range c.Value.Elements {
				if (!el.NotBefore.IsZero() && ck.Value.Local.Before(el.NotBefore)) || (!el.NotAfter.IsZero() && ck.Value.Local.After(el.NotAfter)) {
					f.Evidence = append(f.Evidence, p.cite("chain "+c.Value.Endpoint, c.Source, c.ReadAt,
						fmt.Sprintf("%s is valid %s to %s, not at the machine's time", el.Subject, el.NotBefore.UTC().Format("2006-01-02"), el.NotAfter.UTC().Format("2006-01-02"))))
				}
			}
		}
		f.Chain = append(f.Chain, "<- "+desc)
		if s, st, c := p.str(RegW32TimeType); st == regPresent {
			f.Evidence = append(f.Evidence, c)
			if strings.EqualFold(s, "NoSync") {
				f.Chain = append(f.Chain, "<- w32time is set to NoSync: the clock is never corrected")
			}
		}
		f.Remediation = []Step{
			{Kind: Fix, Shell: "cmd", Text: "Resynchronize the clock with a time server (the service must be running).",
				Commands: []string{`net start w32time`, `w32tm /config /syncfromflags:manual /manualpeerlist:"time.windows.com,0x8" /update`, `w32tm /resync /force`}},
			{Kind: Alternative, Text: "If the clock is wrong again after every boot, replace the mainboard's CMOS battery; on a virtual machine, check the host's time synchronization."},
			{Kind: Verify, Shell: "cmd", Text: "Check the offset is now below a second, then retry Windows Update.",
				Commands: []string{`w32tm /query /status`, `w32tm /stripchart /computer:time.windows.com /dataonly /samples:3`, `UsoClient StartScan`}},
		}
		p.Report(f)
		return v, nil
	},
}

// ClockStepBack is WU1011.
var ClockStepBack = &Rule{
	ID:    "WU1011",
	Name:  "clock-jump",
	Title: "The log's clock steps back in time",
	Doc: `Log-only. Windows Update writes its records in time order, so a
step back of 5 minutes or more means the system clock was set back (or,
in a legacy log, the time zone changed: the "tz:" of the "Logging
initialized" banner says so). Get-WindowsUpdateLog on Windows 10 has a
known decoding artefact: one record 60 s early with its fraction rounded
to the millisecond; those are ignored (counted in the evidence). A step
is information; when TLS failures follow it the finding is a suspected
cause (wrong clock) that the clock fact would confirm.`,
	Evidence: []string{"clock jumps", "TLS failure chains"},
	Run: func(p *Pass) (any, error) {
		ev := p.Evidence
		if len(ev.ClockJumps) == 0 {
			return nil, nil
		}
		f := Finding{Severity: Info, Confidence: Suspected}
		biggest := ev.ClockJumps[0]
		for _, j := range ev.ClockJumps {
			if j.Delta() < biggest.Delta() {
				biggest = j
			}
			if len(f.Evidence) < 6 {
				f.Evidence = append(f.Evidence, j.Before.Cite(), j.Line.Cite())
			}
			link := fmt.Sprintf("the log's time steps back %s at %s (%s -> %s)", Age(-j.Delta()), j.Line.Where(),
				fmtTime(j.From, ev.ZoneKnown), fmtTime(j.To, ev.ZoneKnown))
			if j.ZoneChange != "" {
				link += "; the time zone changed " + j.ZoneChange + " there"
			}
			if len(f.Chain) < 5 {
				f.Chain = append(f.Chain, link)
			}
		}
		if n := ev.ClockJumpCount; n > int64(len(f.Chain)) {
			f.Chain = append(f.Chain, fmt.Sprintf("(%d steps in all)", n))
		}
		f.Title = fmt.Sprintf("The log's clock steps back %s", Age(-biggest.Delta()))
		if biggest.ZoneChange != "" {
			f.Title += " (time zone change " + biggest.ZoneChange + ")"
		}
		g := group(tlsSymptom(ev))
		if g.count > 0 && biggest.ZoneChange == "" && !g.last.Before(biggest.To) {
			f.Severity = Warning
			f.RootCause = true
			f.Title = "Suspected wrong system clock: " + f.Title + " before TLS failures"
			f.Chain = append([]string{g.describe(), "<- certificates are checked against the machine's clock"}, prefixAll(f.Chain, "<- ")...)
			f.Evidence = append(g.cite(2), f.Evidence...)
			f.Confirm = []string{"the machine's clock compared with a trusted time (clock fact, w32tm /stripchart)"}
		}
		f.Remediation = []Step{
			{Kind: Investigate, Shell: "cmd", Text: "Compare the clock with a time server and look for time changes in the System event log (Kernel-General event 1).",
				Commands: []string{`w32tm /stripchart /computer:time.windows.com /dataonly /samples:3`,
					`wevtutil qe System /q:"*[System[Provider[@Name='Microsoft-Windows-Kernel-General'] and EventID=1]]" /c:10 /rd:true /f:text`}},
		}
		p.Report(f)
		return nil, nil
	},
}

func prefixAll(list []string, prefix string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = prefix + s
	}
	return out
}

// trustedIssuers are the organizations whose CAs issue the certificates
// of Windows Update endpoints.
var trustedIssuers = []string{"Microsoft", "DigiCert", "Baltimore"}

// TLSInspection is WU1020.
var TLSInspection = &Rule{
	ID:    "WU1020",
	Name:  "tls-inspection",
	Title: "TLS inspection: a Windows Update endpoint presents a certificate not issued by Microsoft",
	Doc: `Reads the certificate chains built for the Windows Update endpoints
(chains facts). Their certificates are issued by Microsoft CAs (some CDN
names by DigiCert); an issuer from any other organization (a proxy,
firewall or antivirus CA such as Zscaler, Fortinet, Palo Alto, Sophos)
means the connection is intercepted. Windows Update pins its metadata
connections to Microsoft's intermediates ("Securing metadata connections"),
so interception fails even when the corporate root is trusted. Confirmed
by the chain; an error.`,
	Facts: []string{"chains"},
	Run: func(p *Pass) (any, error) {
		v := Verdict{Cause: "TLS inspection (certificate not issued by Microsoft)", Needs: "the certificate chains built for slscr.update.microsoft.com and fe2cr.update.microsoft.com"}
		if !p.HasFacts() {
			return v, nil
		}
		var bad []Citation
		var issuers, hosts []string
		checked := 0
		for _, c := range p.Facts.Chains {
			if !c.Known || len(c.Value.Elements) == 0 {
				continue
			}
			host := endpointHost(c.Value.Endpoint)
			if !isWUHost(host) {
				continue
			}
			checked++
			leaf := c.Value.Elements[0]
			if issuedByTrusted(leaf.Issuer) {
				continue
			}
			root := c.Value.Elements[len(c.Value.Elements)-1]
			issuers = addUnique(issuers, leaf.Issuer)
			hosts = addUnique(hosts, host)
			bad = append(bad, p.cite("chain "+c.Value.Endpoint, c.Source, c.ReadAt,
				fmt.Sprintf("leaf %q issued by %q; root %q", leaf.Subject, leaf.Issuer, root.Subject)))
		}
		if checked == 0 {
			return v, nil
		}
		if len(bad) == 0 {
			v.State, v.Why = CauseRuledOut, "the chains of the Windows Update endpoints are issued by Microsoft"
			return v, nil
		}
		v.State = CauseConfirmed
		v.Why = fmt.Sprintf("%s presents a certificate issued by %s", strings.Join(hosts, ", "), strings.Join(issuers, ", "))
		f := Finding{Severity: Error, Confidence: Confirmed, RootCause: true, Evidence: bad,
			Title:    "TLS inspection intercepts Windows Update: " + v.Why,
			Explains: []string{"WU1000", "WU1022"}}
		if g := group(tlsSymptom(p.Evidence)); g.count > 0 {
			f.Chain = append(f.Chain, g.describe())
			f.Evidence = append(g.cite(3), f.Evidence...)
		}
		f.Chain = append(f.Chain, "<- "+v.Why+": a proxy, firewall or security product decrypts the connection, and Windows Update pins Microsoft's certificates")
		f.Remediation = []Step{
			{Kind: Fix, Text: "Exempt the Windows Update hosts from TLS inspection in the proxy/firewall/antivirus: *.update.microsoft.com, *.windowsupdate.com, *.delivery.mp.microsoft.com, *.prod.do.dsp.mp.microsoft.com, ctldl.windowsupdate.com."},
			{Kind: Verify, Shell: "powershell", Text: "From the machine, check that the certificate now comes from Microsoft, then retry Windows Update.",
				Commands: []string{
					`$r = [Net.HttpWebRequest]::Create('https://slscr.update.microsoft.com/'); try { $r.GetResponse().Dispose() } catch {}; $r.ServicePoint.Certificate.Issuer`,
					`UsoClient StartScan`,
				}},
		}
		p.Report(f)
		return v, nil
	},
}

func issuedByTrusted(issuer string) bool {
	for _, t := range trustedIssuers {
		if strings.Contains(issuer, t) {
			return true
		}
	}
	return false
}

// endpointHost returns the lower-cased host of "host:port".
func endpointHost(ep string) string {
	h := ep
	if strings.Contains(h, "://") {
		h = string(hostOf([]byte(h)))
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	return strings.ToLower(h)
}

// TLS protocol bits of WinHTTP DefaultSecureProtocols.
const (
	winHTTPTLS12 = 0x800
	winHTTPTLS13 = 0x2000
)

// TLS12Disabled is WU1021.
var TLS12Disabled = &Rule{
	ID:    "WU1021",
	Name:  "tls12-disabled",
	Title: "TLS 1.2 is disabled for the client",
	Doc: `Windows Update endpoints require TLS 1.2 (or 1.3). Reads the
SCHANNEL client settings (…\SCHANNEL\Protocols\TLS 1.2\Client: Enabled=0
disables it, DisabledByDefault=1 leaves it off for applications that do
not ask for it) and WinHTTP's DefaultSecureProtocols (0x800 = TLS 1.2,
0x2000 = TLS 1.3; a value without either leaves WinHTTP without a usable
protocol), in the native and the WOW6432Node key. Hardening scripts and
old images (Windows 7/2008 R2 without KB3140245) get this wrong. Confirmed
by the registry; an error with TLS or connection failures in the log.`,
	Facts: []string{RegTLS12Enabled, RegTLS12DisabledByDefault, RegTLS13Enabled, RegWinHTTPProtocols, RegWinHTTPProtocolsWow64},
	Run: func(p *Pass) (any, error) {
		v := Verdict{Cause: "TLS 1.2 disabled", Needs: "the SCHANNEL TLS 1.2 Client values and WinHTTP DefaultSecureProtocols"}
		if !p.HasFacts() {
			return v, nil
		}
		en, stEn, cEn := p.dword(RegTLS12Enabled)
		dbd, stDbd, cDbd := p.dword(RegTLS12DisabledByDefault)
		en13, stEn13, cEn13 := p.dword(RegTLS13Enabled)
		if stEn == regUnknown && stDbd == regUnknown {
			if _, st, _ := p.dword(RegWinHTTPProtocols); st == regUnknown {
				return v, nil
			}
		}
		tls13On := stEn13 == regPresent && en13 != 0
		var links []string
		var ev []Citation
		if stEn == regPresent && en == 0 {
			links = append(links, `SCHANNEL "TLS 1.2\Client" Enabled=0: TLS 1.2 is disabled for every client`)
			ev = append(ev, cEn)
		}
		if stDbd == regPresent && dbd != 0 {
			links = append(links, `SCHANNEL "TLS 1.2\Client" DisabledByDefault=1: TLS 1.2 is off unless an application asks for it`)
			ev = append(ev, cDbd)
		}
		for _, path := range []string{RegWinHTTPProtocols, RegWinHTTPProtocolsWow64} {
			if d, st, c := p.dword(path); st == regPresent && d&(winHTTPTLS12|winHTTPTLS13) == 0 {
				links = append(links, fmt.Sprintf("WinHTTP DefaultSecureProtocols=0x%X has neither TLS 1.2 (0x800) nor TLS 1.3 (0x2000)", d))
				ev = append(ev, c)
			}
		}
		if len(links) == 0 {
			v.State, v.Why = CauseRuledOut, "TLS 1.2 is not disabled in SCHANNEL or WinHTTP"
			return v, nil
		}
		v.State, v.Why = CauseConfirmed, strings.Join(links, "; ")
		f := Finding{Severity: Warning, Confidence: Confirmed, RootCause: true, Evidence: ev,
			Title: "TLS 1.2 is disabled for the client: " + links[0]}
		if tls13On {
			f.Evidence = append(f.Evidence, cEn13)
			f.Chain = append(f.Chain, "(TLS 1.3 is enabled, which only helps with endpoints and Windows versions that support it)")
		}
		syms := append(tlsSymptom(p.Evidence), p.Evidence.ChainsFor(0x80072EFE, 0x80072F7D)...)
		if g := group(syms); g.count > 0 {
			f.Severity = Error
			f.Chain = append([]string{g.describe(), "<- the client offers no protocol the server accepts, so the handshake fails"}, f.Chain...)
			f.Evidence = append(g.cite(3), f.Evidence...)
			f.Explains = []string{"WU1000", "WU2008"}
		}
		for _, l := range links {
			f.Chain = append(f.Chain, "<- "+l)
		}
		f.Remediation = []Step{
			{Kind: Fix, Shell: "cmd", Text: "Enable TLS 1.2 for SCHANNEL clients and in WinHTTP's defaults, then restart the machine.",
				Commands: []string{
					`reg add "` + KeySchannelTLS12 + `" /v Enabled /t REG_DWORD /d 1 /f`,
					`reg add "` + KeySchannelTLS12 + `" /v DisabledByDefault /t REG_DWORD /d 0 /f`,
					`reg add "` + KeyWinHTTP + `" /v DefaultSecureProtocols /t REG_DWORD /d 0x2A00 /f`,
					`reg add "` + KeyWinHTTPWow64 + `" /v DefaultSecureProtocols /t REG_DWORD /d 0x2A00 /f`,
					`shutdown /r /t 0`,
				},
				Risk: "If a hardening baseline set these values, change the baseline too or it will set them again. 0x2A00 enables TLS 1.1, 1.2 and 1.3 in WinHTTP; use 0x2800 for 1.2 and 1.3 only. Windows 7 / Server 2008 R2 also need KB3140245."},
			{Kind: Verify, Shell: "cmd", Text: "Check the values, then retry Windows Update.",
				Commands: []string{`reg query "` + KeySchannelTLS12 + `"`, `reg query "` + KeyWinHTTP + `" /v DefaultSecureProtocols`, `UsoClient StartScan`}},
		}
		p.Report(f)
		return v, nil
	},
}

// ChainFailure is WU1022.
var ChainFailure = &Rule{
	ID:    "WU1022",
	Name:  "endpoint-chain-failure",
	Title: "The certificate chain of a Windows Update endpoint fails validation",
	Doc: `Reads the certificate chains that Windows built for the Windows
Update endpoints (and the WSUS server): dwErrorStatus bits and the
CertVerifyCertificateChainPolicy(SSL) error, named with the chainstatus
package. Revocation offline (CERT_TRUST_IS_OFFLINE_REVOCATION,
0x80092013) points at unreachable CRL/OCSP servers (crl.microsoft.com,
oneocsp.microsoft.com, www.microsoft.com/pkiops over port 80 through the
SYSTEM proxy) or a stale disallowed CTL (WU1001); an untrusted root at
missing roots or TLS inspection (WU1020); not time valid at the clock
(WU1010). Confirmed by the chain; an error. Chains that could not be
fetched (connect errors) are left to the network rules.`,
	Facts: []string{"chains"},
	Run: func(p *Pass) (any, error) {
		v := Verdict{Cause: "certificate chain of the endpoint fails validation", Needs: "the certificate chains built for the Windows Update endpoints"}
		if !p.HasFacts() {
			return v, nil
		}
		wsus := ""
		if s, st, _ := p.str(RegWUServer); st == regPresent {
			wsus = endpointHost(s)
		}
		checked := 0
		var bad []Chain
		var cites []Citation
		for _, c := range p.Facts.Chains {
			if !c.Known || c.Value.ConnectError != "" {
				continue
			}
			host := endpointHost(c.Value.Endpoint)
			if !isWUHost(host) && host != wsus {
				continue
			}
			checked++
			if c.Value.ErrorStatus == 0 && c.Value.PolicyError == 0 {
				continue
			}
			bad = append(bad, c.Value)
			s := chainstatus.Summarize(c.Value.ErrorStatus, c.Value.PolicyError)
			cites = append(cites, p.cite("chain "+c.Value.Endpoint, c.Source, c.ReadAt,
				fmt.Sprintf("error status 0x%08X %s; policy %s: %s", c.Value.ErrorStatus, s.ErrorStatus, s.Policy, s.Explanation)))
		}
		if checked == 0 {
			return v, nil
		}
		if len(bad) == 0 {
			v.State, v.Why = CauseRuledOut, "the chains built for the endpoints validate"
			return v, nil
		}
		s := chainstatus.Summarize(bad[0].ErrorStatus, bad[0].PolicyError)
		v.State = CauseConfirmed
		v.Why = fmt.Sprintf("the chain of %s fails: %s", bad[0].Endpoint, s.Explanation)
		f := Finding{Severity: Error, Confidence: Confirmed, RootCause: true, Evidence: cites, Explains: []string{"WU1000"},
			Title: fmt.Sprintf("Certificate chain of %s fails validation: %s (%s)", bad[0].Endpoint, s.Explanation, s.Policy)}
		if g := group(tlsSymptom(p.Evidence)); g.count > 0 {
			f.Chain = append(f.Chain, g.describe())
			f.Evidence = append(g.cite(3), f.Evidence...)
		}
		f.Chain = append(f.Chain, "<- "+v.Why)
		switch s.Class {
		case chainstatus.ClassRevocationOffline, chainstatus.ClassRevocationUnknown:
			f.Chain = append(f.Chain, "<- the CRL/OCSP servers are unreachable for SYSTEM, or the disallowed CTL is stale (WU1001)")
			f.Confirm = []string{"DisallowedCertLastSyncTime (WU1001)", "access to crl.microsoft.com, oneocsp.microsoft.com and www.microsoft.com/pkiops on port 80 through the WinHTTP proxy"}
			f.Remediation = []Step{
				{Kind: Fix, Text: "Allow HTTP (port 80) from the machine account to the revocation servers: crl.microsoft.com, oneocsp.microsoft.com, ocsp.msocsp.com, www.microsoft.com/pkiops, and ctldl.windowsupdate.com; if a proxy is required, set it for WinHTTP (netsh winhttp set proxy) without authentication for these URLs."},
				{Kind: Verify, Shell: "cmd", Text: "Clear the URL cache and check that the revocation URLs are fetched (\"Verified\" lines), then retry Windows Update.",
					Commands: []string{`certutil -urlcache * delete`, `netsh winhttp show proxy`, `UsoClient StartScan`}},
			}
		case chainstatus.ClassUntrustedRoot, chainstatus.ClassPartialChain:
			f.Chain = append(f.Chain, "<- the root is missing from the machine's Trusted Root store (stripped image, stale CTL) or the connection is intercepted (WU1020)")
			f.Remediation = []Step{
				{Kind: Fix, Shell: "cmd", Text: "Refresh the trusted roots from Windows Update (needs ctldl.windowsupdate.com), or import the missing Microsoft root.",
					Commands: []string{`certutil -generateSSTFromWU %TEMP%\roots.sst`, `powershell -Command "Import-Certificate -FilePath $env:TEMP\roots.sst -CertStoreLocation Cert:\LocalMachine\Root"`}},
				{Kind: Verify, Shell: "cmd", Text: "Retry Windows Update.", Commands: []string{`UsoClient StartScan`}},
			}
		case chainstatus.ClassTime:
			f.Chain = append(f.Chain, "<- the machine's clock is wrong (WU1010) or a certificate expired")
			f.Remediation = []Step{{Kind: Fix, Shell: "cmd", Text: "Correct the clock.", Commands: []string{`w32tm /resync /force`}}}
		default:
			f.Remediation = []Step{{Kind: Investigate, Text: "Export the endpoint's certificate and run certutil -verify -urlfetch on it to see which check fails."}}
		}
		p.Report(f)
		return v, nil
	},
}

// WSUSHTTPSChain is WU1050.
var WSUSHTTPSChain = &Rule{
	ID:    "WU1050",
	Name:  "wsus-https-chain",
	Title: "WSUS over HTTPS: the WSUS server's certificate is not accepted",
	Doc: `When the WUServer policy (or the log's "WSUS server:" line) names an
https:// URL, the client checks the WSUS server's certificate against the
machine's roots and the internal CA's CRL. Confirmed by the chain fact of
the WSUS host (untrusted internal root, name mismatch, expired, CRL of
the internal CA offline); suspected from TLS failures to the WSUS host in
the log. An error.`,
	Evidence: []string{"\"WSUS server:\" line", "TLS failure chains to the WSUS host"},
	Facts:    []string{RegWUServer, "chains"},
	Run: func(p *Pass) (any, error) {
		v := Verdict{Cause: "WSUS server certificate not accepted", Needs: "the WUServer policy and the chain of the WSUS host"}
		url := p.Evidence.Server.WSUS
		if p.HasFacts() {
			if s, st, _ := p.str(RegWUServer); st == regPresent && s != "" {
				url = s
			}
		}
		if url == "" {
			if p.HasFacts() {
				if _, st, _ := p.str(RegWUServer); st == regAbsent {
					v.State, v.Why = CauseRuledOut, "no WSUS server is configured"
				}
			}
			return v, nil
		}
		if !strings.HasPrefix(strings.ToLower(url), "https://") {
			v.State, v.Why = CauseRuledOut, "the WSUS server is reached over plain HTTP ("+url+")"
			return v, nil
		}
		host := endpointHost(url)
		f := Finding{Severity: Error, RootCause: true, Explains: []string{"WU1000", "WU1022"}}
		var logChains []*FailureChain
		for _, c := range tlsSymptom(p.Evidence) {
			if c.Endpoint == host {
				logChains = append(logChains, c)
			}
		}
		if g := group(logChains); g.count > 0 {
			f.Chain = append(f.Chain, g.describe())
			f.Evidence = append(f.Evidence, g.cite(3)...)
		}
		var chainFact *Fact[Chain]
		if p.HasFacts() {
			for i := range p.Facts.Chains {
				c := &p.Facts.Chains[i]
				if c.Known && endpointHost(c.Value.Endpoint) == host && c.Value.ConnectError == "" {
					chainFact = c
				}
			}
		}
		switch {
		case chainFact != nil && (chainFact.Value.ErrorStatus != 0 || chainFact.Value.PolicyError != 0):
			s := chainstatus.Summarize(chainFact.Value.ErrorStatus, chainFact.Value.PolicyError)
			f.Confidence = Confirmed
			v.State, v.Why = CauseConfirmed, fmt.Sprintf("the WSUS server %s presents a certificate that fails: %s (%s)", host, s.Explanation, s.Policy)
			f.Evidence = append(f.Evidence, p.cite("chain "+chainFact.Value.Endpoint, chainFact.Source, chainFact.ReadAt,
				fmt.Sprintf("error status %s; policy %s", s.ErrorStatus, s.Policy)))
		case chainFact != nil:
			v.State, v.Why = CauseRuledOut, "the WSUS server's chain validates"
			return v, nil
		case len(logChains) > 0:
			f.Confidence = Suspected
			v.State, v.Why = CauseSuspected, "TLS failures to the WSUS server "+host+" over HTTPS"
			f.Confirm = []string{"the certificate chain built for " + host + " (trust, name, validity, CRL of the internal CA)"}
		default:
			return v, nil
		}
		f.Title = "WSUS over HTTPS: " + v.Why
		f.Chain = append(f.Chain, "<- "+v.Why)
		f.Remediation = []Step{
			{Kind: Investigate, Shell: "powershell", Text: "Fetch the WSUS server's certificate and let Windows verify it, CRLs included (look for \"Verified\" / \"Error retrieving URL\").",
				Commands: []string{
					fmt.Sprintf(`$h = '%s'; $port = %s`, host, portOf(url, "8531")),
					`$tcp = New-Object Net.Sockets.TcpClient($h, $port); $ssl = New-Object Net.Security.SslStream($tcp.GetStream(), $false, {$true}); $ssl.AuthenticateAsClient($h)`,
					`[IO.File]::WriteAllBytes("$env:TEMP\wsus.cer", $ssl.RemoteCertificate.Export('Cert')); $ssl.Dispose(); $tcp.Dispose()`,
					`certutil -verify -urlfetch "$env:TEMP\wsus.cer"`,
				}},
			{Kind: Fix, Text: "Make the WSUS certificate acceptable: issue it for the exact host name in WUServer, deploy the internal root CA to the clients' Trusted Root store by GPO, keep the internal CA's CRL published and reachable over HTTP, renew it before it expires."},
			{Kind: Verify, Shell: "cmd", Text: "Retry the scan against WSUS.", Commands: []string{`UsoClient StartScan`}},
		}
		p.Report(f)
		return v, nil
	},
}

// portOf returns the port of a URL, or def.
func portOf(url, def string) string {
	rest := url
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		return rest[i+1:]
	}
	return def
}
