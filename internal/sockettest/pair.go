package sockettest

import (
	"net"
	"testing"
)

// Connect dials l and accepts the connection: the client's end and the
// server's TCP socket, both closed when the test ends (and l with them).
func Connect(t testing.TB, l net.Listener) (client net.Conn, server *net.TCPConn) {
	t.Helper()
	t.Cleanup(func() { l.Close() })
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return client, c.(*net.TCPConn)
}

// Listen is a loopback listener on a free port.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}
