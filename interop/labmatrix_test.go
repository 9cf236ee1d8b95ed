package interop

// The report card of real clients (issue 12, item 8): every Debian client
// the interop suite drives, in one or two configurations, × every lab
// profile, through `jabberd lab run` (labrun.Run in-process: an isolated
// server with a port per profile, the client run once per profile; a
// client that is slow per profile — sendxmpp, irssi — runs its profiles in
// a few such servers side by side).
//
// Each cell compares jabberd's verdict for the profile with the verdict the
// client's OWN output earns: labmatrix_oracle_test.go reads the client's
// exit status and what it printed (its trace), never jabberd's answer, and
// maps what it shows to pass/fail/inconclusive/not-exercised by the
// profile's PassIf/FailIf. A cell where they differ fails, unless it is a
// knownDisagreement (a bug in the lab written down for fixing), which
// skips while JABBERD_MATRIX_STRICT is unset.
//
// The README's "Report card" table is what this test saw; to regenerate
// it: JABBERD_MATRIX_REPORT=/tmp/card.md go test -run TestLabMatrix ./interop/
// (JABBERD_MATRIX_TRANSCRIPTS=DIR also keeps every connection's transcript,
// one directory per client).

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"jabberd/lab"
	"jabberd/labrun"
)

const (
	// matrixTimeout bounds one run of a client (labrun.Options.Timeout):
	// a client that waits for what never comes is stopped after it.
	matrixTimeout = 8 * time.Second
	// matrixSlow is slow-handshake's delay: shorter than every client's
	// own handshake timeout here, so each one waits.
	matrixSlow = 2 * time.Second
	// matrixDomain is labrun's default {domain}.
	matrixDomain = "localhost"

	matrixStrictEnv      = "JABBERD_MATRIX_STRICT"
	matrixReportEnv      = "JABBERD_MATRIX_REPORT"
	matrixTranscriptsEnv = "JABBERD_MATRIX_TRANSCRIPTS"
)

// matrixClient is one row of the report card: a client in one
// configuration.
type matrixClient struct {
	name  string // the subtest's name
	title string // the README's column
	irc   bool   // runs the IRC profiles (labrun.Options.IRC)
	// timeout bounds one run of the client (0: matrixTimeout).
	timeout time.Duration
	// shards splits the profiles into that many runs of labrun.Run side
	// by side (each its own server), for a client that is slow per
	// profile (0: one run).
	shards int
	// require skips (or, with JABBERD_REQUIRE_CLIENTS, fails) when the
	// client is missing, and returns its version.
	require func(t *testing.T) string
	// command is the client with labrun's placeholders.
	command func(t *testing.T) []string
	observe func(clientOutput) seen
}

// testdataPath is an absolute path under testdata, quoted for sh -c.
func testdataPath(t *testing.T, name string) string {
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}

// debVersion is the Debian package's version ("" without dpkg).
func debVersion(pkg string) string {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", pkg).Output()
	if err != nil {
		return ""
	}
	return pkg + " " + string(out)
}

// commandVersion is the first line a version command prints.
func commandVersion(args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return first
}

func needOpenSSL(t *testing.T) string {
	needClient(t, "openssl", "openssl")
	return commandVersion("openssl", "version") + "; " + debVersion("openssl")
}

func needGnuTLS(t *testing.T) string {
	needClient(t, "gnutls-cli", "gnutls-bin")
	return commandVersion("gnutls-cli", "--version") + "; " + debVersion("gnutls-bin")
}

// opensslXMPPCommand is s_client's XMPP STARTTLS fed a stream header and a close
// (testdata/labmatrix/stream.xml): once TLS is up it sends them and prints
// the server's answer, so that accepting a handshake shows (-ign_eof: it
// reads on after its input ends, until the server closes). exec: the
// run's timeout stops openssl itself, not a shell that would leave it
// holding the connection.
func opensslXMPPCommand(strict bool) func(t *testing.T) []string {
	return func(t *testing.T) []string {
		verify := "-verify_hostname {domain}"
		if strict {
			verify = "-verify_return_error " + verify
		}
		return []string{"sh", "-c", "exec openssl s_client -starttls xmpp -xmpphost {domain} -connect {host}:{port} -CAfile {ca} " +
			verify + " -ign_eof < " + testdataPath(t, "labmatrix/stream.xml")}
	}
}

// opensslIRCCommand is s_client's IRC STARTTLS fed CAP LS and QUIT
// (testdata/labmatrix/irc.txt, -crlf).
func opensslIRCCommand(strict bool) func(t *testing.T) []string {
	return func(t *testing.T) []string {
		verify := "-verify_hostname {domain}"
		if strict {
			verify = "-verify_return_error " + verify
		}
		return []string{"sh", "-c", "exec openssl s_client -starttls irc -connect {host}:{port} -CAfile {ca} " +
			verify + " -crlf -ign_eof < " + testdataPath(t, "labmatrix/irc.txt")}
	}
}

// gnutlsXMPPCommand is gnutls-cli's XMPP STARTTLS fed a stream header and a close.
func gnutlsXMPPCommand(insecure bool) func(t *testing.T) []string {
	return func(t *testing.T) []string {
		flags := "--starttls-proto=xmpp --x509cafile {ca}"
		if insecure {
			flags = "--insecure " + flags
		}
		return []string{"sh", "-c", "exec gnutls-cli " + flags + " -p {port} {domain} < " + testdataPath(t, "labmatrix/stream.xml")}
	}
}

func matrixClients() []matrixClient {
	return []matrixClient{
		{
			name: "openssl-strict", title: "openssl s_client, strict",
			require: needOpenSSL, command: opensslXMPPCommand(true),
			observe: func(o clientOutput) seen { return observeOpenSSL(o, false) },
		},
		{
			name: "openssl-lenient", title: "openssl s_client, lenient",
			require: needOpenSSL, command: opensslXMPPCommand(false),
			observe: func(o clientOutput) seen { return observeOpenSSL(o, false) },
		},
		{
			name: "gnutls-strict", title: "gnutls-cli",
			require: needGnuTLS, command: gnutlsXMPPCommand(false), observe: observeGnuTLS,
		},
		{
			name: "gnutls-insecure", title: "gnutls-cli --insecure",
			require: needGnuTLS, command: gnutlsXMPPCommand(true), observe: observeGnuTLS,
		},
		{
			name: "slixmpp", title: "slixmpp",
			require: func(t *testing.T) string {
				return "slixmpp " + needSlixmpp(t) + "; " + debVersion("python3-slixmpp")
			},
			command: func(t *testing.T) []string {
				script, _ := filepath.Abs(filepath.Join("testdata", "labmatrix_slixmpp.py"))
				return []string{python, script, "--server", "{host}:{port}", "--jid", "{jid}", "--password", "{password}", "--ca", "{ca}"}
			},
			observe: observeSlixmpp,
		},
		{
			// The same with alice's client certificate: slixmpp tries
			// EXTERNAL first whenever it is offered, so this row exercises
			// the EXTERNAL profiles.
			name: "slixmpp-cert", title: "slixmpp, client certificate",
			require: func(t *testing.T) string {
				return "slixmpp " + needSlixmpp(t) + "; " + debVersion("python3-slixmpp")
			},
			command: func(t *testing.T) []string {
				script, _ := filepath.Abs(filepath.Join("testdata", "labmatrix_slixmpp.py"))
				return []string{python, script, "--server", "{host}:{port}", "--jid", "{jid}", "--password", "{password}", "--ca", "{ca}",
					"--cert", "{cert}", "--key", "{key}"}
			},
			observe: observeSlixmpp,
		},
		{
			name: "go-sendxmpp", title: "go-sendxmpp",
			require: func(t *testing.T) string {
				needClient(t, "go-sendxmpp", "go-sendxmpp")
				return commandVersion("go-sendxmpp", "--version") + "; " + debVersion("go-sendxmpp")
			},
			// It trusts Go's system roots, which SSL_CERT_FILE and
			// SSL_CERT_DIR name (sendxmpp_test.go): the lab CA only. HOME:
			// no ~/.config/go-sendxmpp of the machine. -d prints what it
			// receives; -m the message file.
			command: func(t *testing.T) []string {
				msg, _ := filepath.Abs(filepath.Join("testdata", "labmatrix", "message.txt"))
				return []string{"env", "HOME=" + t.TempDir(), "SSL_CERT_FILE={ca}", "SSL_CERT_DIR=" + t.TempDir(),
					"go-sendxmpp", "-d", "--timeout", "5", "-u", "{jid}", "-p", "{password}", "-j", "{host}:{port}", "-m", msg, "{jid}"}
			},
			observe: observeSendxmpp,
		},
		{
			name: "sendxmpp", title: "sendxmpp -t",
			require: func(t *testing.T) string {
				needClient(t, "sendxmpp", "sendxmpp")
				return debVersion("sendxmpp") + "; " + debVersion("libnet-xmpp-perl") + "; " + debVersion("libio-socket-ssl-perl")
			},
			// Debian's Perl sendxmpp (Net::XMPP): -t STARTTLS, -a the lab
			// CA (IO::Socket::SSL verifies against it), -d 3 XML::Stream's
			// debug output, which says of every string whether it was
			// written and on which socket. HOME: no ~/.sendxmpprc. It does
			// not exit when its stream dies (Net::XMPP waits for an answer
			// forever), so it gets a short timeout and runs in shards.
			timeout: 5 * time.Second, shards: 3,
			command: func(t *testing.T) []string {
				msg, _ := filepath.Abs(filepath.Join("testdata", "labmatrix", "message.txt"))
				return []string{"env", "HOME=" + t.TempDir(),
					"sendxmpp", "-t", "-d", "3", "-a", "{ca}", "-u", "{user}", "-p", "{password}", "-j", "{domain}:{port}", "-m", msg, "{jid}"}
			},
			observe: observeSendxmppPerl,
		},
		{
			name: "openssl-irc-strict", title: "openssl s_client, strict", irc: true,
			require: needOpenSSL, command: opensslIRCCommand(true),
			observe: func(o clientOutput) seen { return observeOpenSSL(o, true) },
		},
		{
			name: "openssl-irc-lenient", title: "openssl s_client, lenient", irc: true,
			require: needOpenSSL, command: opensslIRCCommand(false),
			observe: func(o clientOutput) seen { return observeOpenSSL(o, true) },
		},
		{
			name: "python3-irc", title: "python3-irc", irc: true,
			require: func(t *testing.T) string {
				needPythonIRC(t)
				return debVersion("python3-irc")
			},
			command: func(t *testing.T) []string {
				script, _ := filepath.Abs(filepath.Join("testdata", "labmatrix_irc.py"))
				return []string{python, script, "--server", "{host}:{port}", "--tls-name", "{domain}", "--ca", "{ca}", "--nick", "{user}"}
			},
			observe: observeIRCScript,
		},
		irssiClient("irssi-starttls", "irssi, starttls = yes", "yes"),
		irssiClient("irssi", "irssi (defaults)", ""),
	}
}

// irssiClient is irssi (testdata/labmatrix_irssi.py: in tmux, with its
// rawlog) with SASL PLAIN and tls_verify, and starttls as given ("yes":
// always; "": irssi's default, when CAP LS lists tls). The script gives
// irssi --wait seconds to register or lose the connection, and lets the
// run's timeout stop one that does neither.
func irssiClient(name, title, starttls string) matrixClient {
	return matrixClient{
		name: name, title: title, irc: true, timeout: 8 * time.Second, shards: 2,
		require: func(t *testing.T) string {
			needClient(t, "irssi", "irssi")
			needClient(t, "tmux", "tmux")
			return commandVersion("irssi", "--version") + "; " + debVersion("irssi") + "; " + debVersion("tmux")
		},
		command: func(t *testing.T) []string {
			script, _ := filepath.Abs(filepath.Join("testdata", "labmatrix_irssi.py"))
			return []string{python, script, "--server", "{host}:{port}", "--tls-name", "{domain}", "--ca", "{ca}",
				"--nick", "{user}", "--password", "{password}", "--starttls", starttls, "--wait", "6.5"}
		},
		observe: observeIrssi,
	}
}

// knownDisagreement is a cell where jabberd's verdict and the client's own
// output differ because of a bug in the lab (lab/, labrun/, irc/,
// negotiation/, sasl/, server/), written down for fixing. profile is a
// profile's name, or "family:NAME" for every profile of an oracle family
// (a race that can hit any of them). Without JABBERD_MATRIX_STRICT such a
// cell skips, saying why; a listed cell that agrees passes (and says the
// entry can go).
type knownDisagreement struct{ client, profile, why string }

// knownDisagreements lists the cells under repair. None today: the bugs
// this matrix found (lab run --irc built no handshake variants;
// strip-starttls called a client that insisted on STARTTLS inconclusive;
// plaintext written after the ClientHello was not an answer to the
// injection; a write that failed because the client hung up was taken for
// the server's end; a second ClientHello, during or inside TLS, was not
// acting on a forged <proceed/>; plaintext after the client ended TLS
// went unheard) are fixed, and their cells are plain assertions again.
var knownDisagreements []knownDisagreement

func lookupKnown(client string, p *lab.Profile) (knownDisagreement, bool) {
	for _, k := range knownDisagreements {
		if k.client == client && (k.profile == p.Name || k.profile == "family:"+family(p)) {
			return k, true
		}
	}
	return knownDisagreement{}, false
}

func TestLabMatrix(t *testing.T) {
	t.Parallel()
	card := &reportCard{}
	t.Cleanup(func() { card.write(t) })
	for _, c := range matrixClients() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			version := c.require(t)
			opt := labrun.Options{IRC: c.irc, Timeout: matrixTimeout, SlowHandshake: matrixSlow, Command: c.command(t)}
			if dir := os.Getenv(matrixTranscriptsEnv); dir != "" {
				opt.TranscriptDir = filepath.Join(dir, c.name)
				if err := os.MkdirAll(opt.TranscriptDir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if c.timeout > 0 {
				opt.Timeout = c.timeout
			}
			want := matrixProfiles(c.irc)
			start := time.Now()
			results, err := runShards(opt, want, c.shards)
			if err != nil {
				t.Fatalf("labrun.Run: %v", err)
			}
			results = rerunStopped(t, c, opt, results)
			t.Logf("%s (%s): %d profiles in %v", c.name, version, len(results), time.Since(start).Round(time.Millisecond))
			var got []string
			for _, res := range results {
				got = append(got, res.Profile)
			}
			if !slices.Equal(got, want) {
				t.Errorf("the run covered %q, want every profile of the protocol %q", got, want)
			}
			card.version(c, version)
			for _, res := range results {
				t.Run(res.Profile, func(t *testing.T) { checkCell(t, c, res, card) })
			}
		})
	}
}

// matrixProfiles is every profile of the protocol, in `jabberd profiles`
// order: the IRC listener's for IRC, the others for XMPP.
func matrixProfiles(irc bool) []string {
	return slices.DeleteFunc(lab.Names(), func(n string) bool {
		p, _ := lab.Lookup(n)
		return irc && !p.IRC || !irc && p.IRCOnly
	})
}

// runShards runs the profiles in shards runs of labrun.Run side by side
// (profile i in shard i mod shards) and returns the results in the order
// of profiles.
func runShards(opt labrun.Options, profiles []string, shards int) ([]labrun.Result, error) {
	shards = max(1, min(shards, len(profiles)))
	parts := make([][]labrun.Result, shards)
	errs := make([]error, shards)
	var wg sync.WaitGroup
	for i := range shards {
		o := opt
		o.Profiles = nil
		if o.TranscriptDir != "" && shards > 1 {
			// Each shard's server numbers its connections on its own.
			o.TranscriptDir = filepath.Join(o.TranscriptDir, fmt.Sprint("shard", i))
			if err := os.MkdirAll(o.TranscriptDir, 0o755); err != nil {
				return nil, err
			}
		}
		for j := i; j < len(profiles); j += shards {
			o.Profiles = append(o.Profiles, profiles[j])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := labrun.Run(o)
			if err == nil {
				parts[i] = rep.Results
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	var out []labrun.Result
	for j := range profiles {
		if k, n := j%shards, j/shards; n < len(parts[k]) {
			out = append(out, parts[k][n])
		}
	}
	return out, errors.Join(errs...)
}

// checkCell compares one profile's verdict with the client's own output.
func checkCell(t *testing.T, c matrixClient, res labrun.Result, card *reportCard) {
	p, ok := lab.Lookup(res.Profile)
	if !ok || p == nil {
		t.Fatalf("unknown profile %q", res.Profile)
	}
	out, want, why := clientVerdict(c, p, res)
	if dir := os.Getenv(matrixTranscriptsEnv); dir != "" {
		keepClientOutput(t, filepath.Join(dir, c.name, res.Profile+".client.json"), c.name, res, out)
	}
	known, isKnown := lookupKnown(c.name, p)
	card.cell(c, res.Profile, res.Verdict, want, why)
	if res.Verdict == want {
		t.Logf("%s: %s — the client's output: %s", res.Profile, want, why)
		if isKnown {
			t.Logf("listed as a known disagreement, but jabberd and the client agree now: remove the entry (%s)", known.why)
		}
		return
	}
	msg := fmt.Sprintf("%s × %s: jabberd says %s (%s); the client's own output says %s: %s",
		c.name, res.Profile, res.Verdict, oneLine(res.Reason), want, why)
	if isKnown && os.Getenv(matrixStrictEnv) == "" {
		t.Skipf("known disagreement, skipped without %s: %s\n  why: %s", matrixStrictEnv, msg, known.why)
	}
	t.Errorf("%s\n--- client %s (exit %d, timed out %v) ---\n%s", msg, strings.Join(res.Client.Args, " "), res.Client.ExitCode, res.Client.TimedOut, res.Client.Output)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:299] + "…"
	}
	return s
}

// reportCard collects the cells for JABBERD_MATRIX_REPORT.
type reportCard struct {
	mu       sync.Mutex
	versions map[string]string
	cells    map[[2]string][3]string // client, profile → jabberd, client's output, why
}

func (r *reportCard) version(c matrixClient, v string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.versions == nil {
		r.versions = map[string]string{}
	}
	r.versions[c.name] = v
}

func (r *reportCard) cell(c matrixClient, profile, got, want, why string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cells == nil {
		r.cells = map[[2]string][3]string{}
	}
	r.cells[[2]string{c.name, profile}] = [3]string{got, want, why}
}

// write writes the markdown tables (what jabberd said; a disagreeing cell
// also says what the client's output shows) and every cell's reason.
func (r *reportCard) write(t *testing.T) {
	path := os.Getenv(matrixReportEnv)
	if path == "" {
		return
	}
	var b strings.Builder
	for _, irc := range []bool{false, true} {
		var cols []matrixClient
		for _, c := range matrixClients() {
			if c.irc == irc {
				cols = append(cols, c)
			}
		}
		fmt.Fprintf(&b, "\n| %s |", map[bool]string{false: "XMPP profile", true: "IRC profile"}[irc])
		for _, c := range cols {
			fmt.Fprintf(&b, " %s |", c.title)
		}
		b.WriteString("\n| --- |" + strings.Repeat(" --- |", len(cols)) + "\n")
		for _, name := range matrixProfiles(irc) {
			fmt.Fprintf(&b, "| `%s` |", name)
			for _, c := range cols {
				v, ok := r.cells[[2]string{c.name, name}]
				switch {
				case !ok:
					b.WriteString(" |")
				case v[0] == v[1]:
					fmt.Fprintf(&b, " %s |", v[0])
				default:
					fmt.Fprintf(&b, " %s ≠ %s |", v[0], v[1])
				}
			}
			b.WriteString("\n")
		}
	}
	b.WriteString("\nversions:\n")
	for _, c := range matrixClients() {
		fmt.Fprintf(&b, "- %s: %s\n", c.name, r.versions[c.name])
	}
	b.WriteString("\ncells:\n")
	for _, c := range matrixClients() {
		for _, name := range lab.Names() {
			if v, ok := r.cells[[2]string{c.name, name}]; ok {
				fmt.Fprintf(&b, "- %s × %s: jabberd %s, client %s — %s\n", c.name, name, v[0], v[1], v[2])
			}
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Errorf("%s: %v", matrixReportEnv, err)
	}
}
