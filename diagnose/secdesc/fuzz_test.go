package secdesc

import (
	"bytes"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add(wineBinary())
	f.Add(MustParseSDDL(healthyAutoUpdate).Bytes())
	f.Add(MustParseSDDL(protectedNoCryptSvc).Bytes())
	f.Add([]byte{1, 0, 0x14, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := Parse(b)
		if err != nil {
			return
		}
		_ = sd.SDDL()
		_ = ServiceKeyAccess(sd, "CryptSvc", NetworkService)
		enc := sd.Bytes()
		sd2, err := Parse(enc)
		if err != nil {
			t.Fatalf("re-parse of encoded descriptor: %v\n% x", err, enc)
		}
		if enc2 := sd2.Bytes(); !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding not stable:\n% x\n% x", enc, enc2)
		}
	})
}

func FuzzParseSDDL(f *testing.F) {
	for _, s := range []string{healthyAutoUpdate, healthyAuthRoot, protectedNoCryptSvc, wineDefault, "D:NO_ACCESS_CONTROL", "O:S-1-5-21-1-2-3-500D:P(D;OICI;0x10;;;WD)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sd, err := ParseSDDL(s)
		if err != nil {
			return
		}
		out := sd.SDDL()
		sd2, err := ParseSDDL(out)
		if err != nil {
			t.Fatalf("formatted SDDL %q (from %q) does not parse: %v", out, s, err)
		}
		if out2 := sd2.SDDL(); out2 != out {
			t.Fatalf("SDDL not stable: %q -> %q", out, out2)
		}
		if _, err := Parse(sd.Bytes()); err != nil {
			t.Fatalf("binary of %q does not parse: %v", out, err)
		}
	})
}
