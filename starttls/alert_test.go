package starttls

import (
	"bytes"
	"testing"
)

func TestRemoteAlert(t *testing.T) {
	for _, c := range []struct{ err, want string }{
		{"remote error: tls: expired certificate", "certificate_expired"},
		{"connection failed: remote error: tls: bad certificate", "bad_certificate"},
		{"remote error: tls: unknown certificate authority", "unknown_ca"},
		{"remote error: tls: protocol version not supported", "protocol_version"},
		{"remote error: tls: alert(200)", "alert 200"},
		{"local error: tls: bad record MAC", ""},
		{"EOF", ""},
	} {
		got, ok := RemoteAlert(c.err)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("RemoteAlert(%q) = %q, %v; want %q", c.err, got, ok, c.want)
		}
	}
}

// TestScanRecords: a plaintext alert after the ClientHello is named, and
// plaintext that follows the records is handed back as it came.
func TestScanRecords(t *testing.T) {
	hello := append([]byte{22, 3, 1, 0, 4}, 1, 0, 0, 0)
	alert := []byte{21, 3, 3, 0, 2, 2, 45}
	plain := []byte("<stream:stream to='localhost'>")
	raw := bytes.Join([][]byte{hello, alert, plain}, nil)
	name, after := ScanRecords(raw)
	if name != "certificate_expired" || !bytes.Equal(after, plain) {
		t.Errorf("ScanRecords = %q, %q", name, after)
	}
	// An encrypted alert (TLS 1.2 after ChangeCipherSpec: longer than two
	// bytes) is not read as a plaintext one.
	enc := []byte{21, 3, 3, 0, 26}
	enc = append(enc, make([]byte, 26)...)
	if name, after := ScanRecords(append(hello, enc...)); name != "" || len(after) != 0 {
		t.Errorf("encrypted alert: %q, %q", name, after)
	}
	// A record cut short is still TLS: nothing after it.
	if _, after := ScanRecords(hello[:7]); after != nil {
		t.Errorf("cut record: after = %q", after)
	}
	if _, after := ScanRecords(plain); !bytes.Equal(after, plain) {
		t.Errorf("plaintext alone: after = %q", after)
	}
}

func TestClientHellos(t *testing.T) {
	hello := []byte{22, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0, 0}
	finished := []byte{22, 3, 3, 0, 8, 20, 0, 0, 4, 1, 2, 3, 4}
	if n := ClientHellos(hello); n != 1 {
		t.Errorf("one ClientHello: %d", n)
	}
	if n := ClientHellos(append(append([]byte{}, hello...), hello...)); n != 2 {
		t.Errorf("two ClientHellos: %d", n)
	}
	if n := ClientHellos(append(append([]byte{}, hello...), finished...)); n != 1 {
		t.Errorf("a ClientHello and another handshake message: %d", n)
	}
}
