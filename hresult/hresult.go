package hresult

// Bits of the HRESULT layout ([MS-ERREF] 2.1).
const (
	bitS  = 0x80000000 // severity: failure
	bitR  = 0x40000000 // reserved; part of the NTSTATUS severity when N is set
	bitC  = 0x20000000 // customer-defined
	bitN  = 0x10000000 // FACILITY_NT_BIT: HRESULT_FROM_NT
	bitX  = 0x08000000 // reserved
	win32 = 0x80070000 // HRESULT_FROM_WIN32 prefix
	ntw32 = 0xC0070000 // NTSTATUS_FROM_WIN32 prefix
)

// Code is a decoded 32-bit code. The zero value is ERROR_SUCCESS / S_OK.
//
// A Code is just the value: every method derives its answer from Value, so
// Code{Value: v} and Decode(v) are the same and Codes are comparable.
type Code struct {
	// Value is the code as a 32-bit unsigned number.
	Value uint32
}

// Decode decodes v. It does not allocate.
func Decode(v uint32) Code { return Code{Value: v} }

// Kind is the number space a value or a name belongs to.
type Kind uint8

// The number spaces.
const (
	KindUnknown  Kind = iota
	KindWin32         // a Win32 error code (GetLastError), below 0x10000
	KindHRESULT       // an HRESULT (COM, most Windows Update codes)
	KindNTSTATUS      // an NTSTATUS (kernel, CBS/CSI, Setup)
)

// String returns "Win32", "HRESULT", "NTSTATUS" or "unknown".
func (k Kind) String() string {
	switch k {
	case KindWin32:
		return "Win32"
	case KindHRESULT:
		return "HRESULT"
	case KindNTSTATUS:
		return "NTSTATUS"
	}
	return "unknown"
}

// MarshalText encodes the kind as its String.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Kind returns the primary reading of the value:
//   - below 0x10000: a Win32 code (it is also a success HRESULT or NTSTATUS,
//     and the names of those readings are listed too);
//   - the N bit set (0xD…, 0x9…, 0x5…, 0x1…): an HRESULT wrapping an
//     NTSTATUS, see [Code.NTSTATUS];
//   - 0xC… and 0x4… (the R bit set without N): an NTSTATUS (error or
//     informational); as an HRESULT such a value is malformed;
//   - anything else is laid out like an HRESULT (0x8… failure, 0x0001… to
//     0x3… success) but is also an NTSTATUS warning or success: it reads as
//     an NTSTATUS when the best known name is one (0x80000005
//     STATUS_BUFFER_OVERFLOW, 0x80190009 STATUS_COULD_NOT_RESIZE_LOG) and as
//     an HRESULT otherwise.
func (c Code) Kind() Kind {
	v := c.Value
	switch {
	case v < 0x10000:
		return KindWin32
	case v&bitN != 0:
		return KindHRESULT
	case v&bitR != 0:
		return KindNTSTATUS
	}
	if n := lookup(v); len(n) > 0 && n[0].Kind == KindNTSTATUS {
		return KindNTSTATUS
	}
	return KindHRESULT
}

// String returns the code as "0x%08X".
func (c Code) String() string {
	var b [10]byte
	return string(c.appendHex(b[:0]))
}

// AppendText appends the code's String to b, for writers that format many
// codes without allocating. The error is always nil.
func (c Code) AppendText(b []byte) ([]byte, error) { return c.appendHex(b), nil }

// MarshalText encodes the code as its String.
func (c Code) MarshalText() ([]byte, error) { return c.appendHex(nil), nil }

// appendHex appends "0x%08X" of the value.
func (c Code) appendHex(b []byte) []byte {
	const hexdig = "0123456789ABCDEF"
	b = append(b, '0', 'x')
	for i := 28; i >= 0; i -= 4 {
		b = append(b, hexdig[c.Value>>uint(i)&0xF])
	}
	return b
}

// Signed returns the value as a signed 32-bit number, as .NET, PowerShell
// and process exit codes print it (0x80072F8F is -2147012721).
func (c Code) Signed() int32 { return int32(c.Value) }

// IsFailure reports whether the code reports a failure; see [IsFailure].
func (c Code) IsFailure() bool { return IsFailure(c.Value) }

// IsFailure reports whether a code as found in a log reports a failure.
//
// Codes with the severity bit set (0x8xxxxxxx, 0xCxxxxxxx) are failures.
// Zero, and codes of 0x10000 or more with the severity bit clear (success
// HRESULTs such as WU_S_ALREADY_INSTALLED 0x00240006, informational
// NTSTATUS 0x4xxxxxxx), are not. Values below 0x10000 are Win32 codes:
// failures, except the Win32 success codes 1641
// (ERROR_SUCCESS_REBOOT_INITIATED), 3010 (ERROR_SUCCESS_REBOOT_REQUIRED)
// and 3011 (ERROR_SUCCESS_RESTART_REQUIRED).
func IsFailure(v uint32) bool {
	switch {
	case v&0x80000000 != 0:
		return true
	case v == 0 || v >= 0x10000:
		return false
	case v == 1641 || v == 3010 || v == 3011:
		return false
	}
	return true
}

// Severity returns the severity of the code's primary reading ([Code.Kind])
// as one of "success", "informational", "warning" or "error".
//
// HRESULTs only know success and error (the S bit); NTSTATUS values have
// two severity bits; Win32 codes have none, so they follow [IsFailure]. An
// HRESULT wrapping an NTSTATUS reports the NTSTATUS severity.
func (c Code) Severity() string {
	v := c.Value
	switch c.Kind() {
	case KindWin32:
		if IsFailure(v) {
			return "error"
		}
		return "success"
	case KindNTSTATUS:
		return ntSeverity(v)
	}
	if v&bitN != 0 {
		return ntSeverity(v &^ bitN)
	}
	if v&bitS != 0 {
		return "error"
	}
	return "success"
}

// ntSeverity names the NTSTATUS severity (the top two bits) of v.
func ntSeverity(v uint32) string { return ntSeverityNames[v>>30] }

var ntSeverityNames = [4]string{"success", "informational", "warning", "error"}

// HRESULTFields is the HRESULT bit layout of a value ([MS-ERREF] 2.1):
//
//	31 30 29 28 27 26..16    15..0
//	S  R  C  N  X  Facility  Code
type HRESULTFields struct {
	S, R, C, N, X bool
	Facility      uint16 // 11 bits
	Code          uint16
}

// HRESULT returns the value's fields read as an HRESULT.
func (c Code) HRESULT() HRESULTFields {
	v := c.Value
	return HRESULTFields{
		S:        v&bitS != 0,
		R:        v&bitR != 0,
		C:        v&bitC != 0,
		N:        v&bitN != 0,
		X:        v&bitX != 0,
		Facility: uint16(v >> 16 & 0x7FF),
		Code:     uint16(v),
	}
}

// NTSTATUSFields is the NTSTATUS bit layout of a value ([MS-ERREF] 2.3):
//
//	31..30  29  28  27..16    15..0
//	Sev     C   N   Facility  Code
type NTSTATUSFields struct {
	Sev      uint8 // 0 success, 1 informational, 2 warning, 3 error
	C, N     bool
	Facility uint16 // 12 bits
	Code     uint16
}

// SeverityName names Sev: "success", "informational", "warning" or "error".
func (f NTSTATUSFields) SeverityName() string { return ntSeverityNames[f.Sev&3] }

// NTSTATUSLayout returns the value's fields read as an NTSTATUS. For an
// HRESULT that wraps an NTSTATUS, read the wrapped value:
// Decode(nt).NTSTATUSLayout() with nt from [Code.NTSTATUS].
func (c Code) NTSTATUSLayout() NTSTATUSFields {
	v := c.Value
	return NTSTATUSFields{
		Sev:      uint8(v >> 30),
		C:        v&bitC != 0,
		N:        v&bitN != 0,
		Facility: uint16(v >> 16 & 0xFFF),
		Code:     uint16(v),
	}
}

// Facility returns the facility number of the primary reading: the 11-bit
// HRESULT facility for HRESULTs (for one wrapping an NTSTATUS, the 12-bit
// facility of the NTSTATUS), the 12-bit facility for NTSTATUS values and
// 0 for Win32 codes.
func (c Code) Facility() uint16 {
	v := c.Value
	switch c.Kind() {
	case KindWin32:
		return 0
	case KindNTSTATUS:
		return uint16(v >> 16 & 0xFFF)
	}
	if v&bitN != 0 {
		return uint16(v >> 16 & 0xFFF)
	}
	return uint16(v >> 16 & 0x7FF)
}

// FacilityName returns the symbolic name of [Code.Facility] in the primary
// reading's facility table (FACILITY_WIN32, FACILITY_NTWIN32, …), or "" when
// no source names it or the code is a Win32 code.
func (c Code) FacilityName() string {
	switch c.Kind() {
	case KindWin32:
		return ""
	case KindNTSTATUS:
		return NTSTATUSFacilityName(c.Facility())
	}
	if c.Value&bitN != 0 {
		return NTSTATUSFacilityName(c.Facility())
	}
	return FacilityName(c.Facility())
}

// Win32 returns the Win32 error code the value carries and true, or 0 and
// false. Values below 0x10000 are Win32 codes themselves; 0x8007xxxx
// (HRESULT_FROM_WIN32), 0xC007xxxx (NTSTATUS_FROM_WIN32) and 0xD007xxxx
// (HRESULT_FROM_NT of that) carry one in the low word.
func (c Code) Win32() (uint32, bool) {
	v := c.Value
	if v < 0x10000 {
		return v, true
	}
	switch v >> 16 {
	case win32 >> 16, ntw32 >> 16, (ntw32 | bitN) >> 16:
		return v & 0xFFFF, true
	}
	return 0, false
}

// NTSTATUS returns the NTSTATUS the value is or wraps, and true: the value
// itself when its primary reading is an NTSTATUS, the value without the N
// bit (HRESULT_FROM_NT reversed) when the N bit is set. Otherwise it returns
// 0 and false.
func (c Code) NTSTATUS() (uint32, bool) {
	v := c.Value
	switch {
	case v < 0x10000:
		return 0, false
	case v&bitN != 0:
		return v &^ bitN, true
	case c.Kind() == KindNTSTATUS:
		return v, true
	}
	return 0, false
}

// HTTPStatus returns the HTTP status code the value carries, and true:
// FACILITY_HTTP HRESULTs (0x8019xxxx: HTTP_E_STATUS_*, BG_E_HTTP_ERROR_*)
// carry it in the low word, and the WU_E_PT_HTTP_STATUS_* codes of Windows
// Update map to one by a fixed table (0x80244019 is 404). Otherwise it
// returns 0 and false.
func (c Code) HTTPStatus() (int, bool) {
	v := c.Value
	if v&0xFFFF0000 == 0x80190000 {
		s := int(v & 0xFFFF)
		if s >= 100 && s <= 599 {
			return s, true
		}
		return 0, false
	}
	for _, m := range wuHTTP {
		if m.code == v {
			return m.status, true
		}
	}
	return 0, false
}

// wuHTTP maps the WU_E_PT_HTTP_STATUS_* codes of wuerror.h to the HTTP
// status each one stands for; the names say which (…BAD_REQUEST is 400,
// …DENIED 401, …FORBIDDEN 403 and so on). WU_E_PT_HTTP_STATUS_NOT_MAPPED
// (0x8024402B) covers every other status and so maps to none.
var wuHTTP = [...]struct {
	code   uint32
	status int
}{
	{0x80244016, 400}, // WU_E_PT_HTTP_STATUS_BAD_REQUEST
	{0x80244017, 401}, // WU_E_PT_HTTP_STATUS_DENIED
	{0x80244018, 403}, // WU_E_PT_HTTP_STATUS_FORBIDDEN
	{0x80244019, 404}, // WU_E_PT_HTTP_STATUS_NOT_FOUND
	{0x8024401A, 405}, // WU_E_PT_HTTP_STATUS_BAD_METHOD
	{0x8024401B, 407}, // WU_E_PT_HTTP_STATUS_PROXY_AUTH_REQ
	{0x8024401C, 408}, // WU_E_PT_HTTP_STATUS_REQUEST_TIMEOUT
	{0x8024401D, 409}, // WU_E_PT_HTTP_STATUS_CONFLICT
	{0x8024401E, 410}, // WU_E_PT_HTTP_STATUS_GONE
	{0x8024401F, 500}, // WU_E_PT_HTTP_STATUS_SERVER_ERROR
	{0x80244020, 501}, // WU_E_PT_HTTP_STATUS_NOT_SUPPORTED
	{0x80244021, 502}, // WU_E_PT_HTTP_STATUS_BAD_GATEWAY
	{0x80244022, 503}, // WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL
	{0x80244023, 504}, // WU_E_PT_HTTP_STATUS_GATEWAY_TIMEOUT
	{0x80244024, 505}, // WU_E_PT_HTTP_STATUS_VERSION_NOT_SUP
}

// WUComponent returns the Windows Update Agent component a 0x8024xxxx or
// 0x0024xxxx code belongs to, from the sub-range of its code field (the
// sections of wuerror.h): "PT" (protocol talker: SOAP, HTTP, WinHTTP) for
// 0x80244xxx, "DM" (download manager) for 0x80246xxx and so on. It returns
// "" for other codes. This names the component even for codes no header
// lists.
func (c Code) WUComponent() string {
	v := c.Value
	if v&0x7FFF0000 != 0x00240000 {
		return ""
	}
	code := v & 0xFFFF
	switch {
	case code >= 0xA100 && code < 0xA200:
		return "USO" // Update Session Orchestrator (USO_E_*)
	case code >= 0x0400 && code < 0x0500:
		return "PT" // the WU_E_PT_* codes numbered 0x80240436…
	case code >= 0x5000 && code < 0x5100:
		return "REDIRECTOR"
	case code >= 0x5100 && code < 0x5200:
		return "SIH" // service-initiated healing
	case code >= 0x7100 && code < 0x7200:
		return "METADATA"
	case code >= 0xB000 && code < 0xB100:
		return "WUTASK"
	}
	switch code >> 12 {
	case 0x0:
		return "general"
	case 0x1:
		return "MSI"
	case 0x2:
		return "UH" // update handler
	case 0x3:
		return "UI" // AU client UI
	case 0x4:
		return "PT"
	case 0x5:
		return "REDIRECTOR"
	case 0x6:
		return "DM"
	case 0x7:
		return "OL" // offline scan
	case 0x8:
		return "DS" // data store
	case 0x9:
		return "INVENTORY"
	case 0xA:
		return "AU"
	case 0xB:
		return "WUTASK"
	case 0xC:
		return "DRV"
	case 0xD:
		return "SETUP"
	case 0xE:
		return "EE" // expression evaluator
	case 0xF:
		return "REPORTER"
	}
	return ""
}
