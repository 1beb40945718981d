package secdesc

import "testing"

func BenchmarkParse(b *testing.B) {
	raw := MustParseSDDL(healthyAutoUpdate).Bytes()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkServiceKeyAccess(b *testing.B) {
	sd := MustParseSDDL(healthyAutoUpdate)
	b.ReportAllocs()
	for b.Loop() {
		_ = ServiceKeyAccess(sd, "CryptSvc", NetworkService)
	}
}
