package server_test

// The careful lab client (see labclient_test.go): it logs in the way
// RFC 6120 and RFC 7590 want it done and stops on every fault.

import (
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
)

// ---- the careful client ----

// carefulClient logs in the way RFC 6120 and RFC 7590 want it done.
func carefulClient(a labAccount) *labRun {
	run := &labRun{}
	w, err := dialLab(run, a.addr)
	if err != nil {
		run.err = err
		return run
	}
	defer w.tcp.Close()
	run.err = labCareful(a, w, run)
	return run
}

var errLabNoStartTLS = errors.New("the server does not offer STARTTLS")

func labCareful(a labAccount, w *labWire, run *labRun) error {
	f, err := w.open(a.from)
	if err != nil {
		return err
	}
	run.features = append(run.features, f.raw)
	// TLS is mandatory: without <starttls/> it is a man in the middle or a
	// misconfigured server, and nothing more is said either way (whatever
	// else the features offer).
	if childNS(f.el, "starttls", labNSTLS) == nil {
		w.closeStream()
		return errLabNoStartTLS
	}
	if err := w.send(rfcStartTLS); err != nil {
		return err
	}
	ans, err := w.nextElement()
	if err != nil {
		return err
	}
	if ans.el.Tag != "proceed" {
		// RFC 6120 §5.4.2.2: the server closes; a client that wants TLS
		// does not come back without it.
		return fmt.Errorf("STARTTLS refused: %s", ans.raw)
	}
	cfg := &tls.Config{
		ServerName:       a.serverName,
		RootCAs:          a.roots,
		MinVersion:       tls.VersionTLS12,
		VerifyConnection: labRefuseWeakKeys,
	}
	if a.cert != nil {
		cfg.Certificates = []tls.Certificate{*a.cert}
	}
	// Whatever came with <proceed/> came before the handshake, unprotected:
	// it is thrown away, never parsed.
	if err := w.startTLS(run, cfg, false, a.handshakeTimeout); err != nil {
		return fmt.Errorf("TLS: %w", err)
	}
	if f, err = w.open(a.from); err != nil {
		return err
	}
	run.features = append(run.features, f.raw)
	offered := labMechanisms(f.el)
	for _, mech := range []string{"EXTERNAL", "PLAIN"} {
		if !slices.Contains(offered, mech) || (mech == "EXTERNAL" && a.cert == nil) {
			continue
		}
		initial := "="
		if mech == "PLAIN" {
			initial = labPlainResponse(a)
			run.credentials = append(run.credentials, initial)
		}
		ans, err := w.auth(run, mech, initial)
		if err != nil {
			return err
		}
		if ans.el.Tag != "success" {
			continue // a failure is a failure: the next mechanism, or give up
		}
		if f, err = w.open(a.from); err != nil {
			return err
		}
		if run.jid, err = w.bind(); err != nil {
			return err
		}
		w.closeStream()
		return nil
	}
	w.closeStream()
	return fmt.Errorf("no mechanism of %v worked", offered)
}

// labRefuseWeakKeys is the check crypto/tls leaves to the client: RSA keys
// under 2048 bits are refused (NIST SP 800-131A).
func labRefuseWeakKeys(cs tls.ConnectionState) error {
	for _, c := range cs.PeerCertificates {
		if k, ok := c.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() < 2048 {
			return fmt.Errorf("refusing a %d-bit RSA key in %q", k.N.BitLen(), c.Subject)
		}
	}
	return nil
}
