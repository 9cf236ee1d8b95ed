package interop

// slixmpp's xep_0363 uploads a file to jabberd's HTTP file upload
// (testdata/slixmpp_upload.py): the service is found through disco (the
// script's own steps: slixmpp 1.8.3's find_upload_service does not run on
// Python 3.11 and later), the size limit read from its form; slixmpp
// requests a slot, PUTs the file over HTTPS
// (aiohttp, trusting the lab CA) and downloads it again; the bytes are
// compared here, from what the script read and from a GET of our own.

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSlixmppUpload(t *testing.T) {
	t.Parallel()
	needSlixmpp(t)
	needPython(t, "import aiohttp; print(aiohttp.__version__)", "python3-aiohttp")
	j := startJabberd(t, serverOptions{})
	data := make([]byte, 300<<10)
	rand.Read(data)
	file := filepath.Join(t.TempDir(), "interop file.bin")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	host, port, _ := net.SplitHostPort(j.addr)
	script, _ := filepath.Abs(filepath.Join("testdata", "slixmpp_upload.py"))
	r := runClient(t, runOptions{env: []string{"SSL_CERT_FILE=" + j.caFile()}}, python, script, "--host", host, "--port", port,
		"--ca", j.caFile(), "--jid", "alice@localhost", "--password", password("alice"), "--file", file)
	type ev struct {
		Event       string `json:"event"`
		URL         string `json:"url"`
		Service     string `json:"service"`
		MaxFileSize int64  `json:"max_file_size"`
		Size        int    `json:"size"`
		SHA256      string `json:"sha256"`
	}
	var events []ev
	for _, line := range strings.Split(strings.TrimSpace(r.stdout.String()), "\n") {
		var e ev
		if json.Unmarshal([]byte(line), &e) == nil {
			events = append(events, e)
		}
	}
	if r.exitCode() != 0 || len(events) == 0 || events[len(events)-1].Event != "done" {
		t.Fatalf("the slixmpp upload scenario did not complete (exit %d):\n%s", r.exitCode(), r)
	}
	var up, down ev
	for _, e := range events {
		switch e.Event {
		case "uploaded":
			up = e
		case "downloaded":
			down = e
		}
	}
	if up.Service != "upload.localhost" || up.MaxFileSize != 10<<20 || !strings.HasPrefix(up.URL, "https://localhost:") {
		t.Errorf("upload: %+v", up)
	}
	if down.Size != len(data) || down.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("slixmpp downloaded %d bytes (sha256 %s), want %d (%x)", down.Size, down.SHA256, len(data), sum)
	}
	pem, _ := os.ReadFile(j.caFile())
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	defer client.CloseIdleConnections()
	res, err := client.Get(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(got, data) {
		t.Errorf("GET %s: %s, %d bytes, equal %v", up.URL, res.Status, len(got), bytes.Equal(got, data))
	}
	j.waitLog(t, 1, fields{"message": "file uploaded", "owner": "alice@localhost"})
}
