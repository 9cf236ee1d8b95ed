package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"jabberd/bench"
	"jabberd/certs"
)

// tlsrawServerScenario is the hidden scenario a child process runs: the
// server half of the tlsraw reference (see startReferenceServer).
const tlsrawServerScenario = "tlsraw-server"

// parseCurves turns -curves into the key exchanges offered and accepted.
func parseCurves(s string) ([]tls.CurveID, error) {
	names := map[string]tls.CurveID{
		"x25519":         tls.X25519,
		"x25519mlkem768": tls.X25519MLKEM768,
		"p256":           tls.CurveP256,
		"p384":           tls.CurveP384,
	}
	var ids []tls.CurveID
	for _, n := range strings.Split(s, ",") {
		id, ok := names[strings.ToLower(strings.TrimSpace(n))]
		if !ok {
			return nil, fmt.Errorf("-curves: unknown key exchange %q (x25519, x25519mlkem768, p256, p384)", n)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// rawServerTLS is the reference's server configuration: the server's own
// certificate from the state directory, the bench's TLS version and curves.
func (r benchRun) rawServerTLS() (*tls.Config, error) {
	pair, err := certs.Load(filepath.Join(*r.f.state, certs.ServerCertFile), filepath.Join(*r.f.state, certs.ServerKeyFile))
	if err != nil {
		return nil, fmt.Errorf("the tlsraw reference needs the server certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair.TLSCertificate()}, MinVersion: r.ver, MaxVersion: r.ver,
		CurvePreferences: r.t.TLS.CurvePreferences}, nil
}

// serveTLSRaw is the tlsraw child's side (see serveReference).
func (r benchRun) serveTLSRaw(stdin io.Reader, stdout io.Writer) int {
	cfg, err := r.rawServerTLS()
	if err != nil {
		fmt.Fprintf(r.stderr, "jabberd bench: %v\n", err)
		return 1
	}
	// Go's listener as it comes (TCP keepalive set on every connection):
	// the reference is a plain TLS server.
	return r.serveReference(stdin, stdout, func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") },
		func(l net.Listener) { bench.ServeTLSRaw(l, cfg) })
}

// serveReference is a reference child's side: it listens on a loopback
// port, writes the address as one line to stdout and serves until its
// stdin closes (the parent ended or died).
func (r benchRun) serveReference(stdin io.Reader, stdout io.Writer, listen func() (net.Listener, error), serve func(net.Listener)) int {
	l, err := listen()
	if err != nil {
		fmt.Fprintf(r.stderr, "jabberd bench: %v\n", err)
		return 1
	}
	go serve(l)
	fmt.Fprintln(stdout, l.Addr().String())
	_, _ = io.Copy(io.Discard, stdin)
	l.Close()
	return 0
}

// runReference runs the tlsraw reference's clients against -tlsraw-addr,
// or against a child process started for it (whose CPU is then read).
func (r benchRun) runReference() (bench.LoginResult, error) {
	return r.againstReference(*r.f.tlsrawAddr, tlsrawServerScenario, func(addr string, pid int) bench.LoginResult {
		return bench.TLSRawClients(context.Background(), addr, r.t.TLS, *r.f.conc, *r.f.dur, pid, r.progress("tlsraw"))
	})
}

// againstReference runs measure against a reference's server half: the
// one at addr when given (its pid unknown: 0), else a child process
// running scenario, stopped after.
func (r benchRun) againstReference(addr, scenario string, measure func(addr string, pid int) bench.LoginResult) (bench.LoginResult, error) {
	pid, stop := 0, func() {}
	if addr == "" {
		child, err := r.startReferenceServer(scenario)
		if err != nil {
			return bench.LoginResult{}, err
		}
		addr, pid, stop = child.addr, child.pid, child.stop
	}
	res := measure(addr, pid)
	stop()
	fmt.Fprintln(r.stderr)
	return res, nil
}

// reference is the tlsraw scenario: the reference alone.
func (r benchRun) reference() int {
	raw, err := r.runReference()
	if err != nil {
		fmt.Fprintf(r.stderr, "jabberd bench: %v\n", err)
		return 1
	}
	r.printResults(raw)
	return 0
}

// referenceChild is a reference's server half running in a child
// process: its address, its pid (whose CPU is the server half's) and how
// to stop it.
type referenceChild struct {
	addr string
	pid  int
	stop func()
}

// referenceStartTimeout bounds the wait for a reference child's address.
const referenceStartTimeout = 10 * time.Second

// startReferenceServer starts this binary again as a reference's server
// (scenario tlsraw-server or floor-server), with the same state
// directory, TLS version and curves (and for the floor the password, as
// the first line of its stdin).
func (r benchRun) startReferenceServer(scenario string) (*referenceChild, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "bench", "-state", *r.f.state, "-tls", *r.f.tlsVer, "-curves", *r.f.curves, scenario)
	cmd.Stderr = r.stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	if scenario == floorServerScenario {
		_, _ = io.WriteString(in, *r.f.password+"\n") // off the command line, which any user can read
	}
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		addr <- strings.TrimSpace(line)
	}()
	var line string
	select {
	case line = <-addr:
	case <-time.After(referenceStartTimeout):
		_ = cmd.Process.Kill()
	}
	if line == "" {
		in.Close()
		_ = cmd.Wait()
		return nil, fmt.Errorf("the %s did not start", scenario)
	}
	return &referenceChild{addr: line, pid: cmd.Process.Pid,
		stop: func() { in.Close(); _ = cmd.Wait() }}, nil
}
