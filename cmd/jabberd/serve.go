package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"jabberd/app"
	"jabberd/control"
	"jabberd/sdnotify"
)

// runServe runs the server until SIGINT or SIGTERM; SIGHUP reloads the
// configuration (as `jabberd reload` does through the control socket).
func runServe(args []string, stdout, stderr io.Writer) int {
	var opts serveOptions
	if code := opts.parse("jabberd", usage, args, stderr); code >= 0 {
		return code
	}
	// Before anything else: a hangup during start-up must not kill the
	// process (the default action of SIGHUP), it is a reload.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)

	cfg, err := opts.load()
	if err != nil {
		fmt.Fprintf(stderr, "jabberd: %v\n", err)
		return 1
	}
	log := newLogger(cfg.Log, stderr)
	set, err := app.FromConfig(cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "jabberd: %v\n", err)
		return 1
	}
	set.ConfigFile, set.LogLevel, set.Memory = opts.config, setLogLevel, true
	app.ApplyMemory(cfg.Memory, log)
	addrs, err := set.Listen()
	if err != nil {
		set.Store.Close()
		fmt.Fprintf(stderr, "jabberd: %v\n", err)
		return 1
	}
	ctl := app.Control{Set: set, Load: opts.load}
	sock, err := control.Listen(control.Path(cfg.StateDir), ctl, log)
	if err != nil {
		log.Warn().Err(err).Msg("no control socket: jabberd users, status and reload cannot reach this server (users work with it stopped)")
	}
	printBanner(stdout, cfg, set, addrs, opts.config == "", sock)
	notify(log, sdnotify.Ready("serving "+cfg.Domain))

	for sig := range sigs {
		if sig != syscall.SIGHUP {
			log.Info().Str("signal", sig.String()).Msg("stopping")
			break
		}
		log.Info().Msg("SIGHUP: reloading the configuration")
		notify(log, sdnotify.Reloading())
		if next, err := opts.load(); err != nil {
			log.Error().Err(err).Msg("reload failed: the running configuration is unchanged")
		} else {
			_, _ = set.Reload(next) // it logs what it did or why not
		}
		notify(log, sdnotify.Ready("serving "+cfg.Domain))
	}
	notify(log, sdnotify.Stopping())
	return stop(set, sock, cfg.Limits.ShutdownGrace.Duration, log)
}

// stop closes the control socket, ends every connection and closes the
// store, after every session ended (and stored what it could not deliver).
func stop(set *app.Setup, sock *control.Server, grace time.Duration, log zerolog.Logger) int {
	if sock != nil {
		if err := sock.Close(); err != nil {
			log.Warn().Err(err).Msg("closing the control socket")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := set.Shutdown(ctx); err != nil {
		log.Warn().Err(err).Msg("some connections did not close in time and were cut")
	}
	if err := set.Store.Close(); err != nil {
		log.Error().Err(err).Msg("closing the store failed")
	}
	log.Info().Msg("stopped")
	return 0
}

// notify logs a failure to tell systemd (the service then times out).
func notify(log zerolog.Logger, err error) {
	if err != nil {
		log.Warn().Err(err).Msg("telling systemd failed")
	}
}
