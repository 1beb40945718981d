package diagnose

import (
	"fmt"
	"strings"
	"sync"
)

// VerdictState is what a cause rule concluded about its cause.
type VerdictState uint8

// Verdict states.
const (
	// CauseUnknown: the facts needed were not given or could not be read.
	CauseUnknown VerdictState = iota
	// CauseRuledOut: the facts show the cause is absent.
	CauseRuledOut
	// CauseSuspected: the evidence points at the cause without proving it.
	CauseSuspected
	// CauseConfirmed: the facts prove the cause.
	CauseConfirmed
)

var verdictNames = [...]string{CauseUnknown: "unknown", CauseRuledOut: "ruled out", CauseSuspected: "suspected", CauseConfirmed: "confirmed"}

// String returns the verdict state as written in reports.
func (s VerdictState) String() string {
	if int(s) < len(verdictNames) {
		return verdictNames[s]
	}
	return fmt.Sprintf("verdict(%d)", uint8(s))
}

// Verdict is the result of a cause rule: rules that weigh several causes
// (WU1000) read it through Pass.ResultOf.
type Verdict struct {
	// Cause names the cause in a few words ("system clock wrong").
	Cause string
	State VerdictState
	// Why gives the deciding fact in a sentence.
	Why string
	// Needs names the facts that would settle an Unknown verdict.
	Needs string
}

// DefaultRules returns the shipped rule set, in ID order. The slice is
// new on each call; the rules are shared values.
func DefaultRules() []*Rule {
	initRules()
	return append([]*Rule(nil), ruleSet...)
}

// Lookup returns the shipped rule with the given ID or name.
func Lookup(idOrName string) *Rule {
	initRules()
	for _, r := range ruleSet {
		if strings.EqualFold(r.ID, idOrName) || r.Name == idOrName {
			return r
		}
	}
	return nil
}

var (
	ruleOnce sync.Once
	ruleSet  []*Rule
)

// initRules wires the rule set: cause rules are defined in their own files
// and WU1000 requires them, so the list is built once at first use.
func initRules() {
	ruleOnce.Do(func() {
		causes := []*Rule{StaleCTLSync, AutoUpdateACL, ClockSkew, TLSInspection, TLS12Disabled,
			ChainFailure, RootAutoUpdatePolicy, CTLDownloadBlocked, CryptSvcDisabled, WSUSHTTPSChain, HostsRedirect, WinHTTPProxy}
		TLSFailure.Requires = append([]*Rule{CTLUpdaterBlocked}, causes...)
		ruleSet = []*Rule{
			TLSFailure, StaleCTLSync, AutoUpdateACL, CTLUpdaterBlocked, MalformedSyncTime,
			ClockSkew, ClockStepBack,
			TLSInspection, TLS12Disabled, ChainFailure,
			WinHTTPProxy,
			RootAutoUpdatePolicy, CTLDownloadBlocked, CryptSvcDisabled, HostsRedirect,
			WSUSHTTPSChain,
			NameNotResolved, WSUSHTTPError, AccessDenied, DownloadError, CallCancelled, EndpointUnreachable,
			ServicingError, ConnectionFailure,
		}
		if err := Validate(ruleSet); err != nil {
			panic(fmt.Sprintf("diagnose: invalid rule set: %v", err))
		}
	})
}

// tlsCodes are the codes of a failed TLS handshake or certificate check.
// 0x80092004 CRYPT_E_NOT_FOUND is deliberately absent: Windows Update logs
// it when no user auth token is found, which is not a certificate problem.
var tlsCodes = []uint32{
	0x80072F8F, // ERROR_WINHTTP_SECURE_FAILURE
	0x80072F7D, // ERROR_WINHTTP_SECURE_CHANNEL_ERROR
	0x80072F05, // ERROR_WINHTTP_SECURE_CERT_DATE_INVALID
	0x80072F06, // ERROR_WINHTTP_SECURE_CERT_CN_INVALID
	0x80072F0D, // ERROR_WINHTTP_SECURE_INVALID_CA
	0x80072F19, // ERROR_WINHTTP_SECURE_CERT_REV_FAILED
	0x80092013, // CRYPT_E_REVOCATION_OFFLINE
	0x80092012, // CRYPT_E_NO_REVOCATION_CHECK
	0x800B0109, // CERT_E_UNTRUSTEDROOT
	0x800B0101, // CERT_E_EXPIRED
	0x800B010F, // CERT_E_CN_NO_MATCH
}

// tlsSymptom returns the failure chains of TLS failures in the log, or
// nil. WinHTTP's secure-channel codes always count; certificate codes
// (0x8009xxxx, 0x800Bxxxx) count only on a chain tied to an endpoint and
// not on file signature checks ("CertVerifyCertificateChainPolicy failed"
// while validating a downloaded file's signature).
func tlsSymptom(ev *Evidence) []*FailureChain {
	var out []*FailureChain
	for _, c := range ev.ChainsFor(tlsCodes...) {
		if c.Code>>16 == 0x8007 {
			out = append(out, c)
			continue
		}
		if c.Endpoint == "" || c.OnlyOps(isSignatureCheck) {
			continue
		}
		out = append(out, c)
	}
	return out
}

func isSignatureCheck(op string) bool {
	return strings.Contains(op, "CertVerifyCertificateChainPolicy") || strings.Contains(op, "signature") || strings.Contains(op, "Signature")
}

// wsusHost returns the host of the WSUS server the log names, or "".
func wsusHost(ev *Evidence) string {
	if ev.Server.WSUS == "" {
		return ""
	}
	return string(hostOf([]byte(ev.Server.WSUS)))
}

func (v Verdict) verdict() Verdict { return v }

// verdictOf reads a cause rule's verdict from the pass: a Verdict or a
// result that embeds one.
func verdictOf(p *Pass, r *Rule) Verdict {
	if v, ok := p.ResultOf[r].(interface{ verdict() Verdict }); ok {
		return v.verdict()
	}
	return Verdict{Cause: r.Title}
}
