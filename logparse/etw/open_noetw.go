//go:build windows && noetw

package etw

import "context"

// Open starts a real-time session on the Windows Update provider. This
// build has no ETW support (the noetw tag): it returns ErrNoETW.
func Open(ctx context.Context) (*Watcher, error) { return nil, ErrNoETW }
