package logparse

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/wulog/wulog/internal/shared"
)

// bitByBit classifies hay one byte at a time with triggerAt.
func bitByBit(hay []byte) (nl, tg []uint64) {
	nl = make([]uint64, len(hay)/64+1)
	tg = make([]uint64, len(hay)/64+1)
	for i, c := range hay {
		if c == '\n' {
			nl[i/64] |= 1 << uint(i%64)
		}
		if triggerAt(hay, i) {
			tg[i/64] |= 1 << uint(i%64)
		}
	}
	return nl, tg
}

// checkMarks checks that the kernels (assembly where there is one, and
// pure Go) and marks.update, fed the haystack at once and in pieces, agree
// with bitByBit.
func checkMarks(t *testing.T, hay []byte) {
	t.Helper()
	wantNL, wantTG := bitByBit(hay)
	same := func(what string, nl, tg []uint64, n int) {
		t.Helper()
		for k := 0; k < n; k++ {
			if nl[k] != wantNL[k] || tg[k] != wantTG[k] {
				t.Fatalf("%s: word %d of %q:\n nl %064b\nwant %064b\n tg %064b\nwant %064b", what, k,
					hay[k*64:min(len(hay), k*64+64)], nl[k], wantNL[k], tg[k], wantTG[k])
			}
		}
	}
	if blocks := (len(hay) - after) / 64; blocks > 0 {
		nl, tg := make([]uint64, blocks), make([]uint64, blocks)
		if classifyAsm(hay, blocks, nl, tg) {
			same("assembly", nl, tg, blocks)
		}
		nl, tg = make([]uint64, blocks), make([]uint64, blocks)
		classifyGo(hay, blocks, nl, tg)
		same("pure Go", nl, tg, blocks)
	}
	var mk marks
	mk.update(hay)
	same("update", mk.nl, mk.tg, len(hay)/64+1)
	// Growing haystack, as the scanner reads: provisional bits at the end
	// must be redone.
	var grow marks
	for n := 0; n < len(hay); n += 1 + n%7 {
		grow.update(hay[:n])
	}
	grow.update(hay)
	same("update in pieces", grow.nl, grow.tg, len(hay)/64+1)
}

func TestMarks(t *testing.T) {
	// Every trigger at every offset of a block, and cut at every length.
	for _, pat := range []string{"http", "HTTP", "hr", "Hr", "hR", "ht", "0x", "0X", "[", "(cV", "(C", "rr", "rR", "Rr",
		"22:19:01", ":::", "\n", "h", "x", "(", ":", "r", "\x00x", "\xe8r", "\xc8t", "\xa0"} {
		for off := 0; off < 70; off++ {
			hay := bytes.Repeat([]byte{'.'}, 140)
			copy(hay[off:], pat)
			checkMarks(t, hay)
			checkMarks(t, hay[:off+len(pat)])
		}
	}
	// Random bytes drawn from the interesting ones.
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("hHtTrR0xXcC[(:\n .\x00\xff\xe8\x88\xc8")
	for n := 0; n < 300; n++ {
		hay := make([]byte, n)
		for i := range hay {
			hay[i] = alphabet[rng.IntN(len(alphabet))]
		}
		checkMarks(t, hay)
	}
	// Real logs.
	files, _ := filepath.Glob(shared.Path("corpus", "*"))
	files = append(files, "testdata/win10-utf8-lf.log")
	for _, f := range files {
		if data, err := os.ReadFile(f); err == nil {
			checkMarks(t, data[:min(len(data), 1<<16)])
		}
	}
}

func TestNextBit(t *testing.T) {
	w := []uint64{1 << 3, 0, 1<<0 | 1<<63}
	for _, tc := range []struct{ i, end, want int }{
		{0, 192, 3}, {3, 192, 3}, {4, 192, 128}, {4, 128, -1}, {129, 192, 191}, {129, 191, -1}, {192, 192, -1}, {0, 3, -1},
	} {
		if got := nextBit(w, tc.i, tc.end); got != tc.want {
			t.Errorf("nextBit(%d, %d) = %d, want %d", tc.i, tc.end, got, tc.want)
		}
	}
}

// FuzzMarks checks the classification kernels against the byte by byte
// definition.
func FuzzMarks(f *testing.F) {
	f.Add([]byte("2023/03/21 22:19:01.8143606 19924 14968 Misc            *FAILED* [80072F8F] Send request (cV = x) hr = 0x80072f8f https://a error\n"))
	f.Fuzz(func(t *testing.T, hay []byte) { checkMarks(t, hay) })
}

// BenchmarkClassify measures the classification kernels alone on a real
// Windows 10 log: assembly where there is one, and pure Go.
func BenchmarkClassify(b *testing.B) {
	files, _ := filepath.Glob(shared.Path("corpus", "win1*.log"))
	if len(files) == 0 {
		b.Skip("no Windows 10 logs in ../shared/corpus")
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		b.Fatal(err)
	}
	blocks := (len(data) - after) / 64
	nl, tg := make([]uint64, blocks), make([]uint64, blocks)
	b.Run("asm", func(b *testing.B) {
		if !classifyAsm(data, blocks, nl, tg) {
			b.Skip("no assembly kernel on this machine")
		}
		b.SetBytes(int64(blocks * 64))
		for b.Loop() {
			classifyAsm(data, blocks, nl, tg)
		}
	})
	b.Run("go", func(b *testing.B) {
		b.SetBytes(int64(blocks * 64))
		for b.Loop() {
			classifyGo(data, blocks, nl, tg)
		}
	})
}
