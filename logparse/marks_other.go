//go:build !amd64 || purego

package logparse

// classifyAsm reports that there is no assembly version here.
func classifyAsm(p []byte, blocks int, nl, tg []uint64) bool { return false }
