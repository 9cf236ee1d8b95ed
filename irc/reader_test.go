package irc

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// chunks is a reader that returns one chunk per Read, then EOF.
type chunks [][]byte

func (c *chunks) Read(p []byte) (int, error) {
	if len(*c) == 0 {
		return 0, io.EOF
	}
	n := copy(p, (*c)[0])
	if n == len((*c)[0]) {
		*c = (*c)[1:]
	} else {
		(*c)[0] = (*c)[0][n:]
	}
	return n, nil
}

func readAll(t *testing.T, lr *lineReader) (lines []string, tooLong int) {
	t.Helper()
	for {
		line, err := lr.ReadLine()
		switch {
		case errors.Is(err, io.EOF):
			return lines, tooLong
		case errors.Is(err, ErrLineTooLong):
			tooLong++
			lines = append(lines, "<too long>")
		case err != nil:
			t.Fatalf("ReadLine: %v", err)
		default:
			lines = append(lines, string(line))
		}
	}
}

func TestLineReaderSplits(t *testing.T) {
	in := "NICK a\r\nUSER u 0 * :x\nPING :y\r\n\r\nlast"
	want := []string{"NICK a", "USER u 0 * :x", "PING :y", ""}
	// Whole, byte by byte, and in odd pieces: the same lines.
	for name, r := range map[string]io.Reader{
		"whole":    strings.NewReader(in),
		"one byte": iotest.OneByteReader(strings.NewReader(in)),
		"pieces":   &chunks{[]byte("NICK a\r"), []byte("\nUSER u 0"), []byte(" * :x\nPING :y\r\n\r"), []byte("\nlast")},
	} {
		got, _ := readAll(t, newLineReader(r, 64))
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: lines %q, want %q (an unterminated last line is not a line)", name, got, want)
		}
	}
}

func TestLineReaderTooLong(t *testing.T) {
	long := strings.Repeat("x", 100)
	in := "A\r\n" + long + "\r\nB\r\n" + strings.Repeat("y", 62) + "\r\nC\n"
	for name, r := range map[string]io.Reader{
		"whole":    strings.NewReader(in),
		"one byte": iotest.OneByteReader(strings.NewReader(in)),
	} {
		got, n := readAll(t, newLineReader(r, 64))
		want := []string{"A", "<too long>", "B", strings.Repeat("y", 62), "C"}
		if strings.Join(got, "|") != strings.Join(want, "|") || n != 1 {
			t.Errorf("%s: lines %q, want %q: a line of 64 bytes with CRLF fits, a longer one is dropped whole and reported once", name, got, want)
		}
	}
}

// TestLineReaderRest: after a line, Rest is exactly what was read past it,
// the bytes a STARTTLS hand-off gives to TLS.
func TestLineReaderRest(t *testing.T) {
	hello := []byte{0x16, 0x03, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o', '\n', 'X'}
	lr := newLineReader(bytes.NewReader(append([]byte("CAP LS\r\nSTARTTLS\r\n"), hello...)), 512)
	for _, want := range []string{"CAP LS", "STARTTLS"} {
		line, err := lr.ReadLine()
		if err != nil || string(line) != want {
			t.Fatalf("ReadLine = %q, %v; want %q", line, err, want)
		}
	}
	if rest := lr.Rest(); !bytes.Equal(rest, hello) {
		t.Fatalf("Rest = %q, want %q", rest, hello)
	}
}

// TestLineReaderKeepsBufferOnError: a read error (a deadline) loses nothing.
func TestLineReaderKeepsBufferOnError(t *testing.T) {
	boom := errors.New("deadline")
	r := io.MultiReader(strings.NewReader("PAR"), iotest.ErrReader(boom))
	lr := newLineReader(r, 64)
	if _, err := lr.ReadLine(); !errors.Is(err, boom) {
		t.Fatalf("ReadLine error %v, want %v", err, boom)
	}
	lr.r = strings.NewReader("T #x\r\n")
	if line, err := lr.ReadLine(); err != nil || string(line) != "PART #x" {
		t.Fatalf("after the error: %q, %v; want PART #x", line, err)
	}
}
