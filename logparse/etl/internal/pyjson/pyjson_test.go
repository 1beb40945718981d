package pyjson

import (
	"math"
	"testing"
)

// The expected texts are Python 3's json.dumps output for the same values.
func TestAppendFloat(t *testing.T) {
	for f, want := range map[float64]string{
		0: "0.0", 1: "1.0", -2.5: "-2.5", 1.5: "1.5", 0.1: "0.1", 1e-7: "1e-07", 0.0001: "0.0001",
		0.00001: "1e-05", 1e16: "1e+16", 1e15: "1000000000000000.0", 123456789.125: "123456789.125",
		float64(float32(3.14)): "3.140000104904175", 1.2345678901234568e+17: "1.2345678901234568e+17",
		1e100: "1e+100", math.Inf(1): "Infinity", math.Inf(-1): "-Infinity", -1e-300: "-1e-300",
	} {
		if got := string(AppendFloat(nil, f)); got != want {
			t.Errorf("AppendFloat(%v) = %s, want %s", f, got, want)
		}
	}
	if got := string(AppendFloat(nil, math.NaN())); got != "NaN" {
		t.Errorf("NaN = %s", got)
	}
}

func TestAppendString(t *testing.T) {
	for in, want := range map[string]string{
		"plain":          `"plain"`,
		"q\"b\\":         `"q\"b\\"`,
		"\r\n\t\b\f\x01": `"\r\n\t\b\f\u0001"`,
		"© <&> \x7f":     "\"© <&> \x7f\"",
		"bad\xffutf8":    "\"bad\uFFFDutf8\"",
	} {
		if got := string(AppendString(nil, in)); got != want {
			t.Errorf("AppendString(%q) = %s, want %s", in, got, want)
		}
	}
}
