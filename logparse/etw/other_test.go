//go:build !windows

package etw

import (
	"context"
	"errors"
	"testing"
)

func TestOpenNeedsWindows(t *testing.T) {
	if _, err := Open(context.Background()); !errors.Is(err, ErrNeedsWindows) {
		t.Fatalf("err = %v", err)
	}
}
