package live

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"strings"
)

// x500Keys are the attribute names Windows prints (CertNameToStr with
// CERT_X500_NAME_STR).
var x500Keys = map[string]string{
	"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "S", "2.5.4.9": "STREET",
	"2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.5": "SERIALNUMBER", "2.5.4.12": "T",
	"2.5.4.4": "SN", "2.5.4.42": "G", "2.5.4.43": "I", "2.5.4.46": "dnQualifier",
	"1.2.840.113549.1.9.1": "E", "0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1": "UID",
}

// x500Name formats a DER Name the way Windows shows certificate names:
// most specific first ("CN=..., O=..., L=..., S=..., C=US"), values with
// separators quoted. It falls back to Go's form when the DER is unreadable.
func x500Name(der []byte, fallback pkix.Name) string {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) != 0 {
		return fallback.String()
	}
	var parts []string
	for i := len(seq) - 1; i >= 0; i-- {
		var attrs []string
		for _, a := range seq[i] {
			k, ok := x500Keys[a.Type.String()]
			if !ok {
				k = "OID." + a.Type.String()
			}
			v, ok := a.Value.(string)
			if !ok {
				// A non-string value as # and the hex digits of its DER.
				b, _ := asn1.Marshal(a.Value)
				v = "#" + strings.ToUpper(hex.EncodeToString(b))
			}
			attrs = append(attrs, k+"="+quoteRDN(v))
		}
		parts = append(parts, strings.Join(attrs, " + "))
	}
	return strings.Join(parts, ", ")
}

// quoteRDN quotes a value as CertNameToStr does when it holds a
// separator, a quote or leading or trailing blanks.
func quoteRDN(v string) string {
	if v == "" || strings.ContainsAny(v, ",+=\"\n<>#;") || strings.TrimSpace(v) != v {
		return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
	}
	return v
}
