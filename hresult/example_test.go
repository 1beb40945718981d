package hresult_test

import (
	"fmt"

	"github.com/wulog/wulog/hresult"
)

func ExampleDecode() {
	c := hresult.Decode(0x80072F8F)
	fmt.Println(c, c.Kind(), c.FacilityName(), c.IsFailure())
	w, _ := c.Win32()
	fmt.Println("Win32", w)
	for _, n := range c.Names() {
		fmt.Println(n.Name, n.Kind, n.Source)
	}
	// Output:
	// 0x80072F8F HRESULT FACILITY_WIN32 true
	// Win32 12175
	// ERROR_WINHTTP_SECURE_FAILURE Win32 winhttp.h
	// ERROR_INTERNET_DECODING_FAILED Win32 wininet.h
	// WININET_E_DECODING_FAILED HRESULT winerror.h
}

func ExampleParse() {
	for _, s := range []string{"[8024402C]", "hr = 80072ee2", "-2146885613", "12175", "CRYPT_E_REVOCATION_OFFLINE"} {
		p, err := hresult.Parse(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%-28s %s %-16s %s ambiguous=%v\n", s, p.Code, p.Form, p.Name(), p.Ambiguous)
	}
	p, _ := hresult.Parse("0xC1900101 - 0x4001E")
	_, phase := p.Extend.Phase()
	_, op := p.Extend.Operation()
	fmt.Println(p.Code, p.Name(), phase, op)
	_, err := hresult.Parse("0x8007000G")
	fmt.Println(err)
	// Output:
	// [8024402C]                   0x8024402C bare hex         WU_E_PT_WINHTTP_NAME_NOT_RESOLVED ambiguous=false
	// hr = 80072ee2                0x80072EE2 bare hex         ERROR_WINHTTP_TIMEOUT ambiguous=false
	// -2146885613                  0x80092013 signed decimal   CRYPT_E_REVOCATION_OFFLINE ambiguous=false
	// 12175                        0x00002F8F decimal Win32 code ERROR_WINHTTP_SECURE_FAILURE ambiguous=true
	// CRYPT_E_REVOCATION_OFFLINE   0x80092013 symbolic name    CRYPT_E_REVOCATION_OFFLINE ambiguous=false
	// 0xC1900101 MOSETUP_E_SETUP_PLATFORM OOBE_BOOT PRE_OOBE
	// "0x8007000G" is not an error code: bad hex digit in 0x8007000G
}

func ExampleLookup() {
	c, kind, ok := hresult.Lookup("ERROR_SXS_COMPONENT_STORE_CORRUPT")
	fmt.Println(c, kind, ok, hresult.Decode(0x80070000|c.Value).Name())
	// Output:
	// 0x00003712 Win32 true ERROR_SXS_COMPONENT_STORE_CORRUPT
}
