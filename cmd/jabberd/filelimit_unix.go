//go:build unix

package main

import (
	"fmt"
	"io"
	"syscall"
)

// raiseFileLimit lifts the soft open-file limit to the hard one: thousands
// of sessions need thousands of descriptors.
func raiseFileLimit(stderr io.Writer) {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil || lim.Cur >= lim.Max {
		return
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintf(stderr, "jabberd bench: could not raise the open-file limit: %v\n", err)
	}
}
