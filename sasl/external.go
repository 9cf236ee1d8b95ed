package sasl

// External is the EXTERNAL mechanism for a verified client certificate, with
// the authorization identity rules of XEP-0178 §4.
type External struct{}

// Name implements Mechanism.
func (External) Name() string { return "EXTERNAL" }

// Start implements Mechanism.
func (External) Start(c *Context) Session { return &externalSession{ctx: c} }

type externalSession struct {
	ctx   *Context
	asked bool
	who   Identity
}

func (s *externalSession) Next(data []byte) ([]byte, bool, error) {
	ids := s.ctx.ExternalIdentities
	if len(ids) == 0 {
		return nil, true, Fail(NotAuthorized, "no verified client certificate maps to an account here")
	}
	if data == nil && !s.asked && len(ids) > 1 {
		// Several identities and no authzid yet: ask for one.
		s.asked = true
		return []byte{}, false, nil
	}
	authzid := string(data)
	if authzid == "" {
		if len(ids) > 1 {
			return nil, true, Fail(InvalidAuthzid, "the certificate holds %d identities: name one as the authorization identity", len(ids))
		}
		s.who = Identity{Username: ids[0]}
		return nil, true, nil
	}
	for _, id := range ids {
		if sameBareJID(authzid, id, s.ctx.Domain) {
			s.who = Identity{Username: id}
			return nil, true, nil
		}
	}
	return nil, true, Fail(InvalidAuthzid, "the authorization identity is not one the certificate holds")
}

func (s *externalSession) Identity() Identity  { return s.who }
func (s *externalSession) SuccessData() []byte { return nil }
