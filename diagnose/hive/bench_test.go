package hive

import (
	"os"
	"testing"
)

func BenchmarkFacts(b *testing.B) {
	f := files("seed-authroot-acl")
	var raw [3][]byte
	for i, p := range []string{f.Software, f.System, f.User} {
		var err error
		if raw[i], err = os.ReadFile(p); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(raw[0]) + len(raw[1]) + len(raw[2])))
	b.ReportAllocs()
	for b.Loop() {
		sw, _ := Open("SOFTWARE", "SOFTWARE", raw[0])
		sy, _ := Open("SYSTEM", "SYSTEM", raw[1])
		us, _ := Open("NTUSER.DAT", "NTUSER.DAT", raw[2])
		if _, err := FactsFrom(sw, sy, us); err != nil {
			b.Fatal(err)
		}
	}
}
