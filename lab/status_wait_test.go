package lab_test

// GET /api/connections/{id}?wait=: blocks until the connection ends, the
// wait passes or the client goes (fixture in status_test.go).

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"jabberd/lab"
)

// waitResult is what a GET ?wait= came back with.
type waitResult struct {
	r       response
	elapsed time.Duration
}

// getAsync GETs path in a goroutine.
func getAsync(t *testing.T, srv *httptest.Server, path string) <-chan waitResult {
	t.Helper()
	out := make(chan waitResult, 1)
	start := time.Now()
	go func() {
		res, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			out <- waitResult{r: response{code: -1, body: err.Error()}, elapsed: time.Since(start)}
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		out <- waitResult{r: response{code: res.StatusCode, header: res.Header, body: string(b)}, elapsed: time.Since(start)}
	}()
	return out
}

func TestStatusWaitUntilEnd(t *testing.T) {
	f := newFixture(t)
	done := getAsync(t, f.srv, "/api/connections/c2?wait=30s")
	select {
	case w := <-done:
		t.Fatalf("?wait=30s on a live connection answered at once (%v): %d %s", w.elapsed, w.r.code, w.r.body)
	case <-time.After(300 * time.Millisecond):
	}
	c2, _ := f.book.Get("c2")
	go c2.End("Client Quit")
	var w waitResult
	select {
	case w = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("?wait=30s did not answer within 10s of the connection's end")
	}
	if w.r.code != http.StatusOK {
		t.Fatalf("?wait: status %d %s", w.r.code, w.r.body)
	}
	d := decode[lab.ConnectionDetail](t, w.r, "wait")
	if d.Live || d.Summary.Live || d.Summary.CloseReason != "Client Quit" || d.Summary.Ended.IsZero() {
		t.Errorf("after the end: live %v, summary %+v; want the ended connection", d.Live, d.Summary)
	}
	if last := d.Records[len(d.Records)-1]; !strings.Contains(last.Data, "closed: Client Quit") && !strings.HasPrefix(last.Data, "verdict") {
		t.Errorf("last record %+v: want the close or the verdict after it", last)
	}
	// The verdict is final: what the summary says is what a later GET says.
	again := decode[lab.ConnectionDetail](t, getOK(t, f.srv, "/api/connections/c2", jsonType), "again")
	if again.Summary.Verdict != d.Summary.Verdict || again.Summary.Reason != d.Summary.Reason {
		t.Errorf("verdict after the wait %q (%q), later %q (%q)", d.Summary.Verdict, d.Summary.Reason, again.Summary.Verdict, again.Summary.Reason)
	}
}

func TestStatusWaitPasses(t *testing.T) {
	f := newFixture(t)
	w := <-getAsync(t, f.srv, "/api/connections/c3?wait=400ms")
	if w.r.code != http.StatusOK {
		t.Fatalf("?wait=400ms: status %d %s", w.r.code, w.r.body)
	}
	if w.elapsed < 400*time.Millisecond {
		t.Errorf("?wait=400ms answered after %v", w.elapsed)
	}
	if d := decode[lab.ConnectionDetail](t, w.r, "wait"); !d.Live || !d.Summary.Live {
		t.Errorf("after the wait: live %v / %v, want true: the connection is still open", d.Live, d.Summary.Live)
	}
	// An ended connection answers at once, live false; so does wait=0.
	for _, path := range []string{"/api/connections/c1?wait=5m", "/api/connections/c3?wait=0s"} {
		w = <-getAsync(t, f.srv, path)
		if w.r.code != http.StatusOK || w.elapsed > 2*time.Second {
			t.Errorf("%s: status %d after %v, want 200 at once", path, w.r.code, w.elapsed)
		}
	}
	if d := decode[lab.ConnectionDetail](t, getOK(t, f.srv, "/api/connections/c1?wait=1m", jsonType), "ended"); d.Live {
		t.Errorf("ended c1: live true")
	}
}

func TestStatusWaitBad(t *testing.T) {
	f := newFixture(t)
	for _, q := range []string{"wait=6m", "wait=-1s", "wait=30", "wait=soon"} {
		r := do(t, f.srv, http.MethodGet, "/api/connections/c2?"+q)
		if r.code != http.StatusBadRequest || !strings.Contains(decode[lab.APIError](t, r, q).Error, "wait") {
			t.Errorf("?%s: status %d %s, want a 400 about wait", q, r.code, r.body)
		}
	}
	if r := do(t, f.srv, http.MethodGet, "/api/connections/nope?wait=1m"); r.code != http.StatusNotFound {
		t.Errorf("?wait on an unknown id: status %d, want 404 at once", r.code)
	}
}

// TestStatusWaitClientGone: a client that gives up ends the wait on the
// server: the server can close at once.
func TestStatusWaitClientGone(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/api/connections/c2?wait=5m", nil)
	errc := make(chan error, 1)
	go func() {
		res, err := f.srv.Client().Do(req)
		if err == nil {
			res.Body.Close()
		}
		errc <- err
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled request: %v", err)
	}
	// httptest.Server.Close waits for every handler to return.
	closed := make(chan struct{})
	go func() { f.srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler still waits 10s after its client went away")
	}
}

// TestStatusWaitOutlivesServerTimeouts: the status server's ReadTimeout
// and WriteTimeout (app sets 10s and 30s) do not cut a longer wait short.
func TestStatusWaitOutlivesServerTimeouts(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewUnstartedServer(lab.StatusHandler(f.book, lab.StatusOptions{}))
	srv.Config.ReadTimeout = 200 * time.Millisecond
	srv.Config.WriteTimeout = 200 * time.Millisecond
	srv.Start()
	defer srv.Close()
	w := <-getAsync(t, srv, "/api/connections/c2?wait=1s")
	if w.r.code != http.StatusOK || w.elapsed < time.Second {
		t.Fatalf("?wait=1s under 200ms server timeouts: status %d after %v: %s", w.r.code, w.elapsed, w.r.body)
	}
	if d := decode[lab.ConnectionDetail](t, w.r, "wait"); !d.Live {
		t.Errorf("live false after a wait that passed")
	}
	// And the next request on the same connection still works.
	getOK(t, srv, "/api/connections/c1", jsonType)
}
