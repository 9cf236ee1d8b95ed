package app

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
// status_address), started with the listeners.
type statusPage struct {
	srv  *http.Server
	addr net.Addr
}

// listenStatus starts the status page when one is configured.
func (set *Setup) listenStatus() error {
	addr := set.cfg.Lab.StatusAddress
	if addr == "" {
		return nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("lab.status_address %s: %w", addr, err)
	}
	// Per-profile ports are bound by now (Listen opens them first).
	ports := map[string][]lab.PortInfo{}
	for _, pp := range set.ports {
		ports[pp.Profile] = append(ports[pp.Profile], lab.PortInfo{Protocol: pp.Protocol, Address: pp.Address})
	}
	// Requests live under a context that Shutdown cancels: a client
	// blocked in GET /api/connections/{id}?wait= gets its answer at once
	// instead of holding the shutdown up.
	ctx, stop := context.WithCancel(context.Background())
	mux := http.NewServeMux()
	mux.Handle("/", lab.StatusHandler(set.Lab, lab.StatusOptions{Ports: ports}))
	mux.Handle("GET /metrics", set.Metrics.Handler())
	hs := &http.Server{
		Handler:     mux,
		BaseContext: func(net.Listener) context.Context { return ctx },
		// Every network wait has a deadline, the status page's too (a
		// ?wait= moves its own request's past the wait).
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
	}
	hs.RegisterOnShutdown(stop)
	set.status = &statusPage{srv: hs, addr: l.Addr()}
	if ta, ok := l.Addr().(*net.TCPAddr); ok && !ta.IP.IsLoopback() {
		set.log.Warn().Str("address", l.Addr().String()).Msg("the status page is reachable from other hosts: transcripts show what clients sent (secrets redacted) and who connected")
	}
	set.log.Info().Str("url", "http://"+l.Addr().String()+"/").Msg("status page listening")
	go func() {
		if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			set.log.Error().Err(err).Msg("status page stopped")
		}
	}()
	return nil
}

// StatusAddr returns the status page's address, or nil when it is off.
func (set *Setup) StatusAddr() net.Addr {
	if set.status == nil {
		return nil
	}
	return set.status.addr
}

// shutdownStatus stops the status page.
func (set *Setup) shutdownStatus(ctx context.Context) error {
	if set.status == nil {
		return nil
	}
	return set.status.srv.Shutdown(ctx)
}
