package app

import (
	"os"
	"time"

	"jabberd/accounts"
	"jabberd/config"
	"jabberd/control"
)

// Control answers the control socket's requests on a running server.
type Control struct {
	Set *Setup
	// Load reads the configuration again, as at start-up (the file, then
	// the command line's flags): what `jabberd reload` and SIGHUP apply.
	Load func() (*config.Config, error)
}

// Handle implements control.Handler.
func (c Control) Handle(r control.Request) control.Response {
	switch r.Command {
	case control.CmdUsersCheck, control.CmdUsersAdd, control.CmdUsersPasswd, control.CmdUsersDel, control.CmdUsersList:
		return c.users(r)
	case control.CmdStatus:
		st := c.Set.Status()
		return control.Response{OK: true, Status: &st}
	case control.CmdReload:
		next, err := c.Load()
		if err != nil {
			c.Set.log.Error().Err(err).Msg("reload failed: the running configuration is unchanged")
			return control.Response{Error: err.Error() + " (the running configuration is unchanged)"}
		}
		rep, err := c.Set.Reload(next)
		if err != nil {
			return control.Response{Error: err.Error() + " (the running configuration is unchanged)"}
		}
		return control.Response{OK: true, Output: rep.String()}
	}
	return control.Response{Error: "unknown command " + r.Command}
}

func (c Control) users(r control.Request) control.Response {
	u := c.Set.Users()
	var out string
	var err error
	switch r.Command {
	case control.CmdUsersCheck:
		out, err = u.Check(r.Op, r.Name)
	case control.CmdUsersAdd:
		out, err = u.Add(r.Name, r.Password)
	case control.CmdUsersPasswd:
		out, err = u.Passwd(r.Name, r.Password)
	case control.CmdUsersDel:
		out, err = u.Del(r.Name)
	case control.CmdUsersList:
		names, err := u.List()
		if err != nil {
			return control.Response{Error: err.Error()}
		}
		return control.Response{OK: true, Names: names}
	}
	if err != nil {
		return control.Response{Error: err.Error()}
	}
	return control.Response{OK: true, Output: out}
}

// Users is the account administration of the running server.
func (set *Setup) Users() Users {
	cfg := set.running.Load()
	file := set.ConfigFile
	if file == "" {
		file = "the embedded default (-config FILE replaces it)"
	}
	u := Users{DB: set.Store, Opt: accounts.Options{Iterations: cfg.Auth.ScramIterations, KeepPassword: cfg.Auth.LegacyDigest},
		Domain: cfg.Domain, AutoRoster: cfg.Chat.AutoRoster, ConfigFile: file}
	u.Deleted = func(jid string) {
		if set.Server != nil {
			set.Server.Router().Forget(jid)
		}
		if set.VCard != nil {
			set.VCard.Forget(jid)
		}
		if set.Archive != nil {
			set.Archive.Forget(jid)
		}
	}
	if set.Archive != nil {
		u.DeleteArchive = set.Archive.Delete
	}
	return u
}

// Status describes the running server.
func (set *Setup) Status() control.Status {
	cfg := set.running.Load()
	set.reload.mu.Lock()
	reloads, lastErr := set.reload.count, set.reload.lastErr
	set.reload.mu.Unlock()
	st := control.Status{
		Version: BuildInfo().String(), PID: os.Getpid(), Started: set.started, Uptime: time.Since(set.started).Round(time.Second),
		ConfigFile: set.ConfigFile, StateDir: cfg.StateDir, Domain: cfg.Domain, LogLevel: cfg.Log.Level,
		Reloads: reloads, LastReloadError: lastErr,
		Listeners: set.listeners(), Connections: map[string]int{"xmpp": set.Server.ConnCount()},
		Sessions: set.Server.Router().Count(), Certificates: set.certificates(),
	}
	if set.IRC != nil {
		st.Connections["irc"] = set.IRC.ConnCount()
	}
	if a := set.StatusAddr(); a != nil {
		st.StatusPage = "http://" + a.String() + "/"
	}
	names, _ := set.Store.ListAccounts()
	st.Accounts = len(names)
	for _, n := range names {
		if a, err := set.Store.Lookup(n); err == nil && a.Configured {
			st.Configured++
		}
	}
	return st
}
