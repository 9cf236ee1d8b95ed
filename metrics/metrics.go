// Package metrics counts what jabberd does, in the Prometheus text format
// (GET /metrics on the status listener), with the Prometheus client
// library: connections by listener, dialect and phase; logins by mechanism
// and result; TLS handshakes by outcome; stanzas routed; offline messages
// stored and delivered; lab verdicts by profile.
//
// It counts at the points that exist anyway: the connection core's start,
// end, handshake and notes (transport.Metrics), the chat router
// (chat.Metrics) and the lab recorder's end of a transcript. The one call
// per stanza (Routed) is an atomic add on a counter resolved in advance.
package metrics

import (
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"jabberd/sasl"
	"jabberd/transport"
)

// Metrics is one server's metrics, in a registry of its own (tests run
// several servers in one process).
type Metrics struct {
	reg          *prometheus.Registry
	conns        *prometheus.CounterVec
	open         *prometheus.GaugeVec
	logins       *prometheus.CounterVec
	handshakes   *prometheus.CounterVec
	routed       prometheus.Counter
	offStored    prometheus.Counter
	offDelivered prometheus.Counter
	verdicts     *prometheus.CounterVec
}

// New registers jabberd's metrics, the Go runtime's and the process's.
// build labels jabberd_build_info (version, revision, go).
func New(build map[string]string) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		conns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jabberd_connections_total",
			Help: "Connections that ended, by listener (protocol:port), dialect (legacy, rfc6120, irc, none: closed before a stream header) and the phase they reached (plaintext, tls, authenticated).",
		}, []string{"listener", "dialect", "phase"}),
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jabberd_connections_open",
			Help: "Connections open now, by listener (protocol:port).",
		}, []string{"listener"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jabberd_logins_total",
			Help: "Authentication attempts that ended, by mechanism (SASL name, jabber:iq:auth/password or /digest, register, other) and result (success, failure).",
		}, []string{"protocol", "mechanism", "result"}),
		handshakes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jabberd_tls_handshakes_total",
			Help: "TLS handshakes (STARTTLS and direct TLS), by outcome: ok; alert (the client refused, e.g. our certificate); not-tls (plaintext where the ClientHello belongs); timeout (or shutdown); error.",
		}, []string{"protocol", "outcome"}),
		routed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jabberd_stanzas_routed_total",
			Help: "Stanzas bound XMPP sessions sent, handled by the router (delivered, stored, answered or bounced).",
		}),
		offStored: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jabberd_offline_messages_stored_total",
			Help: "Messages committed to offline storage.",
		}),
		offDelivered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jabberd_offline_messages_delivered_total",
			Help: "Messages from offline storage written to a session.",
		}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jabberd_lab_verdicts_total",
			Help: "Ended connections recorded by the lab, by profile (standard: none) and verdict (pass, fail, inconclusive, not-exercised).",
		}, []string{"profile", "verdict"}),
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "jabberd_build_info", Help: "Always 1; the labels say which jabberd runs.", ConstLabels: build,
	})
	info.Set(1)
	m.reg.MustRegister(m.conns, m.open, m.logins, m.handshakes, m.routed, m.offStored, m.offDelivered, m.verdicts, info,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus text format (or
// OpenMetrics, when the scraper asks for it).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// Register adds collectors of the caller's (gauges read at scrape time).
func (m *Metrics) Register(cs ...prometheus.Collector) { m.reg.MustRegister(cs...) }

// Routed implements chat.Metrics.
func (m *Metrics) Routed() { m.routed.Inc() }

// OfflineStored implements chat.Metrics.
func (m *Metrics) OfflineStored() { m.offStored.Inc() }

// OfflineDelivered implements chat.Metrics.
func (m *Metrics) OfflineDelivered() { m.offDelivered.Inc() }

// Verdict counts a lab verdict; profile "" is the standard behaviour.
func (m *Metrics) Verdict(profile, verdict string) {
	if profile == "" {
		profile = "standard"
	}
	m.verdicts.WithLabelValues(profile, verdict).Inc()
}

// Transport returns the connection core's counters for one protocol
// ("xmpp", "irc").
func (m *Metrics) Transport(protocol string) transport.Metrics {
	return &protocolMetrics{m: m, protocol: protocol}
}

// protocolMetrics are Metrics seen by one protocol's connections.
type protocolMetrics struct {
	m        *Metrics
	protocol string
}

// listener names a listener by protocol and port: "xmpp:5222".
func (p *protocolMetrics) listener(local string) string {
	if _, port, err := net.SplitHostPort(local); err == nil {
		return p.protocol + ":" + port
	}
	return p.protocol
}

func (p *protocolMetrics) Opened(local string) {
	p.m.open.WithLabelValues(p.listener(local)).Inc()
}

func (p *protocolMetrics) Closed(local, dialect, phase string) {
	l := p.listener(local)
	p.m.open.WithLabelValues(l).Dec()
	switch {
	case p.protocol == "irc":
		dialect = "irc"
	case dialect == "":
		dialect = "none"
	}
	p.m.conns.WithLabelValues(l, dialect, phase).Inc()
}

func (p *protocolMetrics) Handshake(outcome string) {
	p.m.handshakes.WithLabelValues(p.protocol, outcome).Inc()
}

func (p *protocolMetrics) Login(mechanism string, ok bool) {
	result := "failure"
	if ok {
		result = "success"
	}
	p.m.logins.WithLabelValues(p.protocol, mechanismLabel(mechanism), result).Inc()
}

// mechanismLabel keeps the label's values to a known few: a client
// names the mechanism it tries, and any name would be a new series.
func mechanismLabel(name string) string {
	switch {
	case slices.Contains(sasl.KnownMechanisms, name):
		return name
	case name == "jabber:iq:auth/password", name == "jabber:iq:auth/digest", name == "register":
		return name
	}
	return "other"
}

// Expiry is a gauge per certificate of its notAfter, read at scrape time
// from certs (name → notAfter): jabberd_certificate_expiry_timestamp_seconds.
func Expiry(certs func() map[string]time.Time) prometheus.Collector {
	return &expiry{certs: certs, desc: prometheus.NewDesc("jabberd_certificate_expiry_timestamp_seconds",
		"When a certificate jabberd serves or trusts expires (notAfter, Unix time): server, lab_ca, client_ca_N.", []string{"certificate"}, nil)}
}

type expiry struct {
	certs func() map[string]time.Time
	desc  *prometheus.Desc
}

func (e *expiry) Describe(ch chan<- *prometheus.Desc) { ch <- e.desc }

func (e *expiry) Collect(ch chan<- prometheus.Metric) {
	for name, t := range e.certs() {
		ch <- prometheus.MustNewConstMetric(e.desc, prometheus.GaugeValue, float64(t.Unix()), name)
	}
}
