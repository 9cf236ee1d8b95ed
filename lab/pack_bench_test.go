package lab

import (
	"strconv"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// benchLogin is an RFC 6120 login with an in-band registration refused as
// taken, as `jabberd bench idle -register` makes it and the server's lab
// records it (the events are added by Start and the calls below).
var benchLogin = []struct {
	dir  uint8
	data string
}{
	{dirIn, "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>"},
	{dirOut, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='26f07b10c2cdc8da19d6f929' from='localhost' version='1.0' xml:lang='en'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"},
	{dirIn, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"},
	{dirOut, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"},
	{dirEvent, "TLS"},
	{dirIn, "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>"},
	{dirOut, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='b89c7c7b6917cf9d3f40107d' from='localhost' version='1.0' xml:lang='en'><stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-256-PLUS</mechanism><mechanism>SCRAM-SHA-256</mechanism><mechanism>SCRAM-SHA-1-PLUS</mechanism><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms><sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-exporter'/><channel-binding type='tls-server-end-point'/></sasl-channel-binding><register xmlns='http://jabber.org/features/iq-register'/></stream:features>"},
	{dirIn, "<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>idle%d</username><password>[redacted]</password></query></iq>"},
	{dirOut, "<iq id='reg' type='error'><query xmlns='jabber:iq:register'><username>idle%d</username></query><error code='409' type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>the username is taken</text></error></iq>"},
	{dirIn, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>[redacted]</auth>"},
	{dirEvent, "auth"},
	{dirOut, "[SASL payload redacted]"},
	{dirIn, "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>"},
	{dirOut, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='1964de441c1613c40c0fc68f' from='localhost' version='1.0' xml:lang='en'><stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session><ver xmlns='urn:xmpp:features:rosterver'/><sm xmlns='urn:xmpp:sm:3'/><csi xmlns='urn:xmpp:csi:0'/></stream:features>"},
	{dirIn, "<iq id='b' type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>idle-%d</resource></bind></iq>"},
	{dirOut, "<iq id='b' type='result'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>idle%d@localhost/idle-%d</jid></bind></iq>"},
	{dirIn, "<presence/>"},
	{dirOut, "<presence from='idle%d@localhost/idle-%d' to='idle%d@localhost/idle-%d'/>"},
}

// loginTranscript records benchLogin for session i, as the server would.
func loginTranscript(book *Recorder, i int) *Transcript {
	n := strconv.Itoa(i)
	tr := book.Start("c"+n, "xmpp", "127.0.0.1:"+strconv.Itoa(30000+i), "127.0.0.1")
	for _, r := range benchLogin {
		data := []byte(strings.ReplaceAll(r.data, "%d", n))
		switch r.dir {
		case dirIn:
			tr.InBytes(data, len(data), strings.Contains(r.data, "[redacted]"), Input{Kind: "element"})
		case dirOut:
			tr.Out(data, r.data == "[SASL payload redacted]")
		case dirEvent:
			if r.data == "TLS" {
				tr.TLSRequested()
				tr.TLSEstablished("TLS 1.3", "TLS_AES_128_GCM_SHA256", "localhost", "none")
			} else {
				tr.Auth("PLAIN", "idle"+n+"@localhost", true, "")
			}
		}
	}
	return tr
}

// BenchmarkQuietLogin is what packing a quiet session's login costs (the
// deflate, once per session as it first parks) and what the packed
// transcript keeps: chunk-B is the deflated bytes of one login, its data
// and its entries.
func BenchmarkQuietLogin(b *testing.B) {
	book, _ := NewRecorder(Options{Keep: 1, MaxBytes: 256 << 10}, zerolog.Nop())
	const sessions = 64
	trs := make([]*Transcript, sessions)
	for i := range trs {
		trs[i] = loginTranscript(book, i)
	}
	arenas, records := make([][]byte, sessions), make([][]entry, sessions)
	for i, tr := range trs {
		arenas[i], records[i] = tr.arena, tr.records
	}
	b.ReportAllocs()
	var z int
	for i := 0; b.Loop(); i++ {
		tr := trs[i%sessions]
		tr.base, tr.arena, tr.records, tr.chunks, tr.packedRecs = 0, arenas[i%sessions], records[i%sessions], nil, 0
		tr.Quiet()
		z = len(tr.chunks[0].z)
	}
	b.ReportMetric(float64(z), "chunk-B")
}
