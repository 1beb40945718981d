package chainstatus_test

import (
	"fmt"

	"github.com/wulog/wulog/diagnose/chainstatus"
)

func ExampleSummarize() {
	// What Windows reports when the CRL server of the Windows Update chain
	// cannot be reached.
	s := chainstatus.Summarize(0x01000040, 0x80092013)
	fmt.Println(s.Class)
	fmt.Println(s.ErrorStatus)
	fmt.Println(s.Policy)
	fmt.Println(s.Explanation)
	// Output:
	// revocation-offline
	// 0x01000040 (CERT_TRUST_REVOCATION_STATUS_UNKNOWN | CERT_TRUST_IS_OFFLINE_REVOCATION)
	// 0x80092013 CRYPT_E_REVOCATION_OFFLINE
	// revocation could not be checked: the CRL/OCSP server was offline or unreachable
}
