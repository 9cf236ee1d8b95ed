package server_test

import (
	"strings"
	"testing"

	"jabberd/config"
	"jabberd/lab"
)

// TestTranscriptKeepsClientBytes: what the client sent is in its
// transcript byte for byte (its declaration, quoting and whitespace), and
// each record's length is its own bytes; credentials are the exception,
// written back redacted.
func TestTranscriptKeepsClientBytes(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Listen[0].Profile = "sasl-before-tls" })
	c := h.dial(t)
	sent := []string{
		"<?xml version=\"1.0\"?>\n<stream:stream  to=\"localhost\" version=\"1.0\"\n xmlns=\"jabber:client\" xmlns:stream=\"http://etherx.jabber.org/streams\">",
		"\n  <auth xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\" mechanism=\"PLAIN\">AGFsaWNlAHNlY3JldC1wdw==</auth>",
		"<presence xmlns='jabber:client'   type=\"probe\"/>",
	}
	c.send(sent[0])
	c.readTag() // <?xml?>
	c.readTag() // <stream:stream>
	c.readTag() // <stream:features>
	c.send(sent[1])
	c.send(sent[2])
	c.readUntilClosed()
	tr := h.labTranscript(t, c.tcp.LocalAddr().String())
	var in []lab.Record
	for _, r := range tr.Records() {
		if r.Dir == lab.DirIn {
			in = append(in, r)
		}
	}
	if len(in) != 3 {
		t.Fatalf("%d client records, want 3: %+v", len(in), in)
	}
	if in[0].Data != sent[0] || in[0].Len != len(sent[0]) || in[0].Redacted {
		t.Errorf("header record %q (len %d), want the bytes sent %q", in[0].Data, in[0].Len, sent[0])
	}
	if !in[1].Redacted || strings.Contains(in[1].Data, "AGFsaWNl") || in[1].Len != len(sent[1]) {
		t.Errorf("the credentials record is not redacted to its length: %+v", in[1])
	}
	if in[2].Data != sent[2] || in[2].Offset != int64(len(sent[0])+len(sent[1])) {
		t.Errorf("stanza record %+v, want %q at offset %d", in[2], sent[2], len(sent[0])+len(sent[1]))
	}
}
