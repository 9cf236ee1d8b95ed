//go:build !linux

package control

import "net"

// checkPeer relies on the socket's mode (0600) where SO_PEERCRED is not
// available.
func checkPeer(*net.UnixConn) error { return nil }
