package regf

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Hashes that hivex (hivexsh -w, "add Alpha", "add Zebra") wrote into an
// lh list: an independent implementation of the same hash.
func TestLhHashMatchesHivex(t *testing.T) {
	for name, want := range map[string]uint32{"Alpha": 0x077f4946, "Zebra": 0x0a448658, "ControlSet001": 0x8f3ba9a2} {
		if got := lhHash(name); got != want {
			t.Errorf("lhHash(%q) = %#x, want %#x", name, got, want)
		}
	}
}

// The checksum of a real Windows hive's base block (regparser's
// testdata/NTUSER.DAT) must come out as stored in it.
func TestChecksumRealHive(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "www.velocidex.com/golang/regparser").Output()
	if err != nil {
		t.Skipf("regparser module not available: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "testdata", "NTUSER.DAT"))
	if err != nil {
		t.Skipf("real hive not available: %v", err)
	}
	if got, want := Checksum(b[:512]), binary.LittleEndian.Uint32(b[0x1FC:]); got != want {
		t.Errorf("Checksum = %#x, stored %#x", got, want)
	}
}

func TestLayout(t *testing.T) {
	at := time.Date(2023, 3, 21, 22, 30, 0, 0, time.UTC)
	h := NewHive("ROOT", at, []byte{1, 0, 4, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	h.Root.Key(`A\B`).Set("small", 4, []byte{1, 2, 3, 4}).Set("big", 3, make([]byte, 100))
	b, err := h.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:4]) != "regf" || string(b[0x1000:0x1004]) != "hbin" || len(b)%4096 != 0 {
		t.Fatalf("layout: %q %q %d", b[:4], b[0x1000:0x1004], len(b))
	}
	if Checksum(b[:512]) != binary.LittleEndian.Uint32(b[0x1FC:]) {
		t.Error("checksum")
	}
	if got := binary.LittleEndian.Uint32(b[0x28:]); int(got) != len(b)-0x1000 {
		t.Errorf("hive bins size %d, file %d", got, len(b))
	}
	// The last cell of the bin is free (positive size) and ends the bin.
	p := 0x1000 + 0x20
	for p < len(b) {
		size := int32(binary.LittleEndian.Uint32(b[p:]))
		if size < 0 {
			size = -size
		} else if p+int(size) != len(b) {
			t.Fatalf("free cell at %#x does not end the bin", p)
		}
		if size < 8 || size%8 != 0 {
			t.Fatalf("cell at %#x has size %d", p, size)
		}
		p += int(size)
	}
	if p != len(b) {
		t.Errorf("cells end at %#x, file at %#x", p, len(b))
	}
}

func TestErrors(t *testing.T) {
	sd := []byte{1, 0, 4, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	h := NewHive("ROOT", time.Now(), nil)
	if _, err := h.Bytes(); err == nil {
		t.Error("root without descriptor accepted")
	}
	h = NewHive("ROOT", time.Now(), sd)
	h.Root.Key("A").Set("v", 3, make([]byte, 20000))
	if _, err := h.Bytes(); err == nil || !strings.Contains(err.Error(), "big data") {
		t.Errorf("big value: %v", err)
	}
	h = NewHive("ROOT", time.Now(), sd)
	h.Root.Subkeys = []*Key{{Name: "x"}, {Name: "X"}}
	if _, err := h.Bytes(); err == nil || !strings.Contains(err.Error(), "two subkeys") {
		t.Errorf("duplicate subkeys: %v", err)
	}
}
