// Package sdnotify tells systemd how the service is doing (sd_notify(3)):
// a datagram to the socket in $NOTIFY_SOCKET, for a unit of Type=notify.
// Without $NOTIFY_SOCKET (not started by systemd) every call does nothing,
// and on systems other than Linux (no systemd) nothing is ever sent.
package sdnotify

// Ready: start-up (or a reload) is complete; status is a line for
// `systemctl status`.
func Ready(status string) error { return Send("READY=1\nSTATUS=" + status) }

// Stopping: the service is shutting down.
func Stopping() error { return Send("STOPPING=1") }
