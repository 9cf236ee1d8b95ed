package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

const usersMaxPasswordBytes = 4096

// readPassword reads the password of account name. On a terminal it is
// read without echo and asked twice (the prompts go to stderr, so that
// stdout stays the command's output); otherwise it is the first line of
// stdin, for scripts.
func readPassword(stdin io.Reader, stderr io.Writer, name string) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return readTerminalPassword(f, stderr, name)
	}
	sc := bufio.NewScanner(stdin)
	sc.Buffer(make([]byte, 0, 256), usersMaxPasswordBytes)
	if !sc.Scan() {
		if errors.Is(sc.Err(), bufio.ErrTooLong) {
			return "", fmt.Errorf("password for %q: longer than %d bytes", name, usersMaxPasswordBytes)
		}
		if sc.Err() != nil {
			return "", fmt.Errorf("password for %q: read standard input: %w", name, sc.Err())
		}
		return "", fmt.Errorf("password for %q: standard input is empty (give the password as its first line)", name)
	}
	return checkPassword(name, sc.Text()) // without the line end (\n or \r\n)
}

// readTerminalPassword asks twice, without echo.
func readTerminalPassword(f *os.File, stderr io.Writer, name string) (string, error) {
	var pws [2]string
	for i, prompt := range []string{"password for " + name + ": ", "the same again: "} {
		fmt.Fprint(stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr) // the Enter was not echoed
		if err != nil {
			return "", fmt.Errorf("password for %q: %w", name, err)
		}
		if len(b) > usersMaxPasswordBytes {
			return "", fmt.Errorf("password for %q: longer than %d bytes", name, usersMaxPasswordBytes)
		}
		pws[i] = string(b)
	}
	if pws[0] != pws[1] {
		return "", fmt.Errorf("password for %q: the two differ; nothing changed", name)
	}
	return checkPassword(name, pws[0])
}

func checkPassword(name, pw string) (string, error) {
	if pw == "" {
		return "", fmt.Errorf("password for %q: refusing an empty password", name)
	}
	return pw, nil
}
