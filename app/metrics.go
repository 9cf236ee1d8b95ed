package app

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"jabberd/chat"
	"jabberd/metrics"
	"jabberd/transport"
)

// transportMetrics is what a protocol's connections count into (nil
// without metrics: nothing is counted).
func (set *Setup) transportMetrics(protocol string) transport.Metrics {
	if set.Metrics == nil {
		return nil
	}
	return set.Metrics.Transport(protocol)
}

// chatMetrics is what the router counts into (nil without metrics).
func (set *Setup) chatMetrics() chat.Metrics {
	if set.Metrics == nil {
		return nil
	}
	return set.Metrics
}

// verdicts is the lab recorder's hook for verdicts (nil without metrics).
func (set *Setup) verdicts() func(profile, verdict string) {
	if set.Metrics == nil {
		return nil
	}
	return set.Metrics.Verdict
}

// registerGauges adds what is read at scrape time: bound sessions,
// accounts, certificate expiry, the last reload.
func (set *Setup) registerGauges() {
	m := set.Metrics
	if m == nil {
		return
	}
	m.Register(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jabberd_sessions", Help: "Bound XMPP sessions now."},
			func() float64 { return float64(set.Server.Router().Count()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jabberd_accounts", Help: "Accounts in the store."},
			func() float64 {
				names, _ := set.Store.ListAccounts()
				return float64(len(names))
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "jabberd_config_last_reload_success_timestamp_seconds", Help: "When the configuration was last loaded or reloaded with success (Unix time)."},
			func() float64 { return float64(set.reload.lastSuccess().Unix()) }),
		metrics.Expiry(func() map[string]time.Time {
			out := map[string]time.Time{}
			for _, c := range set.certificates() {
				out[c.Name] = c.NotAfter
			}
			return out
		}),
	)
}
