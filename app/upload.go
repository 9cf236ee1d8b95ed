package app

import (
	"context"
	"crypto/tls"
	"errors"
	stdlog "log"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"jabberd/config"
	"jabberd/upload"
)

// UploadDir is where uploaded files are kept, in the state directory.
const UploadDir = "uploads"

// uploadFromConfig builds the XEP-0363 service of [upload]; its listener
// starts with the others (listenUpload).
func uploadFromConfig(cfg *config.Config, log zerolog.Logger) (*upload.Service, error) {
	u := cfg.Upload
	base := u.URL
	if base == "" {
		_, port, _ := net.SplitHostPort(u.Address)
		base = "https://" + net.JoinHostPort(cfg.Domain, port)
	}
	return upload.New(upload.Options{
		Domain: cfg.UploadDomain(), Dir: filepath.Join(cfg.StateDir, UploadDir), BaseURL: base,
		MaxFileSize: u.MaxFileSize, Quota: u.QuotaPerUser, Expiry: u.Expiry.Duration,
		Log: log.With().Str("service", cfg.UploadDomain()).Logger(),
	})
}

// uploadListener is the HTTPS listener of the upload service.
type uploadListener struct {
	srv  *http.Server
	addr net.Addr
	stop chan struct{}
	once sync.Once // Shutdown may be called more than once
}

// listenUpload starts the upload service's HTTPS listener with the server
// certificate. An address that cannot be bound is not fatal: the server
// runs without uploads (slot requests get service-unavailable), and the
// log says why.
func (set *Setup) listenUpload() error {
	if set.Upload == nil {
		return nil
	}
	cfg := set.cfg.Upload
	cert, err := tls.LoadX509KeyPair(set.ServerCert, set.ServerKey)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		set.log.Warn().Err(err).Str("address", cfg.Address).Msg("the upload listener cannot start: running without HTTP file upload")
		set.Upload.SetOff("HTTP file upload is not running on this server")
		return nil
	}
	if cfg.URL == "" {
		_, port, _ := net.SplitHostPort(l.Addr().String())
		set.Upload.SetBaseURL("https://" + net.JoinHostPort(set.cfg.Domain, port))
	}
	hs := &http.Server{
		Handler:           set.Upload,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
		// TLS handshake failures of scanners and the like: debug only.
		ErrorLog: stdlog.New(debugWriter{set.log}, "", 0),
	}
	ul := &uploadListener{srv: hs, addr: l.Addr(), stop: make(chan struct{})}
	set.upload = ul
	go set.Upload.Janitor(time.Minute, ul.stop)
	set.log.Info().Str("address", l.Addr().String()).Str("domain", set.cfg.UploadDomain()).Int64("max_file_size", cfg.MaxFileSize).Msg("HTTP file upload listening")
	go func() {
		if err := hs.ServeTLS(l, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			set.log.Error().Err(err).Msg("the upload listener stopped")
		}
	}()
	return nil
}

// UploadAddr returns the upload listener's address, or nil.
func (set *Setup) UploadAddr() net.Addr {
	if set.upload == nil {
		return nil
	}
	return set.upload.addr
}

// shutdownUpload stops the upload listener.
func (set *Setup) shutdownUpload(ctx context.Context) error {
	if set.upload == nil {
		return nil
	}
	set.upload.once.Do(func() { close(set.upload.stop) })
	return set.upload.srv.Shutdown(ctx)
}

// debugWriter logs what net/http reports (handshake failures) at debug.
type debugWriter struct{ log zerolog.Logger }

func (w debugWriter) Write(p []byte) (int, error) {
	w.log.Debug().Str("listener", "upload").Msg(strings.TrimSpace(string(p)))
	return len(p), nil
}
