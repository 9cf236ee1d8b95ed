package app

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is the server's version, reported by jabber:iq:version.
const Version = "0.1.0"

// Build is what the binary knows of its own build (runtime/debug).
type Build struct {
	Version  string `json:"version"`  // Version
	Module   string `json:"module"`   // the main module's version: (devel) from a work tree
	Revision string `json:"revision"` // VCS commit, "" when built without VCS stamping
	Time     string `json:"time"`     // VCS commit time
	Modified bool   `json:"modified"` // built from a work tree with changes
	Go       string `json:"go"`       // toolchain
	Platform string `json:"platform"` // GOOS/GOARCH
}

// BuildInfo reads the build information the Go toolchain embedded.
func BuildInfo() Build {
	b := Build{Version: Version, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Module = info.Main.Version
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String is one line: "jabberd 0.1.0 (commit 1a2b3c4d5e6f, 2026-01-02T03:04:05Z, modified) go1.26.0 linux/amd64".
func (b Build) String() string {
	s := "jabberd " + b.Version
	var paren string
	switch {
	case b.Revision != "":
		paren = "commit " + short(b.Revision)
		if b.Time != "" {
			paren += ", " + b.Time
		}
		if b.Modified {
			paren += ", modified"
		}
	case b.Module != "" && b.Module != "(devel)":
		paren = "module " + b.Module
	default:
		paren = "built without VCS information"
	}
	return fmt.Sprintf("%s (%s) %s %s", s, paren, b.Go, b.Platform)
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

// BuildLabels are jabberd_build_info's labels.
func BuildLabels() map[string]string {
	b := BuildInfo()
	rev := b.Revision
	if rev == "" {
		rev = "unknown"
	}
	return map[string]string{"version": b.Version, "revision": rev, "goversion": b.Go}
}
