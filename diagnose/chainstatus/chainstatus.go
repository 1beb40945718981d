// Package chainstatus names and classifies the certificate chain results
// Windows reports: CERT_TRUST_STATUS dwErrorStatus and dwInfoStatus bits
// (from CertGetCertificateChain) and the policy error of
// CertVerifyCertificateChainPolicy(CERT_CHAIN_POLICY_SSL).
//
// Values are plain uint32 so that any fact source and any rule can use
// them; the package imports nothing Windows-specific.
package chainstatus

import (
	"fmt"
	"strings"

	"github.com/wulog/wulog/hresult"
)

// Error status bits (CERT_TRUST_STATUS.dwErrorStatus, wincrypt.h).
const (
	NoError                       uint32 = 0x00000000
	IsNotTimeValid                uint32 = 0x00000001
	IsNotTimeNested               uint32 = 0x00000002
	IsRevoked                     uint32 = 0x00000004
	IsNotSignatureValid           uint32 = 0x00000008
	IsNotValidForUsage            uint32 = 0x00000010
	IsUntrustedRoot               uint32 = 0x00000020
	RevocationStatusUnknown       uint32 = 0x00000040
	IsCyclic                      uint32 = 0x00000080
	InvalidExtension              uint32 = 0x00000100
	InvalidPolicyConstraints      uint32 = 0x00000200
	InvalidBasicConstraints       uint32 = 0x00000400
	InvalidNameConstraints        uint32 = 0x00000800
	HasNotSupportedNameConstraint uint32 = 0x00001000
	HasNotDefinedNameConstraint   uint32 = 0x00002000
	HasNotPermittedNameConstraint uint32 = 0x00004000
	HasExcludedNameConstraint     uint32 = 0x00008000
	IsPartialChain                uint32 = 0x00010000
	CTLIsNotTimeValid             uint32 = 0x00020000
	CTLIsNotSignatureValid        uint32 = 0x00040000
	CTLIsNotValidForUsage         uint32 = 0x00080000
	HasWeakSignature              uint32 = 0x00100000
	HasWeakHygiene                uint32 = 0x00200000
	IsOfflineRevocation           uint32 = 0x01000000
	NoIssuanceChainPolicy         uint32 = 0x02000000
	IsExplicitDistrust            uint32 = 0x04000000
	HasNotSupportedCriticalExt    uint32 = 0x08000000
)

// Info status bits (CERT_TRUST_STATUS.dwInfoStatus, wincrypt.h).
const (
	HasExactMatchIssuer        uint32 = 0x00000001
	HasKeyMatchIssuer          uint32 = 0x00000002
	HasNameMatchIssuer         uint32 = 0x00000004
	IsSelfSigned               uint32 = 0x00000008
	AutoUpdateCARevocation     uint32 = 0x00000010
	AutoUpdateEndRevocation    uint32 = 0x00000020
	NoOCSPFailoverToCRL        uint32 = 0x00000040
	IsKeyRollover              uint32 = 0x00000080
	HasPreferredIssuer         uint32 = 0x00000100
	HasIssuanceChainPolicy     uint32 = 0x00000200
	HasValidNameConstraints    uint32 = 0x00000400
	IsPeerTrusted              uint32 = 0x00000800
	HasCRLValidityExtended     uint32 = 0x00001000
	IsFromExclusiveTrustStore  uint32 = 0x00002000
	IsCATrusted                uint32 = 0x00004000
	HasAutoUpdateWeakSignature uint32 = 0x00008000
	IsComplexChain             uint32 = 0x00010000
	HasAllowWeakSignature      uint32 = 0x00020000
	SSLHandshakeOCSP           uint32 = 0x00040000
	SSLTimeValidOCSP           uint32 = 0x00080000
	SSLReconnectOCSP           uint32 = 0x00100000
	SSLTimeValid               uint32 = 0x01000000
	NoTimeCheck                uint32 = 0x02000000
)

// Bit is one named status bit.
type Bit struct {
	Value   uint32
	Name    string // CERT_TRUST_IS_OFFLINE_REVOCATION
	Meaning string // one sentence
}

var errorBits = []Bit{
	{IsNotTimeValid, "CERT_TRUST_IS_NOT_TIME_VALID", "a certificate is expired or not yet valid (check the system clock)"},
	{IsNotTimeNested, "CERT_TRUST_IS_NOT_TIME_NESTED", "a certificate's validity period is not nested in its issuer's"},
	{IsRevoked, "CERT_TRUST_IS_REVOKED", "a certificate has been revoked"},
	{IsNotSignatureValid, "CERT_TRUST_IS_NOT_SIGNATURE_VALID", "a certificate's signature does not verify"},
	{IsNotValidForUsage, "CERT_TRUST_IS_NOT_VALID_FOR_USAGE", "a certificate is not valid for the requested usage"},
	{IsUntrustedRoot, "CERT_TRUST_IS_UNTRUSTED_ROOT", "the chain ends in a root that is not trusted"},
	{RevocationStatusUnknown, "CERT_TRUST_REVOCATION_STATUS_UNKNOWN", "the revocation status of a certificate could not be determined"},
	{IsCyclic, "CERT_TRUST_IS_CYCLIC", "the chain is cyclic"},
	{InvalidExtension, "CERT_TRUST_INVALID_EXTENSION", "a certificate has an invalid extension"},
	{InvalidPolicyConstraints, "CERT_TRUST_INVALID_POLICY_CONSTRAINTS", "policy constraints are violated"},
	{InvalidBasicConstraints, "CERT_TRUST_INVALID_BASIC_CONSTRAINTS", "basic constraints are violated"},
	{InvalidNameConstraints, "CERT_TRUST_INVALID_NAME_CONSTRAINTS", "name constraints are invalid"},
	{HasNotSupportedNameConstraint, "CERT_TRUST_HAS_NOT_SUPPORTED_NAME_CONSTRAINT", "a name constraint is of an unsupported type"},
	{HasNotDefinedNameConstraint, "CERT_TRUST_HAS_NOT_DEFINED_NAME_CONSTRAINT", "a name constraint is missing"},
	{HasNotPermittedNameConstraint, "CERT_TRUST_HAS_NOT_PERMITTED_NAME_CONSTRAINT", "a name is not permitted by the name constraints"},
	{HasExcludedNameConstraint, "CERT_TRUST_HAS_EXCLUDED_NAME_CONSTRAINT", "a name is excluded by the name constraints"},
	{IsPartialChain, "CERT_TRUST_IS_PARTIAL_CHAIN", "the chain could not be built up to a root (missing intermediate)"},
	{CTLIsNotTimeValid, "CERT_TRUST_CTL_IS_NOT_TIME_VALID", "a certificate trust list used is expired"},
	{CTLIsNotSignatureValid, "CERT_TRUST_CTL_IS_NOT_SIGNATURE_VALID", "a certificate trust list used has an invalid signature"},
	{CTLIsNotValidForUsage, "CERT_TRUST_CTL_IS_NOT_VALID_FOR_USAGE", "a certificate trust list used is not valid for this usage"},
	{HasWeakSignature, "CERT_TRUST_HAS_WEAK_SIGNATURE", "a certificate has a weak signature (MD5/SHA-1 or short key)"},
	{HasWeakHygiene, "CERT_TRUST_HAS_WEAK_HYGIENE", "a certificate fails hygiene checks"},
	{IsOfflineRevocation, "CERT_TRUST_IS_OFFLINE_REVOCATION", "the revocation server (CRL/OCSP) could not be reached"},
	{NoIssuanceChainPolicy, "CERT_TRUST_NO_ISSUANCE_CHAIN_POLICY", "no issuance policy is present although one is required"},
	{IsExplicitDistrust, "CERT_TRUST_IS_EXPLICIT_DISTRUST", "a certificate is explicitly distrusted (Disallowed store)"},
	{HasNotSupportedCriticalExt, "CERT_TRUST_HAS_NOT_SUPPORTED_CRITICAL_EXT", "a certificate has an unsupported critical extension"},
}

var infoBits = []Bit{
	{HasExactMatchIssuer, "CERT_TRUST_HAS_EXACT_MATCH_ISSUER", "the issuer was found by exact match"},
	{HasKeyMatchIssuer, "CERT_TRUST_HAS_KEY_MATCH_ISSUER", "the issuer was found by key match"},
	{HasNameMatchIssuer, "CERT_TRUST_HAS_NAME_MATCH_ISSUER", "the issuer was found by name match"},
	{IsSelfSigned, "CERT_TRUST_IS_SELF_SIGNED", "the certificate is self-signed"},
	{AutoUpdateCARevocation, "CERT_TRUST_AUTO_UPDATE_CA_REVOCATION", "CA revocation was checked through the auto-update CTL"},
	{AutoUpdateEndRevocation, "CERT_TRUST_AUTO_UPDATE_END_REVOCATION", "end-entity revocation was checked through the auto-update CTL"},
	{NoOCSPFailoverToCRL, "CERT_TRUST_NO_OCSP_FAILOVER_TO_CRL", "no failover from OCSP to CRL"},
	{IsKeyRollover, "CERT_TRUST_IS_KEY_ROLLOVER", "the certificate is a key rollover certificate"},
	{HasPreferredIssuer, "CERT_TRUST_HAS_PREFERRED_ISSUER", "the issuer is a preferred issuer"},
	{HasIssuanceChainPolicy, "CERT_TRUST_HAS_ISSUANCE_CHAIN_POLICY", "an issuance chain policy is present"},
	{HasValidNameConstraints, "CERT_TRUST_HAS_VALID_NAME_CONSTRAINTS", "name constraints are valid"},
	{IsPeerTrusted, "CERT_TRUST_IS_PEER_TRUSTED", "the certificate is trusted as a peer (TrustedPeople store)"},
	{HasCRLValidityExtended, "CERT_TRUST_HAS_CRL_VALIDITY_EXTENDED", "a CRL's validity was extended"},
	{IsFromExclusiveTrustStore, "CERT_TRUST_IS_FROM_EXCLUSIVE_TRUST_STORE", "trust came from an exclusive trust store"},
	{IsCATrusted, "CERT_TRUST_IS_CA_TRUSTED", "the CA is trusted"},
	{HasAutoUpdateWeakSignature, "CERT_TRUST_HAS_AUTO_UPDATE_WEAK_SIGNATURE", "weak signature allowed by auto-update"},
	{IsComplexChain, "CERT_TRUST_IS_COMPLEX_CHAIN", "the chain is complex (built through CTLs)"},
	{HasAllowWeakSignature, "CERT_TRUST_HAS_ALLOW_WEAK_SIGNATURE", "weak signatures are allowed"},
	{SSLHandshakeOCSP, "CERT_TRUST_SSL_HANDSHAKE_OCSP", "revocation used the stapled OCSP response"},
	{SSLTimeValidOCSP, "CERT_TRUST_SSL_TIME_VALID_OCSP", "the stapled OCSP response was time-valid"},
	{SSLReconnectOCSP, "CERT_TRUST_SSL_RECONNECT_OCSP", "the OCSP response came from a reconnect"},
	{SSLTimeValid, "CERT_TRUST_SSL_TIME_VALID", "the certificate was time-valid for SSL"},
	{NoTimeCheck, "CERT_TRUST_NO_TIME_CHECK", "no time check was done"},
}

func split(v uint32, table []Bit) []Bit {
	var out []Bit
	for _, b := range table {
		if v&b.Value != 0 {
			out = append(out, b)
			v &^= b.Value
		}
	}
	for i := 0; i < 32; i++ {
		if m := uint32(1) << i; v&m != 0 {
			out = append(out, Bit{Value: m, Name: fmt.Sprintf("0x%08X", m), Meaning: "unknown bit"})
		}
	}
	return out
}

// ErrorBits splits a dwErrorStatus into its named bits, in ascending order
// of the known bits, then any unknown bits.
func ErrorBits(status uint32) []Bit { return split(status, errorBits) }

// InfoBits splits a dwInfoStatus into its named bits.
func InfoBits(status uint32) []Bit { return split(status, infoBits) }

func join(bits []Bit) string {
	if len(bits) == 0 {
		return ""
	}
	names := make([]string, len(bits))
	for i, b := range bits {
		names[i] = b.Name
	}
	return strings.Join(names, " | ")
}

// ErrorString formats a dwErrorStatus as "0x01000040 (CERT_TRUST_REVOCATION_STATUS_UNKNOWN | CERT_TRUST_IS_OFFLINE_REVOCATION)",
// or "0x00000000 (CERT_TRUST_NO_ERROR)".
func ErrorString(status uint32) string {
	if status == 0 {
		return "0x00000000 (CERT_TRUST_NO_ERROR)"
	}
	return fmt.Sprintf("0x%08X (%s)", status, join(ErrorBits(status)))
}

// InfoString formats a dwInfoStatus like ErrorString.
func InfoString(status uint32) string {
	if status == 0 {
		return "0x00000000"
	}
	return fmt.Sprintf("0x%08X (%s)", status, join(InfoBits(status)))
}

// RevocationOffline reports that revocation could not be checked because
// the CRL/OCSP server was unreachable (CERT_TRUST_IS_OFFLINE_REVOCATION;
// Windows sets it together with CERT_TRUST_REVOCATION_STATUS_UNKNOWN, the
// 0x01000040 seen with CRYPT_E_REVOCATION_OFFLINE).
func RevocationOffline(status uint32) bool { return status&IsOfflineRevocation != 0 }

// RevocationUnknown reports that the revocation status could not be
// determined (for any reason, offline or not).
func RevocationUnknown(status uint32) bool {
	return status&(RevocationStatusUnknown|IsOfflineRevocation) != 0
}

// UntrustedRoot reports a chain ending in an untrusted root.
func UntrustedRoot(status uint32) bool { return status&IsUntrustedRoot != 0 }

// TimeInvalid reports an expired or not-yet-valid certificate (or CTL).
func TimeInvalid(status uint32) bool {
	return status&(IsNotTimeValid|CTLIsNotTimeValid) != 0
}

// Revoked reports a revoked certificate.
func Revoked(status uint32) bool { return status&IsRevoked != 0 }

// PartialChain reports a chain that could not be completed.
func PartialChain(status uint32) bool { return status&IsPartialChain != 0 }

// Distrusted reports an explicitly distrusted certificate.
func Distrusted(status uint32) bool { return status&IsExplicitDistrust != 0 }

// Policy errors of CertVerifyCertificateChainPolicy (winerror.h).
const (
	CryptERevoked           uint32 = 0x80092010
	CryptENoRevocationCheck uint32 = 0x80092012
	CryptERevocationOffline uint32 = 0x80092013
	TrustECertSignature     uint32 = 0x80096004
	TrustEBadDigest         uint32 = 0x80096010
	CertEExpired            uint32 = 0x800B0101
	CertEValidityPeriodNest uint32 = 0x800B0102
	CertERole               uint32 = 0x800B0103
	CertEPathLenConst       uint32 = 0x800B0104
	CertECritical           uint32 = 0x800B0105
	CertEPurpose            uint32 = 0x800B0106
	CertEIssuerChaining     uint32 = 0x800B0107
	CertEMalformed          uint32 = 0x800B0108
	CertEUntrustedRoot      uint32 = 0x800B0109
	CertEChaining           uint32 = 0x800B010A
	TrustEFail              uint32 = 0x800B010B
	CertERevoked            uint32 = 0x800B010C
	CertEUntrustedTestRoot  uint32 = 0x800B010D
	CertERevocationFailure  uint32 = 0x800B010E
	CertECNNoMatch          uint32 = 0x800B010F
	CertEWrongUsage         uint32 = 0x800B0110
	TrustEExplicitDistrust  uint32 = 0x800B0111
	CertEUntrustedCA        uint32 = 0x800B0112
	CertEInvalidPolicy      uint32 = 0x800B0113
	CertEInvalidName        uint32 = 0x800B0114
)

// Class is the kind of failure a policy error stands for.
type Class string

// Classes of policy errors.
const (
	ClassOK                Class = "ok"
	ClassRevocationOffline Class = "revocation-offline"
	ClassRevocationUnknown Class = "revocation-unknown"
	ClassRevoked           Class = "revoked"
	ClassUntrustedRoot     Class = "untrusted-root"
	ClassPartialChain      Class = "partial-chain"
	ClassTime              Class = "time-invalid"
	ClassNameMismatch      Class = "name-mismatch"
	ClassUsage             Class = "wrong-usage"
	ClassSignature         Class = "bad-signature"
	ClassDistrusted        Class = "distrusted"
	ClassMalformed         Class = "malformed"
	ClassOther             Class = "other"
)

type policyInfo struct {
	name  string
	class Class
}

var policyErrors = map[uint32]policyInfo{
	0:                       {"ERROR_SUCCESS", ClassOK},
	CryptERevoked:           {"CRYPT_E_REVOKED", ClassRevoked},
	CryptENoRevocationCheck: {"CRYPT_E_NO_REVOCATION_CHECK", ClassRevocationUnknown},
	CryptERevocationOffline: {"CRYPT_E_REVOCATION_OFFLINE", ClassRevocationOffline},
	TrustECertSignature:     {"TRUST_E_CERT_SIGNATURE", ClassSignature},
	TrustEBadDigest:         {"TRUST_E_BAD_DIGEST", ClassSignature},
	CertEExpired:            {"CERT_E_EXPIRED", ClassTime},
	CertEValidityPeriodNest: {"CERT_E_VALIDITYPERIODNESTING", ClassTime},
	CertERole:               {"CERT_E_ROLE", ClassMalformed},
	CertEPathLenConst:       {"CERT_E_PATHLENCONST", ClassMalformed},
	CertECritical:           {"CERT_E_CRITICAL", ClassMalformed},
	CertEPurpose:            {"CERT_E_PURPOSE", ClassUsage},
	CertEIssuerChaining:     {"CERT_E_ISSUERCHAINING", ClassPartialChain},
	CertEMalformed:          {"CERT_E_MALFORMED", ClassMalformed},
	CertEUntrustedRoot:      {"CERT_E_UNTRUSTEDROOT", ClassUntrustedRoot},
	CertEChaining:           {"CERT_E_CHAINING", ClassPartialChain},
	TrustEFail:              {"TRUST_E_FAIL", ClassOther},
	CertERevoked:            {"CERT_E_REVOKED", ClassRevoked},
	CertEUntrustedTestRoot:  {"CERT_E_UNTRUSTEDTESTROOT", ClassUntrustedRoot},
	CertERevocationFailure:  {"CERT_E_REVOCATION_FAILURE", ClassRevocationUnknown},
	CertECNNoMatch:          {"CERT_E_CN_NO_MATCH", ClassNameMismatch},
	CertEWrongUsage:         {"CERT_E_WRONG_USAGE", ClassUsage},
	TrustEExplicitDistrust:  {"TRUST_E_EXPLICIT_DISTRUST", ClassDistrusted},
	CertEUntrustedCA:        {"CERT_E_UNTRUSTEDCA", ClassUntrustedRoot},
	CertEInvalidPolicy:      {"CERT_E_INVALID_POLICY", ClassMalformed},
	CertEInvalidName:        {"CERT_E_INVALID_NAME", ClassMalformed},
}

// PolicyName returns the winerror.h name of a chain policy error
// ("CRYPT_E_REVOCATION_OFFLINE"), or "" when it is not a certificate
// policy error this package knows (use hresult for those).
func PolicyName(policyError uint32) string { return policyErrors[policyError].name }

// Classify returns the class of a chain policy error. Unknown non-zero
// values are ClassOther.
func Classify(policyError uint32) Class {
	if p, ok := policyErrors[policyError]; ok {
		return p.class
	}
	return ClassOther
}

// PolicyCode returns the policy error as an hresult.Code, for names and
// descriptions from the project's HRESULT tables.
func PolicyCode(policyError uint32) hresult.Code { return hresult.Decode(policyError) }

// PolicyString formats a policy error as "0x80092013 CRYPT_E_REVOCATION_OFFLINE".
func PolicyString(policyError uint32) string {
	if n := PolicyName(policyError); n != "" {
		return fmt.Sprintf("0x%08X %s", policyError, n)
	}
	return fmt.Sprintf("0x%08X", policyError)
}

// Summary explains a chain result in one line, classifying by the policy
// error when there is one, else by the error status bits.
type Summary struct {
	Class       Class
	ErrorStatus string
	Policy      string
	// Explanation is a short sentence for reports.
	Explanation string
}

// Summarize combines a chain's dwErrorStatus and policy error.
func Summarize(errorStatus, policyError uint32) Summary {
	s := Summary{ErrorStatus: ErrorString(errorStatus), Policy: PolicyString(policyError)}
	s.Class = Classify(policyError)
	if policyError == 0 && errorStatus != 0 {
		s.Class = classFromStatus(errorStatus)
	}
	switch s.Class {
	case ClassOK:
		s.Explanation = "the chain is trusted"
	case ClassRevocationOffline:
		s.Explanation = "revocation could not be checked: the CRL/OCSP server was offline or unreachable"
	case ClassRevocationUnknown:
		s.Explanation = "revocation status could not be determined"
	case ClassRevoked:
		s.Explanation = "a certificate in the chain is revoked"
	case ClassUntrustedRoot:
		s.Explanation = "the chain ends in an untrusted root (TLS inspection or missing root)"
	case ClassPartialChain:
		s.Explanation = "the chain could not be built to a root"
	case ClassTime:
		s.Explanation = "a certificate is outside its validity period (check the clock)"
	case ClassNameMismatch:
		s.Explanation = "the certificate name does not match the host (interception or redirection)"
	case ClassUsage:
		s.Explanation = "a certificate is not valid for server authentication"
	case ClassSignature:
		s.Explanation = "a signature in the chain does not verify"
	case ClassDistrusted:
		s.Explanation = "a certificate in the chain is explicitly distrusted"
	case ClassMalformed:
		s.Explanation = "a certificate in the chain is malformed or violates constraints"
	default:
		s.Explanation = "the chain failed verification"
	}
	return s
}

func classFromStatus(st uint32) Class {
	switch {
	case Revoked(st):
		return ClassRevoked
	case Distrusted(st):
		return ClassDistrusted
	case UntrustedRoot(st):
		return ClassUntrustedRoot
	case PartialChain(st):
		return ClassPartialChain
	case TimeInvalid(st):
		return ClassTime
	case RevocationOffline(st):
		return ClassRevocationOffline
	case RevocationUnknown(st):
		return ClassRevocationUnknown
	case st&IsNotSignatureValid != 0:
		return ClassSignature
	case st&IsNotValidForUsage != 0:
		return ClassUsage
	}
	return ClassOther
}
