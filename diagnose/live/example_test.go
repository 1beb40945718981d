package live_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/live"
)

// Read the facts of this machine and look at one of them. On Linux and
// macOS Facts returns live.ErrNeedsWindows.
func Example() {
	src := live.New(live.Options{Timeout: 10 * time.Second})
	facts, err := src.Facts(context.Background())
	if errors.Is(err, live.ErrNeedsWindows) {
		return // use a snapshot, hives or a bundle instead
	}
	if err != nil {
		panic(err)
	}
	if f, ok := facts.Reg(diagnose.RegDisallowedSync); ok && f.Known {
		if t, err := f.Value.FileTime(); err == nil {
			fmt.Println("disallowed CTL last synced", time.Since(t).Round(time.Hour), "ago")
		}
	}
	for _, c := range facts.Chains {
		fmt.Printf("%s: policy 0x%08X\n", c.Value.Endpoint, c.Value.PolicyError)
	}
}
