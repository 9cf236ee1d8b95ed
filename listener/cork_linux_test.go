package listener

import (
	"io"
	"testing"
	"time"

	"jabberd/internal/sockettest"
)

// After JoinFIN, what the server writes stays in the kernel until the
// half-close and then arrives with the end of the stream: the socket holds
// it unsent until Linger, and the client then reads the bytes and EOF.
func TestJoinFINHoldsTheLastWordsForTheHalfClose(t *testing.T) {
	l, err := Listen("127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	client, server := sockettest.Connect(t, l)

	// Not corked yet: a write arrives at once.
	if _, err := server.Write([]byte("hello ")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	_ = client.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := client.Read(buf); err != nil || string(buf[:n]) != "hello " {
		t.Fatalf("before JoinFIN: read %q, %v", buf[:n], err)
	}

	if n := sockettest.Unsent(t, server); n != 0 {
		t.Fatalf("before JoinFIN: %d bytes held unsent, want 0", n)
	}

	JoinFIN(server)
	if _, err := server.Write([]byte("bye")); err != nil {
		t.Fatal(err)
	}
	if n := sockettest.Unsent(t, server); n != 3 {
		t.Fatalf("after JoinFIN: %d bytes held unsent, want the 3 last words held for the FIN", n)
	}

	done := make(chan struct{})
	go func() { Linger(server); close(done) }()
	_ = client.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(client) // the bytes, then EOF: the FIN came
	if err != nil || string(got) != "bye" {
		t.Fatalf("after the half-close: read %q, %v; want \"bye\" and EOF", got, err)
	}
	client.Close() // Linger drains until the client's end
	<-done
}
