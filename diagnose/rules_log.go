package diagnose

import (
	"fmt"
	"strings"
)

// family describes a log-only rule for a family of failure codes.
type family struct {
	codes []uint32
	// kinds are the operations whose later success shows the failure did
	// not persist.
	kinds []OpKind
	// ignore drops chains that are not the failure the rule is about
	// (status polls, benign callers); nil keeps all.
	ignore func(c *FailureChain) bool
	// benign, when not nil and true for every remaining chain, makes the
	// finding information with the given explanation.
	benign    func(c *FailureChain) bool
	benignWhy string
	title     string
	// cause explains the code family in the causal chain; byCode
	// refines it per code.
	cause  string
	byCode map[uint32]string
	// facts that would confirm the cause.
	confirm     []string
	remediation []Step
}

// run reports the family's finding.
func (fm family) run(p *Pass) (any, error) {
	var chains []*FailureChain
	for _, c := range p.Evidence.ChainsFor(fm.codes...) {
		if fm.ignore == nil || !fm.ignore(c) {
			chains = append(chains, c)
		}
	}
	if len(chains) == 0 {
		return nil, nil
	}
	g := group(chains)
	sev, why := persistence(p.Evidence, g, fm.kinds...)
	f := Finding{Severity: sev, Confidence: Suspected, RootCause: true,
		Title: fmt.Sprintf("%s: %s%s", fm.title, g.codesLabel(), g.where())}
	f.Chain = []string{g.describe()}
	for _, code := range g.codes {
		if s, ok := fm.byCode[code]; ok {
			f.Chain = append(f.Chain, "<- "+CodeLabel(code)+": "+s)
		}
	}
	if fm.cause != "" {
		f.Chain = append(f.Chain, "<- "+fm.cause)
	}
	if fm.benign != nil {
		all := true
		for _, c := range chains {
			if !fm.benign(c) {
				all = false
			}
		}
		if all {
			sev, why = Info, fm.benignWhy
			f.Severity, f.RootCause = Info, false
		}
	}
	if sev == Info {
		f.Title += " (transient)"
		f.RootCause = false
	}
	f.Chain = append(f.Chain, "("+why+")")
	f.Evidence = g.cite(4)
	if o := lastFailureOf(p.Evidence, fm.kinds, fm.codes); o != nil {
		f.Evidence = append(f.Evidence, o.Line.Cite())
	}
	f.Confirm = fm.confirm
	f.Remediation = fm.remediation
	p.Report(f)
	return nil, nil
}

// lastFailureOf returns the last failed outcome of kinds whose code is
// one of codes.
func lastFailureOf(ev *Evidence, kinds []OpKind, codes []uint32) *Outcome {
	var out *Outcome
	for _, k := range kinds {
		if o := ev.Ops[k].LastFailure; o != nil && containsCode(codes, o.Code) {
			if out == nil || o.Line.Time.After(out.Line.Time) {
				out = o
			}
		}
	}
	return out
}

var (
	stepRetry = Step{Kind: Verify, Shell: "cmd", Text: "Retry Windows Update and check the new log for the code.",
		Commands: []string{`UsoClient StartScan`, `powershell -Command "Get-WindowsUpdateLog -LogPath $env:TEMP\WindowsUpdate.log"`}}
	stepResetStore = Step{Kind: Alternative, Shell: "cmd",
		Text: "Reset the Windows Update data store and download cache.",
		Commands: []string{
			`net stop wuauserv && net stop bits && net stop cryptsvc`,
			`ren %SystemRoot%\SoftwareDistribution SoftwareDistribution.old`,
			`ren %SystemRoot%\System32\catroot2 catroot2.old`,
			`net start cryptsvc && net start bits && net start wuauserv`,
		},
		Risk: "Empties the update history shown in Settings and discards downloaded updates (they are downloaded again); pending installs are lost. Keep the .old folders until updates work again."}
)

func familyRule(id, name, title, doc string, fm family) *Rule {
	return &Rule{ID: id, Name: name, Title: title, Doc: doc,
		Evidence: []string{"failure chains with the codes", "scan/download/install outcomes"},
		Run:      fm.run}
}

// NameNotResolved is WU2001.
var NameNotResolved = familyRule("WU2001", "name-not-resolved",
	"Update server name not resolved (0x8024402C, 0x80072EE7)",
	`Log-only. 0x8024402C WU_E_PT_WINHTTP_NAME_NOT_RESOLVED and 0x80072EE7
ERROR_WINHTTP_NAME_NOT_RESOLVED: WinHTTP could not resolve the name of the
update server or of the proxy it was told to use. Causes: no network or
DNS, a DNS filter or hosts-file entry, a mistyped WSUS server name, a
WinHTTP proxy whose name does not resolve. Graded by persistence: an
error when the last scan or download failed, information when a later one
succeeded.`,
	family{codes: []uint32{0x8024402C, 0x80072EE7}, kinds: []OpKind{Scan, Download},
		title:   "Update server name not resolved",
		cause:   "the host name of the update server (or of the WinHTTP proxy) does not resolve: no network or DNS, a DNS filter or hosts-file entry, a wrong WSUS server name, or a proxy name that does not resolve",
		confirm: []string{"the WinHTTP proxy settings (WinHttpSettings)", "the hosts file", "DNS resolution of the endpoint from the machine"},
		remediation: []Step{
			{Kind: Investigate, Shell: "powershell", Text: "Resolve the endpoint and the proxy the way the machine does.",
				Commands: []string{`netsh winhttp show proxy`, `Resolve-DnsName fe2cr.update.microsoft.com`, `Resolve-DnsName slscr.update.microsoft.com`, `Get-DnsClientServerAddress -AddressFamily IPv4`}},
			{Kind: Fix, Text: "Fix the name resolution that fails: the DNS servers of the network adapter, the WSUS server name in the WUServer policy, the WinHTTP proxy name, or the hosts-file/DNS-filter entry for the endpoint."},
			stepRetry,
		}})

// WSUSHTTPError is WU2002.
var WSUSHTTPError = familyRule("WU2002", "wsus-http-error",
	"The update server answers with an HTTP error (0x80244019, 0x8024401C and relatives)",
	`Log-only. WU_E_PT_HTTP_STATUS_* codes: 0x80244019 (404 not found),
0x8024401C (408 request timeout), 0x80244018 (403), 0x8024401B (407 proxy
authentication required), 0x8024401F (500), 0x80244021 (502 bad gateway),
0x80244022 (503 service unavailable). With WSUS they point at the server:
a missing IIS virtual directory or content (404), an overloaded or
stopped WsusPool application pool (408, 503, 500); 407 and 502 point at a
proxy. Graded by persistence.`,
	family{codes: []uint32{0x80244019, 0x8024401C, 0x80244018, 0x8024401B, 0x8024401F, 0x80244021, 0x80244022}, kinds: []OpKind{Scan, Download},
		title: "The update server answers with an HTTP error",
		byCode: map[uint32]string{
			0x80244019: "HTTP 404: the server does not have the file or service asked for (WSUS: missing Content/SelfUpdate/ClientWebService virtual directory, content not downloaded, wrong port)",
			0x8024401C: "HTTP 408: the server timed out (WSUS: WsusPool overloaded or recycling)",
			0x80244018: "HTTP 403: the server or a proxy refuses the request",
			0x8024401B: "HTTP 407: a proxy wants authentication that SYSTEM cannot give",
			0x8024401F: "HTTP 500: server error (WSUS: database or application pool failure)",
			0x80244021: "HTTP 502: a proxy or gateway could not reach the server",
			0x80244022: "HTTP 503: service unavailable (WSUS: WsusPool stopped, often after hitting its private memory limit)",
		},
		confirm: []string{"the WSUS server's IIS logs and the state of its WsusPool application pool", "the WinHTTP proxy settings"},
		remediation: []Step{
			{Kind: Investigate, Shell: "powershell", Text: "On the WSUS server: check and start the WsusPool application pool, and lift its private memory limit that makes it stop under load.",
				Commands: []string{
					`Import-Module WebAdministration`,
					`Get-WebAppPoolState -Name WsusPool`,
					`Start-WebAppPool -Name WsusPool`,
					`Set-ItemProperty IIS:\AppPools\WsusPool -Name recycling.periodicRestart.privateMemory -Value 0`,
				}},
			{Kind: Investigate, Shell: "powershell", Text: "From the client: fetch the WSUS self-update file (expect HTTP 200).",
				Commands: []string{`Invoke-WebRequest -UseBasicParsing http://WSUSSERVER:8530/selfupdate/wuident.cab -Method Head`}},
			stepRetry,
		}})

// AccessDenied is WU2003.
var AccessDenied = familyRule("WU2003", "access-denied",
	"Access denied (0x80070005)",
	`Log-only. 0x80070005 E_ACCESSDENIED: a Windows Update component could
not open a file, registry key or service: changed permissions on
C:\Windows\SoftwareDistribution or catroot2, a security product, or a
caller without rights. Occurrences that are only the Automatic Updates
"UpdateNow for accelerated install" call (refused because AU is not
configured for automatic download) are information, not a permission
problem. Otherwise graded by persistence over scans, downloads and
installs.`,
	family{codes: []uint32{0x80070005}, kinds: []OpKind{Scan, Download, Install},
		title: "Access denied",
		cause: "a Windows Update component could not open a file, registry key or service: permissions on C:\\Windows\\SoftwareDistribution or System32\\catroot2 changed, a security product blocks it, or the caller lacks rights",
		benign: func(c *FailureChain) bool {
			return c.OnlyOps(func(op string) bool { return strings.Contains(op, "UpdateNow for accelerated install") })
		},
		benignWhy: "only the Automatic Updates UpdateNow call was refused, because AU is not configured to download automatically: a policy choice, not a permission problem",
		confirm:   []string{"the permissions of C:\\Windows\\SoftwareDistribution and C:\\Windows\\System32\\catroot2", "security product logs", "CBS.log for the failing component"},
		remediation: []Step{
			{Kind: Investigate, Shell: "cmd", Text: "Check the permissions of the folders Windows Update writes to (SYSTEM and TrustedInstaller need full control).",
				Commands: []string{`icacls %SystemRoot%\SoftwareDistribution`, `icacls %SystemRoot%\System32\catroot2`}},
			{Kind: Fix, Shell: "cmd", Text: "Repair system files and the component store.",
				Commands: []string{`DISM /Online /Cleanup-Image /RestoreHealth`, `sfc /scannow`}},
			stepResetStore,
			stepRetry,
		}})

// DownloadError is WU2004.
var DownloadError = familyRule("WU2004", "download-error",
	"Updates fail to download (0x80246007, 0x80246008)",
	`Log-only. 0x80246007 WU_E_DM_NOTDOWNLOADED (the update has not been
downloaded) and 0x80246008 WU_E_DM_BITSTRANSFERERROR (BITS failed to
transfer the file). Management agents (ConfigMgr's CcmExec) poll
"ISusInternal:: IsCommitRequired" for updates that are not downloaded
yet and get 0x80246007 by the thousand: those polls are status answers,
not failures, and are ignored. What remains is graded by persistence over
downloads: information when a later download succeeded.`,
	family{codes: []uint32{0x80246007, 0x80246008}, kinds: []OpKind{Download},
		title: "Updates fail to download",
		ignore: func(c *FailureChain) bool {
			return c.OnlyOps(func(op string) bool { return strings.Contains(op, "IsCommitRequired") })
		},
		byCode: map[uint32]string{
			0x80246007: "the update's files are not (completely) downloaded",
			0x80246008: "BITS failed to transfer the file: BITS service, proxy, or disk",
		},
		cause:   "downloads do not complete: the BITS or Delivery Optimization service, the proxy, the download cache, or free disk space",
		confirm: []string{"the state of the BITS and DoSvc services", "free space on the system drive", "the WinHTTP proxy settings"},
		remediation: []Step{
			{Kind: Investigate, Shell: "powershell", Text: "Check the download services and free space.",
				Commands: []string{`Get-Service BITS, DoSvc, wuauserv | Format-Table Name, Status, StartType`, `Get-PSDrive C`, `Get-BitsTransfer -AllUsers`}},
			{Kind: Fix, Shell: "cmd", Text: "Clear the download cache so that the files are fetched again.",
				Commands: []string{`net stop wuauserv && net stop bits`, `rd /s /q %SystemRoot%\SoftwareDistribution\Download`, `net start bits && net start wuauserv`},
				Risk:     "Downloaded but not installed updates are downloaded again."},
			stepRetry,
		}})

// CallCancelled is WU2005.
var CallCancelled = familyRule("WU2005", "call-cancelled",
	"Windows Update operations are cancelled (0x8024000B)",
	`Log-only. 0x8024000B WU_E_CALL_CANCELLED: the operation was cancelled
by its caller, by a newer request, by a service shutdown or by a
management agent. A single cancellation followed by a successful scan is
normal (information); scans that end cancelled every time point at a
management agent or a damaged data store.`,
	family{codes: []uint32{0x8024000B}, kinds: []OpKind{Scan},
		title:   "Windows Update operations are cancelled",
		cause:   "the operation was cancelled by its caller, a newer request, a service shutdown or a management agent; when every scan ends so, a damaged data store or an agent that cancels scans",
		confirm: []string{"which caller starts and cancels the scans (the CallerId of the scan lines)", "whether scans succeed after resetting the data store"},
		remediation: []Step{
			{Kind: Investigate, Text: "Look at the CallerId of the cancelled scans in the log: a management agent (CcmExec, a third-party patch tool) that times out and cancels is the usual suspect."},
			stepResetStore,
			stepRetry,
		}})

// EndpointUnreachable is WU2006.
var EndpointUnreachable = familyRule("WU2006", "endpoint-unreachable",
	"The Windows Update web service is unreachable (0x80240438)",
	`Log-only. 0x80240438 WU_E_PT_ENDPOINT_UNREACHABLE: there is no route
or network connectivity to the update service's endpoint. The log
usually says why next to it ("WS error: The given proxy cannot be
reached", "failed due to proxy or proxy authentication error": see
WU1030). Graded by persistence over scans and downloads.`,
	family{codes: []uint32{0x80240438}, kinds: []OpKind{Scan, Download},
		title:   "The Windows Update web service is unreachable",
		cause:   "no route or connectivity to the service endpoint: network down, firewall, or a proxy that cannot be reached or wants authentication",
		confirm: []string{"the WinHTTP proxy settings (WinHttpSettings)", "a request to https://fe2cr.update.microsoft.com from the machine as SYSTEM"},
		remediation: []Step{
			{Kind: Investigate, Shell: "powershell", Text: "Test the connection to the endpoint and see which proxy SYSTEM uses.",
				Commands: []string{`netsh winhttp show proxy`, `Test-NetConnection fe2cr.update.microsoft.com -Port 443`}},
			{Kind: Fix, Text: "Open outbound HTTPS (443) and HTTP (80) to the Windows Update endpoints, or set a working WinHTTP proxy (netsh winhttp set proxy)."},
			stepRetry,
		}})

// ServicingError is WU2007.
var ServicingError = familyRule("WU2007", "servicing-error",
	"Update installation fails in servicing (0x800F081F, 0x800F0922)",
	`Log-only. 0x800F081F CBS_E_SOURCE_MISSING: the component store lacks
the files needed (corruption, or a feature such as .NET 3.5 with no
source). 0x800F0922 CBS_E_INSTALLERS_FAILED: an installer failed during
servicing (too small System Reserved/EFI partition, an outdated servicing
stack, a VPN or security product, .NET 3.5). Graded by persistence over
installs. CBS.log has the detail.`,
	family{codes: []uint32{0x800F081F, 0x800F0922}, kinds: []OpKind{Install},
		title: "Update installation fails in servicing",
		byCode: map[uint32]string{
			0x800F081F: "the component store lacks the source files it needs (corruption, or a feature such as .NET 3.5 without source)",
			0x800F0922: "an installer failed during servicing (small System Reserved/EFI partition, outdated servicing stack, VPN or security product)",
		},
		confirm: []string{"%SystemRoot%\\Logs\\CBS\\CBS.log around the failure", "free space on the System Reserved/EFI partition"},
		remediation: []Step{
			{Kind: Fix, Shell: "cmd", Text: "Repair the component store, then the system files.",
				Commands: []string{`DISM /Online /Cleanup-Image /RestoreHealth`, `sfc /scannow`}},
			{Kind: Alternative, Shell: "cmd", Text: "If DISM cannot find the source, point it at installation media of the same build.",
				Commands: []string{`DISM /Online /Cleanup-Image /RestoreHealth /Source:wim:D:\sources\install.wim:1 /LimitAccess`}},
			{Kind: Investigate, Shell: "powershell", Text: "For 0x800F0922 check the free space of the system partitions and the CBS log.",
				Commands: []string{`Get-Volume | Format-Table DriveLetter, FileSystemLabel, SizeRemaining, Size`, `Select-String -Path $env:SystemRoot\Logs\CBS\CBS.log -Pattern '0x800f0922|0x800f081f' | Select-Object -Last 20`}},
			stepRetry,
		}})

// ConnectionFailure is WU2008.
var ConnectionFailure = familyRule("WU2008", "connection-failure",
	"Connections to the update server fail (0x80072EFD, 0x80072EE2, 0x80072EFE)",
	`Log-only. 0x80072EFD ERROR_WINHTTP_CANNOT_CONNECT, 0x80072EE2
ERROR_WINHTTP_TIMEOUT and 0x80072EFE ERROR_WINHTTP_CONNECTION_ERROR: the
TCP connection to the update server (Microsoft or WSUS) could not be
made, timed out or was dropped: firewall, unreachable WSUS server, proxy,
or on old clients a TLS protocol mismatch (0x80072EFE against TLS
1.2-only endpoints). Graded by persistence over scans and downloads.`,
	family{codes: []uint32{0x80072EFD, 0x80072EE2, 0x80072EFE}, kinds: []OpKind{Scan, Download},
		title: "Connections to the update server fail",
		byCode: map[uint32]string{
			0x80072EFD: "the connection could not be made (server down or unreachable, firewall, proxy)",
			0x80072EE2: "the connection timed out (server overloaded or unreachable, proxy)",
			0x80072EFE: "the connection was dropped (proxy or firewall resetting it, or a TLS protocol the server no longer accepts on old clients)",
		},
		confirm: []string{"the WinHTTP proxy settings (WinHttpSettings)", "the firewall path from the machine to the endpoint", "SCHANNEL TLS 1.2 settings on old Windows versions"},
		remediation: []Step{
			{Kind: Investigate, Shell: "powershell", Text: "Test the TCP connection to the endpoint and see which proxy SYSTEM uses.",
				Commands: []string{`netsh winhttp show proxy`, `Test-NetConnection fe2cr.update.microsoft.com -Port 443`}},
			{Kind: Fix, Text: "Make the server reachable: open the firewall path (80/443 to Microsoft, 8530/8531 to WSUS), fix or set the WinHTTP proxy, start the WSUS server; on Windows 7/2008 R2 enable TLS 1.2 (KB3140245)."},
			stepRetry,
		}})
