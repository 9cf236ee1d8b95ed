package app_test

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"jabberd/app"
	"jabberd/config"
	"jabberd/lab"
)

// freeBase finds a base port with room for every XMPP and IRC profile
// port. It looks below the kernel's ephemeral range: the ports there are
// taken only by listeners, while those inside it are the local ends of
// whatever connections the machine has (thousands, when other tests and
// benchmarks run), and a range of 2n ports next to an ephemeral one was
// often not free. A port can still be taken between the check and the
// listen: the caller retries.
func freeBase(t *testing.T, n int) int {
	t.Helper()
	lo, hi := 10000, ephemeralLow()-app.IRCPortOffset-n
	for try := 0; try < 50 && hi > lo; try++ {
		base := lo + rand.IntN(hi-lo)
		ok := true
		for _, p := range []int{0, app.IRCPortOffset} {
			for i := 0; i < n && ok; i++ {
				probe, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(base+p+i))
				if err != nil {
					ok = false
					break
				}
				probe.Close()
			}
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free range of ports")
	return 0
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's
// default when it cannot be read).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if lo, err := strconv.Atoi(f[0]); err == nil {
				return lo
			}
		}
	}
	return 32768
}

// TestProfilePorts: [lab] profile_ports opens profile i on base+i (IRC on
// base+100+i; an IRC-only profile has no XMPP port), each connection there
// meets that profile chosen by the listener, and the ports are listed with
// their bound addresses.
func TestProfilePorts(t *testing.T) {
	profiles := lab.Profiles()
	var (
		set   *app.Setup
		addrs []net.Addr
		base  int
	)
	for try := 0; ; try++ {
		base = freeBase(t, len(profiles))
		cfg := config.Default()
		cfg.StateDir = t.TempDir()
		cfg.Listen = []config.Listener{{Address: "127.0.0.1:0", TLS: "optional"}}
		cfg.IRC.Enabled, cfg.IRC.Address = true, "127.0.0.1:0"
		cfg.Lab.ProfilePorts = base
		var err error
		if set, err = app.FromConfig(cfg, zerolog.New(io.Discard)); err != nil {
			t.Fatal(err)
		}
		addrs, err = set.Listen()
		if err == nil {
			break
		}
		set.Store.Close()
		if !errors.Is(err, syscall.EADDRINUSE) || try == 4 {
			t.Fatal(err)
		}
		t.Logf("base %d: %v; another", base, err) // taken since freeBase looked
	}
	defer set.Store.Close()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = set.Shutdown(ctx)
	}()
	xmpp := len(slices.DeleteFunc(slices.Clone(profiles), func(p *lab.Profile) bool { return p.IRCOnly }))
	if len(addrs) != 1+xmpp {
		t.Fatalf("%d XMPP addresses, want the shared one and %d profile ports", len(addrs), xmpp)
	}
	byName := map[string]map[string]string{}
	for _, pp := range set.ProfilePorts() {
		if byName[pp.Profile] == nil {
			byName[pp.Profile] = map[string]string{}
		}
		byName[pp.Profile][pp.Protocol] = pp.Address
	}
	for i, p := range profiles {
		wantXMPP := "127.0.0.1:" + strconv.Itoa(base+i)
		if p.IRCOnly {
			wantXMPP = ""
		}
		if got, want := byName[p.Name]["xmpp"], wantXMPP; got != want {
			t.Errorf("%s: XMPP port %q, want %q", p.Name, got, want)
		}
		wantIRC := ""
		if p.IRC {
			wantIRC = "127.0.0.1:" + strconv.Itoa(base+app.IRCPortOffset+i)
		}
		if got := byName[p.Name]["irc"]; got != wantIRC {
			t.Errorf("%s: IRC port %q, want %q", p.Name, got, wantIRC)
		}
	}
	// strip-starttls's port: the features lack STARTTLS, and the
	// transcript says the listener chose it.
	nc, err := net.DialTimeout("tcp", byName["strip-starttls"]["xmpp"], 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(nc, "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>"); err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(got.String(), "</stream:features>") {
		n, err := nc.Read(buf)
		if err != nil {
			t.Fatalf("read %q: %v", got.String(), err)
		}
		got.Write(buf[:n])
	}
	if strings.Contains(got.String(), "starttls") {
		t.Errorf("strip-starttls's port offered STARTTLS: %s", got.String())
	}
	for _, s := range set.Lab.List() {
		if s.Local == byName["strip-starttls"]["xmpp"] && (s.Profile != "strip-starttls" || s.SelectedBy != lab.ByListener) {
			t.Errorf("connection on strip-starttls's port: profile %q by %q", s.Profile, s.SelectedBy)
		}
	}
}
