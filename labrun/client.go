package labrun

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"time"
)

// placeholder matches {name} in a client's arguments.
var placeholder = regexp.MustCompile(`\{([a-z]+)\}`)

// expand substitutes the placeholders inside every argument; an unknown
// {name} is left as it is (a client's own braces pass through).
func expand(args []string, values map[string]string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = placeholder.ReplaceAllStringFunc(a, func(m string) string {
			if v, ok := values[m[1:len(m)-1]]; ok {
				return v
			}
			return m
		})
	}
	return out
}

// clientRun is one run of the client: what it printed, how it ended.
type clientRun struct {
	Args     []string      `json:"args"`
	ExitCode int           `json:"exit_code"` // -1: it did not exit by itself
	TimedOut bool          `json:"timed_out,omitempty"`
	Error    string        `json:"error,omitempty"` // it could not be started
	Output   string        `json:"output"`          // stdout and stderr, interleaved
	Duration time.Duration `json:"duration_ns"`
}

// maxOutput bounds what is kept of a client's output.
const maxOutput = 64 << 10

// runClient runs args with a deadline; stdin is empty (a client that asks
// for input gets end of file, not a hang).
func runClient(args []string, timeout time.Duration) clientRun {
	r := clientRun{Args: args, ExitCode: -1}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Stdin = nil
	killGroupOnCancel(cmd)
	cmd.WaitDelay = 2 * time.Second // a client's children may hold the pipes
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	start := time.Now()
	err := cmd.Run()
	r.Duration = time.Since(start)
	r.Output = string(out.Bytes()[:min(out.Len(), maxOutput)])
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.TimedOut = true
	case errors.As(err, &exit):
		r.ExitCode = exit.ExitCode()
	case err != nil:
		r.Error = err.Error()
	default:
		r.ExitCode = 0
	}
	return r
}

func contextTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
