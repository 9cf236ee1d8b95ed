package negotiation

import (
	"strings"

	"jabberd/sasl"
)

// What the lab's SASL profiles bend (wire.Effect, SASL block): the
// mechanisms advertised, the server-first and server-final messages of
// SCRAM. The standard behaviour goes through each with one test of a flag.

// advertised is what the features list of the mechanisms offered: all of
// them, but for StripPlus, which removes the -PLUS ones as a man in the
// middle would (the server still accepts them, and refuses "y").
func (m *Machine) advertised(names []string) []string {
	if !m.beh.StripPlus {
		return names
	}
	out := names[:0:0]
	for _, n := range names {
		if !strings.HasSuffix(n, "-PLUS") {
			out = append(out, n)
		}
	}
	return out
}

// downgradeProtection is what XEP-0474's hash covers: what the server
// offered before anyone stripped it, the mechanisms and, when -PLUS is
// among them, the XEP-0440 channel-binding types (advertiseSASL).
func (m *Machine) downgradeProtection() *sasl.SSDP {
	d := &sasl.SSDP{Mechanisms: m.mechanisms()}
	for _, n := range d.Mechanisms {
		if strings.HasSuffix(n, "-PLUS") {
			d.ChannelBindings = []string{}
			if m.tls.Exporter != nil {
				d.ChannelBindings = append(d.ChannelBindings, sasl.BindingTLSExporter)
			}
			if m.tls.ServerEndPoint != nil {
				d.ChannelBindings = append(d.ChannelBindings, sasl.BindingTLSServerEndPoint)
			}
			break
		}
	}
	return d
}

// successData is the additional data sent with <success/>: the
// mechanism's, or under BadServerSignature a SCRAM server-final message
// that does not verify, or under NoServerFinal none at all where SCRAM
// has one.
func (m *Machine) successData(data []byte) []byte {
	switch {
	case !m.beh.NoServerFinal && !m.beh.BadServerSignature:
	case !strings.HasPrefix(m.auth.mechanism, "SCRAM-"):
	case m.beh.NoServerFinal:
		return nil
	case m.beh.BadServerSignature:
		return sasl.BadServerFinal(data)
	}
	return data
}
