package sasl

import (
	"crypto/rand"
	"encoding/base64"
	"strings"

	"github.com/xdg-go/scram"
)

// What the lab's SASL profiles need of the mechanisms: the texts of the
// failures a verdict tells apart, the server-first extension of XEP-0474
// (ssdp.go, scram_ext.go), and a server-final message that does not
// verify. None of it is used by the standard behaviour.

// The texts of SCRAM failures that say what the client did: it signalled
// that it could bind although -PLUS was offered ("y", RFC 5802 §6), or its
// proof (or the binding the proof carries) was checked and did not match.
const (
	TextDowngrade        = "channel-binding downgrade detected: -PLUS mechanisms were offered"
	TextWrongCredentials = "wrong user name or password"
	TextBindingMismatch  = "channel binding did not match"
)

// extConversation makes the conversation whose server-first message ends
// with ext.
func (s *scramSession) extConversation(h scram.HashGeneratorFcn, cb scram.ChannelBinding, ext string) *extConversation {
	nonce := s.ctx.Nonce
	if nonce == nil {
		nonce = randomNonce
	}
	return &extConversation{hash: h, lookup: s.lookup, nonce: nonce, cb: cb, ext: ext}
}

// randomNonce is the server's part of a SCRAM nonce, as xdg-go/scram makes
// it: 24 random bytes, base64.
func randomNonce() string {
	var b [24]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return base64.StdEncoding.EncodeToString(b[:])
}

// BadServerFinal returns a SCRAM server-final message whose ServerSignature
// does not verify: final's with every bit inverted, the same length, valid
// base64. A message that is not "v=…" (another mechanism's success data)
// is returned as it is.
func BadServerFinal(final []byte) []byte {
	v, ok := strings.CutPrefix(string(final), "v=")
	if !ok {
		return final
	}
	sig, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(sig) == 0 {
		return final
	}
	for i := range sig {
		sig[i] ^= 0xff
	}
	return []byte("v=" + base64.StdEncoding.EncodeToString(sig))
}
