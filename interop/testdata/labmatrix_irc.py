#!/usr/bin/python3
"""One IRC client connection over STARTTLS, for the lab report card
(interop/labmatrix_test.go), with Debian's python3-irc.

python3-irc has no STARTTLS of its own, so this script upgrades the socket
the way the IRCv3 tls extension says and then hands it to the library (as
testdata/irc_client.py does): CAP LS 302; if "tls" is not listed, close;
STARTTLS; anything but 670, close; then a TLS handshake with the lab CA as
the only trust anchor and the host name checked (Python's default context:
TLS 1.2 at least, OpenSSL's security level); CAP END, and the library
registers (NICK, USER), waits for the welcome and QUITs.

Plaintext is read one byte at a time up to the end of the 670 line: what
the server sent after it (if anything) stays in the socket, where the TLS
handshake will read it, as the extension expects of a client.

Every line is printed on stdout as one JSON object, in order:

  {"event": "send", "tls": false, "line": "STARTTLS"}
  {"event": "recv", "tls": false, "line": ":localhost 670 * :..."}
  {"event": "tls", "version": "TLSv1.3", "not_after": "...", "handshake_ms": 3, ...}
  {"event": "tls_error", "error": "..."}   the handshake failed (this side)
  {"event": "welcome"} {"event": "disconnected"} {"event": "done", "ok": true}

Exit status: 0 when registered over TLS and quit, 1 otherwise, 2 on bad
arguments.

  labmatrix_irc.py --server HOST:PORT --tls-name NAME --ca CA.pem --nick NICK
"""

import argparse
import json
import logging
import socket
import ssl
import sys
import time

import irc.client


def emit(event, **fields):
    fields["event"] = event
    print(json.dumps(fields, sort_keys=True), flush=True)


class Stop(Exception):
    pass


class Trace(logging.Handler):
    """What the library sends and reads (its debug log), as JSON lines."""

    def emit(self, record):
        msg = record.getMessage()
        for prefix, event in (("TO SERVER: ", "send"), ("FROM SERVER: ", "recv")):
            if msg.startswith(prefix):
                emit(event, tls=True, line=msg[len(prefix):])


def der_items(b, i, end):
    """The TLVs of DER b[i:end]: (tag, content start, content end)."""
    while i < end:
        tag, n = b[i], b[i + 1]
        i += 2
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(b[i:i + k], "big")
            i += k
        yield tag, i, i + n
        i += n


def key_info(der):
    """The server key's type and size, read from its certificate (DER):
    Python's ssl module does not say."""
    try:
        _, s, e = next(der_items(der, 0, len(der)))            # Certificate
        _, s, e = next(der_items(der, s, e))                   # tbsCertificate
        fields = list(der_items(der, s, e))
        if fields[0][0] == 0xA0:                               # [0] version
            fields = fields[1:]
        _, s, e = fields[5]                                    # subjectPublicKeyInfo
        (_, a, b), (_, ks, ke) = list(der_items(der, s, e))
        _, os, oe = next(der_items(der, a, b))                 # algorithm OID
        oid = der[os:oe]
        if oid == bytes.fromhex("2a864886f70d010101"):         # rsaEncryption
            _, ss, se = next(der_items(der, ks + 1, ke))       # RSAPublicKey
            _, ns, ne = next(der_items(der, ss, se))           # modulus
            return "RSA", int.from_bytes(der[ns:ne], "big").bit_length()
        if oid == bytes.fromhex("2a8648ce3d0201"):             # id-ecPublicKey
            return "EC", (ke - ks - 2) * 4                     # 0x00, 0x04, X, Y
    except (StopIteration, IndexError, ValueError):
        pass
    return "", 0


def flatten(name):
    return ", ".join("%s=%s" % kv for rdn in name for kv in rdn)


def read_line(sock, tls):
    buf = b""
    while not buf.endswith(b"\r\n"):
        b = sock.recv(1)
        if not b:
            emit("closed_by_server", tls=tls, partial=buf.decode("utf-8", "replace"))
            raise Stop("the server closed the connection")
        buf += b
    line = buf[:-2].decode("utf-8", "replace")
    emit("recv", tls=tls, line=line)
    return line


def send(sock, line, tls):
    emit("send", tls=tls, line=line)
    sock.sendall(line.encode() + b"\r\n")


def upgrade(args):
    """The plaintext part and the handshake; returns the TLS socket."""
    host, _, port = args.server.rpartition(":")
    sock = socket.create_connection((host, int(port)), timeout=args.timeout)
    send(sock, "CAP LS 302", False)
    while True:
        words = read_line(sock, False).split(" ")
        if len(words) > 1 and words[1] == "CAP":
            break
    line = " ".join(words)
    caps = line.split(" :", 1)[1].split() if " :" in line else []
    if "tls" not in caps:
        emit("no_tls", caps=caps)
        sock.close()
        raise Stop("the server does not offer the tls capability: not going on without TLS")
    send(sock, "STARTTLS", False)
    while True:
        words = read_line(sock, False).split(" ")
        if len(words) > 1 and words[1] in ("670", "691", "421"):
            break
    if words[1] != "670":
        emit("starttls_refused", numeric=words[1])
        sock.close()
        raise Stop("STARTTLS refused (%s): not going on without TLS" % words[1])
    ctx = ssl.create_default_context(cafile=args.ca)
    start = time.monotonic()
    try:
        tls = ctx.wrap_socket(sock, server_hostname=args.tls_name)
    except (ssl.SSLError, OSError) as e:
        emit("tls_error", error=str(e), handshake_ms=round((time.monotonic() - start) * 1000))
        sock.close()
        raise Stop("TLS handshake failed")
    cert = tls.getpeercert() or {}
    key_type, key_bits = key_info(tls.getpeercert(True) or b"")
    emit("tls", key_type=key_type, key_bits=key_bits, version=tls.version(), cipher=tls.cipher()[0], server_hostname=args.tls_name,
         handshake_ms=round((time.monotonic() - start) * 1000), not_after=cert.get("notAfter", ""),
         subject=flatten(cert.get("subject", ())), issuer=flatten(cert.get("issuer", ())),
         dns_names=[v for k, v in cert.get("subjectAltName", ()) if k == "DNS"])
    send(tls, "CAP END", True)
    tls.settimeout(None)  # the library's reactor select()s on it
    return tls


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--server", required=True, help="host:port")
    p.add_argument("--tls-name", required=True, help="the name the certificate must carry (and SNI)")
    p.add_argument("--ca", required=True, help="the only CA to trust (PEM)")
    p.add_argument("--nick", required=True)
    p.add_argument("--timeout", type=float, default=60)
    args = p.parse_args()
    log = logging.getLogger("irc.client")
    log.setLevel(logging.DEBUG)
    log.addHandler(Trace())
    log.propagate = False

    reactor = irc.client.IRC()
    state = {"welcome": False, "gone": False}

    def on_welcome(conn, _e):
        state["welcome"] = True
        emit("welcome", nick=conn.get_nickname())
        conn.quit("labmatrix")

    def on_disconnect(_conn, _e):
        state["gone"] = True
        emit("disconnected")

    reactor.add_global_handler("welcome", on_welcome)
    reactor.add_global_handler("disconnect", on_disconnect)
    emit("connect", server=args.server)
    conn = reactor.server()
    try:
        conn.connect(args.server.rpartition(":")[0], int(args.server.rpartition(":")[2]), args.nick,
                     connect_factory=lambda _addr: upgrade(args))
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline and not state["gone"]:
            reactor.process_once(0.1)
    except (Stop, irc.client.ServerConnectionError, OSError) as e:
        emit("stopped", why=str(e))
    emit("done", ok=state["welcome"])
    return 0 if state["welcome"] else 1


if __name__ == "__main__":
    sys.exit(main())
