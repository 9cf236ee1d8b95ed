package server_test

// HTTP file upload (XEP-0363) end to end: a session finds the service in
// disco, asks for a slot, PUTs the file over HTTPS (the server
// certificate) and GETs it back without credentials.

import (
	"bytes"
	"crypto/rand"
	"io"
	"net/http"
	"strings"
	"testing"

	"jabberd/config"
	"jabberd/stream"
)

func TestUploadEndToEnd(t *testing.T) {
	h := start(t, nil)
	alice := h.login(t, "alice", "a")
	alice.send("<iq type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>")
	if el := alice.nextElement(); el.FindElement("query/item[@jid='upload.localhost']") == nil {
		t.Fatalf("disco#items: %s", stream.Marshal(el))
	}
	alice.send("<iq type='get' id='d2' to='upload.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
	if el := alice.nextElement(); el.FindElement("query/x/field[@var='max-file-size']/value") == nil {
		t.Fatalf("disco#info: %s", stream.Marshal(el))
	}
	data := make([]byte, 200<<10)
	rand.Read(data)
	alice.send("<iq type='get' id='s1' to='upload.localhost'><request xmlns='urn:xmpp:http:upload:0' filename='photo.jpg' size='204800' content-type='image/jpeg'/></iq>")
	slot := alice.nextElement()
	put, get := slot.FindElement("slot/put"), slot.FindElement("slot/get")
	if put == nil || get == nil {
		t.Fatalf("slot: %s", stream.Marshal(slot))
	}
	url := put.SelectAttrValue("url", "")
	if !strings.HasPrefix(url, "https://localhost:") {
		t.Errorf("slot URL %q", url)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: h.tlsConfig(nil)}}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequest("PUT", url, bytes.NewReader(data))
	req.Header.Set("Content-Type", "image/jpeg")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %s", res.Status)
	}
	res, err = client.Get(get.SelectAttrValue("url", ""))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(got, data) || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("GET: %s, %d bytes, equal %v", res.Status, len(got), bytes.Equal(got, data))
	}
	h.logs.wait(t, match{msg: "file uploaded"})
	alice.ping()
}

func TestUploadOff(t *testing.T) {
	h := start(t, func(c *config.Config) { c.Upload.Enabled = false })
	alice := h.login(t, "alice", "a")
	alice.send("<iq type='get' id='d1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>")
	if el := alice.nextElement(); el.FindElement("query/item[@jid='upload.localhost']") != nil {
		t.Fatalf("disco#items with upload off: %s", stream.Marshal(el))
	}
}
