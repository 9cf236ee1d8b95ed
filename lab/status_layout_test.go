package lab_test

// The index page laid out by headless Chromium (Debian package chromium)
// in a window 1400 px wide: a full page of connections with long reasons,
// long TLS errors, several flags and IPv6 remotes fits without a
// horizontal scroll, and every row's verdict badge is on screen.
//
// The page has no script and its Content-Security-Policy forbids one, so
// the measuring script is added by the test: once with the policy, to see
// Chromium refuse to run it, and once with the policy removed, to measure.

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"jabberd/lab"
)

// chromium is Debian's launcher script; it sets the flags Debian wants.
const chromium = "/usr/bin/chromium"

// measureScript writes what the layout test asserts into <pre id="measure">.
const measureScript = `<script>
(function () {
  var vw = document.documentElement.clientWidth;
  var out = {inner: window.innerWidth, viewport: vw, scroll: document.documentElement.scrollWidth, rows: 0, offscreen: []};
  var table = document.getElementById('connections');
  out.tableRight = table.getBoundingClientRect().right;
  var th = table.querySelector('thead th.verdict').getBoundingClientRect();
  out.verdictLeft = th.left; out.verdictRight = th.right;
  table.querySelectorAll('tbody tr').forEach(function (tr) {
    out.rows++;
    var b = tr.querySelector('td.verdict .verdict-badge').getBoundingClientRect();
    var reason = tr.querySelector('td.verdict .reason').getBoundingClientRect();
    if (b.width < 10 || b.height < 5 || b.left < 0 || b.right > vw || reason.width < 10 || reason.right > vw) {
      out.offscreen.push(tr.id);
    }
  });
  var pre = document.createElement('pre');
  pre.id = 'measure';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>`

// layout is what measureScript found.
type layout struct {
	Inner, Viewport, Scroll int
	TableRight              float64
	VerdictLeft             float64
	VerdictRight            float64
	Rows                    int
	Offscreen               []string
}

// withScript serves h's pages with measureScript added before </body>,
// and without the Content-Security-Policy unless keepCSP.
func withScript(h http.Handler, keepCSP bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			if k == "Content-Security-Policy" && !keepCSP {
				continue
			}
			w.Header()[k] = v
		}
		body := bytes.Replace(rec.Body.Bytes(), []byte("</body>"), []byte(measureScript+"</body>"), 1)
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

// dumpDOM runs headless Chromium in a 1400 px wide window on u and returns
// the DOM after the page's scripts ran.
func dumpDOM(t *testing.T, u string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-proxy-server", "--hide-scrollbars", "--window-size=1400,1000",
		"--user-data-dir="+t.TempDir(), "--dump-dom", u)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || !strings.Contains(stdout.String(), "</html>") {
		t.Fatalf("chromium --dump-dom %s: %v\n%s\n%s", u, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func TestStatusIndexLayoutChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("no %s (Debian package chromium): %v", chromium, err)
	}
	f := newManyFixture(t, 120, lab.StatusOptions{})
	// The widest cells a connection makes: a long profile chosen by
	// username, every shared failure, a long handshake error, an IPv6
	// remote with a zone.
	p, _ := lab.Lookup("inject-after-proceed")
	for i := range 3 {
		tr := f.rec.Open(lab.Origin{ID: "c1mxk9q2-wide" + string(rune('a'+i)), Listener: "xmpp-direct", Local: "[2001:db8:ffff:ffff:ffff:ffff:ffff:1]:65535",
			Remote: "[fe80::1234:5678:9abc:def0%enp0s31f6]:65535", IP: "fe80::1234:5678:9abc:def0"})
		tr.Choose(p, lab.ByUsername)
		tr.SetDialect("rfc6120")
		tr.In("<auth mechanism='X-JABBERD-INJECTED'>[redacted]</auth>", 60, true,
			lab.Input{Kind: "element", Name: "auth", Mechanism: "X-JABBERD-INJECTED", Credentials: true, Injected: true})
		tr.TLSFailed("tls: first record does not look like a TLS handshake; the client wrote 0x3c737472 where its ClientHello belonged", "", "verylongservername.with.many.labels.localhost", true)
		if i > 0 {
			tr.End("connection-timeout: the client sent nothing for 30s after the failed TLS handshake and the server gave up")
		}
	}

	srv := httptest.NewServer(withScript(lab.StatusHandler(f.rec, lab.StatusOptions{}), false))
	defer srv.Close()
	dom := dumpDOM(t, srv.URL+"/")
	i := strings.Index(dom, `<pre id="measure">`)
	if i < 0 {
		t.Fatalf("the measuring script did not run:\n%s", dom)
	}
	raw := html.UnescapeString(dom[i+len(`<pre id="measure">`):])
	raw = raw[:strings.Index(raw, "</pre>")]
	var l layout
	if err := json.Unmarshal([]byte(raw), &l); err != nil {
		t.Fatalf("measure %q: %v", raw, err)
	}
	t.Logf("layout: %+v", l)
	if l.Inner != 1400 {
		t.Fatalf("the window is %d px wide, not 1400: the measure would mean nothing", l.Inner)
	}
	if l.Rows != 100 {
		t.Errorf("%d rows laid out, want a page of 100", l.Rows)
	}
	if l.Scroll > l.Viewport || l.TableRight > float64(l.Viewport) {
		t.Errorf("the index is %d px wide (table to %.0f px) in a %d px viewport: it scrolls sideways", l.Scroll, l.TableRight, l.Viewport)
	}
	if l.VerdictLeft < 0 || l.VerdictRight > float64(l.Viewport) || l.VerdictRight-l.VerdictLeft < 150 {
		t.Errorf("the verdict column spans %.0f to %.0f px of %d: not wholly visible, or too narrow for its reason", l.VerdictLeft, l.VerdictRight, l.Viewport)
	}
	if len(l.Offscreen) > 0 {
		t.Errorf("rows whose verdict badge or reason is not on screen: %v", l.Offscreen)
	}

	// With the page's own Content-Security-Policy, Chromium refuses the
	// same script: the page can carry none.
	strict := httptest.NewServer(withScript(lab.StatusHandler(f.rec, lab.StatusOptions{}), true))
	defer strict.Close()
	for _, path := range []string{"/", "/scorecard", "/connections/c1mxk9q2-1"} {
		if dom := dumpDOM(t, strict.URL+path); strings.Contains(dom, `id="measure"`) {
			t.Errorf("%s: a script ran under the page's Content-Security-Policy", path)
		}
	}
}
