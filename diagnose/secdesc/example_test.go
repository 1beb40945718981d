package secdesc_test

import (
	"fmt"

	"github.com/wulog/wulog/diagnose/secdesc"
)

func ExampleServiceSID() {
	fmt.Println(secdesc.ServiceSID("CryptSvc"))
	// Output: S-1-5-80-242729624-280608522-2219052887-3187409060-2225943459
}

func ExampleServiceKeyAccess() {
	// The AutoUpdate key after "disable inheritance" removed the CryptSvc
	// grant: the DACL is protected and only SYSTEM and Administrators can
	// write.
	sd, err := secdesc.ParseSDDL("O:SYG:SYD:PAI(A;CIIO;KA;;;CO)(A;CI;KA;;;SY)(A;CI;KA;;;BA)(A;CI;KR;;;BU)(A;CI;KR;;;AC)")
	if err != nil {
		panic(err)
	}
	k := secdesc.ServiceKeyAccess(sd, "CryptSvc", secdesc.NetworkService)
	fmt.Println("protected:", k.Protected)
	fmt.Println("can write:", k.CanWrite)
	fmt.Println(k.Reason)
	// Output:
	// protected: true
	// can write: false
	// NT SERVICE\CryptSvc cannot set values: no ACE grants KEY_SET_VALUE and the DACL is protected (inheritance disabled), so the parent's grants do not apply
}

func ExampleParse() {
	// A self-relative descriptor as RegGetKeySecurity returns it (here:
	// Wine's default registry key descriptor).
	b := secdesc.MustParseSDDL("O:BAG:BAD:(A;CIIO;GR;;;BU)(A;;KA;;;BA)").Bytes()
	sd, err := secdesc.Parse(b)
	if err != nil {
		panic(err)
	}
	fmt.Println(sd.Control)
	for _, a := range sd.DACL.ACEs {
		fmt.Printf("%s %s %s inherit-only=%v\n", a.Type, a.SID.Name(), a.Mask.KeyString(), a.InheritOnly())
	}
	// Output:
	// SE_DACL_PRESENT|SE_SELF_RELATIVE
	// ACCESS_ALLOWED BUILTIN\Users GENERIC_READ inherit-only=true
	// ACCESS_ALLOWED BUILTIN\Administrators KEY_ALL_ACCESS inherit-only=false
}
