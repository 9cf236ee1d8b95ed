//go:build !unix

package labrun

import "os/exec"

// killGroupOnCancel leaves exec's default outside Unix: a timeout kills
// the client's process only (no process groups to kill); WaitDelay still
// bounds the wait for its children's pipes.
func killGroupOnCancel(*exec.Cmd) {}
