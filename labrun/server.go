package labrun

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"jabberd/app"
	"jabberd/certs"
	"jabberd/config"
	"jabberd/lab"
	"jabberd/tlspolicy"
)

// server is the isolated jabberd a run starts: fresh state, its own CA, one
// port per profile (on port 0: two runs never collide), a label that marks
// every connection of the run.
type server struct {
	set      *app.Setup
	state    string
	log      *os.File
	ports    map[string]string // profile → address, for the run's protocol
	password string
}

// startServer builds and starts the run's server.
func startServer(opt Options, profiles []*lab.Profile) (*server, error) {
	state, err := os.MkdirTemp("", "jabberd-lab-run-")
	if err != nil {
		return nil, err
	}
	s := &server{state: state, password: randomPassword(), ports: map[string]string{}}
	if s.log, err = os.Create(filepath.Join(state, "jabberd.log")); err != nil {
		return nil, err
	}
	cfg := s.config(opt, profiles)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("lab run configuration: %w", err)
	}
	log := zerolog.New(s.log).Level(zerolog.DebugLevel).With().Timestamp().Logger()
	if s.set, err = app.FromConfig(cfg, log); err != nil {
		return nil, err
	}
	addrs, err := s.set.Listen()
	if err != nil {
		s.set.Store.Close()
		return nil, err
	}
	if opt.IRC {
		for _, p := range profiles {
			a, err := s.set.IRC.ListenProfile(net.JoinHostPort(opt.Host, "0"), p)
			if err != nil {
				s.stop()
				return nil, err
			}
			s.ports[p.Name] = a.String()
		}
		return s, nil
	}
	for i, p := range profiles {
		s.ports[p.Name] = addrs[i+1].String() // after the shared listener
	}
	return s, nil
}

// config is the run's configuration: the embedded default, the state
// directory, a shared port and a port per profile, the run's label, the
// test account.
func (s *server) config(opt Options, profiles []*lab.Profile) *config.Config {
	cfg := config.Default()
	cfg.Domain = opt.Domain
	cfg.StateDir = s.state
	any := net.JoinHostPort(opt.Host, "0")
	cfg.Listen = []config.Listener{{Address: any, TLS: tlspolicy.Optional}}
	if !opt.IRC {
		for _, p := range profiles {
			cfg.Listen = append(cfg.Listen, config.Listener{Address: any, TLS: tlspolicy.Optional, Profile: p.Name})
		}
	} else {
		cfg.IRC.Enabled, cfg.IRC.Address = true, any
	}
	cfg.Users = []config.User{{Name: opt.User, Password: s.password}}
	cfg.Lab.ClientChoice = false // the port chooses; nothing the client sends may
	cfg.Lab.Transcripts = 10000
	cfg.Lab.TranscriptDir = opt.TranscriptDir
	cfg.Lab.RunLabel = opt.Label
	cfg.Lab.SlowHandshakeDelay = config.Duration{Duration: opt.SlowHandshake}
	cfg.Log.Level, cfg.Log.Format = "debug", "json"
	return cfg
}

// placeholders are the values a client's arguments may name.
func (s *server) placeholders(opt Options, profile string) map[string]string {
	host, port, _ := net.SplitHostPort(s.ports[profile])
	crt, key := certs.ClientPaths(s.state, opt.User)
	return map[string]string{
		"host": host, "port": port, "domain": opt.Domain,
		"ca":   filepath.Join(s.state, certs.CACertFile),
		"user": opt.User, "password": s.password, "jid": opt.User + "@" + opt.Domain,
		"cert": crt, "key": key, "profile": profile,
	}
}

// stop shuts the server down and removes its state unless asked to keep it.
func (s *server) stop() {
	ctx, cancel := contextTimeout(10 * time.Second)
	defer cancel()
	_ = s.set.Shutdown(ctx)
	s.set.Store.Close()
	s.log.Close()
}

func randomPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
