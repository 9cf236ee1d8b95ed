package server

import "jabberd/negotiation"

// SetTestHookEvent installs f on s; call it before Listen.
func SetTestHookEvent(s *Server, f func(negotiation.Event)) { s.testHookEvent = f }
