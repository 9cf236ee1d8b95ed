package control

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Handler answers requests; it runs on the connection's goroutine.
type Handler interface {
	Handle(Request) Response
}

// HandlerFunc is a function as a Handler.
type HandlerFunc func(Request) Response

// Handle implements Handler.
func (f HandlerFunc) Handle(r Request) Response { return f(r) }

// maxRequest bounds a request line (a name and a password).
const maxRequest = 64 << 10

// timeout bounds a connection: reading the request, handling it (a reload
// makes certificates), writing the response.
const timeout = time.Minute

// Server is the listening control socket.
type Server struct {
	l    *net.UnixListener
	path string
	h    Handler
	log  zerolog.Logger
	wg   sync.WaitGroup
}

// Listen creates the socket at path, mode 0600, and answers requests with
// h in the background. The socket is made under a temporary name and
// renamed into place once its mode is 0600, so that it is never reachable
// by others; a stale socket at path (a server that was killed) is
// replaced. The caller must hold the state directory's database, which
// makes it the only server there.
func Listen(path string, h Handler, log zerolog.Logger) (*Server, error) {
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.%d", filepath.Base(path), os.Getpid()))
	_ = os.Remove(tmp)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	l.SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, 0o600); err != nil {
		l.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		l.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	s := &Server{l: l, path: path, h: h, log: log}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Path is where the socket is.
func (s *Server) Path() string { return s.path }

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.l.AcceptUnix()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.log.Error().Err(err).Msg("control socket stopped accepting")
			}
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(c)
		}()
	}
}

// serve answers one request.
func (s *Server) serve(c *net.UnixConn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if err := checkPeer(c); err != nil {
		s.log.Warn().Err(err).Msg("control socket: connection refused")
		writeResponse(c, Response{Error: err.Error()})
		return
	}
	r := bufio.NewReader(&limited{c: c, n: maxRequest})
	line, err := r.ReadBytes('\n')
	if err != nil && len(line) == 0 {
		return
	}
	var req Request
	if err := json.Unmarshal(line, &req); err != nil {
		writeResponse(c, Response{Error: "control socket: bad request: " + err.Error()})
		return
	}
	ev := s.log.Info().Str("command", req.Command)
	if req.Name != "" {
		ev = ev.Str("name", req.Name)
	}
	resp := s.h.Handle(req)
	if resp.Error != "" {
		ev = ev.Str("error", resp.Error)
	}
	if req.Command != CmdStatus && req.Command != CmdUsersCheck && req.Command != CmdUsersList {
		ev.Msg("control: request handled") // never the password
	}
	writeResponse(c, resp)
}

func writeResponse(c net.Conn, resp Response) {
	b, _ := json.Marshal(resp)
	_, _ = c.Write(append(b, '\n'))
}

// Close stops accepting, waits for the requests being answered and
// removes the socket.
func (s *Server) Close() error {
	err := s.l.Close()
	s.wg.Wait()
	if rmErr := os.Remove(s.path); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
		err = errors.Join(err, rmErr)
	}
	return err
}

// limited reads at most n bytes from c.
type limited struct {
	c *net.UnixConn
	n int
}

func (l *limited) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("request too long")
	}
	if len(p) > l.n {
		p = p[:l.n]
	}
	n, err := l.c.Read(p)
	l.n -= n
	return n, err
}
