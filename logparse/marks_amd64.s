//go:build !purego

#include "textflag.h"

// Byte constants, broadcast into Y registers at the start.
#define BCAST(c, X, Y) MOVQ $c, AX; MOVQ AX, X; VPBROADCASTB X, Y

// One 32-byte half of a block at off(SI): the newline mask into NL, the
// trigger mask into TG (see marks.go for the triggers). Y1 is the next
// byte (then in lower case), Y2 the byte 3 on; Y3 gathers the triggers:
// ":..:", "rr", "ht" "hr" (any case), "0x", "[", "(c".
#define HALF(off, NL, TG) \
	VMOVDQU   off(SI), Y0; \
	VMOVDQU   off+1(SI), Y1; \
	VMOVDQU   off+3(SI), Y2; \
	VPCMPEQB  Y6, Y0, Y3; \
	VPMOVMSKB Y3, NL; \
	VPCMPEQB  Y15, Y0, Y3; \
	VPCMPEQB  Y15, Y2, Y4; \
	VPAND     Y4, Y3, Y3; \
	VPCMPEQB  Y10, Y0, Y4; \
	VPCMPEQB  Y10, Y1, Y5; \
	VPAND     Y5, Y4, Y4; \
	VPOR      Y4, Y3, Y3; \
	VPOR      Y7, Y1, Y1; \
	VPOR      Y7, Y0, Y4; \
	VPCMPEQB  Y8, Y4, Y4; \
	VPCMPEQB  Y9, Y1, Y5; \
	VPCMPEQB  Y10, Y1, Y2; \
	VPOR      Y2, Y5, Y5; \
	VPAND     Y5, Y4, Y4; \
	VPOR      Y4, Y3, Y3; \
	VPCMPEQB  Y11, Y0, Y4; \
	VPCMPEQB  Y12, Y1, Y5; \
	VPAND     Y5, Y4, Y4; \
	VPOR      Y4, Y3, Y3; \
	VPCMPEQB  Y13, Y0, Y4; \
	VPOR      Y4, Y3, Y3; \
	VPCMPEQB  Y14, Y0, Y4; \
	VPCMPEQB  (R10), Y1, Y5; \
	VPAND     Y5, Y4, Y4; \
	VPOR      Y4, Y3, Y3; \
	VPMOVMSKB Y3, TG

DATA lowerC<>+0(SB)/8, $0x6363636363636363
DATA lowerC<>+8(SB)/8, $0x6363636363636363
DATA lowerC<>+16(SB)/8, $0x6363636363636363
DATA lowerC<>+24(SB)/8, $0x6363636363636363
GLOBL lowerC<>(SB), RODATA|NOPTR, $32

// func classifyAVX2(p *byte, blocks int, nl, tg *uint64)
//
// For each 64-byte block at p (followed by 3 readable bytes): a word of nl
// with a bit for each '\n', a word of tg with a bit for each trigger.
TEXT ·classifyAVX2(SB), NOSPLIT, $0-32
	MOVQ p+0(FP), SI
	MOVQ blocks+8(FP), CX
	MOVQ nl+16(FP), DI
	MOVQ tg+24(FP), R8
	TESTQ CX, CX
	JZ   done
	LEAQ lowerC<>(SB), R10

	BCAST(0x0a, X6, Y6)   // '\n'
	BCAST(0x20, X7, Y7)   // lower case bit
	BCAST(0x68, X8, Y8)   // 'h'
	BCAST(0x74, X9, Y9)   // 't'
	BCAST(0x72, X10, Y10) // 'r'
	BCAST(0x30, X11, Y11) // '0'
	BCAST(0x78, X12, Y12) // 'x'
	BCAST(0x5b, X13, Y13) // '['
	BCAST(0x28, X14, Y14) // '('
	BCAST(0x3a, X15, Y15) // ':'

loop:
	HALF(0, AX, BX)
	HALF(32, DX, R9)
	SHLQ $32, DX
	ORQ  DX, AX
	MOVQ AX, (DI)
	SHLQ $32, R9
	ORQ  R9, BX
	MOVQ BX, (R8)
	ADDQ $64, SI
	ADDQ $8, DI
	ADDQ $8, R8
	DECQ CX
	JNZ  loop
	VZEROUPPER

done:
	RET
