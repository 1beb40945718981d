// Package snapshot reads and writes machine facts as a versioned JSON
// document (schema "wulog.snapshot/v1"), the format of `wulog analyze
// --facts FILE`, of `wulog probe --format json` and of the snapshot.json in
// a `wulog collect` bundle. docs/snapshot.md documents it with a full
// example.
//
// Reading is strict: an unknown schema version, an unknown field, bad JSON
// or a value that contradicts itself is an error naming the file and the
// JSON location. Writing always gives the raw form of every value (hex
// registry data, base64 descriptors) plus decoded helpers for people
// (FILETIMEs as RFC 3339 times, DWORDs as numbers, descriptors as SDDL,
// status bits by name). A hand-written file may give a value by a helper
// alone.
package snapshot

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wulog/wulog/diagnose"
)

// Schema is the schema identifier this package reads and writes.
const Schema = "wulog.snapshot/v1"

// file is the top-level document.
type file struct {
	Schema string `json:"schema"`
	// Host is the machine name.
	Host string `json:"host,omitempty"`
	// CollectedAt is when the facts were gathered; the default read time
	// of every fact.
	CollectedAt *time.Time `json:"collected_at,omitempty"`
	// Live is true when the facts were read from the running machine.
	Live bool `json:"live,omitempty"`
	// Source is the default source of every fact (e.g. "wulog collect on
	// PC1"). Default: "snapshot <file name>".
	Source      string                  `json:"source,omitempty"`
	Registry    map[string]*regValue    `json:"registry,omitempty"`
	KeySecurity map[string]*keySecurity `json:"key_security,omitempty"`
	Chains      []*chain                `json:"chains,omitempty"`
	Clock       *clock                  `json:"clock,omitempty"`
	BootTime    *bootTime               `json:"boot_time,omitempty"`
	Services    map[string]*service     `json:"services,omitempty"`
	HostsFile   *hostsFile              `json:"hosts_file,omitempty"`
	Notes       []string                `json:"notes,omitempty"`
}

// meta is the provenance every fact carries.
type meta struct {
	Source string     `json:"source,omitempty"`
	ReadAt *time.Time `json:"read_at,omitempty"`
	// Error says why the fact could not be read; the fact is then unknown
	// and carries no value.
	Error string `json:"error,omitempty"`
}

type regValue struct {
	meta
	// Exists false records that the value was looked for and is absent.
	Exists *bool    `json:"exists,omitempty"`
	Type   *regType `json:"type,omitempty"`
	Data   *hexData `json:"data,omitempty"`
	// Helpers: each is an alternative way to give the value, and is
	// written next to data for people. When data is present they must
	// agree with it.
	Time    *time.Time `json:"time,omitempty"`
	DWORD   *uint32    `json:"dword,omitempty"`
	QWORD   *uint64    `json:"qword,omitempty"`
	String  *string    `json:"string,omitempty"`
	Strings []string   `json:"strings,omitempty"`
}

type keySecurity struct {
	meta
	// Base64 is the self-relative SECURITY_DESCRIPTOR; Hex the same in hex.
	Base64 string `json:"base64,omitempty"`
	Hex    string `json:"hex,omitempty"`
	// SDDL is the descriptor in SDDL; an input when neither binary form is
	// given, else checked against it.
	SDDL string `json:"sddl,omitempty"`
	// Written for people, ignored on read.
	Protected     *bool  `json:"protected,omitempty"`
	CryptSvcWrite string `json:"cryptsvc_write,omitempty"`
}

type chain struct {
	meta
	Endpoint     string          `json:"endpoint"`
	Elements     []*chainElement `json:"elements,omitempty"`
	ErrorStatus  hexUint32       `json:"error_status"`
	InfoStatus   hexUint32       `json:"info_status"`
	PolicyError  hexUint32       `json:"policy_error"`
	ConnectError string          `json:"connect_error,omitempty"`
	// Written for people, ignored on read.
	ErrorStatusNames string `json:"error_status_names,omitempty"`
	PolicyErrorName  string `json:"policy_error_name,omitempty"`
}

type chainElement struct {
	Subject     string     `json:"subject"`
	Issuer      string     `json:"issuer"`
	NotBefore   *time.Time `json:"not_before,omitempty"`
	NotAfter    *time.Time `json:"not_after,omitempty"`
	SHA1        string     `json:"sha1,omitempty"`
	ErrorStatus hexUint32  `json:"error_status"`
	InfoStatus  hexUint32  `json:"info_status"`
	// Written for people, ignored on read.
	ErrorStatusNames string `json:"error_status_names,omitempty"`
}

type clock struct {
	meta
	Local           *time.Time `json:"local,omitempty"`
	Reference       *time.Time `json:"reference,omitempty"`
	ReferenceSource string     `json:"reference_source,omitempty"`
	// Written for people, ignored on read.
	SkewSeconds *float64 `json:"skew_seconds,omitempty"`
}

type bootTime struct {
	meta
	Time *time.Time `json:"time,omitempty"`
}

type service struct {
	meta
	State     string `json:"state,omitempty"`
	StartType string `json:"start_type,omitempty"`
}

type hostsFile struct {
	meta
	Content *string `json:"content,omitempty"`
}

// hexData is registry data in hex: "0080a1b2..." (spaces, commas and
// colons allowed between bytes on input, as in regedit exports).
type hexData []byte

func (h hexData) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h)), nil }

func (h *hexData) UnmarshalText(b []byte) error {
	s := strings.NewReplacer(" ", "", ",", "", ":", "", "\n", "", "\t", "").Replace(string(b))
	v, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("data is not hex: %v", err)
	}
	*h = v
	return nil
}

// hexUint32 accepts a JSON number or a string "0x01000040" and is written
// as the string.
type hexUint32 uint32

func (v hexUint32) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf(`"0x%08X"`, uint32(v))), nil
}

func (v *hexUint32) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) > 0 && s[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	n, err := strconv.ParseUint(s, 0, 32)
	if err != nil {
		return fmt.Errorf("%s is not a 32-bit number (use 0x01000040 or 16777280)", string(b))
	}
	*v = hexUint32(n)
	return nil
}

// regType accepts "REG_BINARY" (or "binary") or a number and is written as
// the name.
type regType uint32

// RegTypeName returns "REG_BINARY" for 3, or the number for unknown types
// ([diagnose.RegTypeName] names them).
func RegTypeName(t uint32) string {
	if n := diagnose.RegTypeName(t); n != "" {
		return n
	}
	return strconv.FormatUint(uint64(t), 10)
}

func (t regType) MarshalJSON() ([]byte, error) {
	if n := diagnose.RegTypeName(uint32(t)); n != "" {
		return json.Marshal(n)
	}
	return []byte(strconv.FormatUint(uint64(t), 10)), nil
}

func (t *regType) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		u := strings.ToUpper(s)
		if !strings.HasPrefix(u, "REG_") {
			u = "REG_" + u
		}
		for k := uint32(0); diagnose.RegTypeName(k) != ""; k++ { // the named types are 0 to 11
			if diagnose.RegTypeName(k) == u {
				*t = regType(k)
				return nil
			}
		}
		return fmt.Errorf("unknown registry type %q (use REG_BINARY, REG_DWORD, REG_SZ, ... or a number)", s)
	}
	n, err := strconv.ParseUint(string(b), 10, 32)
	if err != nil {
		return fmt.Errorf("registry type %s is neither a name nor a number", string(b))
	}
	*t = regType(n)
	return nil
}
