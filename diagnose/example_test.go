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

// A rule is a value: an ID, a title, a doc and a Run function that reads
// the evidence and reports findings. Rules do no I/O, so they are easy to
// run on evidence built in a test.
func ExampleRule() {
	failingScans := &diagnose.Rule{
		ID:    "WU9001",
		Name:  "no-successful-scan",
		Title: "No scan succeeded",
		Doc:   "Reports a log in which every scan failed.",
		Run: func(p *diagnose.Pass) (any, error) {
			s := p.Evidence.Ops[diagnose.Scan]
			if s.Failed > 0 && s.Succeeded == 0 {
				p.Report(diagnose.Finding{
					Severity: diagnose.Error,
					Title:    fmt.Sprintf("all %d scans failed", s.Failed),
					Chain:    []string{"last scan: " + diagnose.CodeLabel(s.LastFailure.Code)},
					Evidence: []diagnose.Citation{s.LastFailure.Line.Cite()},
				})
			}
			return nil, nil
		},
	}
	res, err := diagnose.Analyze(context.Background(), sample.Records(), nil, diagnose.Options{Rules: []*diagnose.Rule{failingScans}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range res.Findings {
		fmt.Println(f.String())
		fmt.Println(" ", f.Chain[0])
		fmt.Println(" ", f.Evidence[0].Where())
	}
	// Output:
	// WU9001 error suspected: all 1 scans failed
	//   last scan: 0x80072F8F ERROR_WINHTTP_SECURE_FAILURE
	//   sample/WindowsUpdate.log:36
}
