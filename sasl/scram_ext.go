package sasl

import (
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"github.com/xdg-go/scram"
)

// serverConversation is one SCRAM exchange on the server's side: xdg-go's
// (the standard one), or extConversation when the server-first message
// carries an extension.
type serverConversation interface {
	Step(msg string) (string, error)
	Valid() bool
	Username() string
	AuthzID() string
}

// extConversation is the server side of RFC 5802 with attributes added to
// the server-first message, which xdg-go/scram cannot send: they must be
// part of the AuthMessage both sides sign. It serves only the lab's
// XEP-0474 profile; the standard exchange is xdg-go's. The GS2 flag was
// checked against the mechanism before (scramSession.start).
type extConversation struct {
	hash    scram.HashGeneratorFcn
	lookup  scram.CredentialLookup
	nonce   func() string
	cb      scram.ChannelBinding // the binding a -PLUS exchange must carry
	ext     string               // appended to the server-first message, with its comma
	step    int
	valid   bool
	gs2     string // the client's GS2 header
	c1b     string // client-first-message-bare
	s1      string // server-first-message
	user    string
	authzID string
	full    string // the combined nonce
	creds   scram.StoredCredentials
}

var errExtDone = errors.New("SCRAM conversation already completed")

func (c *extConversation) Step(msg string) (string, error) {
	c.step++
	switch c.step {
	case 1:
		return c.first(msg)
	case 2:
		return c.final(msg)
	}
	return "", errExtDone
}

func (c *extConversation) Valid() bool      { return c.valid }
func (c *extConversation) Username() string { return c.user }
func (c *extConversation) AuthzID() string  { return c.authzID }

// first reads client-first-message = gs2-header client-first-message-bare
// (RFC 5802 §7) and answers with the server-first message.
func (c *extConversation) first(msg string) (string, error) {
	flag, rest, ok := strings.Cut(msg, ",")
	if !ok {
		return "", errors.New("malformed client-first message")
	}
	authz, bare, ok := strings.Cut(rest, ",")
	if !ok {
		return "", errors.New("malformed client-first message")
	}
	if flag != "n" && flag != "y" && !strings.HasPrefix(flag, "p=") {
		return "", errors.New("malformed GS2 flag")
	}
	if typ, isP := strings.CutPrefix(flag, "p="); isP && scram.ChannelBindingType(typ) != c.cb.Type {
		return "", errors.New("channel binding type not supported")
	}
	if authz != "" {
		a, isA := strings.CutPrefix(authz, "a=")
		name, decoded := decodeSASLName(a)
		if !isA || !decoded {
			return "", errors.New("malformed authorization identity")
		}
		c.authzID = name
	}
	c.gs2 = flag + "," + authz + ","
	c.c1b = bare
	fields := strings.Split(bare, ",")
	if len(fields) < 2 || strings.HasPrefix(bare, "m=") {
		return "", errors.New("malformed client-first message")
	}
	n, okN := strings.CutPrefix(fields[0], "n=")
	cnonce, okR := strings.CutPrefix(fields[1], "r=")
	user, decoded := decodeSASLName(n)
	if !okN || !okR || !decoded || user == "" || cnonce == "" {
		return "", errors.New("malformed client-first message")
	}
	c.user = user
	creds, err := c.lookup(user)
	if err != nil {
		return "", err
	}
	c.creds = creds
	c.full = cnonce + c.nonce()
	c.s1 = "r=" + c.full + ",s=" + base64.StdEncoding.EncodeToString([]byte(creds.Salt)) +
		",i=" + strconv.Itoa(creds.Iters) + c.ext
	return c.s1, nil
}

// final reads client-final-message = channel-binding "," nonce ["," ext]
// "," proof, checks the binding, the nonce and the proof, and answers with
// the server-final message (v=).
func (c *extConversation) final(msg string) (string, error) {
	i := strings.LastIndex(msg, ",p=")
	if i < 0 {
		return "", errors.New("client-final message without proof")
	}
	wop, proofB64 := msg[:i], msg[i+3:]
	fields := strings.Split(wop, ",")
	if len(fields) < 2 {
		return "", errors.New("malformed client-final message")
	}
	cbindB64, okC := strings.CutPrefix(fields[0], "c=")
	nonce, okR := strings.CutPrefix(fields[1], "r=")
	cbind, errC := base64.StdEncoding.DecodeString(cbindB64)
	proof, errP := base64.StdEncoding.DecodeString(proofB64)
	if !okC || !okR || errC != nil || errP != nil {
		return "", errors.New("malformed client-final message")
	}
	want := []byte(c.gs2)
	if strings.HasPrefix(c.gs2, "p=") {
		want = append(want, c.cb.Data...)
	}
	if !hmac.Equal(cbind, want) {
		return "", errors.New("channel binding mismatch")
	}
	if nonce != c.full {
		return "", errors.New("nonce mismatch")
	}
	authMsg := []byte(c.c1b + "," + c.s1 + "," + wop)
	sig := c.mac(c.creds.StoredKey, authMsg)
	if len(proof) != len(sig) {
		return "", errors.New("challenge proof invalid")
	}
	key := make([]byte, len(sig))
	for i := range sig {
		key[i] = proof[i] ^ sig[i]
	}
	h := c.hash()
	h.Write(key)
	if !hmac.Equal(h.Sum(nil), c.creds.StoredKey) {
		return "", errors.New("challenge proof invalid")
	}
	c.valid = true
	return "v=" + base64.StdEncoding.EncodeToString(c.mac(c.creds.ServerKey, authMsg)), nil
}

func (c *extConversation) mac(key, data []byte) []byte {
	m := hmac.New(c.hash, key)
	m.Write(data)
	return m.Sum(nil)
}

// decodeSASLName undoes RFC 5802 §5.1's escaping (=2C for ",", =3D for
// "="); any other "=" is malformed.
func decodeSASLName(s string) (string, bool) {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '=')
		if i < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		b.WriteString(s[:i])
		switch {
		case strings.HasPrefix(s[i:], "=2C"):
			b.WriteByte(',')
		case strings.HasPrefix(s[i:], "=3D"):
			b.WriteByte('=')
		default:
			return "", false
		}
		s = s[i+3:]
	}
}
