package stream

import (
	"fmt"
	"strings"
	"testing"
)

func TestZZExp(t *testing.T) {
	H := "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:tls='http://www.ietf.org/rfc/rfc2595.txt'>"
	for _, in := range []string{
		H + "</foo>",
		H + "<message>hi",
		H + "<message>",
		H + "<message><body>x</body>",
		"<?xml version='1.1'?>" + H,
		"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns:p=''><p:x/>",
		H + "<a x='1' x='2'/>",
		H + "\u00a0<a/>",
		H + "<message><![CDATA[abc",
		H + "<message>&#13;</message>",
		H + "<message xmlns=''/>",
		H + "<tls:starttls/>",
		H + "<a>&#0;</a>",
		H + "<?xml version='1.0' encoding='latin1'?>",
	} {
		r := NewReader(strings.NewReader(in), Limits{MaxBytes: 4096, MaxDepth: 8}, 64)
		var out []string
		for {
			ev, err := r.Next()
			if err != nil {
				out = append(out, fmt.Sprintf("err %T %v", err, err))
				break
			}
			s := ev.Kind.String()
			if ev.Element != nil {
				s += fmt.Sprintf(" %q space=%q", Marshal(ev.Element), ev.Space)
			}
			out = append(out, s)
		}
		t.Logf("%q\n   %v", in[min(len(in), len(H)):], out)
	}
}
