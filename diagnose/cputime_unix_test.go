//go:build unix

package diagnose_test

import (
	"syscall"
	"time"
)

// cpuTime returns the process's user and system CPU time: unlike the wall
// clock it does not count time spent waiting for a CPU on a busy machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
