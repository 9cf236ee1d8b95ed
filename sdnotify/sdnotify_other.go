//go:build !linux

package sdnotify

// Send does nothing: systemd, and so $NOTIFY_SOCKET, is Linux's.
func Send(string) error { return nil }

// Reloading does nothing (Send).
func Reloading() error { return nil }
