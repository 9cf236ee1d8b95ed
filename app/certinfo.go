package app

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"

	"github.com/rs/zerolog"

	"jabberd/certs"
	"jabberd/config"
	"jabberd/control"
)

// certificates are the certificates the server presents and trusts now:
// the server certificate in force, the lab CA, and each configured client
// CA (the lab CA is the client CA when none is configured).
func (set *Setup) certificates() []control.Certificate {
	set.reload.mu.Lock()
	st := set.State
	set.reload.mu.Unlock()
	cfg := set.running.Load()
	var out []control.Certificate
	if set.lt.upgrade != nil {
		leaf := set.lt.upgrade.Certificate()
		file := cfg.TLS.Cert
		if file == "" {
			file = filepath.Join(st.Dir, certs.ServerCertFile)
		}
		out = append(out, control.Certificate{Name: "server", File: file, Subject: leaf.Subject.String(), NotAfter: leaf.NotAfter})
	}
	out = append(out, control.Certificate{Name: "lab_ca", File: filepath.Join(st.Dir, certs.CACertFile), Subject: st.CA.Cert.Subject.String(), NotAfter: st.CA.Cert.NotAfter})
	n := 0
	for _, f := range cfg.TLS.ClientCAs {
		for _, c := range readCerts(f) {
			n++
			out = append(out, control.Certificate{Name: fmt.Sprintf("client_ca_%d", n), File: f, Subject: c.Subject.String(), NotAfter: c.NotAfter})
		}
	}
	return out
}

// readCerts reads the certificates of a PEM file (none when it cannot).
func readCerts(file string) []*x509.Certificate {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out
		}
		if c, err := x509.ParseCertificate(b.Bytes); err == nil && b.Type == "CERTIFICATE" {
			out = append(out, c)
		}
	}
}

// listeners are the bound listening sockets.
func (set *Setup) listeners() []control.Listener {
	var out []control.Listener
	for i, a := range set.addrs {
		lc := set.cfg.Listen[i]
		out = append(out, control.Listener{Protocol: "xmpp", Address: a.String(), TLS: string(lc.TLS), Profile: lc.Profile})
	}
	if set.IRC != nil && set.IRC.Addr() != nil {
		out = append(out, control.Listener{Protocol: "irc", Address: set.IRC.Addr().String(), TLS: string(set.cfg.IRC.TLS), Profile: set.cfg.IRC.Profile})
		for _, pp := range set.ports {
			if pp.Protocol == "irc" {
				out = append(out, control.Listener{Protocol: "irc", Address: pp.Address, TLS: string(set.cfg.IRC.TLS), Profile: pp.Profile})
			}
		}
	}
	if a := set.StatusAddr(); a != nil {
		out = append(out, control.Listener{Protocol: "http", Address: a.String()})
	}
	return out
}

// skipUnavailable drops the listeners marked if_available whose address
// does not exist here ([::1] without IPv6), saying so; cfg is not changed.
func skipUnavailable(cfg *config.Config, log zerolog.Logger) *config.Config {
	var keep []config.Listener
	for _, l := range cfg.Listen {
		if l.IfAvailable {
			if ln, err := net.Listen("tcp", l.Address); err != nil && addressMissing(err) {
				log.Info().Str("address", l.Address).Err(err).Msg("listener skipped: its address does not exist on this machine (if_available)")
				continue
			} else if err == nil {
				ln.Close()
			}
		}
		keep = append(keep, l)
	}
	if len(keep) == len(cfg.Listen) {
		return cfg
	}
	c := *cfg
	c.Listen = keep
	return &c
}

// addressMissing: the error says the address is not one of this machine's
// (or its family is not supported), not that the port is taken.
func addressMissing(err error) bool {
	return errors.Is(err, syscall.EADDRNOTAVAIL) || errors.Is(err, syscall.EAFNOSUPPORT)
}
