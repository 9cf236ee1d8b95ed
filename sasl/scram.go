package sasl

import (
	"errors"
	"strings"

	"github.com/xdg-go/scram"

	"jabberd/accounts"
)

// The channel-binding types jabberd supports (XEP-0440 advertises them).
const (
	BindingTLSExporter       = "tls-exporter"
	BindingTLSServerEndPoint = "tls-server-end-point"
)

// SCRAM is SCRAM-SHA-1 or SCRAM-SHA-256 (RFC 5802, RFC 7677), or its -PLUS
// variant with channel binding (tls-exporter, RFC 9266, or
// tls-server-end-point, RFC 5929), against stored credentials.
type SCRAM struct {
	Hash     string // "SHA-1" or "SHA-256"
	Plus     bool
	Accounts accounts.Store
	// Iterations is what unknown names pretend to use (the configured
	// scram_iterations), so that they look like the others.
	Iterations int
}

// Name implements Mechanism.
func (m SCRAM) Name() string {
	// The four configured names without building a string: the machine
	// asks for them several times per login.
	switch {
	case m.Hash == "SHA-256" && m.Plus:
		return "SCRAM-SHA-256-PLUS"
	case m.Hash == "SHA-256":
		return "SCRAM-SHA-256"
	case m.Hash == "SHA-1" && m.Plus:
		return "SCRAM-SHA-1-PLUS"
	case m.Hash == "SHA-1":
		return "SCRAM-SHA-1"
	case m.Plus:
		return "SCRAM-" + m.Hash + "-PLUS"
	}
	return "SCRAM-" + m.Hash
}

// Start implements Mechanism.
func (m SCRAM) Start(c *Context) Session { return &scramSession{mech: m, ctx: c} }

type scramSession struct {
	mech    SCRAM
	ctx     *Context
	conv    serverConversation
	asked   bool
	final   []byte
	who     Identity
	lookupE error
	account string // the store's name of the account looked up
}

func (s *scramSession) Next(data []byte) ([]byte, bool, error) {
	if s.conv == nil {
		if data == nil {
			if s.asked {
				return nil, true, Fail(MalformedRequest, "SCRAM needs the client-first message")
			}
			s.asked = true
			return []byte{}, false, nil
		}
		if f := s.start(string(data)); f != nil {
			return nil, true, f
		}
		first, err := s.conv.Step(string(data))
		if err != nil {
			return nil, true, s.failure(err)
		}
		return []byte(first), false, nil
	}
	final, err := s.conv.Step(string(data))
	if err != nil || !s.conv.Valid() {
		return nil, true, s.failure(err)
	}
	s.who = Identity{Username: s.conv.Username()}
	if name, perr := accounts.PrepareUsername(s.conv.Username()); perr == nil {
		s.who.Username = name
	}
	if s.account != "" {
		// The store's name for the account: it may differ from the
		// name the client gave (the lab's +profile tag is not part of it).
		s.who.Username = s.account
	}
	if az := s.conv.AuthzID(); az != "" && !sameBareJID(az, s.who.Username, s.ctx.Domain) {
		return nil, true, Fail(InvalidAuthzid, "SCRAM may only authorize as the authenticated user")
	}
	s.final = []byte(final)
	return nil, true, nil
}

// negotiation marks f as a failure that tried no credential.
func negotiation(f *Failure) *Failure {
	f.Negotiation = true
	return f
}

// start checks the GS2 header's channel-binding flag against the mechanism
// (RFC 5802 §6) and makes the conversation with the binding the client named.
func (s *scramSession) start(clientFirst string) *Failure {
	flag, _, _ := strings.Cut(clientFirst, ",")
	hashFn := scram.SHA256
	if s.mech.Hash == "SHA-1" {
		hashFn = scram.SHA1
	}
	srv, err := hashFn.NewServer(s.lookup)
	if err != nil {
		return Fail(TemporaryAuthFailure, "SCRAM is unavailable")
	}
	if s.ctx.Nonce != nil {
		srv = srv.WithNonceGenerator(s.ctx.Nonce)
	}
	var cb scram.ChannelBinding
	switch {
	case s.mech.Plus:
		typ, ok := strings.CutPrefix(flag, "p=")
		if !ok {
			return negotiation(Fail(MalformedRequest, "%s requires channel binding (gs2 flag p=)", s.mech.Name()))
		}
		cb = s.binding(typ)
		if !cb.IsSupported() {
			return negotiation(Fail(MalformedRequest, "channel binding %q is not supported here (use %s or %s)", typ, BindingTLSExporter, BindingTLSServerEndPoint))
		}
	case strings.HasPrefix(flag, "p="):
		return negotiation(Fail(MalformedRequest, "channel binding requested with %s; use %s-PLUS", s.mech.Name(), s.mech.Name()))
	case flag == "y" && s.ctx.PlusAdvertised:
		// The client could bind but believes we cannot: someone removed
		// the -PLUS mechanisms on the way (RFC 5802 §6).
		return negotiation(Fail(NotAuthorized, "%s", TextDowngrade))
	}
	switch {
	case s.ctx.DowngradeProtection != nil:
		// The lab's XEP-0474 profile: the server-first message carries h.
		s.conv = s.extConversation(hashFn, cb, s.ctx.DowngradeProtection.Attribute(hashFn))
	case s.mech.Plus:
		s.conv = srv.NewConversationWithChannelBindingRequired(cb)
	default:
		s.conv = srv.NewConversation()
	}
	return nil
}

func (s *scramSession) binding(typ string) scram.ChannelBinding {
	switch typ {
	case BindingTLSExporter:
		return scram.ChannelBinding{Type: scram.ChannelBindingTLSExporter, Data: s.ctx.TLSExporter}
	case BindingTLSServerEndPoint:
		return scram.ChannelBinding{Type: scram.ChannelBindingTLSServerEndpoint, Data: s.ctx.TLSServerEndPoint}
	}
	return scram.ChannelBinding{}
}

func (s *scramSession) lookup(username string) (scram.StoredCredentials, error) {
	name, err := accounts.PrepareUsername(username)
	if err != nil {
		return scram.StoredCredentials{}, err
	}
	acct, err := s.mech.Accounts.Lookup(name)
	if errors.Is(err, accounts.ErrNotFound) {
		// Go on as for a real account and fail at the proof: failing at
		// the first message would tell which names exist.
		return accounts.UnknownCredentials(name, s.mech.Hash, s.mech.Iterations), nil
	}
	if err != nil {
		s.lookupE = err
		return scram.StoredCredentials{}, err
	}
	if acct.Disabled {
		s.lookupE = errDisabled
		return scram.StoredCredentials{}, errDisabled
	}
	creds, ok := acct.Credentials(s.mech.Hash)
	if !ok {
		return scram.StoredCredentials{}, errors.New("no password credentials")
	}
	s.account = acct.Name
	return creds, nil
}

var errDisabled = errors.New("account disabled")

func (s *scramSession) failure(err error) *Failure {
	switch {
	case errors.Is(s.lookupE, errDisabled):
		return Fail(AccountDisabled, "this account is disabled")
	case s.lookupE != nil && !errors.Is(s.lookupE, accounts.ErrNotFound):
		return Fail(TemporaryAuthFailure, "the account store is unavailable")
	}
	if err != nil && strings.Contains(err.Error(), "channel binding") {
		return Fail(NotAuthorized, "%s", TextBindingMismatch)
	}
	return Fail(NotAuthorized, "%s", TextWrongCredentials)
}

func (s *scramSession) Identity() Identity { return s.who }

// SuccessData is the server-final message (v=…), sent with <success/>.
func (s *scramSession) SuccessData() []byte { return s.final }
