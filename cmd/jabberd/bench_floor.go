package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"

	"jabberd/bench"
	"jabberd/listener"
)

// floorServerScenario is the hidden scenario a child process runs: the
// server half of the floor reference (bench.ServeFloor).
const floorServerScenario = "floor-server"

// serveFloor is the floor child's side: the password is the first line
// of its stdin, then as serveReference. Its handshake asks for a client
// certificate, as jabberd's does as shipped (tls.client_certs = "request").
func (r benchRun) serveFloor(stdin io.Reader, stdout io.Writer) int {
	cfg, err := r.rawServerTLS()
	if err != nil {
		fmt.Fprintf(r.stderr, "jabberd bench: %v\n", err)
		return 1
	}
	cfg.ClientAuth = tls.RequestClientCert
	in := bufio.NewReader(stdin)
	password, err := in.ReadString('\n')
	if err != nil {
		fmt.Fprintln(r.stderr, "jabberd bench: floor-server reads the accounts' password as the first line of its input")
		return 1
	}
	password = strings.TrimSuffix(password, "\n")
	// jabberd's listener as shipped (limits.tcp_keepalive = "0s"): the
	// floor accepts as jabberd does.
	return r.serveReference(in, stdout, func() (net.Listener, error) { return listener.Listen("127.0.0.1:0", 0) },
		func(l net.Listener) { bench.ServeFloor(l, cfg, password) })
}

// runFloor runs the logins of -flow against the floor reference at
// -floor-addr, or against a child process started for it (whose CPU is
// then read).
func (r benchRun) runFloor() (bench.LoginResult, error) {
	res, err := r.againstReference(*r.f.floorAddr, floorServerScenario, func(addr string, pid int) bench.LoginResult {
		t := r.t
		t.Addr, t.SourceIPs = addr, nil
		return bench.Login(context.Background(), t, *r.f.flow, *r.f.conc, *r.f.dur, pid, r.progress("floor "+*r.f.flow))
	})
	res.Name = "floor " + *r.f.flow
	return res, err
}
