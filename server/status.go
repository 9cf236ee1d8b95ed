package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"jabberd/lab"
)

// statusPage is the HTTP listener of the lab status page ([lab]
// status_address), started with the XMPP listeners.
type statusPage struct {
	srv  *http.Server
	addr net.Addr
}

// listenStatus starts the status page when one is configured.
func (s *Server) listenStatus() error {
	addr := s.cfg.Lab.StatusAddress
	if addr == "" {
		return nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("lab.status_address %s: %w", addr, err)
	}
	hs := &http.Server{
		Handler: lab.StatusHandler(s.opt.Lab),
		// Every network wait has a deadline, the status page's too.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
	}
	s.status = &statusPage{srv: hs, addr: l.Addr()}
	if ta, ok := l.Addr().(*net.TCPAddr); ok && !ta.IP.IsLoopback() {
		s.log.Warn().Str("address", l.Addr().String()).Msg("the status page is reachable from other hosts: transcripts show what clients sent (secrets redacted) and who connected")
	}
	s.log.Info().Str("url", "http://"+l.Addr().String()+"/").Msg("status page listening")
	go func() {
		if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error().Err(err).Msg("status page stopped")
		}
	}()
	return nil
}

// StatusAddr returns the status page's address, or nil when it is off.
func (s *Server) StatusAddr() net.Addr {
	if s.status == nil {
		return nil
	}
	return s.status.addr
}

// shutdownStatus stops the status page.
func (s *Server) shutdownStatus(ctx context.Context) error {
	if s.status == nil {
		return nil
	}
	return s.status.srv.Shutdown(ctx)
}
