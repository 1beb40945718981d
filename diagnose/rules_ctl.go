package diagnose

import (
	"fmt"
	"strings"
	"time"

	"github.com/wulog/wulog/diagnose/secdesc"
)

// Staleness thresholds of the certificate trust list (CTL) updater, which
// runs in CryptSvc: it refreshes the disallowed CTL every day and the
// trusted root CTL every 7 days, and records each success in
// DisallowedCertLastSyncTime and LastSyncTime. A value older than twice
// the schedule (disallowed) or the schedule plus two days (trusted) means
// the updater is failing, not just late.
const (
	DisallowedStaleAfter = 48 * time.Hour
	TrustedStaleAfter    = 9 * 24 * time.Hour
	// MinUptimeForStale: right after a boot the updater may not have run
	// yet; a stale value on a machine up less than this is only suspected.
	MinUptimeForStale = 24 * time.Hour
)

const autoUpdatePS = `HKLM:\SOFTWARE\Microsoft\SystemCertificates\AuthRoot\AutoUpdate`

// Steps shared by the CTL rules.
var (
	stepResync = Step{Kind: Fix, Shell: "powershell",
		Text: "Make CryptSvc download the CTLs again now instead of at its next schedule.",
		Commands: []string{
			`certutil -setreg chain\ChainCacheResyncFiletime @now`,
			`Restart-Service -Name CryptSvc -Force`,
		}}
	stepVerifySync = Step{Kind: Verify, Shell: "powershell",
		Text: "Check that the sync times are now recent (within a day), then retry Windows Update; wulog analyze --live should report no CTL finding.",
		Commands: []string{
			`$k = Get-ItemProperty '` + autoUpdatePS + `'`,
			`[DateTime]::FromFileTimeUtc([BitConverter]::ToInt64($k.DisallowedCertLastSyncTime, 0))`,
			`[DateTime]::FromFileTimeUtc([BitConverter]::ToInt64($k.LastSyncTime, 0))`,
			`certutil -verifyCTL Disallowed`,
			`UsoClient StartScan`,
		}}
	stepInvestigateCTL = Step{Kind: Investigate, Shell: "powershell",
		Text: "Find out why CryptSvc does not store new CTLs: the key's permissions, the policies, and the CAPI2 events of failed downloads.",
		Commands: []string{
			`(Get-Acl '` + autoUpdatePS + `').AreAccessRulesProtected`,
			`Get-Acl '` + autoUpdatePS + `' | Format-List Sddl, AccessToString`,
			`reg query "HKLM\SOFTWARE\Policies\Microsoft\SystemCertificates\AuthRoot"`,
			`Get-WinEvent -FilterHashtable @{LogName='Application'; ProviderName='Microsoft-Windows-CAPI2'; Id=11,4107} -MaxEvents 20 | Format-List TimeCreated, Message`,
		}}
)

// StaleCTLSync is WU1001.
var StaleCTLSync = &Rule{
	ID:    "WU1001",
	Name:  "stale-ctl-sync",
	Title: "Certificate trust lists not refreshed: CTL sync time is stale",
	Doc: `Reads DisallowedCertLastSyncTime and LastSyncTime under
HKLM\SOFTWARE\Microsoft\SystemCertificates\AuthRoot\AutoUpdate and their
HKCU twins (REG_BINARY FILETIME, exactly 8 bytes; the newer of the two
counts, as crypt32 does). CryptSvc refreshes the disallowed CTL daily and
the trusted root CTL weekly, so DisallowedCertLastSyncTime older than 48 h
or LastSyncTime older than 9 days means the updater is failing. Without a
current disallowed CTL, revocation checks end in 0x80092013
CRYPT_E_REVOCATION_OFFLINE and WinHTTP fails the TLS connection to Windows
Update with 0x80072F8F.

Ages are measured at the reference time: the log's last record when a log
is analysed (with 14 h of slack when the log's time zone is unknown), the
current time for live facts, else the time the facts were collected. A
machine up for less than 24 h gets "suspected" only. Malformed values are
WU1004's business; values that are absent from both hives count as never
synced.`,
	Evidence: []string{"TLS failure chains (0x80072F8F) to raise the severity"},
	Facts:    []string{RegDisallowedSync, RegLastSync, RegUserDisallowedSync, RegUserLastSync, "boot time"},
	Run:      runStaleCTLSync,
}

type staleness struct {
	reading   syncReading
	threshold time.Duration
	stale     bool
	never     bool
	age       time.Duration
}

func (p *Pass) staleness(machine, user string, threshold time.Duration) staleness {
	s := staleness{reading: p.syncTime(machine, user), threshold: threshold}
	r := s.reading
	switch {
	case r.present:
		s.age = p.age(r.t)
		s.stale = s.age > threshold+p.NowSlack
	case r.known && len(r.malformed) == 0:
		s.never = true
	}
	return s
}

func (s staleness) link(p *Pass, schedule string) string {
	if s.never {
		return fmt.Sprintf("%s is not set in HKLM or HKCU: the CTL has never been stored on this machine", s.reading.name)
	}
	return fmt.Sprintf("%s %s is %s old %s (the %s; stale after %s)",
		s.reading.name, s.reading.t.UTC().Format("2006-01-02 15:04 UTC"), Age(s.age), p.nowLabel(), schedule, Age(s.threshold))
}

func runStaleCTLSync(p *Pass) (any, error) {
	v := Verdict{Cause: "certificate trust lists not refreshed (stale CTL sync time)",
		Needs: "DisallowedCertLastSyncTime and LastSyncTime (HKLM and HKCU)"}
	if !p.HasFacts() {
		return v, nil
	}
	dis := p.staleness(RegDisallowedSync, RegUserDisallowedSync, DisallowedStaleAfter)
	tru := p.staleness(RegLastSync, RegUserLastSync, TrustedStaleAfter)
	if !dis.reading.known && !tru.reading.known {
		return v, nil
	}
	if !dis.stale && !dis.never && !tru.stale && !tru.never {
		switch {
		case dis.reading.present && dis.age < -time.Hour:
			v.Why = fmt.Sprintf("DisallowedCertLastSyncTime (%s) is after the reference time: the facts were read after the log ended and say nothing about it", dis.reading.t.UTC().Format("2006-01-02 15:04 UTC"))
		case dis.reading.present:
			v.State = CauseRuledOut
			v.Why = fmt.Sprintf("DisallowedCertLastSyncTime is %s old %s", Age(dis.age), p.nowLabel())
		case tru.reading.present:
			v.State = CauseRuledOut
			v.Why = fmt.Sprintf("LastSyncTime is %s old %s", Age(tru.age), p.nowLabel())
		}
		return v, nil
	}
	v.State = CauseConfirmed
	f := Finding{Confidence: Confirmed, RootCause: true, Severity: Warning}
	symptom := group(tlsSymptom(p.Evidence))
	if symptom.count > 0 {
		f.Severity = Error
		f.Chain = append(f.Chain, symptom.describe())
		f.Chain = append(f.Chain, "<- 0x80092013 CRYPT_E_REVOCATION_OFFLINE: the revocation check of the server certificate cannot complete without a current disallowed CTL (crypt32 does not write this code to WindowsUpdate.log)")
		f.Evidence = append(f.Evidence, symptom.cite(3)...)
		f.Explains = []string{"WU1000", "WU1022"}
	}
	var names []string
	for _, s := range []struct {
		st       staleness
		schedule string
	}{{dis, "disallowed CTL is refreshed daily"}, {tru, "trusted root CTL is refreshed weekly"}} {
		if !s.st.stale && !s.st.never {
			continue
		}
		names = append(names, s.st.reading.name)
		f.Chain = append(f.Chain, "<- "+s.st.link(p, s.schedule))
		if s.st.reading.present {
			f.Evidence = append(f.Evidence, s.st.reading.cite)
		}
		f.Evidence = append(f.Evidence, s.st.reading.absent...)
	}
	f.Chain = append(f.Chain, "<- CryptSvc's CTL updater is not storing new CTLs (cause not established by these facts)")
	f.Title = "Certificate trust lists not refreshed: " + strings.Join(names, " and ") + " stale"
	if dis.stale || dis.never {
		v.Why = dis.link(p, "disallowed CTL is refreshed daily")
	} else {
		v.Why = tru.link(p, "trusted root CTL is refreshed weekly")
	}
	if bt := p.Facts.BootTime; bt.Known && !bt.Value.IsZero() && p.Now.Sub(bt.Value) < MinUptimeForStale {
		f.Confidence = Suspected
		v.State = CauseSuspected
		f.Chain = append(f.Chain, fmt.Sprintf("(the machine booted %s before the reference time: the updater may not have run yet)", Age(p.Now.Sub(bt.Value))))
		f.Evidence = append(f.Evidence, p.cite("boot time", bt.Source, bt.ReadAt, bt.Value.UTC().Format(time.RFC3339)))
		f.Confirm = append(f.Confirm, "the sync times again after the machine has been up for a day")
	}
	f.Confirm = append(f.Confirm,
		`the security descriptor of `+KeyAutoUpdate+` (does NT SERVICE\CryptSvc have write access?)`,
		`the policies DisableRootAutoUpdate and EnableDisallowedCertAutoUpdate under `+KeyAuthRootPolicy,
		`whether http://ctldl.windowsupdate.com/ is reachable through the SYSTEM WinHTTP proxy (CAPI2 events 11 and 4107 in the Application log)`)
	f.Remediation = []Step{stepInvestigateCTL, stepResync, stepVerifySync}
	p.Report(f)
	return v, nil
}

// MalformedSyncTime is WU1004.
var MalformedSyncTime = &Rule{
	ID:    "WU1004",
	Name:  "malformed-ctl-sync-time",
	Title: "CTL sync time value is malformed",
	Doc: `crypt32 reads DisallowedCertLastSyncTime and LastSyncTime as a
REG_BINARY of exactly 8 bytes (a FILETIME) and treats any other type or
size as no value at all. A malformed value (written by a script or a
registry cleaner) is reported here, separately from a stale one (WU1001).
The fix deletes the value so that CryptSvc writes a correct one at its
next sync.`,
	Facts: []string{RegDisallowedSync, RegLastSync, RegUserDisallowedSync, RegUserLastSync},
	Run: func(p *Pass) (any, error) {
		if !p.HasFacts() {
			return nil, nil
		}
		for _, pair := range [][2]string{{RegDisallowedSync, RegUserDisallowedSync}, {RegLastSync, RegUserLastSync}} {
			r := p.syncTime(pair[0], pair[1])
			if len(r.malformed) == 0 {
				continue
			}
			f := Finding{Severity: Warning, Confidence: Confirmed, RootCause: true,
				Title: r.name + " is malformed: crypt32 ignores it",
				Chain: []string{
					"the CTL updater cannot tell when it last synced: " + r.name + " is not an 8-byte REG_BINARY FILETIME",
				},
				Evidence: r.malformed,
			}
			if r.present {
				f.Chain = append(f.Chain, "(the other hive's value is well-formed: "+r.t.UTC().Format("2006-01-02 15:04 UTC")+")")
				f.Severity = Info
			}
			var cmds []string
			for _, m := range r.malformed {
				key := m.Fact[:strings.LastIndexByte(m.Fact, '\\')]
				cmds = append(cmds, fmt.Sprintf(`reg delete "%s" /v %s /f`, key, r.name))
			}
			f.Remediation = []Step{
				{Kind: Fix, Shell: "cmd", Text: "Delete the malformed value; CryptSvc writes a correct one at its next sync.", Commands: cmds,
					Risk: "None known: the value only records the last sync time."},
				stepResync, stepVerifySync,
			}
			p.Report(f)
		}
		return nil, nil
	},
}

// keySecurity returns the security descriptor fact of a key.
func (p *Pass) keySecurity(key string) (Fact[[]byte], bool) {
	if p.Facts == nil {
		return Fact[[]byte]{}, false
	}
	if f, ok := p.Facts.KeySecurity[key]; ok {
		return f, true
	}
	for k, f := range p.Facts.KeySecurity {
		if strings.EqualFold(k, key) {
			return f, true
		}
	}
	return Fact[[]byte]{}, false
}

// aclResult is the result of WU1002 for WU1003.
type aclResult struct {
	Verdict
	access secdesc.KeyAccess
	cite   Citation
	// parentGrants is true when the parent key (AuthRoot) grants CryptSvc
	// write access, so that re-enabling inheritance restores it; known
	// says whether the parent's descriptor was read.
	parentGrants, parentKnown bool
	parentCite                Citation
}

// AutoUpdateACL is WU1002.
var AutoUpdateACL = &Rule{
	ID:    "WU1002",
	Name:  "autoupdate-key-acl",
	Title: `CryptSvc cannot write the AuthRoot\AutoUpdate registry key`,
	Doc: `Parses the self-relative security descriptor of
HKLM\SOFTWARE\Microsoft\SystemCertificates\AuthRoot\AutoUpdate and
evaluates its DACL, the way AccessCheck does, for the token of CryptSvc
(NT SERVICE\CryptSvc, S-1-5-80-242729624-280608522-2219052887-3187409060-2225943459,
running as NETWORK SERVICE with the usual service groups). CryptSvc needs
KEY_SET_VALUE and KEY_CREATE_SUB_KEY to store the CTLs and their sync
times. The usual breakage is a DACL whose inheritance was disabled
(SE_DACL_PROTECTED) and that lacks the CryptSvc entry it used to inherit.
The parent key's descriptor (AuthRoot) tells whether re-enabling
inheritance restores the access, or whether an explicit entry is needed.`,
	Facts: []string{"security descriptor of " + KeyAutoUpdate, "security descriptor of " + KeyAuthRoot},
	Run:   runAutoUpdateACL,
}

func runAutoUpdateACL(p *Pass) (any, error) {
	res := aclResult{Verdict: Verdict{Cause: `AutoUpdate key permissions keep CryptSvc from writing`,
		Needs: "the security descriptor of " + KeyAutoUpdate + " (needs an elevated collector)"}}
	fv, ok := p.keySecurity(KeyAutoUpdate)
	if !ok || !fv.Known {
		if ok && fv.Err != "" {
			res.Needs += " (" + fv.Err + ")"
		}
		return res, nil
	}
	sd, err := secdesc.Parse(fv.Value)
	if err != nil {
		res.Why = "the security descriptor could not be parsed: " + err.Error()
		return res, nil
	}
	ka := secdesc.ServiceKeyAccess(sd, "CryptSvc", secdesc.NetworkService)
	res.access = ka
	res.cite = p.cite("security descriptor of "+KeyAutoUpdate, fv.Source, fv.ReadAt, sd.SDDL())
	if ka.CanWrite {
		res.State = CauseRuledOut
		res.Why = `NT SERVICE\CryptSvc may set values and create subkeys in the AutoUpdate key`
		return res, nil
	}
	if pf, ok := p.keySecurity(KeyAuthRoot); ok && pf.Known {
		if psd, err := secdesc.Parse(pf.Value); err == nil {
			res.parentKnown = true
			inh := secdesc.ServiceKeyAccess(inheritedFrom(psd), "CryptSvc", secdesc.NetworkService)
			res.parentGrants = inh.CanWrite
			what := "what a subkey inherits from it does not let CryptSvc write"
			if inh.CanWrite {
				what = "a subkey that inherits from it lets CryptSvc write"
			}
			res.parentCite = p.cite("security descriptor of "+KeyAuthRoot, pf.Source, pf.ReadAt, psd.SDDL()+" ("+what+")")
		}
	}
	res.State = CauseConfirmed
	res.Why = aclLink(ka)
	f := Finding{Severity: Warning, Confidence: Confirmed, RootCause: true,
		Title:       aclTitle(ka),
		Chain:       []string{"CryptSvc cannot store new CTLs or their sync times in " + KeyAutoUpdate, "<- " + aclLink(ka)},
		Evidence:    []Citation{res.cite, {Source: res.cite.Source, Fact: res.cite.Fact, Text: ka.Reason}},
		Remediation: aclRemediation(res),
	}
	if res.parentKnown {
		f.Evidence = append(f.Evidence, res.parentCite)
	}
	if len(tlsSymptom(p.Evidence)) > 0 {
		f.Severity = Error
	}
	p.Report(f)
	return res, nil
}

func aclTitle(ka secdesc.KeyAccess) string {
	if ka.Protected && !ka.ServiceACE {
		return `AuthRoot\AutoUpdate key DACL is protected (inheritance disabled) and has no entry for NT SERVICE\CryptSvc`
	}
	return `NT SERVICE\CryptSvc has no write access to the AuthRoot\AutoUpdate key`
}

func aclLink(ka secdesc.KeyAccess) string {
	s := "the AutoUpdate key's DACL"
	if ka.Protected {
		s += " is protected (inheritance disabled)"
	} else {
		s += " inherits"
	}
	if ka.ServiceACE {
		s += " and has an entry for NT SERVICE\\CryptSvc"
	} else {
		s += " and has no entry for NT SERVICE\\CryptSvc"
	}
	return s + ": " + ka.Reason
}

func aclRemediation(res aclResult) []Step {
	inherit := Step{Kind: Fix, Shell: "powershell",
		Text: "Re-enable inheritance on the AutoUpdate key, keeping its explicit entries, so that CryptSvc gets its access from the parent key again.",
		Commands: []string{
			`$key = '` + autoUpdatePS + `'`,
			`$acl = Get-Acl -Path $key`,
			`$acl.SetAccessRuleProtection($false, $true)`,
			`Set-Acl -Path $key -AclObject $acl`,
		}}
	explicit := Step{Kind: Fix, Shell: "powershell",
		Text: "Give NT SERVICE\\CryptSvc full control of the AutoUpdate key and its subkeys explicitly.",
		Commands: []string{
			`$key = '` + autoUpdatePS + `'`,
			`$acl = Get-Acl -Path $key`,
			`$rule = New-Object System.Security.AccessControl.RegistryAccessRule('NT SERVICE\CryptSvc', 'FullControl', 'ContainerInherit', 'None', 'Allow')`,
			`$acl.AddAccessRule($rule)`,
			`Set-Acl -Path $key -AclObject $acl`,
		}}
	del := Step{Kind: Alternative, Shell: "cmd",
		Text: "Or delete the AutoUpdate key (after exporting it); CryptSvc re-creates it with inherited permissions at its next sync.",
		Commands: []string{
			`reg export "` + KeyAutoUpdate + `" "%TEMP%\AutoUpdate-backup.reg" /y`,
			`reg delete "` + KeyAutoUpdate + `" /f`,
			`net stop cryptsvc && net start cryptsvc`,
		},
		Risk: "Deletes the cached CTLs (EncodedCtl, DisallowedCertEncodedCtl, PinRules) and any RootDirURL or SyncFromDirUrl an administrator set in the key (restore those from the export on disconnected networks); until CryptSvc downloads the CTLs again from ctldl.windowsupdate.com, chain building falls back to the roots built into crypt32 and revocation checks may keep failing.",
	}
	verifyACL := Step{Kind: Verify, Shell: "powershell",
		Text: "Check the key's permissions: inheritance is on (False below) and NT SERVICE\\CryptSvc appears with FullControl.",
		Commands: []string{
			`(Get-Acl '` + autoUpdatePS + `').AreAccessRulesProtected`,
			`(Get-Acl '` + autoUpdatePS + `').Access | Where-Object IdentityReference -like '*CryptSvc*'`,
		}}
	var steps []Step
	switch {
	case res.access.Protected && (res.parentGrants || !res.parentKnown):
		if !res.parentKnown {
			inherit.Text += " (The parent key's descriptor was not collected: if CryptSvc still lacks access afterwards, add the explicit entry below.)"
		}
		steps = append(steps, inherit)
		explicit.Kind = Alternative
		explicit.Risk = "None known: this is the access CryptSvc has by default through inheritance."
		steps = append(steps, explicit)
	default:
		if res.access.Protected {
			steps = append(steps, inherit)
		}
		steps = append(steps, explicit)
	}
	return append(steps, del, stepResync, verifyACL, stepVerifySync)
}

// CTLUpdaterBlocked is WU1003, the seed case.
var CTLUpdaterBlocked = &Rule{
	ID:    "WU1003",
	Name:  "ctl-updater-blocked-by-acl",
	Title: "Root cause: CryptSvc cannot update the certificate trust lists because of the AutoUpdate key's permissions",
	Doc: `The combined root cause of WU1001 and WU1002: the disallowed (or
trusted) CTL sync time is stale AND CryptSvc has no write access to the
AuthRoot\AutoUpdate key, so the CTL updater downloads the lists but cannot
store them. The stale disallowed CTL makes the revocation check of the
Windows Update server certificates fail with 0x80092013
CRYPT_E_REVOCATION_OFFLINE, which WinHTTP reports as 0x80072F8F
ERROR_WINHTTP_SECURE_FAILURE (at slscr.update.microsoft.com and the other
endpoints). Reported as an error when both facts are confirmed; it
explains WU1000, WU1001 and WU1002. Public case: blog.gyojir.com/posts/4NiiPGx9e.`,
	Evidence: []string{"TLS failure chains (0x80072F8F)"},
	Facts:    []string{"the facts of WU1001 and WU1002"},
	Requires: []*Rule{StaleCTLSync, AutoUpdateACL},
	Run: func(p *Pass) (any, error) {
		stale := verdictOf(p, StaleCTLSync)
		acl, _ := p.ResultOf[AutoUpdateACL].(aclResult)
		v := Verdict{Cause: "CryptSvc cannot store CTLs (stale sync time + AutoUpdate key permissions)"}
		switch {
		case stale.State == CauseRuledOut || acl.State == CauseRuledOut:
			v.State = CauseRuledOut
			v.Why = "not both: " + stale.Why + "; " + acl.Why
			return v, nil
		case stale.State < CauseSuspected || acl.State < CauseSuspected:
			v.Needs = stale.Needs + "; " + acl.Needs
			return v, nil
		}
		v.State = CauseConfirmed
		conf := Confirmed
		if stale.State == CauseSuspected {
			conf, v.State = Suspected, CauseSuspected
		}
		f := Finding{Severity: Error, Confidence: conf, RootCause: true, Title: CTLUpdaterBlockedTitle,
			Explains: []string{"WU1000", "WU1001", "WU1002", "WU1022"}}
		symptom := group(tlsSymptom(p.Evidence))
		if symptom.count > 0 {
			f.Chain = append(f.Chain, symptom.describe())
			f.Evidence = append(f.Evidence, symptom.cite(4)...)
		} else {
			f.Chain = append(f.Chain, "(expected symptom, not in the log given: 0x80072F8F ERROR_WINHTTP_SECURE_FAILURE at slscr.update.microsoft.com and other Windows Update endpoints)")
		}
		f.Chain = append(f.Chain,
			"<- 0x80092013 CRYPT_E_REVOCATION_OFFLINE: the revocation check of the server certificate cannot complete without a current disallowed CTL (crypt32 does not write this code to WindowsUpdate.log)",
			"<- "+stale.Why,
			"<- "+acl.Why)
		f.Evidence = append(f.Evidence, p.staleCites()...)
		f.Evidence = append(f.Evidence, acl.cite, Citation{Source: acl.cite.Source, Fact: acl.cite.Fact, Text: acl.access.Reason})
		if acl.parentKnown {
			f.Evidence = append(f.Evidence, acl.parentCite)
		}
		f.Remediation = aclRemediation(acl)
		if conf == Suspected {
			f.Confirm = []string{"the sync times again after the machine has been up for a day"}
		}
		p.Report(f)
		return v, nil
	},
}

// CTLUpdaterBlockedTitle is the title of WU1003's finding.
const CTLUpdaterBlockedTitle = "CryptSvc cannot store certificate trust lists: the AutoUpdate key's permissions block it, so revocation checks fail (0x80092013) and Windows Update gets 0x80072F8F"

// inheritedFrom returns the descriptor a new subkey of a key with
// descriptor parent gets by inheritance: the parent's container-inherit
// ACEs, marked inherited, no longer inherit-only, and without inheritance
// flags when NO_PROPAGATE_INHERIT is set.
func inheritedFrom(parent *secdesc.SecurityDescriptor) *secdesc.SecurityDescriptor {
	child := &secdesc.SecurityDescriptor{Control: parent.Control &^ secdesc.DACLProtected, Owner: parent.Owner, Group: parent.Group, DACL: &secdesc.ACL{Revision: 2}}
	if parent.DACL == nil {
		child.DACL = nil
		return child
	}
	child.DACL.Revision = parent.DACL.Revision
	for _, a := range parent.DACL.ACEs {
		if a.Flags&secdesc.ContainerInherit == 0 {
			continue
		}
		a.Flags = a.Flags&^secdesc.InheritOnly | secdesc.Inherited
		if a.Flags&secdesc.NoPropagateInherit != 0 {
			a.Flags &^= secdesc.ContainerInherit | secdesc.ObjectInherit | secdesc.NoPropagateInherit
		}
		child.DACL.ACEs = append(child.DACL.ACEs, a)
	}
	return child
}

// staleCites cites the sync times that are stale or never set.
func (p *Pass) staleCites() []Citation {
	var out []Citation
	dis := p.staleness(RegDisallowedSync, RegUserDisallowedSync, DisallowedStaleAfter)
	tru := p.staleness(RegLastSync, RegUserLastSync, TrustedStaleAfter)
	for _, s := range []staleness{dis, tru} {
		if s.stale && s.reading.present {
			out = append(out, s.reading.cite)
		}
		if s.stale || s.never {
			out = append(out, s.reading.absent...)
		}
	}
	return out
}
