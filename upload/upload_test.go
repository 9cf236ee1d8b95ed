package upload

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"
)

type sink struct {
	mu  sync.Mutex
	got []*etree.Element
}

func (k *sink) DeliverTo(_ string, el *etree.Element) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.got = append(k.got, el)
	return true
}

func (k *sink) last() *etree.Element {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.got[len(k.got)-1]
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newService(t *testing.T, dir string, c *clock) (*Service, *sink, *httptest.Server) {
	t.Helper()
	s, err := New(Options{Domain: "upload.localhost", Dir: dir, BaseURL: "https://x", MaxFileSize: 100, Quota: 150,
		Expiry: time.Hour, Log: zerolog.Nop(), Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	k := &sink{}
	s.Attach(k)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	s.SetBaseURL(hs.URL)
	return s, k, hs
}

func slotRequest(t *testing.T, s *Service, k *sink, from, name string, size string) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(`<iq type='get' id='s1' to='upload.localhost'><request xmlns='urn:xmpp:http:upload:0' filename='` + name + `' size='` + size + `' content-type='text/plain'/></iq>`); err != nil {
		t.Fatal(err)
	}
	s.Handle(from, doc.Root())
	return k.last()
}

func do(t *testing.T, method, url string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func TestSlotPutGet(t *testing.T) {
	dir := t.TempDir()
	c := &clock{time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)}
	s, k, _ := newService(t, dir, c)
	res := slotRequest(t, s, k, "alice@localhost/a", "notes v1.txt", "11")
	put := res.FindElement("slot/put")
	get := res.FindElement("slot/get")
	if res.SelectAttrValue("type", "") != "result" || put == nil || get == nil {
		t.Fatalf("slot: %v", res)
	}
	url := put.SelectAttrValue("url", "")
	if !strings.Contains(url, "/upload/") || !strings.HasSuffix(url, "/notes%20v1.txt") {
		t.Errorf("url %q", url)
	}
	// GET before the upload: nothing there.
	if r, _ := do(t, "GET", url, nil); r.StatusCode != 404 {
		t.Errorf("GET before PUT: %d", r.StatusCode)
	}
	// Wrong size: refused; right size: created.
	if r, _ := do(t, "PUT", url, []byte("too short")); r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("PUT of another size: %d", r.StatusCode)
	}
	if r, b := do(t, "PUT", url, []byte("hello world")); r.StatusCode != 201 {
		t.Fatalf("PUT: %d %s", r.StatusCode, b)
	}
	// A slot is used once.
	if r, _ := do(t, "PUT", url, []byte("hello again")); r.StatusCode != 403 {
		t.Errorf("second PUT: %d", r.StatusCode)
	}
	r, b := do(t, "GET", get.SelectAttrValue("url", ""), nil)
	if r.StatusCode != 200 || string(b) != "hello world" || r.Header.Get("Content-Type") != "text/plain" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("GET: %d %q %v", r.StatusCode, b, r.Header)
	}
	// Another token is not found (and a malformed one neither).
	if r, _ := do(t, "GET", strings.Replace(url, "/upload/", "/upload/A", 1), nil); r.StatusCode != 404 {
		t.Errorf("GET of a wrong token: %d", r.StatusCode)
	}
	// A restart finds the file; expiry deletes it.
	s2, _, _ := newService(t, dir, c)
	if len(s2.files) != 1 {
		t.Fatalf("after a restart: %d files", len(s2.files))
	}
	c.t = c.t.Add(2 * time.Hour)
	s2.Expire()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("expired files left: %v", ents)
	}
}

func TestSlotBounds(t *testing.T) {
	c := &clock{time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)}
	s, k, _ := newService(t, t.TempDir(), c)
	res := slotRequest(t, s, k, "alice@localhost/a", "big.bin", "101")
	if res.FindElement("error/not-acceptable") == nil || res.FindElement("error/file-too-large/max-file-size").Text() != "100" {
		t.Errorf("too large: %v", res)
	}
	for _, bad := range []string{"0", "-1", "x"} {
		if res := slotRequest(t, s, k, "alice@localhost/a", "f", bad); res.FindElement("error/bad-request") == nil {
			t.Errorf("size %s accepted", bad)
		}
	}
	if res := slotRequest(t, s, k, "alice@localhost/a", "..", "5"); res.FindElement("error/bad-request") == nil {
		t.Errorf("name .. accepted")
	}
	// Quota 150: 100 + 50 fit, one more byte does not; bob has his own.
	slotRequest(t, s, k, "alice@localhost/a", "a", "100")
	if res := slotRequest(t, s, k, "alice@localhost/b", "b", "50"); res.SelectAttrValue("type", "") != "result" {
		t.Fatalf("within quota: %v", res)
	}
	if res := slotRequest(t, s, k, "alice@localhost/a", "c", "1"); res.FindElement("error/resource-constraint") == nil {
		t.Errorf("over quota: %v", res)
	}
	if res := slotRequest(t, s, k, "bob@localhost/a", "c", "1"); res.SelectAttrValue("type", "") != "result" {
		t.Errorf("bob's quota: %v", res)
	}
	// Unused slots expire and give the quota back.
	c.t = c.t.Add(10 * time.Minute)
	s.Expire()
	if res := slotRequest(t, s, k, "alice@localhost/a", "c", "100"); res.SelectAttrValue("type", "") != "result" {
		t.Errorf("after slots expired: %v", res)
	}
	// Disco advertises the limit.
	doc := etree.NewDocument()
	doc.ReadFromString(`<iq type='get' id='d' to='upload.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	s.Handle("alice@localhost/a", doc.Root())
	info := k.last()
	if info.FindElement("query/identity[@category='store']") == nil || info.FindElement("query/feature[@var='urn:xmpp:http:upload:0']") == nil ||
		info.FindElement("query/x/field[@var='max-file-size']/value").Text() != "100" {
		t.Errorf("disco#info: %v", info)
	}
	s.SetOff("not running")
	if res := slotRequest(t, s, k, "bob@localhost/a", "c", "1"); res.FindElement("error/service-unavailable") == nil {
		t.Errorf("off: %v", res)
	}
}

func TestLeftoverPartRemoved(t *testing.T) {
	dir := t.TempDir()
	part := filepath.Join(dir, strings.Repeat("A", 43)+".part")
	os.WriteFile(part, []byte("x"), 0o600)
	newService(t, dir, &clock{time.Now()})
	if _, err := os.Stat(part); !os.IsNotExist(err) {
		t.Errorf("a .part file survived a start")
	}
}
