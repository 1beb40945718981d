package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/sample"
	"github.com/wulog/wulog/report"
)

// Analyse the embedded seed case and read its JSON report (schema
// wulog.report/v1) as a tool post-processing it would: the root causes
// of each input, and which finding explains which.
func ExampleWrite() {
	res, err := diagnose.Analyze(context.Background(), sample.Records(), sample.Facts{}, diagnose.Options{})
	if err != nil {
		panic(err)
	}
	r := &report.Report{Inputs: []report.Input{{Name: sample.LogName, Result: res}}}
	var buf bytes.Buffer
	if err := report.Write(&buf, r, report.JSON, report.Options{}); err != nil {
		panic(err)
	}
	var doc struct {
		Schema string `json:"schema"`
		Inputs []struct {
			MaxSeverity string   `json:"max_severity"`
			RootCauses  []string `json:"root_causes"`
		} `json:"inputs"`
		Findings []struct {
			Rule        string `json:"rule"`
			ExplainedBy string `json:"explained_by"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		panic(err)
	}
	fmt.Println(doc.Schema, doc.Inputs[0].MaxSeverity, doc.Inputs[0].RootCauses)
	for _, f := range doc.Findings {
		if f.ExplainedBy != "" {
			fmt.Println(f.Rule, "explained by", f.ExplainedBy)
		}
	}
	// Output:
	// wulog.report/v1 error [WU1003]
	// WU1001 explained by WU1003
	// WU1002 explained by WU1003
	// WU1022 explained by WU1003
	// WU1000 explained by WU1003
}
