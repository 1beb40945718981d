package hresult

import "fmt"

// Windows Setup reports a failed upgrade as a result code and an extend code,
// written "0xC1900101 - 0x4001E". The extend code's first hex digit (bits
// 16-19) is the phase and its low byte the operation that was running.
// Source: "Upgrade error codes", Windows IT Pro docs,
// https://github.com/MicrosoftDocs/windows-itpro-docs/blob/0ff879918fe96539b2bada696e870e5dadaec61a/windows/deployment/upgrade/upgrade-error-codes.md
// (the tables name them SP_EXECUTION_<phase> and SP_EXECUTION_OP_<operation>;
// the prefixes are dropped here).

var setupPhases = [...]string{
	0: "UNKNOWN",
	1: "DOWNLEVEL",  // running in the old OS
	2: "SAFE_OS",    // WinPE / safe OS
	3: "FIRST_BOOT", // first boot into the new OS
	4: "OOBE_BOOT",  // second boot, OOBE
	5: "UNINSTALL",  // rolling back / uninstalling
}

var setupOperations = [...]string{
	0x00: "UNKNOWN",
	0x01: "COPY_PAYLOAD",
	0x02: "DOWNLOAD_UPDATES",
	0x03: "INSTALL_UPDATES",
	0x04: "INSTALL_RECOVERY_ENVIRONMENT",
	0x05: "INSTALL_RECOVERY_IMAGE",
	0x06: "REPLICATE_OC",
	0x07: "INSTALL_DRIVERS", // spelled INSTALL_DRVIERS in the docs
	0x08: "PREPARE_SAFE_OS",
	0x09: "PREPARE_ROLLBACK",
	0x0A: "PREPARE_FIRST_BOOT",
	0x0B: "PREPARE_OOBE_BOOT",
	0x0C: "APPLY_IMAGE",
	0x0D: "MIGRATE_DATA",
	0x0E: "SET_PRODUCT_KEY",
	0x0F: "ADD_UNATTEND",
	0x10: "ADD_DRIVER",
	0x11: "ENABLE_FEATURE",
	0x12: "DISABLE_FEATURE",
	0x13: "REGISTER_ASYNC_PROCESS",
	0x14: "REGISTER_SYNC_PROCESS",
	0x15: "CREATE_FILE",
	0x16: "CREATE_REGISTRY",
	0x17: "BOOT",
	0x18: "SYSPREP",
	0x19: "OOBE",
	0x1A: "BEGIN_FIRST_BOOT",
	0x1B: "END_FIRST_BOOT",
	0x1C: "BEGIN_OOBE_BOOT",
	0x1D: "END_OOBE_BOOT",
	0x1E: "PRE_OOBE",
	0x1F: "POST_OOBE",
	0x20: "ADD_PROVISIONING_PACKAGE",
}

// Extend is a Windows Setup extend code, the second number of a pair such as
// "0xC1900101 - 0x4001E".
type Extend uint32

// Phase returns the setup phase number (the extend code's bits 16-19) and
// its name ("SAFE_OS", "OOBE_BOOT", …; "" when the docs name none).
func (e Extend) Phase() (uint8, string) {
	p := uint8(e >> 16 & 0xF)
	if int(p) < len(setupPhases) {
		return p, setupPhases[p]
	}
	return p, ""
}

// Operation returns the operation number (the low byte) and its name
// ("MIGRATE_DATA", "PRE_OOBE", …; "" when the docs name none).
func (e Extend) Operation() (uint8, string) {
	o := uint8(e)
	if int(o) < len(setupOperations) {
		return o, setupOperations[o]
	}
	return o, ""
}

// String returns the extend code as "0x%X", the way Setup prints it.
func (e Extend) String() string { return fmt.Sprintf("0x%X", uint32(e)) }
