package main

import (
	"bytes"
	"crypto/tls"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"jabberd/bench"
	"jabberd/certs"
	"jabberd/config"
	"jabberd/internal/testserver"
)

// TestBenchTLSRawAddr: `jabberd bench -tlsraw-addr ADDR tlsraw` drives a
// server half already running (here in-process, with the state's own
// certificate, offering X25519 only as the bench's default -curves does)
// and prints its handshakes; a client offering another curve alone fails.
func TestBenchTLSRawAddr(t *testing.T) {
	dir := t.TempDir()
	st, err := certs.EnsureState(dir, "localhost", []string{"localhost"}, nil, certs.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLSRawRef(t, st.Server.TLSCertificate())
	for _, c := range []struct {
		curves string
		ok     bool
	}{{"x25519", true}, {"p256", false}} {
		var out, errOut bytes.Buffer
		code := runBench([]string{"-state", dir, "-tlsraw-addr", addr, "-curves", c.curves, "-c", "2", "-d", "300ms", "tlsraw"}, &out, &errOut)
		m := regexp.MustCompile(`(?m)^tlsraw\s+(\d+)\s+(\d+)`).FindStringSubmatch(out.String())
		if code != 0 || m == nil {
			t.Fatalf("-curves %s: exit %d, output %q, stderr %q", c.curves, code, out.String(), errOut.String())
		}
		done, _ := strconv.Atoi(m[1])
		errs, _ := strconv.Atoi(m[2])
		if c.ok && (done == 0 || errs != 0) || !c.ok && (done != 0 || errs == 0) {
			t.Errorf("-curves %s: %d handshakes, %d errors", c.curves, done, errs)
		}
	}
	var errOut bytes.Buffer
	if code := runBench([]string{"-state", dir, "-curves", "x448", "tlsraw"}, &bytes.Buffer{}, &errOut); code != 2 || !bytes.Contains(errOut.Bytes(), []byte("unknown key exchange")) {
		t.Errorf("-curves x448: exit %d, %q", code, errOut.String())
	}
}

// serveTLSRawRef runs the tlsraw reference's server half in-process with
// cert, accepting X25519 only as the bench's default -curves offers, until
// the test ends, and returns its address.
func serveTLSRawRef(t *testing.T, cert tls.Certificate) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go bench.ServeTLSRaw(l, &tls.Config{Certificates: []tls.Certificate{cert}, CurvePreferences: []tls.CurveID{tls.X25519}})
	return l.Addr().String()
}

// serveFloorRef runs the floor reference's server half in-process with
// cert and the password bench-pw until the test ends, and returns its
// address.
func serveFloorRef(t *testing.T, cert tls.Certificate) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go bench.ServeFloor(l, &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequestClientCert}, "bench-pw")
	return l.Addr().String()
}

// startBenchServer runs an in-process jabberd with the account
// bench/bench-pw, logging warnings only, and returns it with its server
// certificate (for the references' server halves).
func startBenchServer(t *testing.T) (*testserver.Server, tls.Certificate) {
	s := testserver.Start(t, testserver.Options{Configure: func(cfg *config.Config) {
		cfg.Users = []config.User{{Name: "bench", Password: "bench-pw"}}
		cfg.Log.Level = "warn"
	}})
	cert, err := tls.LoadX509KeyPair(filepath.Join(s.StateDir(), certs.ServerCertFile), filepath.Join(s.StateDir(), certs.ServerKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return s, cert
}
