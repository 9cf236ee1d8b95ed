//go:build unix

package app

import "syscall"

// openFileLimit returns the process's soft limit on open files
// (RLIMIT_NOFILE); ok is false when it cannot be read.
func openFileLimit() (cur uint64, ok bool) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, false
	}
	return uint64(lim.Cur), true // int64 on some BSDs; RLIM_INFINITY stays the largest
}
