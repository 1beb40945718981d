//go:build !windows

package live

// newSystem reports that live probes need Windows.
func newSystem() (system, error) { return nil, ErrNeedsWindows }
