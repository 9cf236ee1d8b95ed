package irc

import (
	"errors"

	"jabberd/lab/wire"
	"jabberd/sasl"
	"jabberd/tlspolicy"
)

// Config is what a machine needs to know about its listener and server.
type Config struct {
	// ServerName is the source of server lines (":localhost 001 …").
	ServerName string
	Network    string
	Version    string
	// Created is the text of 003 (a date).
	Created string
	TLS     tlspolicy.Policy
	// TLSReady reports a server-side TLS problem (an expired certificate)
	// when a client asks for STARTTLS; nil means always ready.
	TLSReady func() error
	// Mechanisms are the SASL mechanisms that may be offered (EXTERNAL,
	// PLAIN), each only where it may be used: after TLS, and EXTERNAL only
	// with a verified certificate that maps to an account.
	Mechanisms []sasl.Mechanism
	// Domain is the accounts' domain: identities are user@Domain.
	Domain string
	// MaxFailures ends the connection after this many failed SASL
	// attempts (0: 3).
	MaxFailures int
	// Net is the network the client joins.
	Net *Network
	// PlaintextPasswords lets PLAIN be used before TLS
	// (auth.insecure_allow_passwords_without_tls).
	PlaintextPasswords bool
	// STS is the IRCv3 sts policy (sts.go): STSPort (0: none) is told to
	// plaintext connections, STSDuration (seconds) to TLS ones when
	// STSPersist.
	STSPort     int
	STSDuration int
	STSPersist  bool
	// Effect bends the STARTTLS path for lab profiles; the zero value is
	// the standard behaviour. It is every machine's to start with (the
	// transcript tests set it); SetEffect changes one machine's.
	Effect wire.Effect
}

// State is where a connection is in its life.
type State int

// The states. Facts that vary independently of them (TLS, a login, CAP
// negotiation) are kept as fields of the machine.
const (
	// Unregistered: before NICK, USER (and CAP END) complete registration.
	Unregistered State = iota
	// Upgrading: 670 was sent and the handshake is under way; no line is
	// read until its outcome (TLSEvent).
	Upgrading
	// Registered: welcomed; chat commands work.
	Registered
	// Closed: the connection is over.
	Closed
)

func (s State) String() string {
	switch s {
	case Unregistered:
		return "unregistered"
	case Upgrading:
		return "upgrading"
	case Registered:
		return "registered"
	case Closed:
		return "closed"
	}
	return "unknown"
}

// Machine runs one client connection: events in, actions out. It owns no
// socket and reads no clock, which is what lets a whole exchange be a
// transcript in testdata/irc. Its only shared state is the Network (an
// in-memory table of nicks and channels). Not safe for concurrent use: the
// connection's goroutine owns it.
type Machine struct {
	cfg    *Config
	state  State
	member *Member
	host   string

	nick, user string // "" until NICK, USER
	realname   string // USER's last parameter (WHOIS, WHO)
	pass       bool   // PASS was given (it is not checked: there is no server password)
	invisible  bool   // user mode +i (WHO and NAMES leave the client out for strangers)
	netAccount string // the account the network shows in WHOIS

	capNegotiating bool // CAP LS or REQ before registration: registration waits for CAP END
	cap302         bool
	caps           map[string]bool // enabled capabilities
	// shown is what the client was last told is on offer (CAP LS, NEW,
	// DEL), name → value; nil before its first LS (capnotify.go).
	shown map[string]string
	// stsBadPort is the TLS port sts-bad-port points at (0: none).
	stsBadPort int

	tls      *TLSInfo // nil while plaintext
	account  string   // logged-in account, "" if none
	auth     *saslAttempt
	failures int

	// beh is the connection's lab behaviour: the listener's (Config), or
	// the profile the client chose for itself (SetBehaviour).
	beh wire.Effect

	actions []Action
}

// NewMachine returns a machine for a client connected from host; lines the
// network routes to it go to out.
func NewMachine(cfg *Config, out Outbox, host string) *Machine {
	return &Machine{cfg: cfg, host: host, member: cfg.Net.Connect(out, host), caps: map[string]bool{}, beh: cfg.Effect}
}

// SetEffect bends this connection's STARTTLS path from now on (a lab
// profile the client chose by its username or SNI).
func (m *Machine) SetEffect(e wire.Effect) { m.beh = e }

// State returns the machine's state.
func (m *Machine) State() State { return m.state }

// Member is the client's handle on the network.
func (m *Machine) Member() *Member { return m.member }

// Handle feeds one event to the machine and returns what the connection must
// do, in order. The slice is valid until the next call.
func (m *Machine) Handle(ev Event) []Action {
	m.actions = m.actions[:0]
	if m.state == Closed {
		return nil
	}
	switch ev := ev.(type) {
	case LineEvent:
		if m.state != Upgrading { // nothing read during the handshake is a line
			if ev.Msg == nil && ev.Err == nil {
				ev = ParsedLine(ev.Line)
			}
			m.onLine(ev.Msg, ev.Err)
		}
	case TooLongEvent:
		m.reply(ERR_INPUTTOOLONG, "Input line was too long")
	case TLSEvent:
		m.onTLS(ev)
	case PingEvent:
		m.send(format("", "PING", []string{m.cfg.ServerName}, true))
	case TimeoutEvent:
		m.quit(ev.Reason)
	case FloodEvent:
		m.quit("Excess flood")
	case StopEvent:
		m.quit(ev.Reason)
	case HangupEvent:
		m.cfg.Net.Quit(m.member, ev.Reason)
		m.close(ev.Reason)
	}
	m.notifyCaps()
	return m.actions
}

// onLine parses a line and dispatches it through the command table.
func (m *Machine) onLine(msg *Message, err error) {
	switch {
	case errors.Is(err, ErrEmptyLine):
		return // RFC 1459 §2.3.1: silently ignored
	case errors.Is(err, ErrTooLong):
		m.reply(ERR_INPUTTOOLONG, "Input line was too long")
		return
	case err != nil:
		m.notice("*** Line ignored: " + err.Error())
		return
	}
	cmd, ok := commands[msg.Command]
	switch {
	case !ok:
		m.reply(ERR_UNKNOWNCOMMAND, msg.Command, "Unknown command")
	case m.state != Registered && !cmd.preReg:
		m.reply(ERR_NOTREGISTERED, "You have not registered")
	case len(msg.Params) < cmd.minParams:
		m.reply(ERR_NEEDMOREPARAMS, msg.Command, "Not enough parameters")
	default:
		cmd.handle(m, msg)
		if m.state == Registered && m.account != m.netAccount {
			m.netAccount = m.account // a SASL login after registration
			m.cfg.Net.SetAccount(m.member, m.account)
		}
	}
}

// target is the first parameter of a reply: the nick, or * before one.
func (m *Machine) target() string {
	if m.nick == "" {
		return "*"
	}
	return m.nick
}

// prefix is the client's nick!user@host.
func (m *Machine) prefix() string {
	user := m.user
	if user == "" {
		user = "*"
	}
	return m.target() + "!" + user + "@" + m.host
}

// reply sends a numeric whose last parameter is text.
func (m *Machine) reply(code Numeric, params ...string) {
	m.send(format(m.cfg.ServerName, string(code), append([]string{m.target()}, params...), true))
}

// replyData sends a numeric whose last parameter is data, not text.
func (m *Machine) replyData(code Numeric, params ...string) {
	m.send(format(m.cfg.ServerName, string(code), append([]string{m.target()}, params...), false))
}

func (m *Machine) notice(text string) {
	m.send(format(m.cfg.ServerName, "NOTICE", []string{m.target(), text}, true))
}

// send queues one line. No line leaves longer than 512 bytes with its
// CRLF: what the client sent can come back longer with our prefix, and is
// cut (only trailing text is ever long).
func (m *Machine) send(line string) {
	m.actions = append(m.actions, Action{Kind: Send, Line: truncate(line, MaxMessageBytes-2)})
}

func (m *Machine) do(a Action) { m.actions = append(m.actions, a) }

// quit ends the connection with an ERROR line that says why; channel peers
// see a QUIT with the same reason.
func (m *Machine) quit(reason string) {
	m.send(format("", "ERROR", []string{"Closing link: " + m.host + " (" + reason + ")"}, true))
	m.cfg.Net.Quit(m.member, reason)
	m.close(reason)
}

func (m *Machine) close(reason string) {
	m.state = Closed
	m.do(Action{Kind: Close, Reason: reason})
}
