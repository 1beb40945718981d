package diagnose_test

import (
	"context"
	"fmt"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/sample"
)

// Analyze folds a log, reads the machine's facts and runs the rules; the
// root cause comes first.
func ExampleAnalyze() {
	res, err := diagnose.Analyze(context.Background(), sample.Records(), sample.Facts{}, diagnose.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range res.RootCauses() {
		fmt.Println(f.Rule, f.Severity, f.Confidence)
		for _, link := range f.Chain {
			fmt.Println(" ", link)
		}
	}
	// Output:
	// WU1003 error confirmed
	//   0x80072F8F ERROR_WINHTTP_SECURE_FAILURE at slscr.update.microsoft.com in Misc/SLS/Agent/ComApi: 22 times between 22:18:57 and 22:18:59 on 2023-03-21 (retry counter reached 1)
	//   <- 0x80092013 CRYPT_E_REVOCATION_OFFLINE: the revocation check of the server certificate cannot complete without a current disallowed CTL (crypt32 does not write this code to WindowsUpdate.log)
	//   <- DisallowedCertLastSyncTime 2023-03-14 09:47 UTC is 7 days 12 hours old at the log's last record, 2023-03-21 22:18:59 (local) (the disallowed CTL is refreshed daily; stale after 48 hours)
	//   <- the AutoUpdate key's DACL is protected (inheritance disabled) and has no entry for NT SERVICE\CryptSvc: NT SERVICE\CryptSvc cannot set values: no ACE grants KEY_SET_VALUE and the DACL is protected (inheritance disabled), so the parent's grants do not apply
}
