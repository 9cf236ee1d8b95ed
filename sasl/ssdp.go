package sasl

import (
	"encoding/base64"
	"hash"
	"slices"
	"strings"
)

// SSDP is what a server advertised, for the hash of XEP-0474 (SASL SCRAM
// Downgrade Protection, version 0.5.0): SCRAM carries it in the optional
// attribute h of the server-first message, where the client's proof signs
// it, so that a client that was shown another list (a man in the middle
// removed -PLUS, or channel-binding types) can tell and fail the
// authentication before it sends its proof.
//
// jabberd sends it only under a lab profile (plus-stripped-xep0474): the
// standard server-first message has no h.
type SSDP struct {
	// Mechanisms are the SASL mechanisms the server advertised.
	Mechanisms []string
	// ChannelBindings are the channel-binding types it advertised with
	// XEP-0440; nil when it did not use XEP-0440.
	ChannelBindings []string
}

// XEP-0474's delimiters, which XML 1.0 forbids, so no advertised name
// holds one.
const (
	ssdpItem = "\x1e"
	ssdpList = "\x1f"
)

// Hash is XEP-0474 §4.1: the mechanisms sorted by octet and joined by
// 0x1E; when XEP-0440 was used, 0x1F and the channel-binding types sorted
// and joined by 0x1E; hashed with the SCRAM mechanism's own hash and
// base64-encoded.
func (d SSDP) Hash(h func() hash.Hash) string {
	s := strings.Join(slices.Sorted(slices.Values(d.Mechanisms)), ssdpItem)
	if d.ChannelBindings != nil {
		s += ssdpList + strings.Join(slices.Sorted(slices.Values(d.ChannelBindings)), ssdpItem)
	}
	sum := h()
	sum.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(sum.Sum(nil))
}

// Attribute is the server-first message's extension that carries the hash
// (",h=…").
func (d SSDP) Attribute(h func() hash.Hash) string { return ",h=" + d.Hash(h) }
