package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"jabberd/tlspolicy"
)

// wantDefault is default.toml spelled out: a change to the defaults must be
// a change to this test too.
func wantDefault() *Config {
	return &Config{
		Domain:   "localhost",
		StateDir: "jabberd-state",
		Listen: []Listener{
			{Address: "127.0.0.1:5222", TLS: tlspolicy.Optional},
			{Address: "[::1]:5222", TLS: tlspolicy.Optional, IfAvailable: true},
		},
		TLS: TLS{
			ClientCAs:   []string{},
			ClientCerts: tlspolicy.ClientCertRequest,
			MinVersion:  "1.2",
			KeyType:     "ecdsa-p256",
		},
		Auth: Auth{
			Mechanisms:        []string{"EXTERNAL", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-1", "PLAIN"},
			MaxFailures:       3,
			ExternalIdentity:  "xmppaddr",
			ScramIterations:   4096,
			PasswordCacheTTL:  Duration{15 * time.Minute},
			PasswordCacheSize: 10000,
			AccountCacheSize:  10000,
		},
		Chat: Chat{OfflineQuota: 100, StreamManagement: true, SMResumeTimeout: Duration{5 * time.Minute}, SMMaxUnacked: 1000, CSIMaxHeld: 100, MaxBlocklistItems: 1000, BlocklistCache: 10000, VCardMaxBytes: 131072, VCardPhotoCache: 10000, PrivateMaxBytes: 262144,
			Archive: true, ArchiveMaxMessages: 10000, ArchiveMaxPage: 250, ArchiveMaxPrefsJIDs: 1000},
		Limits: Limits{
			MaxStanzaBytes:     262144,
			MaxDepth:           32,
			NegotiationTimeout: Duration{30 * time.Second},
			HandshakeTimeout:   Duration{10 * time.Second},
			IdleTimeout:        Duration{5 * time.Minute},
			MaxConnsPerIP:      64,
			ShutdownGrace:      Duration{5 * time.Second},
			MaxConns:           50000,
			MaxBytesBurst:      65536,
		},
		Memory: Memory{GCPercent: 50, MinHeadroom: 16 << 20},
		Log:    Log{Level: "info", Format: "console"},
		IRC: IRC{
			Address: ":6667", TLS: tlspolicy.Optional, Network: "jabberd",
			RegistrationTimeout: Duration{30 * time.Second},
			IdleTimeout:         Duration{2 * time.Minute},
			PingTimeout:         Duration{time.Minute},
			FloodBurst:          20, FloodRate: 5,
		},
		MUC: MUC{Enabled: true, MaxRoomsPerUser: 10, MaxRooms: 10000, MaxOccupants: 200, MaxHistory: 20, MaxMessageBytes: 16384, MaxSessionsPerNick: 5, VoiceRequestInterval: Duration{time.Minute}, ArchiveByDefault: true},
		Upload: Upload{Enabled: true, Address: "127.0.0.1:5281", MaxFileSize: 10 << 20, QuotaPerUser: 100 << 20,
			Expiry: Duration{168 * time.Hour}},
		PEP: PEP{MaxNodes: 64, MaxBytesPerAccount: 1048576, MaxItems: 128, MaxItemBytes: 131072, CapsCache: 1000},
		Lab: Lab{
			ClientChoice: true, Transcripts: 200, TranscriptMaxBytes: 256 << 10,
			SlowHandshakeDelay: Duration{5 * time.Second},
			ListenAfterFailure: Duration{2 * time.Second},
			FallbackWindow:     Duration{time.Minute},
		},
		Users: []User{
			{Name: "alice", Password: "alice-lab-password"},
			{Name: "bob", Password: "bob-lab-password"},
		},
	}
}

// TestDefault checks the embedded default parses, validates and says what
// default.toml says.
func TestDefault(t *testing.T) {
	c := Default()
	if !reflect.DeepEqual(c, wantDefault()) {
		t.Errorf("Default() =\n  %+v\nwant\n  %+v", c, wantDefault())
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	// Every call is a fresh copy: callers may change theirs.
	c.Listen[0].Address = "changed"
	c.Users[0].Name = "changed"
	if d := Default(); d.Listen[0].Address != "127.0.0.1:5222" || d.Users[0].Name != "alice" {
		t.Errorf("Default() shares memory between calls")
	}
}

// TestFileOverridesOnlyWhatItNames checks a file is decoded on top of the
// default: what it names changes, everything else keeps its default.
func TestFileOverridesOnlyWhatItNames(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		change func(c *Config)
	}{
		{"one top-level key", `domain = "example.org"`, func(c *Config) { c.Domain = "example.org" }},
		{"one key in a table", "[limits]\nmax_depth = 10\n", func(c *Config) { c.Limits.MaxDepth = 10 }},
		{
			"keys in several tables",
			"state_dir = \"/var/lib/jabberd\"\n[tls]\nmin_version = \"1.3\"\nclient_cas = [\"a.pem\", \"b.pem\"]\n[limits]\nidle_timeout = \"1h30m\"\n[log]\nformat = \"json\"\n",
			func(c *Config) {
				c.StateDir = "/var/lib/jabberd"
				c.TLS.MinVersion = "1.3"
				c.TLS.ClientCAs = []string{"a.pem", "b.pem"}
				c.Limits.IdleTimeout = Duration{90 * time.Minute}
				c.Log.Format = "json"
			},
		},
		{
			"certificate pair",
			"[tls]\ncert = \"server.crt\"\nkey = \"server.key\"\nclient_certs = \"require\"\n",
			func(c *Config) {
				c.TLS.Cert, c.TLS.Key, c.TLS.ClientCerts = "server.crt", "server.key", tlspolicy.ClientCertRequire
			},
		},
		{
			"auth policy",
			"[auth]\nmechanisms = [\"PLAIN\"]\ninsecure_allow_passwords_without_tls = true\nscram_iterations = 10000\n",
			func(c *Config) {
				c.Auth.Mechanisms = []string{"PLAIN"}
				c.Auth.InsecureAllowPasswordsWithoutTLS = true
				c.Auth.ScramIterations = 10000
			},
		},
		{"zero connections per IP means no limit", "[limits]\nmax_connections_per_ip = 0\n", func(c *Config) { c.Limits.MaxConnsPerIP = 0 }},
		{"comments only", "# nothing to change\n", func(c *Config) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.file), "test.toml")
			if err != nil {
				t.Fatal(err)
			}
			want := wantDefault()
			want.Users = nil // never inherited by a file: see TestLabUsersNeverLeak
			tt.change(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse =\n  %+v\nwant\n  %+v", got, want)
			}
		})
	}
}

// TestListeners checks listeners fall back to the default when a file has
// none, and are replaced, not added to, when it has some.
func TestListeners(t *testing.T) {
	c, err := Parse([]byte("[log]\nlevel = \"debug\"\n"), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	if want := wantDefault().Listen; !reflect.DeepEqual(c.Listen, want) {
		t.Errorf("no [[listen]]: Listen = %+v, want the default %+v", c.Listen, want)
	}

	c, err = Parse([]byte("[[listen]]\naddress = \"127.0.0.1:5223\"\ntls = \"required\"\n\n[[listen]]\naddress = \"[::1]:5224\"\ntls = \"disabled\"\n"), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := []Listener{{Address: "127.0.0.1:5223", TLS: tlspolicy.Required}, {Address: "[::1]:5224", TLS: tlspolicy.Disabled}}
	if !reflect.DeepEqual(c.Listen, want) {
		t.Errorf("two [[listen]]: Listen = %+v, want %+v", c.Listen, want)
	}
}

// TestLabUsersNeverLeak checks the default's lab accounts (alice, bob with
// known passwords) are never part of a configuration read from a file.
func TestLabUsersNeverLeak(t *testing.T) {
	for _, file := range []string{
		"# a file with no users\n",
		"domain = \"example.org\"\n",
		"[[listen]]\naddress = \":5222\"\ntls = \"required\"\n",
		"user = []\n",
	} {
		c, err := Parse([]byte(file), "test.toml")
		if err != nil {
			t.Fatalf("%q: %v", file, err)
		}
		if len(c.Users) != 0 {
			t.Errorf("%q: Users = %+v, want none", file, c.Users)
		}
	}
	c, err := Parse([]byte("[[user]]\nname = \"carol\"\npassword = \"pw\"\n"), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	if want := []User{{"carol", "pw"}}; !reflect.DeepEqual(c.Users, want) {
		t.Errorf("Users = %+v, want only %+v", c.Users, want)
	}
}

// TestEmptyFileHasNoLabUsers: an empty configuration file is still a file.
func TestEmptyFileHasNoLabUsers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.toml")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Users) != 0 {
		t.Fatalf("Load of an empty file kept the lab accounts %+v", c.Users)
	}
}

// TestUnknownKeys checks every key the configuration does not have is an
// error naming it, at any level.
func TestUnknownKeys(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"bogus = 1\n", "test.toml: unknown key bogus"},
		{"[limits]\nfoo = 2\n", "test.toml: unknown key limits.foo"},
		{"[limits]\nmax_stanza_size = 2048\n", "test.toml: unknown key limits.max_stanza_size"},
		{"[tls]\nciphers = []\n", "test.toml: unknown key tls.ciphers"},
		{"[logging]\nlevel = \"info\"\n", "test.toml: unknown key logging, logging.level"},
		{"[limits.sub]\nx = 1\n", "test.toml: unknown key limits.sub, limits.sub.x"},
		{"[[listen]]\naddress = \":1\"\ntls = \"optional\"\nport = 1\n", "test.toml: unknown key listen.port"},
		{"[[user]]\nname = \"x\"\npassword = \"y\"\nadmin = true\n", "test.toml: unknown key user.admin"},
		{"[[users]]\nname = \"x\"\n", "test.toml: unknown key users, users.name"},
		{
			"domain = \"example.org\"\nbogus = 1\n[limits]\nfoo = 2\nbar = 3\n[log]\ncolor = true\n",
			"test.toml: unknown key bogus, limits.foo, limits.bar, log.color",
		},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.file), "test.toml")
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q: error %v, want %q", tt.file, err, tt.want)
		}
	}
}

// TestInvalidValues checks each invalid value is refused with an error that
// names its key, and only that key.
func TestInvalidValues(t *testing.T) {
	tests := []struct {
		file string
		key  string // the error is "test.toml: KEY: …"
		says string // and mentions this
	}{
		{`domain = ""`, "domain", `"" is not a domain name`},
		{`domain = "rob@example.org"`, "domain", `"rob@example.org"`},
		{`domain = "example.org/res"`, "domain", `"example.org/res"`},
		{`domain = "example org"`, "domain", `"example org"`},
		{`state_dir = ""`, "state_dir", "must not be empty"},
		{"listen = []", "listen", "at least one [[listen]] entry"},
		{"[[listen]]\naddress = \":1\"\ntls = \"maybe\"\n", "listen[0].tls", `"maybe" is not one of required, optional, disabled`},
		{"[[listen]]\naddress = \":1\"\ntls = \"optional\"\n[[listen]]\naddress = \":2\"\ntls = \"Required\"\n", "listen[1].tls", `"Required"`},
		{"[[listen]]\naddress = \":1\"\ntls = \"optional\"\n[[listen]]\naddress = \"\"\ntls = \"optional\"\n", "listen[1].address", "must not be empty"},
		{"[tls]\ncert = \"server.crt\"\n", "tls.cert", "tls.cert and tls.key go together"},
		{"[tls]\nkey = \"server.key\"\n", "tls.cert", "tls.cert and tls.key go together"},
		{"[tls]\nclient_certs = \"optional\"\n", "tls.client_certs", `"optional" is not one of none, request, require`},
		{"[tls]\nmin_version = \"1.1\"\n", "tls.min_version", `"1.1"`},
		{"[tls]\nmin_version = \"\"\n", "tls.min_version", `""`},
		{"[tls]\nkey_type = \"dsa\"\n", "tls.key_type", `"dsa" is not one of ecdsa-p256, rsa-2048, rsa-4096`},
		{"[auth]\nmechanisms = [\"PLAIN\", \"DIGEST-MD5\"]\n", "auth.mechanisms[1]", `"DIGEST-MD5" is not one of EXTERNAL, SCRAM-SHA-256-PLUS, SCRAM-SHA-256, SCRAM-SHA-1-PLUS, SCRAM-SHA-1, PLAIN`},
		{"[auth]\nmax_failures = 0\n", "auth.max_failures", "must be at least 1"},
		{"[auth]\nexternal_identity = \"cn\"\n", "auth.external_identity", `"cn" is not one of xmppaddr, xmppaddr+email, xmppaddr+cn`},
		{"[auth]\nscram_iterations = 4095\n", "auth.scram_iterations", "4095 is below the minimum of 4096"},
		{"[limits]\nmax_stanza_bytes = 1023\n", "limits.max_stanza_bytes", "1023 is below the minimum of 1024"},
		{"[limits]\nmax_depth = 3\n", "limits.max_depth", "3 is outside 4..1000"},
		{"[limits]\nmax_depth = 1001\n", "limits.max_depth", "1001 is outside 4..1000"},
		{"[limits]\nnegotiation_timeout = \"0s\"\n", "limits.negotiation_timeout", "must be a positive duration"},
		{"[limits]\nhandshake_timeout = \"-1s\"\n", "limits.handshake_timeout", "must be a positive duration"},
		{"[limits]\nidle_timeout = \"0\"\n", "limits.idle_timeout", "must be a positive duration"},
		{"[limits]\nshutdown_grace = \"-5m\"\n", "limits.shutdown_grace", "must be a positive duration"},
		{"[limits]\nmax_connections_per_ip = -1\n", "limits.max_connections_per_ip", "must not be negative"},
		{"[limits]\nmax_connections = -1\n", "limits.max_connections", "must not be negative"},
		{"[limits]\nmax_bytes_per_second = -1\n", "limits.max_bytes_per_second", "must not be negative"},
		{"[limits]\nmax_bytes_per_second = 100\nmax_bytes_burst = 0\n", "limits.max_bytes_burst", "must be at least 1"},
		{"[limits]\ntcp_keepalive = \"-1s\"\n", "limits.tcp_keepalive", "must not be negative"},
		{"[auth]\npassword_cache_ttl = \"-1s\"\n", "auth.password_cache_ttl", "must not be negative"},
		{"[auth]\npassword_cache_size = -1\n", "auth.password_cache_size", "must not be negative"},
		{"[auth]\naccount_cache_size = -1\n", "auth.account_cache_size", "must not be negative"},
		{"[log]\nlevel = \"verbose\"\n", "log.level", `"verbose" is not one of trace, debug, info, warn, error`},
		{"[log]\nlevel = \"INFO\"\n", "log.level", `"INFO"`},
		{"[log]\nformat = \"xml\"\n", "log.format", `"xml" is not one of console, json`},
		{"[[user]]\nname = \"\"\npassword = \"pw\"\n", "user[0].name", "user name must not be empty"},
		{"[[user]]\nname = \"rob@example.org\"\npassword = \"pw\"\n", "user[0].name", `"rob@example.org" is not a valid user name`},
		{"[[user]]\nname = \"..\"\npassword = \"pw\"\n", "user[0].name", `".." is not a valid user name`},
		{"[[user]]\nname = \"a/b\"\npassword = \"pw\"\n", "user[0].name", `"a/b" is not a valid user name`},
		{"[[user]]\nname = \"rob\"\npassword = \"\"\n", "user[0].password", "must not be empty"},
		{"[[user]]\nname = \"rob\"\npassword = \"a\"\n[[user]]\nname = \"rob\"\npassword = \"b\"\n", "user[1].name", `"rob" is defined twice`},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.file), "test.toml")
		if err == nil {
			t.Errorf("%q: no error", tt.file)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "test.toml: "+tt.key+": ") || !strings.Contains(msg, tt.says) || strings.Contains(msg, "\n") {
			t.Errorf("%q: error\n  %s\nwant one error naming %s and saying %s", tt.file, msg, tt.key, tt.says)
		}
	}
}

// TestAllInvalidValuesReported checks Validate reports every bad key, not
// just the first, so that one start-up shows everything to fix.
func TestAllInvalidValuesReported(t *testing.T) {
	_, err := Parse([]byte("domain = \"\"\n[tls]\nkey_type = \"x\"\n[limits]\nmax_depth = 0\n[log]\nformat = \"x\"\n"), "test.toml")
	if err == nil {
		t.Fatal("no error")
	}
	for _, key := range []string{"domain: ", "tls.key_type: ", "limits.max_depth: ", "log.format: "} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error %q does not name %s", err, key)
		}
	}
}

// TestWrongTypes checks values of the wrong TOML type name their key.
func TestWrongTypes(t *testing.T) {
	for file, key := range map[string]string{
		"domain = 5\n":                    "domain",
		"[tls]\nmin_version = 1.2\n":      "tls.min_version",
		"[tls]\nclient_cas = \"a.pem\"\n": "tls.client_cas",
		"[limits]\nmax_depth = \"10\"\n":  "limits.max_depth",
		"[[listen]]\naddress = 5222\n":    "listen.address",
	} {
		_, err := Parse([]byte(file), "test.toml")
		if err == nil || !strings.Contains(err.Error(), `"`+key+`"`) || !strings.HasPrefix(err.Error(), "test.toml: ") {
			t.Errorf("%q: error %v, want one naming %q", file, err, key)
		}
	}
	if _, err := Parse([]byte("this is not toml"), "test.toml"); err == nil || !strings.Contains(err.Error(), "test.toml: ") || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("syntax error: %v, want the file name and line", err)
	}
}

// TestDurations checks durations are Go duration strings, and that a bad
// one is refused naming its key and the value.
func TestDurations(t *testing.T) {
	for text, want := range map[string]time.Duration{
		"30s": 30 * time.Second, "2m": 2 * time.Minute, "1h30m": 90 * time.Minute, "500ms": 500 * time.Millisecond,
	} {
		c, err := Parse([]byte("[limits]\nhandshake_timeout = \""+text+"\"\n"), "test.toml")
		if err != nil {
			t.Errorf("%s: %v", text, err)
			continue
		}
		if c.Limits.HandshakeTimeout.Duration != want {
			t.Errorf("%s parsed as %v, want %v", text, c.Limits.HandshakeTimeout.Duration, want)
		}
		if b, err := c.Limits.HandshakeTimeout.MarshalText(); err != nil || string(b) != want.String() {
			t.Errorf("%s: MarshalText = %s, %v", text, b, err)
		}
	}
	for _, bad := range []string{`"5 minutes"`, `"30"`, `""`, `30`, `"1d"`} {
		for _, key := range []string{"negotiation_timeout", "handshake_timeout", "idle_timeout", "shutdown_grace"} {
			_, err := Parse([]byte("[limits]\n"+key+" = "+bad+"\n"), "test.toml")
			if err == nil {
				t.Errorf("%s = %s: no error", key, bad)
				continue
			}
			msg := err.Error()
			if !strings.Contains(msg, `"limits.`+key+`"`) || !strings.Contains(msg, "is not a duration") || !strings.Contains(msg, strings.Trim(bad, `"`)) {
				t.Errorf("%s = %s: error %q does not name the key and the value", key, bad, msg)
			}
		}
	}
}

// TestLoad checks Load reads a file, and that a missing one is an error a
// caller can recognize.
func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "jabberd.toml")
	if err := os.WriteFile(path, []byte("domain = \"example.org\"\n[[user]]\nname = \"rob\"\npassword = \"pw\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Domain != "example.org" || len(c.Users) != 1 {
		t.Errorf("Load = %+v", c)
	}
	_, err = Load(filepath.Join(t.TempDir(), "missing.toml"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "read configuration: ") {
		t.Errorf("missing file: %v", err)
	}
	if err := os.WriteFile(path, []byte("[limits]\nmax_depth = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.HasPrefix(err.Error(), path+": limits.max_depth: ") {
		t.Errorf("invalid file: error %v, want one starting with the path and the key", err)
	}
}

// TestCheckUserName covers the characters a user name may not hold.
func TestCheckUserName(t *testing.T) {
	for _, ok := range []string{"rob", "alice-2", "Ünïcode", "a.b", "x_y", "..."} {
		if err := CheckUserName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "a b", "a@b", "a/b", `a\b`, `a"b`, "a&b", "a'b", "a<b", "a>b", "a:b", "a\tb", "a\nb", "a\rb"} {
		if err := CheckUserName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

const examplePath = "../config.toml.example"

// TestExample checks config.toml.example loads, shows the defaults, and
// mentions every key of Config in its table, so that it never falls behind
// the code.
func TestExample(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(examplePath)
	if err != nil {
		t.Fatalf("the example does not load: %v", err)
	}
	// "Every key, with its default": only the accounts differ, the
	// example adds the direct-TLS listener of XEP-0368, and it turns the
	// status page on at its usual address.
	want := wantDefault()
	c.Users, want.Users = nil, nil
	want.Listen = append(want.Listen, Listener{Address: "127.0.0.1:5223", TLS: tlspolicy.Direct})
	want.Lab.StatusAddress = "127.0.0.1:5280"
	if !reflect.DeepEqual(c, want) {
		t.Errorf("the example's values differ from the defaults:\n  %+v\nwant\n  %+v", c, want)
	}

	sections := exampleSections(string(data))
	for _, k := range configKeys(reflect.TypeFor[Config](), "") {
		text, ok := sections[k.table]
		if !ok {
			t.Errorf("the example has no [%s] table (for %s)", k.table, k.key)
			continue
		}
		re := regexp.MustCompile(`(?m)^[ \t]*(#[ \t]*)?` + regexp.QuoteMeta(k.key) + `[ \t]*=`)
		if !re.MatchString(text) {
			where := "at the top"
			if k.table != "" {
				where = "in [" + k.table + "]"
			}
			t.Errorf("the example does not show %q %s", k.key, where)
		}
	}
}

type configKey struct{ table, key string }

// configKeys walks the toml tags of t: scalars, lists of scalars and text
// values (Duration) are keys of table; structs and lists of structs are
// tables of their own.
func configKeys(t reflect.Type, table string) []configKey {
	var keys []configKey
	for f := range t.Fields() {
		tag, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && !reflect.PointerTo(ft).Implements(reflect.TypeFor[interface{ UnmarshalText([]byte) error }]()) {
			sub := tag
			if table != "" {
				sub = table + "." + tag
			}
			keys = append(keys, configKeys(ft, sub)...)
			continue
		}
		keys = append(keys, configKey{table, tag})
	}
	return keys
}

// exampleSections splits a TOML text at its table headers ([t] and [[t]],
// commented out or not) and returns the text under each; "" is the part
// before the first header. A table given more than once gets all its parts.
func exampleSections(text string) map[string]string {
	header := regexp.MustCompile(`^[ \t]*(?:#[ \t]*)?\[\[?([A-Za-z0-9_.-]+)\]\]?[ \t]*$`)
	sections := map[string]string{}
	cur := ""
	for _, line := range strings.Split(text, "\n") {
		if m := header.FindStringSubmatch(line); m != nil {
			cur = m[1]
			sections[cur] += ""
			continue
		}
		sections[cur] += line + "\n"
	}
	return sections
}

// TestConfigKeys checks the reflection walk itself, so that a silent mistake
// in it cannot hollow out TestExample: every kind of field is found where it
// belongs.
func TestConfigKeys(t *testing.T) {
	got := map[string]bool{}
	for _, k := range configKeys(reflect.TypeFor[Config](), "") {
		got[k.table+":"+k.key] = true
	}
	for _, want := range []string{
		":domain",             // top-level scalar
		"listen:address",      // list of tables
		"tls:client_cas",      // list of scalars
		"limits:idle_timeout", // text value (Duration)
		"limits:max_depth",    // table scalar
		"user:password",       // list of tables
	} {
		if !got[want] {
			t.Errorf("configKeys misses %s (found %v)", want, got)
		}
	}
	for _, wrong := range []string{":listen", ":tls", ":limits", ":user", "limits:idle_timeout.Duration"} {
		if got[wrong] {
			t.Errorf("configKeys reports the table %s as a key", wrong)
		}
	}
	s := exampleSections("a = 1\n[t]\nb = 2\n# [[u]]\n# c = 3\n[[u]]\nd = 4\n")
	if s[""] != "a = 1\n" || s["t"] != "b = 2\n" || s["u"] != "# c = 3\nd = 4\n\n" {
		t.Errorf("exampleSections = %q", s)
	}
}

// TestListenerWithoutTLSKey: every [[listen]] without tls gets "optional",
// not only the first (which the decoder would fill from the default's).
func TestListenerWithoutTLSKey(t *testing.T) {
	c, err := Parse([]byte("[[listen]]\naddress = ':1'\n[[listen]]\naddress = ':2'\ntls = 'required'\n[[listen]]\naddress = ':3'\n"), "t.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := []Listener{{Address: ":1", TLS: tlspolicy.Optional}, {Address: ":2", TLS: tlspolicy.Required}, {Address: ":3", TLS: tlspolicy.Optional}}
	if !reflect.DeepEqual(c.Listen, want) {
		t.Fatalf("listeners %+v, want %+v", c.Listen, want)
	}
}

// TestNoMechanisms: an empty mechanism list would make every login fail.
func TestNoMechanisms(t *testing.T) {
	_, err := Parse([]byte("[auth]\nmechanisms = []\n"), "t.toml")
	if err == nil || !strings.Contains(err.Error(), "auth.mechanisms: at least one mechanism is needed") {
		t.Fatalf("err = %v", err)
	}
}

// TestPasswordCacheOff: "0" (as the example documents) turns the password
// cache off without an error.
func TestPasswordCacheOff(t *testing.T) {
	c, err := Parse([]byte("[auth]\npassword_cache_ttl = \"0\"\n"), "t.toml")
	if err != nil || c.Auth.PasswordCacheTTL.Duration != 0 {
		t.Fatalf("ttl %v, err %v", c.Auth.PasswordCacheTTL, err)
	}
}
