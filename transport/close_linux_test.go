package transport

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"jabberd/internal/sockettest"
)

// A stream's last words wait in the kernel for the close's half-close and
// leave with its FIN (listener.JoinFIN): after WriteLast the socket holds
// them unsent, after Close the client reads them and the end of the stream.
// An ordinary write leaves at once.
func TestLastWordsLeaveWithTheFIN(t *testing.T) {
	cl, tcp := sockettest.Connect(t, sockettest.Listen(t))
	c := New(&Settings{Context: context.Background(), Log: zerolog.Nop()}, tcp, "t1", "127.0.0.1")

	if err := c.Write([]byte("hello "), nil); err != nil {
		t.Fatal(err)
	}
	if n := sockettest.Unsent(t, tcp); n != 0 {
		t.Fatalf("after Write: %d bytes held unsent, want 0", n)
	}
	if err := c.WriteLast([]byte("bye"), nil); err != nil {
		t.Fatal(err)
	}
	if n := sockettest.Unsent(t, tcp); n != 3 {
		t.Fatalf("after WriteLast: %d bytes held unsent, want the 3 last words", n)
	}
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	_ = cl.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(cl) // EOF: the FIN came
	if err != nil || string(got) != "hello bye" {
		t.Fatalf("client read %q, %v; want \"hello bye\" and EOF", got, err)
	}
	cl.Close() // Close lingers until the client's end
	<-closed
}
