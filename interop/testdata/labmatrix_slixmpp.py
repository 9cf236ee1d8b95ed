#!/usr/bin/python3
"""One slixmpp login, for the lab report card (interop/labmatrix_test.go).

Logs in with slixmpp's defaults (Debian's python3-slixmpp): STARTTLS when
offered, the lab CA as the only trust anchor, the host name checked against
the JID's domain, SASL mechanisms chosen by slixmpp itself. Once the session
has started it sends one message to its own bare JID and closes the stream.

Nothing here decides what to do about a misbehaving server: no handler for
ssl_invalid_chain, failed_auth or the like changes slixmpp's course, so what
the output shows is the library's own reaction.

Everything the library does is printed on stdout, one JSON object per line,
in order:

  {"event": "send", "tls": false, "data": "..."}   every chunk slixmpp sent
  {"event": "recv", "tls": true, "data": "..."}    every element it read
  {"event": "log", "level": "ERROR", "msg": "..."} slixmpp's warnings, errors
                                                    and its "SSL:" diagnostics
  {"event": "tls_success", "handshake_ms": 12}
  {"event": "tls_facts", "version": "TLSv1.3", "not_after": "...", ...}
  {"event": "auth_success", "mechanism": "..."}
  {"event": "failed_auth", "mechanism": "...", "condition": "..."}
  {"event": "failed_all_auth"} {"event": "session_start", "jid": "..."}
  {"event": "disconnected", "reason": "..."} {"event": "done", "ok": true}

"tls" says whether TLS was up when the chunk crossed (tls_success seen).
SASL payloads are replaced by [redacted]; a SCRAM client-first message
keeps its GS2 channel-binding flag ("gs2": "n", "y" or "p=tls-unique") and
a client-final message says that it carries a proof ("scram_proof": true).
Exit status: 0 when the session started, 1 when it did not, 2 on bad
arguments.

  labmatrix_slixmpp.py --server HOST:PORT --jid JID --password PW --ca CA.pem
                       [--cert CRT --key KEY] [--timeout SECONDS]
"""

import argparse
import asyncio
import base64
import binascii
import json
import logging
import re
import sys
import time

import slixmpp


def emit(event, **fields):
    fields["event"] = event
    print(json.dumps(fields, sort_keys=True), flush=True)


# <auth mechanism='PLAIN'>payload</auth>, <response>payload</response>, ...
SECRET = re.compile(r"(<(auth|response|challenge|success)\b[^>]*>)([^<]+)(</)")


def redact(data):
    return SECRET.sub(lambda m: m.group(1) + "[redacted]" + m.group(4), data)


def scram_fields(data):
    """What a SCRAM message shows without its secrets: the GS2 header's
    channel-binding flag of a client-first message ("n", "y" or
    "p=<type>"), and whether a client-final message carries a proof."""
    m = SECRET.search(data)
    if not m:
        return {}
    try:
        text = base64.b64decode(m.group(3).strip()).decode("utf-8", "replace")
    except (ValueError, binascii.Error):
        return {}
    if m.group(2) == "auth" and "SCRAM-" in m.group(1):
        return {"gs2": text.split(",", 1)[0]}
    if m.group(2) == "response" and ",p=" in text:
        return {"scram_proof": True}
    return {}


class Trace(logging.Handler):
    """slixmpp's own log, turned into JSON lines: SEND and RECV at debug,
    everything from warning up, and the SSL diagnostics."""

    def __init__(self, state):
        super().__init__(logging.DEBUG)
        self.state = state

    def emit(self, record):
        msg = record.getMessage()
        if msg == "Starting TLS":
            self.state["tls_start"] = time.monotonic()
        if msg.startswith("SEND: "):
            emit("send", tls=self.state["tls"], data=redact(msg[6:]), **scram_fields(msg[6:]))
        elif msg.startswith("RECV: "):
            emit("recv", tls=self.state["tls"], data=redact(msg[6:]))
        elif record.levelno >= logging.WARNING or msg.startswith("SSL:") or msg.startswith("Connection error"):
            if record.exc_info and record.exc_info[1] is not None:
                msg += ": " + repr(record.exc_info[1])
            emit("log", level=record.levelname, msg=msg)


def tls_facts(client, state):
    """What the handshake gave: version, the name checked (None: none),
    the certificate as Python's ssl module shows a verified one, and how
    long the handshake took."""
    facts = {}
    ssl_object = client.transport.get_extra_info("ssl_object") if client.transport else None
    if ssl_object is not None:
        cert = ssl_object.getpeercert() or {}
        key_type, key_bits = key_info(ssl_object.getpeercert(True) or b"")
        facts.update(key_type=key_type, key_bits=key_bits)
        facts.update(version=ssl_object.version(), cipher=(ssl_object.cipher() or ("",))[0],
                     server_hostname=ssl_object.server_hostname,
                     not_after=cert.get("notAfter", ""),
                     subject=flatten(cert.get("subject", ())), issuer=flatten(cert.get("issuer", ())),
                     dns_names=[v for k, v in cert.get("subjectAltName", ()) if k == "DNS"])
    if "tls_start" in state:
        facts["handshake_ms"] = round((time.monotonic() - state["tls_start"]) * 1000)
    return facts


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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--server", required=True, help="host:port to connect to")
    p.add_argument("--jid", required=True)
    p.add_argument("--password", default="")
    p.add_argument("--ca", required=True, help="the only CA to trust (PEM)")
    p.add_argument("--cert", help="client certificate (PEM), for EXTERNAL")
    p.add_argument("--key", help="its key (PEM)")
    p.add_argument("--timeout", type=float, default=60, help="give up after this long (a client's own login timeout)")
    args = p.parse_args()

    state = {"tls": False}
    root = logging.getLogger("slixmpp")
    root.setLevel(logging.DEBUG)
    root.addHandler(Trace(state))
    root.propagate = False

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    client = slixmpp.ClientXMPP(args.jid, args.password)
    client.ca_certs = args.ca
    if args.cert:
        client.certfile, client.keyfile = args.cert, args.key
    client.whitespace_keepalive = False
    mechs = client["feature_mechanisms"]
    result = {"ok": False}
    finished = loop.create_future()

    def finish():
        if not finished.done():
            finished.set_result(True)

    def on_tls(_):
        state["tls"] = True
        emit("tls_success", **tls_facts(client, state))
        # slixmpp fires tls_success before it installs the TLS transport:
        # what the handshake gave is printed once it has.
        loop.call_soon(lambda: emit("tls_facts", **tls_facts(client, state)))

    def on_auth_success(_):
        emit("auth_success", mechanism=mechs.mech.name if mechs.mech else "")

    def on_failed_auth(stanza):
        emit("failed_auth", mechanism=mechs.mech.name if mechs.mech else "", condition=stanza["condition"])

    def on_session_start(_):
        result["ok"] = True
        emit("session_start", jid=client.boundjid.full)
        client.send_message(mto=client.boundjid.bare, mbody="hello from the jabberd lab matrix", mtype="chat")
        emit("sent_message", to=client.boundjid.bare)
        client.disconnect(wait=2)

    def on_disconnected(reason):
        emit("disconnected", reason=str(reason or ""))
        finish()

    client.add_event_handler("tls_success", on_tls)
    client.add_event_handler("auth_success", on_auth_success)
    client.add_event_handler("failed_auth", on_failed_auth)
    client.add_event_handler("failed_all_auth", lambda _: emit("failed_all_auth"))
    client.add_event_handler("session_start", on_session_start)
    client.add_event_handler("stream_error", lambda e: emit("stream_error", condition=e["condition"], text=e["text"]))
    client.add_event_handler("connection_failed", lambda e: (emit("connection_failed", error=str(e)), finish()))
    client.add_event_handler("disconnected", on_disconnected)

    host, _, port = args.server.rpartition(":")
    emit("connect", server=args.server, jid=args.jid, certificate=bool(args.cert), slixmpp=slixmpp.__version__)
    client.connect(address=(host, int(port)))
    try:
        loop.run_until_complete(asyncio.wait_for(finished, args.timeout))
    except asyncio.TimeoutError:
        emit("gave_up", after=args.timeout)
        client.abort()
    emit("done", ok=result["ok"])
    # slixmpp leaves its filter task pending: cancel it quietly.
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in pending:
        t.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
