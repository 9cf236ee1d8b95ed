// Package labrun is `jabberd lab run`: the command a client's CI calls. It
// starts an isolated jabberd (fresh state, its own CA, a port per profile),
// runs the client once per profile with the server's coordinates filled in,
// waits for the client's connections to end, and scores each profile by the
// verdicts of those connections: a scorecard, JSON, JUnit XML and an exit
// status.
package labrun

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"jabberd/lab"
)

// Options are a run's.
type Options struct {
	// Profiles to run, in this order (empty: every profile of the
	// protocol).
	Profiles []string
	// IRC runs the IRC listener's profiles instead of XMPP's.
	IRC bool
	// Timeout bounds one run of the client.
	Timeout time.Duration
	// Domain is the server's domain; Host is the address it listens on
	// (the default pair, localhost on 127.0.0.1, makes {domain} resolve).
	Domain, Host string
	// User is the test account; its password is made up per run.
	User string
	// SlowHandshake is the slow-handshake profile's delay.
	SlowHandshake time.Duration
	// JSON and JUnit are files to write the report to ("": none);
	// TranscriptDir receives a JSON-lines transcript per connection.
	JSON, JUnit, TranscriptDir string
	// Keep keeps the state directory (certificates, server log, client
	// output) instead of removing it.
	Keep bool
	// Label marks the run's connections (default: lab-run-<time>).
	Label string
	// Command is the client: its program and arguments, with placeholders.
	Command []string
	// Progress gets a line per profile while the run goes on; Out gets
	// the scorecard.
	Progress, Out io.Writer
}

// Placeholders are the names a client's arguments may use.
var Placeholders = []string{"host", "port", "domain", "ca", "user", "password", "jid", "cert", "key", "profile"}

// settle bounds the wait for a client's connections to end after it
// exited: the server listens a moment after a refusal or a failed
// handshake, and a connection may still be closing.
const settle = 10 * time.Second

// Run runs the client against every profile and reports. The error is for
// a run that could not happen (a bad profile name, a server that did not
// start); a client that fails is a result, not an error.
func Run(opt Options) (*Report, error) {
	opt = withDefaults(opt)
	profiles, err := selectProfiles(opt.Profiles, opt.IRC)
	if err != nil {
		return nil, err
	}
	srv, err := startServer(opt, profiles)
	if err != nil {
		return nil, err
	}
	rep := &Report{Client: opt.Command, Protocol: "xmpp", Label: opt.Label}
	if opt.IRC {
		rep.Protocol = "irc"
	}
	for i, p := range profiles {
		res := runProfile(srv, opt, p)
		fmt.Fprintf(opt.Progress, "[%d/%d] %-22s %-13s %s\n", i+1, len(profiles), p.Name, res.Verdict, oneLine(res.Reason, 100))
		rep.Results = append(rep.Results, res)
	}
	srv.stop()
	if opt.Keep {
		rep.State = srv.state
	} else {
		os.RemoveAll(srv.state)
	}
	rep.writeScorecard(opt.Out)
	if opt.JSON != "" {
		if err := rep.writeJSON(opt.JSON); err != nil {
			return rep, err
		}
	}
	if opt.JUnit != "" {
		if err := rep.writeJUnit(opt.JUnit); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// runProfile runs the client once against p's port and judges.
func runProfile(srv *server, opt Options, p *lab.Profile) Result {
	start := time.Now()
	addr := srv.ports[p.Name]
	args := expand(opt.Command, srv.placeholders(opt, p.Name))
	res := Result{Profile: p.Name, Correct: p.Correct, Address: addr}
	res.Client = runClient(args, opt.Timeout)
	if opt.Keep {
		_ = os.WriteFile(srv.state+"/client-"+p.Name+".log", []byte(res.Client.Output), 0o644)
	}
	res.Connections = waitEnded(srv.set.Lab, opt.Label, addr, opt.SlowHandshake+settle)
	judge(&res)
	res.Duration = time.Since(start)
	return res
}

func withDefaults(opt Options) Options {
	if opt.Timeout <= 0 {
		opt.Timeout = 30 * time.Second
	}
	if opt.Domain == "" {
		opt.Domain = "localhost"
	}
	if opt.Host == "" {
		opt.Host = "127.0.0.1"
	}
	if opt.User == "" {
		opt.User = "alice"
	}
	if opt.SlowHandshake <= 0 {
		opt.SlowHandshake = 5 * time.Second
	}
	if opt.Label == "" {
		opt.Label = "lab-run-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	if opt.Progress == nil {
		opt.Progress = io.Discard
	}
	if opt.Out == nil {
		opt.Out = io.Discard
	}
	return opt
}

// selectProfiles resolves names ("all" or empty: every profile of the
// protocol).
func selectProfiles(names []string, irc bool) ([]*lab.Profile, error) {
	all := lab.Profiles()
	if irc {
		all = slices.DeleteFunc(all, func(p *lab.Profile) bool { return !p.IRC })
	} else {
		all = slices.DeleteFunc(all, func(p *lab.Profile) bool { return p.IRCOnly })
	}
	if len(names) == 0 || (len(names) == 1 && names[0] == "all") {
		return all, nil
	}
	var out []*lab.Profile
	for _, n := range names {
		p, ok := lab.Lookup(strings.TrimSpace(n))
		if !ok || p == nil {
			return nil, lab.CheckName(n)
		}
		if irc && !p.IRC {
			return nil, fmt.Errorf("profile %s does not apply to IRC", p.Name)
		}
		if !irc && p.IRCOnly {
			return nil, fmt.Errorf("profile %s is IRC-only: run it with --irc", p.Name)
		}
		out = append(out, p)
	}
	return out, nil
}
