//go:build !windows

package live

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestNeedsWindows(t *testing.T) {
	_, err := New(Options{}).Facts(context.Background())
	if !errors.Is(err, ErrNeedsWindows) || !strings.Contains(err.Error(), "--facts") || !strings.Contains(err.Error(), "wulog collect") {
		t.Fatalf("err = %v", err)
	}
}
