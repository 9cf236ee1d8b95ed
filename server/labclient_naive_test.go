package server_test

// The naive lab client (see labclient_test.go): it has the classic
// mistakes, all of them, and falls for every profile.

import (
	"crypto/tls"
	"fmt"
	"slices"
)

// ---- the naive client ----

// naiveClient logs in the way too many clients do: it authenticates as
// soon as a mechanism is offered, uses STARTTLS only when nothing else is
// (and comes back without it when it fails), accepts any certificate and
// TLS 1.0, waits for a handshake as long as it takes, keeps its read buffer
// across STARTTLS, and takes any answer to <auth/> for a success.
func naiveClient(a labAccount) *labRun {
	run := &labRun{}
	withoutTLS := false
	for range 2 {
		w, err := dialLab(run, a.addr)
		if err != nil {
			run.err = err
			return run
		}
		refused, err := labNaive(a, w, run, withoutTLS)
		w.tcp.Close()
		if !refused {
			run.err = err
			return run
		}
		withoutTLS = true // "the server's TLS is broken": try again without
	}
	return run
}

func labNaive(a labAccount, w *labWire, run *labRun, withoutTLS bool) (refused bool, err error) {
	f, err := w.open(a.from)
	if err != nil {
		return false, err
	}
	run.features = append(run.features, f.raw)
	offered := labMechanisms(f.el)
	if len(offered) == 0 && !withoutTLS && childNS(f.el, "starttls", labNSTLS) != nil {
		if err := w.send(rfcStartTLS); err != nil {
			return false, err
		}
		ans, err := w.nextElement()
		if err != nil {
			return false, err
		}
		if ans.el.Tag != "proceed" {
			return true, fmt.Errorf("STARTTLS refused: %s", ans.raw)
		}
		cfg := &tls.Config{ServerName: a.serverName, InsecureSkipVerify: true, MinVersion: tls.VersionTLS10}
		if a.cert != nil {
			cfg.Certificates = []tls.Certificate{*a.cert}
		}
		if err := w.startTLS(run, cfg, true, ioTimeout); err != nil {
			return false, fmt.Errorf("TLS: %w", err)
		}
		if f, err = w.open(a.from); err != nil {
			return false, err
		}
		run.features = append(run.features, f.raw)
		offered = labMechanisms(f.el)
	}
	// EXTERNAL with a certificate, else PLAIN, else whatever the server
	// names first; PLAIN when it names none.
	mech := "PLAIN"
	switch {
	case a.cert != nil && slices.Contains(offered, "EXTERNAL"):
		mech = "EXTERNAL"
	case slices.Contains(offered, "PLAIN"), len(offered) == 0:
	default:
		mech = offered[0]
	}
	initial := "="
	if mech == "PLAIN" {
		initial = labPlainResponse(a)
		run.credentials = append(run.credentials, initial)
	}
	if _, err := w.auth(run, mech, initial); err != nil {
		return false, err
	}
	// An answer came: "logged in". Restart and bind.
	if _, err := w.open(a.from); err != nil {
		return false, err
	}
	if run.jid, err = w.bind(); err != nil {
		return false, err
	}
	w.closeStream()
	return false, nil
}
