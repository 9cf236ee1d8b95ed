package app

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"jabberd/accounts"
	"jabberd/auth/external"
	"jabberd/certs"
	"jabberd/chat"
	"jabberd/config"
	"jabberd/irc"
	"jabberd/lab"
	"jabberd/mam"
	"jabberd/metrics"
	"jabberd/muc"
	"jabberd/negotiation"
	"jabberd/pep"
	"jabberd/private"
	"jabberd/sasl"
	"jabberd/server"
	"jabberd/starttls"
	"jabberd/store"
	"jabberd/transport"
	"jabberd/upload"
	"jabberd/vcard"
)

// Setup is jabberd built from a configuration, with what start-up made:
// the XMPP listeners, the IRC listener, the status page, and the store and
// certificates they share. Listen starts them all, Shutdown stops them.
type Setup struct {
	// Server is the XMPP side.
	Server *server.Server
	State  *certs.State
	// Store is the embedded database; close it after Shutdown.
	Store *store.DB
	// ServerCert and ServerKey are the files the server certificate came
	// from (the state directory's, or the configured ones).
	ServerCert, ServerKey string
	// IRC is the IRC listener when [irc] is enabled, else nil.
	IRC *irc.Server
	// MUC is the multi-user chat service when [muc] is enabled, else nil.
	MUC *muc.Service
	// Upload is the HTTP file upload service when [upload] is enabled,
	// else nil; its listener starts with the others.
	Upload *upload.Service
	upload *uploadListener
	// VCard answers vcard-temp and stamps presence with photo hashes.
	VCard *vcard.Service
	// PEP is the accounts' Personal Eventing Protocol (XEP-0163).
	PEP *pep.Service
	// Archive is the XEP-0313 message archive when chat.archive is on,
	// else nil; Shutdown drains it.
	Archive *mam.Service
	// Lab holds the connections' transcripts (nil when [lab] transcripts
	// is 0).
	Lab *lab.Recorder

	// Metrics are what /metrics serves on the status listener (nil when
	// [lab] status_address is off).
	Metrics *metrics.Metrics
	// ConfigFile is the configuration's file, for status and refusals
	// ("" for the embedded default); the binary sets it.
	ConfigFile string
	// LogLevel, when set, applies a reloaded log.level (the binary's
	// logger is the one that knows how).
	LogLevel func(level string)
	// Memory, when true, has a reload apply [memory] to the process's
	// runtime (ApplyMemory): the binary sets it, tests that share a
	// process leave it alone.
	Memory bool

	cfg    *config.Config
	asked  *config.Config // cfg before listeners that are not available were skipped
	log    zerolog.Logger
	status *statusPage   // nil when [lab] status_address is off
	ports  []ProfilePort // [lab] profile_ports; bound addresses after Listen

	addrs   []net.Addr                    // the XMPP listeners' bound addresses, after Listen
	lt      listenerTLS                   // what a reload replaces the certificates of
	tagged  *atomic.Bool                  // [lab] client_choice, as the accounts read it
	started time.Time                     // for status
	reload  reloadState                   // serializes reloads, remembers the last
	running atomic.Pointer[config.Config] // cfg with what reloads applied
}

// ProfilePorts are the per-profile ports ([lab] profile_ports), with their
// bound addresses once Listen has run.
func (set *Setup) ProfilePorts() []ProfilePort { return slices.Clone(set.ports) }

// Config is the configuration the setup runs, per-profile listeners
// included.
func (set *Setup) Config() *config.Config { return set.cfg }

// FromConfig prepares everything a configuration asks for: the state
// directory with its lab CA and certificates, the TLS configuration and the
// client-certificate verifier. It is the one path from configuration to a
// server, used by the binary and by the end-to-end tests alike.
func FromConfig(cfg *config.Config, log zerolog.Logger) (*Setup, error) {
	if err := CheckProfiles(cfg); err != nil {
		return nil, err
	}
	ports := profilePorts(cfg)
	cfg = withProfilePorts(cfg, ports)
	asked := cfg
	cfg = skipUnavailable(cfg, log)
	st, names, err := stateFromConfig(cfg)
	if err != nil {
		return nil, err
	}
	set := &Setup{State: st, cfg: cfg, asked: asked, log: log, ports: ports, started: time.Now()}
	set.running.Store(cfg)
	if cfg.Lab.StatusAddress != "" {
		set.Metrics = metrics.New(BuildLabels())
	}
	serverCert, err := set.serverCertificate(cfg)
	if err != nil {
		return nil, err
	}
	lt, err := tlsFromConfig(cfg, serverCert, st.CA.Cert, log)
	if err != nil {
		return nil, err
	}
	set.lt = lt
	db, accts, tagged, err := storeAndAccounts(cfg, log)
	if err != nil {
		return nil, err
	}
	set.Store, set.tagged = db, tagged
	if err := set.serverFromConfig(cfg, lt, accts, names, log); err != nil {
		set.closeWriters() // its writer (and expiry) started, and use db
		db.Close()
		return nil, err
	}
	return set, nil
}

// stateFromConfig prepares the state directory: the lab CA, the server
// certificate for names (which it returns) and a client certificate per
// configured user.
func stateFromConfig(cfg *config.Config) (*certs.State, []string, error) {
	kt, err := certs.ParseKeyType(cfg.TLS.KeyType)
	if err != nil {
		return nil, nil, fmt.Errorf("tls.key_type: %w", err)
	}
	users := make([]string, len(cfg.Users))
	for i, u := range cfg.Users {
		users[i] = u.Name
	}
	names := []string{cfg.Domain, "localhost", "127.0.0.1", "::1"}
	st, err := certs.EnsureState(cfg.StateDir, cfg.Domain, append(names, lab.SNINames(cfg.Domain, names)...), users, kt)
	if err != nil {
		return nil, nil, fmt.Errorf("prepare state directory %s: %w", cfg.StateDir, err)
	}
	return st, names, nil
}

// serverCertificate loads the configured server certificate, or takes the
// state directory's, and records which files it came from.
func (set *Setup) serverCertificate(cfg *config.Config) (tls.Certificate, error) {
	if cfg.TLS.Cert == "" {
		st := set.State
		set.ServerCert, set.ServerKey = filepath.Join(st.Dir, certs.ServerCertFile), filepath.Join(st.Dir, certs.ServerKeyFile)
		return st.Server.TLSCertificate(), nil
	}
	p, err := certs.Load(cfg.TLS.Cert, cfg.TLS.Key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls.cert: %w", err)
	}
	set.ServerCert, set.ServerKey = cfg.TLS.Cert, cfg.TLS.Key
	return p.TLSCertificate(), nil
}

// listenerTLS is the TLS side of the listeners: the base configuration,
// the STARTTLS and direct-TLS servers on it, and the client verifier.
type listenerTLS struct {
	base    *tls.Config
	upgrade *starttls.Server
	direct  *starttls.Server
	verify  starttls.VerifyFunc
	// roots are the client CAs verify reads; a reload replaces them.
	roots *atomic.Pointer[x509.CertPool]
}

// tlsFromConfig builds the listeners' TLS over the server certificate, with
// client certificates verified against the configured CAs (or labCA).
func tlsFromConfig(cfg *config.Config, serverCert tls.Certificate, labCA *x509.Certificate, log zerolog.Logger) (listenerTLS, error) {
	roots, err := clientRoots(cfg.TLS.ClientCAs, labCA)
	if err != nil {
		return listenerTLS{}, err
	}
	lt := listenerTLS{roots: new(atomic.Pointer[x509.CertPool])}
	lt.roots.Store(roots)
	lt.verify = clientVerifier(lt.roots)
	lt.base, err = starttls.ServerConfig(serverCert, starttls.Settings{MinVersion: cfg.TLS.MinVersion, ClientCerts: cfg.TLS.ClientCerts}, lt.verify)
	if err != nil {
		return listenerTLS{}, err
	}
	if lt.upgrade, err = starttls.NewServer(lt.base, cfg.Limits.HandshakeTimeout.Duration); err != nil {
		return listenerTLS{}, err
	}
	if err := lt.upgrade.Ready(); err != nil {
		log.Warn().Err(err).Msg("STARTTLS requests will be refused until the server certificate is replaced")
	}
	if lt.direct, err = starttls.NewServer(starttls.WithALPN(lt.base, "xmpp-client"), cfg.Limits.HandshakeTimeout.Duration); err != nil {
		return listenerTLS{}, err
	}
	return lt, nil
}

// clientVerifier checks a client's chain (leaf first) against the roots
// in force.
func clientVerifier(pool *atomic.Pointer[x509.CertPool]) starttls.VerifyFunc {
	return func(chain []*x509.Certificate) error {
		roots := pool.Load()
		if len(chain) == 0 {
			return errors.New("no client certificate")
		}
		inter := x509.NewCertPool()
		for _, c := range chain[1:] {
			inter.AddCert(c)
		}
		_, err := certs.VerifyClient(chain[0], inter, roots, time.Now())
		return err
	}
}

// serverFromConfig builds the lab book, authentication, the IRC listener
// and the server over set's store; the caller closes the store on error.
func (set *Setup) serverFromConfig(cfg *config.Config, lt listenerTLS, accts accounts.Store, names []string, log zerolog.Logger) error {
	db := set.Store
	book, labTLS, err := labFromConfig(cfg, lt.base, set.State, names, set.verdicts(), log)
	if err != nil {
		return err
	}
	set.Lab = book
	auth, mapper, err := authFromConfig(cfg, accts)
	if err != nil {
		return err
	}
	var provision func(string) error
	if cfg.Auth.ExternalAutoProvision {
		provision = provisioner(cfg, db)
	}
	var extra []string
	if cfg.Auth.InBandRegistration {
		auth.Register = registrar(cfg, db)
		extra = append(extra, negotiation.NSRegister)
	}
	if cfg.Auth.InsecureAllowPasswordsWithoutTLS {
		log.Warn().Msg("auth.insecure_allow_passwords_without_tls is on: passwords may cross the network in the clear")
	}
	if cfg.IRC.Enabled {
		if set.IRC, err = ircFromConfig(cfg, lt.upgrade, lt.verify, mapper, accts, book, labTLS, set.transportMetrics("irc"), log); err != nil {
			return err
		}
	}
	// The archive first: rooms keep their archives in it too.
	var archiver chat.Archiver
	if cfg.Chat.Archive {
		if set.Archive, err = archiveFromConfig(cfg, db, log); err != nil {
			return err
		}
		archiver = set.Archive
	}
	var components []chat.Component
	if cfg.MUC.Enabled {
		if set.MUC, err = mucFromConfig(cfg, db, set.Archive, log); err != nil {
			return err
		}
		components = append(components, set.MUC)
	}
	if cfg.Upload.Enabled {
		if set.Upload, err = uploadFromConfig(cfg, log); err != nil {
			return err
		}
		components = append(components, set.Upload)
	}
	// The IQ handlers answer for the accounts, in this order.
	var handlers []chat.IQHandler
	set.VCard, err = vcard.New(vcard.Options{Domain: cfg.Domain, Store: db, MaxBytes: cfg.Chat.VCardMaxBytes, PhotoCache: cfg.Chat.VCardPhotoCache, Log: log})
	if err != nil {
		return err
	}
	set.PEP, err = pep.New(pep.Options{Domain: cfg.Domain, Store: db, MaxNodes: cfg.PEP.MaxNodes, MaxBytes: cfg.PEP.MaxBytesPerAccount, MaxItems: cfg.PEP.MaxItems,
		MaxItemBytes: cfg.PEP.MaxItemBytes, CapsCache: cfg.PEP.CapsCache, Log: log})
	if err != nil {
		return err
	}
	// XEP-0048 bookmarks in private storage are the PEP bookmarks (XEP-0402 §5).
	priv := private.New(private.Options{Domain: cfg.Domain, Store: db, MaxBytes: cfg.Chat.PrivateMaxBytes, Log: log,
		Mirrors: map[string]private.Mirror{"{" + pep.NSBookmarks48 + "}storage": pep.PrivateBookmarks{S: set.PEP}}})
	handlers = append(handlers, set.VCard, set.PEP, priv)
	if set.Archive != nil {
		handlers = append(handlers, set.Archive)
	}
	set.Server, err = server.New(server.Options{Config: cfg, TLS: lt.upgrade, DirectTLS: lt.direct, VerifyClient: lt.verify, Log: log, Auth: auth, Identities: mapper, Data: db, ExtraFeatures: extra, Version: Version, Provision: provision, Lab: book, LabTLS: labTLS,
		Metrics: set.transportMetrics("xmpp"), ChatMetrics: set.chatMetrics(), Components: components,
		IQHandlers: handlers, Archiver: archiver})
	return err
}

// archiveFromConfig starts the message archive (its writer runs until
// Shutdown).
func archiveFromConfig(cfg *config.Config, db *store.DB, log zerolog.Logger) (*mam.Service, error) {
	return mam.New(mam.Options{Domain: cfg.Domain, Store: db, MaxMessages: cfg.Chat.ArchiveMaxMessages,
		Retention: cfg.Chat.ArchiveRetention.Duration, MaxPage: cfg.Chat.ArchiveMaxPage,
		MaxPrefsJIDs: cfg.Chat.ArchiveMaxPrefsJIDs, Log: log})
}

// clientRoots loads the configured client CAs, or trusts the lab CA when
// none are configured.
func clientRoots(files []string, labCA *x509.Certificate) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if len(files) == 0 {
		pool.AddCert(labCA)
		return pool, nil
	}
	for _, f := range files {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("tls.client_cas: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls.client_cas: %s holds no PEM certificate", f)
		}
	}
	return pool, nil
}

// ircFromConfig builds the IRC listener on the same TLS server, client
// verifier, certificate mapper and accounts as XMPP. Of auth.mechanisms it
// offers EXTERNAL and PLAIN, in that list's order.
func ircFromConfig(cfg *config.Config, up *starttls.Server, verify starttls.VerifyFunc, mapper *external.Mapper, store accounts.Store, book *lab.Recorder, labTLS *lab.TLS, met transport.Metrics, log zerolog.Logger) (*irc.Server, error) {
	var mechs []sasl.Mechanism
	for _, name := range cfg.Auth.Mechanisms {
		switch name {
		case "EXTERNAL":
			mechs = append(mechs, sasl.External{})
		case "PLAIN":
			mechs = append(mechs, sasl.Plain{Accounts: store})
		}
	}
	return irc.New(irc.Options{
		Config: cfg.IRC, ServerName: cfg.Domain, Domain: cfg.Domain,
		TLS: up, VerifyClient: verify, Identities: mapper,
		Mechanisms: mechs, MaxFailures: cfg.Auth.MaxFailures, MaxConnsPerIP: cfg.Limits.MaxConnsPerIP,
		MaxConns: cfg.Limits.MaxConns, MaxBytesPerSecond: cfg.Limits.MaxBytesPerSecond, MaxBytesBurst: cfg.Limits.MaxBytesBurst,
		TCPKeepAlive: cfg.Limits.TCPKeepAlive.Duration, Version: Version, Log: log,
		Lab: book, LabTLS: labTLS, Profile: cfg.IRC.Profile, ClientChoice: cfg.Lab.ClientChoice,
		LateWindow: cfg.Lab.ListenAfterFailure.Duration, Metrics: met,
		PlaintextPasswords: cfg.Auth.InsecureAllowPasswordsWithoutTLS,
	})
}

// labFromConfig builds the transcript book and, when some profile may bend
// a handshake, the profiles' TLS configurations (with their fault
// certificates, made anew in the state directory).
func labFromConfig(cfg *config.Config, base *tls.Config, st *certs.State, names []string, verdict func(profile, verdict string), log zerolog.Logger) (*lab.Recorder, *lab.TLS, error) {
	book, err := lab.NewRecorder(lab.Options{Keep: cfg.Lab.Transcripts, Dir: cfg.Lab.TranscriptDir, MaxBytes: cfg.Lab.TranscriptMaxBytes,
		FallbackWindow: cfg.Lab.FallbackWindow.Duration, Label: cfg.Lab.RunLabel, Verdict: verdict}, log)
	if err != nil {
		return nil, nil, fmt.Errorf("lab.transcript_dir: %w", err)
	}
	labTLS, err := labTLSFromConfig(cfg, base, st, names)
	return book, labTLS, err
}

// labTLSFromConfig makes the profiles' TLS configurations (with their
// fault certificates, made anew in the state directory) when some profile
// may bend a handshake; nil otherwise.
func labTLSFromConfig(cfg *config.Config, base *tls.Config, st *certs.State, names []string) (*lab.TLS, error) {
	// Per-profile ports and a lab run's IRC ports open listeners for every
	// profile, the handshake-bending ones among them.
	bends := cfg.Lab.ClientChoice || cfg.Lab.ProfilePorts != 0 || cfg.Lab.RunLabel != ""
	for _, l := range cfg.Listen {
		p, _ := lab.Lookup(l.Profile)
		bends = bends || (p != nil && p.Effect.BendsHandshake())
	}
	if p, _ := lab.Lookup(cfg.IRC.Profile); cfg.IRC.Enabled && p != nil {
		bends = bends || p.Effect.BendsHandshake()
	}
	if !bends {
		return nil, nil
	}
	return lab.NewTLS(base, st.Dir, st.CA, names, cfg.Lab.SlowHandshakeDelay.Duration)
}
