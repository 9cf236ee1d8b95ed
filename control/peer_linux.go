package control

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// checkPeer lets in only the server's own user and root (SO_PEERCRED),
// beside the socket's mode: a copy of the state directory made with other
// permissions must not open the server to other users.
func checkPeer(c *net.UnixConn) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return err
	}
	if credErr != nil {
		return fmt.Errorf("reading the peer's credentials: %w", credErr)
	}
	if uid := int(cred.Uid); uid != 0 && uid != os.Getuid() {
		return fmt.Errorf("uid %d may not use the control socket (only uid %d and root)", uid, os.Getuid())
	}
	return nil
}
