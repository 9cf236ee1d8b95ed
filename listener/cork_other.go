//go:build !linux

package listener

import "net"

// JoinFIN sets Linux's TCP_CORK; elsewhere (the BSDs' TCP_NOPUSH is not
// used) it does nothing, and the last words and the FIN leave as two
// segments.
func JoinFIN(net.Conn) {}
