//go:build !unix

package app

// openFileLimit: there is no RLIMIT_NOFILE to read outside Unix (Windows
// bounds handles per process differently), so the check says it cannot.
func openFileLimit() (cur uint64, ok bool) { return 0, false }
