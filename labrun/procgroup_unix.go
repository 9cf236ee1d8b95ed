//go:build unix

package labrun

import (
	"os/exec"
	"syscall"
)

// killGroupOnCancel runs cmd in its own process group, and a timeout kills
// the group: `sh -c '… | openssl …'` must not leave openssl holding the
// connection after sh is gone.
func killGroupOnCancel(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
