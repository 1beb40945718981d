//go:build !purego

package logparse

import "golang.org/x/sys/cpu"

var hasAVX2 = cpu.X86.HasAVX2

// classifyAVX2 classifies blocks 64-byte blocks at p (which has after
// readable bytes after them) into nl[0:blocks] and tg[0:blocks].
//
//go:noescape
func classifyAVX2(p *byte, blocks int, nl, tg *uint64)

// classifyAsm classifies with AVX2 and reports whether it could.
func classifyAsm(p []byte, blocks int, nl, tg []uint64) bool {
	if !hasAVX2 {
		return false
	}
	if len(p) < blocks*64+after || len(nl) < blocks || len(tg) < blocks {
		panic("logparse: classify: short buffer")
	}
	classifyAVX2(&p[0], blocks, &nl[0], &tg[0])
	return true
}
