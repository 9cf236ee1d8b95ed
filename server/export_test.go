package server

import "jabberd/negotiation"

// SetTestHookEvent installs f on s; call it before Listen.
func SetTestHookEvent(s *Server, f func(negotiation.Event)) { s.testHookEvent = f }

// Parked is how many of s's XMPP connections are parked (no goroutine).
func Parked(s *Server) int { return s.core.Parked() }
