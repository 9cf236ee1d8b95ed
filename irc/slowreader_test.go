package irc_test

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"jabberd/config"
)

// TestSlowReaderDoesNotHoldUpChannel: a client that joins a channel and
// stops reading holds up no one. Lines for it wait in its own bounded queue,
// written by its own goroutine; the sender's goroutine never writes to its
// socket. So the sender's PING is answered after every batch although the
// stalled client's socket buffers are full, every other member gets every
// line, and once the queue passes its bound the stalled client is cut.
// (When delivery wrote on the sender's goroutine, the sender's PONG waited
// out the stalled socket's 10 s write timeout: past ioTimeout here.)
func TestSlowReaderDoesNotHoldUpChannel(t *testing.T) {
	h := start(t, func(cfg *config.Config) { cfg.IRC.FloodBurst = 0 }, nil)
	sender, reader, stalled := h.dial(t), h.dial(t), h.dial(t)
	if tc, ok := stalled.tcp.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096) // fill sooner
	}
	for _, c := range []struct {
		c    *client
		nick string
	}{{stalled, "stalled"}, {reader, "reader"}, {sender, "sender"}} {
		c.c.register(c.nick)
		c.c.send("JOIN #lab")
		c.c.sync()
	}

	// The reader counts the channel's lines up to the last one; every read
	// has a deadline, so a line that never comes ends it with an error.
	type count struct {
		n   int
		err error
	}
	readerDone := make(chan count, 1)
	go func() {
		n := 0
		for {
			l, err := reader.readLine()
			if err != nil {
				readerDone <- count{n, err}
				return
			}
			if strings.Contains(l, " PRIVMSG #lab :") {
				n++
			}
			if strings.HasSuffix(l, " PRIVMSG #lab :last") {
				readerDone <- count{n, nil}
				return
			}
		}
	}()

	pad := strings.Repeat("x", 400)
	sent := 0
	for h.set.IRC.ConnCount() == 3 { // until the stalled client is cut
		if sent >= 60000 { // ~25 MiB
			t.Fatalf("sent %d lines to a channel with a member that reads nothing, and it was never cut", sent)
		}
		batch := make([]string, 0, 200)
		for range 200 {
			batch = append(batch, "PRIVMSG #lab :"+strconv.Itoa(sent)+" "+pad)
			sent++
		}
		sender.send(batch...)
		sender.sync() // answered at once: nothing waits on the stalled socket
	}
	sender.send("PRIVMSG #lab :last")
	sender.sync()
	if c := <-readerDone; c.err != nil || c.n != sent+1 {
		t.Fatalf("the reader got %d of %d lines, then %v", c.n, sent+1, c.err)
	}
	// Only now the log, which holds every line sent: searching it took
	// longer than the reader's read deadline on a loaded machine, while
	// the reader waited for "last".
	h.logs.wait(t, fields{"message": "the client does not read fast enough; closing", "conn": stalled.id})
}
