package xpress_test

import (
	"fmt"

	"github.com/wulog/wulog/logparse/etl/xpress"
)

// Decompress the second example of [MS-XCA] section 3.1: "abc" repeated
// 100 times in 13 bytes.
func ExampleDecompress() {
	src := []byte{0xff, 0xff, 0xff, 0x1f, 0x61, 0x62, 0x63, 0x17, 0x00, 0x0f, 0xff, 0x26, 0x01}
	dst := make([]byte, 300)
	n, err := xpress.Decompress(dst, src)
	fmt.Println(n, err, string(dst[:9]))
	// Output: 300 <nil> abcabcabc
}
