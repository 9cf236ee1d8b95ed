//go:build !unix

package main

import "io"

// raiseFileLimit does nothing outside Unix: there is no RLIMIT_NOFILE.
func raiseFileLimit(io.Writer) {}
