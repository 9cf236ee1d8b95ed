package bench

import (
	"context"
	"crypto/tls"
	"net"
	"time"
)

// ServeTLSRaw is the server half of the tlsraw reference: for every
// connection accepted on l, one full TLS handshake with cfg and one byte
// written (so that the client knows the server finished its side too),
// then close. It returns when l is closed. `jabberd bench login` runs it
// in a child process of its own, so that the server half's CPU is read
// from /proc apart from the clients', as the server's is.
func ServeTLSRaw(l net.Listener, cfg *tls.Config) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			tc := tls.Server(c, cfg)
			_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
			if tc.Handshake() == nil {
				_, _ = tc.Write([]byte{'.'})
			}
		}()
	}
}

// TLSRawClients is the client half of the reference: concurrency workers
// doing full handshakes (no session resumption, as logins do) against a
// ServeTLSRaw at addr for d. With pid, the server half's CPU is read from
// /proc: the ServerCPU of the result is then the server half alone.
func TLSRawClients(ctx context.Context, addr string, clientCfg *tls.Config, concurrency int, d time.Duration, pid int, progress func(done, errs int64)) LoginResult {
	cc := clientCfg.Clone()
	cc.ClientSessionCache = nil
	return loop(ctx, "tlsraw", concurrency, d, pid, progress, func(int, int) error {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		tc := tls.Client(c, cc)
		_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			return err
		}
		one := make([]byte, 1)
		_, err = tc.Read(one)
		return err
	})
}

// TLSRaw runs both halves in this process (tests; the command runs the
// server half in a child).
func TLSRaw(ctx context.Context, serverCfg, clientCfg *tls.Config, concurrency int, d time.Duration, progress func(done, errs int64)) (LoginResult, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return LoginResult{}, err
	}
	defer l.Close()
	go ServeTLSRaw(l, serverCfg)
	return TLSRawClients(ctx, l.Addr().String(), clientCfg, concurrency, d, 0, progress), nil
}
