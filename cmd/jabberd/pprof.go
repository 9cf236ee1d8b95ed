//go:build pprof

package main

// Profiling build for measuring (never in a release): go build -tags pprof
// and JABBERD_PPROF=127.0.0.1:6060 serve net/http/pprof, so that a server
// under `jabberd bench` can be profiled as it runs (CPU of logins, heap of
// idle sessions) without a flag in the normal binary.

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	if addr := os.Getenv("JABBERD_PPROF"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}
