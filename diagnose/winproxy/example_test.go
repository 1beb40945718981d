package winproxy_test

import (
	"fmt"

	"github.com/wulog/wulog/diagnose/winproxy"
)

func ExampleParse() {
	// WinHttpSettings after `netsh winhttp set proxy proxy.contoso.com:8080 "<local>"`.
	blob := winproxy.Build(winproxy.Settings{Version: 0x18, Counter: 2, Flags: winproxy.FlagDirect | winproxy.FlagProxy,
		Proxy: "proxy.contoso.com:8080", Bypass: "<local>"})
	s, err := winproxy.Parse(blob)
	if err != nil {
		panic(err)
	}
	fmt.Println(s)
	fmt.Println("Windows Update goes through:", s.ProxyFor("https"))
	// Output:
	// Proxy Server(s): proxy.contoso.com:8080; Bypass List: <local>
	// Windows Update goes through: proxy.contoso.com:8080
}
