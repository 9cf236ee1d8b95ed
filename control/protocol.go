// Package control is jabberd's control socket: a Unix socket in the state
// directory (STATE_DIR/jabberd.sock, mode 0600, only the server's user and
// root may connect) through which `jabberd users`, `jabberd status` and
// `jabberd reload` act on the running server. One connection carries one
// request and its response, each a JSON object on one line.
package control

import (
	"path/filepath"
	"time"
)

// SocketName is the socket's name in the state directory.
const SocketName = "jabberd.sock"

// Path is the socket of a state directory.
func Path(stateDir string) string { return filepath.Join(stateDir, SocketName) }

// The commands.
const (
	// CmdUsersCheck asks whether Op ("add", "passwd", "del") may act on
	// Name, before the password is read.
	CmdUsersCheck  = "users.check"
	CmdUsersAdd    = "users.add"
	CmdUsersPasswd = "users.passwd"
	CmdUsersDel    = "users.del"
	CmdUsersList   = "users.list"
	CmdStatus      = "status"
	CmdReload      = "reload"
)

// Request is one command.
type Request struct {
	Command  string `json:"command"`
	Op       string `json:"op,omitempty"`
	Name     string `json:"name,omitempty"`
	Password string `json:"password,omitempty"`
}

// Response is the answer: OK with Output (a sentence for the person),
// Names or Status; or Error.
type Response struct {
	OK     bool     `json:"ok"`
	Error  string   `json:"error,omitempty"`
	Output string   `json:"output,omitempty"`
	Names  []string `json:"names,omitempty"`
	Status *Status  `json:"status,omitempty"`
}

// Status is what `jabberd status` shows.
type Status struct {
	Version    string        `json:"version"` // the one-line build description
	PID        int           `json:"pid"`
	Started    time.Time     `json:"started"`
	Uptime     time.Duration `json:"uptime_ns"`
	ConfigFile string        `json:"config_file"` // "" for the embedded default
	StateDir   string        `json:"state_dir"`
	Domain     string        `json:"domain"`
	LogLevel   string        `json:"log_level"`
	Reloads    int           `json:"reloads"`
	// LastReloadError is the last reload's error, "" when it succeeded.
	LastReloadError string         `json:"last_reload_error,omitempty"`
	Listeners       []Listener     `json:"listeners"`
	Connections     map[string]int `json:"connections"` // by protocol
	Sessions        int            `json:"sessions"`    // bound XMPP sessions
	Accounts        int            `json:"accounts"`
	Configured      int            `json:"configured_accounts"`
	StatusPage      string         `json:"status_page,omitempty"` // its URL; /metrics is there
	Certificates    []Certificate  `json:"certificates"`
}

// Listener is one listening socket.
type Listener struct {
	Protocol string `json:"protocol"` // xmpp, irc, status
	Address  string `json:"address"`
	TLS      string `json:"tls,omitempty"`
	Profile  string `json:"profile,omitempty"`
}

// Certificate is one certificate the server presents or trusts.
type Certificate struct {
	Name     string    `json:"name"` // server, lab_ca, client_ca_1, …
	File     string    `json:"file"`
	Subject  string    `json:"subject"`
	NotAfter time.Time `json:"not_after"`
}
