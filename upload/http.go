package upload

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// The HTTP side: PUT into a slot, GET what was put, and the token and name
// rules of the URLs.

// ServeHTTP takes PUT of a slot and serves GET and HEAD of a stored file.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/upload/")
	tok, name, _ := strings.Cut(rest, "/")
	if !ok || !validToken(tok) {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	switch r.Method {
	case http.MethodPut:
		s.put(w, r, tok, name)
	case http.MethodGet, http.MethodHead:
		s.get(w, r, tok, name)
	default:
		w.Header().Set("Allow", "GET, HEAD, PUT")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (s *Service) put(w http.ResponseWriter, r *http.Request, tok, name string) {
	now := s.opt.Now()
	s.mu.Lock()
	sl := s.slots[tok]
	switch {
	case sl == nil || sl.putting || !now.Before(sl.expires) || name != urlEscape(sl.name) && name != sl.name:
		s.mu.Unlock()
		http.Error(w, "no such upload slot (or it was used, or it expired)", http.StatusForbidden)
		return
	case r.ContentLength != sl.size:
		s.mu.Unlock()
		http.Error(w, fmt.Sprintf("Content-Length must be the slot's size, %d", sl.size), http.StatusRequestEntityTooLarge)
		return
	}
	sl.putting = true
	s.mu.Unlock()
	fail := func(code int, msg string) {
		s.mu.Lock()
		sl.putting = false
		s.mu.Unlock()
		http.Error(w, msg, code)
	}
	part := filepath.Join(s.opt.Dir, tok+".part")
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		fail(http.StatusInternalServerError, "cannot store the file")
		return
	}
	n, err := io.Copy(f, io.LimitReader(r.Body, sl.size+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil || n != sl.size {
		os.Remove(part)
		fail(http.StatusBadRequest, "the body is not the slot's size")
		return
	}
	m := meta{Owner: sl.owner, Name: sl.name, Size: sl.size, Type: sl.ctype, Stored: now, Expires: now.Add(s.opt.Expiry)}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(s.opt.Dir, tok+".json"), b, 0o600); err != nil {
		os.Remove(part)
		fail(http.StatusInternalServerError, "cannot store the file")
		return
	}
	if err := os.Rename(part, filepath.Join(s.opt.Dir, tok)); err != nil {
		s.remove(tok)
		os.Remove(part)
		fail(http.StatusInternalServerError, "cannot store the file")
		return
	}
	s.mu.Lock()
	delete(s.slots, tok)
	s.files[tok] = &m
	s.mu.Unlock()
	s.opt.Log.Info().Str("owner", m.Owner).Int64("size", m.Size).Time("expires", m.Expires).Msg("file uploaded")
	w.WriteHeader(http.StatusCreated)
}

func (s *Service) get(w http.ResponseWriter, r *http.Request, tok, name string) {
	s.mu.Lock()
	m := s.files[tok]
	s.mu.Unlock()
	if m == nil || !s.opt.Now().Before(m.Expires) || (name != urlEscape(m.Name) && name != m.Name) {
		http.NotFound(w, r)
		return
	}
	f, err := os.Open(filepath.Join(s.opt.Dir, tok))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", m.Type)
	w.Header().Set("Cache-Control", "private, max-age=86400")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(w, r, "", m.Stored, f)
}

// token is 32 random bytes, URL-safe.
func token() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func validToken(t string) bool {
	if len(t) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(t)
	return err == nil
}

// cleanName keeps a file name's last element, without control
// characters, at most 200 bytes.
func cleanName(n string) string {
	n = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, n)
	n = strings.TrimSpace(n)
	if n == "." || n == ".." {
		return ""
	}
	if len(n) > 200 {
		n = n[:200]
		for !utf8Valid(n) {
			n = n[:len(n)-1]
		}
	}
	return n
}
