-- Prosody 0.12.3 for bench/compare-servers.sh: Debian's shipped modules minus
-- "limits" (the 10 kB/s c2s rate), "posix" (daemonizing) and the invite and
-- admin modules; c2s on 127.0.0.1:5522 only, STARTTLS required.
admins = { }
modules_enabled = {
	"disco"; "roster"; "saslauth"; "tls"; "blocklist"; "bookmarks"; "carbons";
	"dialback"; "pep"; "private"; "smacks"; "vcard4"; "vcard_legacy";
	"csi_simple"; "ping"; "register"; "time"; "uptime"; "version";
}
modules_disabled = { "s2s" }
pidfile = "@WORK@/pr/prosody.pid"
data_path = "@WORK@/pr/data"
c2s_ports = { 5522 }
c2s_interfaces = { "127.0.0.1" }
s2s_ports = { }
component_ports = { }
http_ports = { }
https_ports = { }
network_backend = "epoll"
c2s_require_encryption = true
allow_unencrypted_plain_auth = false
c2s_stanza_size_limit = 10*1024*1024
authentication = "internal_hashed"
log = { warn = "@WORK@/pr/prosody.log" }
VirtualHost "localhost"
	ssl = { certificate = "@WORK@/pr/localhost.crt", key = "@WORK@/pr/localhost.key" }
