//go:build !windows

package etw

import "context"

// Open starts a real-time session on the Windows Update provider. Outside
// Windows it returns ErrNeedsWindows.
func Open(ctx context.Context) (*Watcher, error) { return nil, ErrNeedsWindows }
