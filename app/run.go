package app

import (
	"context"
	"errors"
	"net"
	"time"

	"jabberd/lab"
)

// Listen starts everything the configuration asks for: the XMPP listeners,
// the IRC listener and the status page. It returns the XMPP listeners'
// bound addresses (useful with port 0) or the first error, having closed
// what it opened.
func (set *Setup) Listen() ([]net.Addr, error) {
	addrs, err := set.Server.Listen()
	if err != nil {
		set.closeWriters()
		return nil, err
	}
	if err := set.listenOthers(addrs); err != nil {
		ctx := context.Background()
		_ = set.shutdownUpload(ctx)
		_ = set.Server.Shutdown(ctx)
		if set.IRC != nil {
			_ = set.IRC.Shutdown(ctx)
		}
		set.closeWriters()
		return nil, err
	}
	set.addrs = addrs
	set.reload.success = time.Now()
	set.registerGauges()
	return addrs, nil
}

// listenOthers opens what listens besides the XMPP listeners; on an error
// Listen closes all of it.
func (set *Setup) listenOthers(addrs []net.Addr) error {
	if set.IRC != nil {
		if _, err := set.IRC.Listen(); err != nil {
			return err
		}
	}
	if err := set.listenProfilePorts(addrs); err != nil {
		return err
	}
	if err := set.listenUpload(); err != nil {
		return err
	}
	return set.listenStatus()
}

// Shutdown stops accepting, asks every XMPP connection to end its stream
// with system-shutdown and every IRC connection with an ERROR line, and
// waits for them until ctx ends; then it closes what is left, and drains
// the queues of the message archive and the rooms' history. It returns ctx's error if connections had
// to be cut. The store stays open: close it after.
func (set *Setup) Shutdown(ctx context.Context) error {
	statusErr := errors.Join(set.shutdownStatus(ctx), set.shutdownUpload(ctx))
	if set.IRC == nil {
		err := set.Server.Shutdown(ctx)
		set.closeWriters()
		return errors.Join(err, statusErr)
	}
	ircErr := make(chan error, 1)
	go func() { ircErr <- set.IRC.Shutdown(ctx) }()
	err := set.Server.Shutdown(ctx)
	set.closeWriters()
	return errors.Join(err, <-ircErr, statusErr)
}

// closeWriters drains the queues of the store's writers (the message
// archive's, the persistent rooms' history) into the store, once nothing
// routes any more.
func (set *Setup) closeWriters() {
	if set.MUC != nil {
		set.MUC.Close()
	}
	if set.Archive != nil {
		set.Archive.Close()
	}
}

// listenProfilePorts opens the IRC per-profile ports and notes every
// per-profile port's bound address (the XMPP ones are listeners of the
// configuration, the last ones, in order: addrs holds them).
func (set *Setup) listenProfilePorts(addrs []net.Addr) error {
	xmpp := len(set.cfg.Listen) - 1
	for i := len(set.ports) - 1; i >= 0; i-- {
		if set.ports[i].Protocol == "xmpp" {
			set.ports[i].Address = addrs[xmpp].String()
			xmpp--
		}
	}
	for i, pp := range set.ports {
		if pp.Protocol != "irc" || set.IRC == nil {
			continue
		}
		p, _ := lab.Lookup(pp.Profile)
		a, err := set.IRC.ListenProfile(pp.Address, p)
		if err != nil {
			return err
		}
		set.ports[i].Address = a.String()
	}
	return nil
}
