package hive_test

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/hive"
	"github.com/wulog/wulog/diagnose/secdesc"
)

func ExampleLoad() {
	dir := filepath.Join("..", "..", "testdata", "hives", "seed-authroot-acl")
	src := hive.Load(hive.Files{Software: filepath.Join(dir, "SOFTWARE"), System: filepath.Join(dir, "SYSTEM")})
	f, err := src.Facts(context.Background())
	if err != nil {
		panic(err)
	}
	v := f.Registry[diagnose.RegDisallowedSync]
	t, _ := v.Value.FileTime()
	fmt.Println("DisallowedCertLastSyncTime:", t.Format("2006-01-02 15:04:05"), "hives copied:", f.CollectedAt.Format("2006-01-02 15:04"))
	sd, _ := secdesc.Parse(f.KeySecurity[diagnose.KeyAutoUpdate].Value)
	fmt.Println(sd.SDDL())
	fmt.Println(secdesc.ServiceKeyAccess(sd, "CryptSvc", secdesc.NetworkService).CanWrite)
	// Output:
	// DisallowedCertLastSyncTime: 2023-03-14 08:12:37 hives copied: 2023-03-21 22:30
	// O:SYG:SYD:PAI(A;CIIO;KA;;;CO)(A;CI;KA;;;SY)(A;CI;KA;;;BA)(A;CI;KR;;;BU)(A;CI;KR;;;AC)
	// false
}
