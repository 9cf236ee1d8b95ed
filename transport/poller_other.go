//go:build !linux

package transport

import "syscall"

// poller exists on Linux only (epoll); elsewhere a connection keeps its
// goroutine while idle and waits in awaitSocket.
type poller struct{}

func sharedPoller() *poller { return nil }

func (p *poller) watch(*Conn, syscall.RawConn) (uint64, bool) { return 0, false }

func (p *poller) unwatch(uint64, syscall.RawConn) {}
