package live

import (
	"time"

	"github.com/wulog/wulog/diagnose"
)

// system is the thin layer of system calls that the probes need. The
// Windows implementation is in sys_windows.go; tests on every OS use fakes.
// Every method only reads. Errors wrap the system's own error (a
// syscall.Errno on Windows), so that errors.Is(err, fs.ErrPermission) and
// errors.Is(err, fs.ErrNotExist) work.
type system interface {
	// Hostname returns the computer name.
	Hostname() (string, error)
	// Elevated reports whether the process runs with an elevated token.
	Elevated() (bool, error)
	// ReadValue reads one registry value given by its full path
	// (`HKLM\...\Key\Value`). A missing key or value is not an error: it
	// returns a RegValue with Exists false.
	ReadValue(root, key, value string) (diagnose.RegValue, error)
	// KeySecurity returns the self-relative security descriptor (owner,
	// group and DACL) of a registry key.
	KeySecurity(root, key string) ([]byte, error)
	// Service returns a service's raw state and start type.
	Service(name string) (rawService, error)
	// Uptime returns how long the machine has been running.
	Uptime() (time.Duration, error)
	// HostsFile returns the raw bytes of the hosts file and its path.
	HostsFile() ([]byte, string, error)
	// VerifyChain builds the chain of certs (DER, leaf first, as the
	// server sent them) with the machine's chain engine, checking
	// revocation of every certificate, and verifies it with the SSL policy
	// for serverName. urlTimeout bounds each CRL or OCSP fetch.
	VerifyChain(serverName string, certs [][]byte, urlTimeout time.Duration) (rawChain, error)
}

// rawService is what the service manager says about a service, as numbers.
type rawService struct {
	State     uint32 // SERVICE_STATUS.dwCurrentState
	StartType uint32 // QUERY_SERVICE_CONFIG.dwStartType
	Delayed   bool   // SERVICE_CONFIG_DELAYED_AUTO_START_INFO
	// ConfigErr is set when the status was read but the configuration
	// was not.
	ConfigErr error
}

// rawChain is a chain as the chain engine built it.
type rawChain struct {
	ErrorStatus, InfoStatus uint32
	PolicyError             uint32
	Elements                []rawElement
}

// rawElement is one certificate of a chain with its trust status.
type rawElement struct {
	DER                     []byte
	ErrorStatus, InfoStatus uint32
}
