package irc

// SetTestHookLine makes s call f on each connection's goroutine with every
// line read; set it before Listen.
func SetTestHookLine(s *Server, f func([]byte)) { s.testHookLine = f }
