package hresult

import "testing"

var benchCodes = []uint32{0x80072F8F, 0x80092013, 0x8024402C, 0x80070005, 5, 0xD0000034, 0xC1900101, 0x80246007, 0xDEADBEEF, 0x00240006}

// BenchmarkDecode measures Decode with the name lookup a report does
// (Name, Names, Description). Bytes are the 4 bytes of each code.
func BenchmarkDecode(b *testing.B) {
	tab()
	b.ReportAllocs()
	b.SetBytes(4)
	n := 0
	for i := 0; b.Loop(); i++ {
		c := Decode(benchCodes[i%len(benchCodes)])
		n += len(c.Names()) + len(c.Name()) + len(c.Description())
	}
	if n == 0 {
		b.Fatal("no names")
	}
}

var benchInputs = []string{"0x80072F8F", "[8024402C]", "hr = 80072ee2", "-2147012721", "2147954575", "CRYPT_E_REVOCATION_OFFLINE", "0xC1900101 - 0x4001E", "Result = 0xC1800104[gle=0x00000002]"}

// BenchmarkParse measures Parse over the common spellings; bytes are the
// input lengths.
func BenchmarkParse(b *testing.B) {
	tab()
	size := 0
	for _, s := range benchInputs {
		size += len(s)
	}
	b.ReportAllocs()
	b.SetBytes(int64(size / len(benchInputs)))
	for i := 0; b.Loop(); i++ {
		if _, err := Parse(benchInputs[i%len(benchInputs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTableBuild measures the one-time construction of the lookup
// tables (paid on the first Decode).
func BenchmarkTableBuild(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		buildTable(genNames[:], genByName[:], extraTSV, descriptionsTSV)
	}
}
