package lab

import (
	"strconv"
	"testing"

	"github.com/rs/zerolog"
)

// BenchmarkTranscriptLogin is what one RFC 6120 login costs its transcript:
// the calls a connection makes, with data of a login's sizes.
func BenchmarkTranscriptLogin(b *testing.B) {
	book, _ := NewRecorder(Options{Keep: 200, MaxBytes: 256 << 10}, zerolog.Nop())
	header := make([]byte, 180)
	features := make([]byte, 450)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tr := book.Start("c"+strconv.Itoa(i), "xmpp", "127.0.0.1:40000", "127.0.0.1")
		for range 3 {
			tr.In("<stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>", 135, false, Input{Kind: "header"})
			tr.Out(header, false)
			tr.Out(features, false)
		}
		tr.InBytes(features[:51], 51, false, Input{Kind: "element", StartTLS: true})
		tr.Out(features[:50], false)
		tr.TLSRequested()
		tr.TLSEstablished("TLS 1.3", "TLS_AES_128_GCM_SHA256", "localhost", "none")
		tr.InBytes(features[:92], 92, true, Input{Kind: "element", Mechanism: "PLAIN", Credentials: true})
		tr.Auth("PLAIN", "bench@localhost", true, "")
		tr.Out(features[:60], true)
		tr.InBytes(features[:120], 120, false, Input{Kind: "element"})
		tr.Out(features[:150], false)
		tr.InBytes(features[:16], 16, false, Input{Kind: "close"})
		tr.Out(features[:16], false)
		tr.End("client closed the stream")
	}
}
