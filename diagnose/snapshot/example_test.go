package snapshot_test

import (
	"fmt"
	"strings"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/snapshot"
)

func ExampleRead() {
	doc := `{
	  "schema": "wulog.snapshot/v1",
	  "collected_at": "2023-03-21T22:30:00Z",
	  "registry": {
	    "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\AuthRoot\\AutoUpdate\\DisallowedCertLastSyncTime": {"time": "2023-03-14T08:12:37Z"}
	  },
	  "key_security": {
	    "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\AuthRoot\\AutoUpdate": {"sddl": "O:SYG:SYD:PAI(A;CI;KA;;;SY)(A;CI;KA;;;BA)(A;CI;KR;;;BU)"}
	  }
	}`
	f, err := snapshot.Read(strings.NewReader(doc), "pc1.json")
	if err != nil {
		panic(err)
	}
	v, _ := f.Reg(diagnose.RegDisallowedSync)
	t, _ := v.Value.FileTime()
	fmt.Println("synced", f.CollectedAt.Sub(t).Round(1e9), "before collection; source:", v.Source)
	fmt.Printf("descriptor: %d bytes\n", len(f.KeySecurity[diagnose.KeyAutoUpdate].Value))
	// Output:
	// synced 182h17m23s before collection; source: snapshot pc1.json
	// descriptor: 120 bytes
}
