#!/usr/bin/python3
"""Drive python3-irc (Debian's package, the "irc" library) against jabberd's
IRC listener for the interop tests.

Every observation is printed on stdout as one JSON object per line, so the Go
test can parse it and assert on it; the library's own log goes to stderr. The
process exits 0 when the scenario completed, 1 when it did not (the JSON lines
say how far it got), 2 on bad arguments.

The library (8.5.3 in Debian 12) has neither STARTTLS nor SASL, so each
connection goes through a connect_factory that does what a STARTTLS client
does before registering, on the plain socket: CAP LS 302 (it must list tls),
STARTTLS, wait for 670 (691 fails the run), the TLS handshake with the lab
CA as the only trust anchor and the server name checked, then over TLS
optionally SASL EXTERNAL (CAP REQ sasl, AUTHENTICATE EXTERNAL, AUTHENTICATE
+, 903) and CAP END. From there the library registers (NICK, USER), joins,
sends and receives as it always does, over the upgraded socket.

Scenario "chat": the receiver connects, joins the channel and waits; the
sender connects, joins, and sends one message to the channel and one to the
receiver's nick; the receiver reports both, then both quit.
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


class Failed(Exception):
    pass


def read_line(sock):
    """One line from the plain socket, byte by byte: nothing past the line
    may be consumed, since after 670 the next bytes belong to TLS."""
    buf = b""
    while not buf.endswith(b"\r\n"):
        b = sock.recv(1)
        if not b:
            raise Failed("the server closed the connection; read so far: %r" % buf)
        buf += b
    return buf[:-2].decode("utf-8", "replace")


def expect(sock, who, want_numerics):
    """Read lines until one carries a numeric (or command) of want_numerics
    as its second word (":server 670 …", "AUTHENTICATE +")."""
    while True:
        line = read_line(sock)
        emit("line", who=who, line=line)
        parts = line.split(" ")
        if len(parts) > 1 and parts[1] in want_numerics:
            return parts[1], line


def expect_cap(sock, who, sub):
    """Read CAP lines until one with subcommand sub (LS, ACK …): after
    STARTTLS, cap-notify's CAP DEL and CAP NEW may come first."""
    while True:
        _, line = expect(sock, who, {"CAP"})
        parts = line.split(" ")
        if len(parts) > 3 and parts[3] in sub:
            return line


def starttls_factory(args, who, cert=None, key=None):
    def connect(address):
        sock = socket.create_connection(address, timeout=args.timeout)
        sock.sendall(b"CAP LS 302\r\n")
        _, line = expect(sock, who, {"CAP"})
        caps = line.split(" :", 1)[1].split() if " :" in line else []
        emit("cap_ls", who=who, caps=caps)
        if "tls" not in caps:
            raise Failed("the server does not list the tls capability: %r" % line)
        sock.sendall(b"STARTTLS\r\n")
        code, line = expect(sock, who, {"670", "691"})
        if code != "670":
            raise Failed("STARTTLS refused: %r" % line)
        ctx = ssl.create_default_context(cafile=args.ca)
        ctx.check_hostname = True
        if cert:
            ctx.load_cert_chain(cert, key)
        tls = ctx.wrap_socket(sock, server_hostname="localhost")
        emit("tls", who=who, version=tls.version(), cipher=tls.cipher()[0])
        if cert:
            # Over TLS the capability list changes: sasl is on offer now.
            tls.sendall(b"CAP LS 302\r\nCAP REQ :sasl\r\n")
            line = expect_cap(tls, who, {"LS"})
            emit("cap_ls_tls", who=who, caps=line.split(" :", 1)[1].split())
            line = expect_cap(tls, who, {"ACK", "NAK"})
            if " ACK " not in line:
                raise Failed("CAP REQ sasl not acknowledged: %r" % line)
            tls.sendall(b"AUTHENTICATE EXTERNAL\r\n")
            expect(tls, who, {"+"})  # AUTHENTICATE +
            tls.sendall(b"AUTHENTICATE +\r\n")
            code, line = expect(tls, who, {"903", "904", "905", "906", "907"})
            emit("sasl", who=who, numeric=code, line=line)
            if code != "903":
                raise Failed("SASL EXTERNAL failed: %r" % line)
        tls.sendall(b"CAP END\r\n")
        tls.settimeout(None)  # the library's reactor select()s on it
        return tls
    return connect


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--server", required=True, help="host:port of the IRC listener")
    p.add_argument("--ca", required=True, help="the lab CA (PEM)")
    p.add_argument("--timeout", type=float, default=20)
    sub = p.add_subparsers(dest="scenario", required=True)
    chat = sub.add_parser("chat")
    chat.add_argument("--channel", default="#lab")
    chat.add_argument("--sender", default="bob")
    chat.add_argument("--receiver", default="alice")
    chat.add_argument("--receiver-cert")
    chat.add_argument("--receiver-key")
    chat.add_argument("--body", required=True)
    args = p.parse_args()
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    host, _, port = args.server.rpartition(":")
    port = int(port)

    reactor = irc.client.IRC()
    got = {"pubmsg": None, "privmsg": None}
    state = {"sender": None}

    def on_welcome(conn, e):
        who = "receiver" if conn is receiver else "sender"
        emit("welcome", who=who, nick=e.target)
        conn.join(args.channel)

    def on_join(conn, e):
        who = "receiver" if conn is receiver else "sender"
        emit("join", who=who, nick=e.source.nick, channel=e.target)
        if conn is receiver and e.source.nick == args.receiver and state["sender"] is None:
            emit("ready", who=who)
            s = reactor.server()
            state["sender"] = s
            s.connect(host, port, args.sender, connect_factory=starttls_factory(args, "sender"))
        elif conn is state["sender"] and e.source.nick == args.sender:
            conn.privmsg(args.channel, args.body)
            conn.privmsg(args.receiver, "private: " + args.body)

    def on_message(kind):
        def handler(conn, e):
            who = "receiver" if conn is receiver else "sender"
            emit(kind, who=who, source=str(e.source), target=e.target, text=e.arguments[0])
            if conn is receiver:
                got[kind] = e.arguments[0]
        return handler

    def on_notice(conn, e):
        who = "receiver" if conn is receiver else "sender"
        emit("notice", who=who, source=str(e.source), text=e.arguments[0])

    reactor.add_global_handler("welcome", on_welcome)
    reactor.add_global_handler("join", on_join)
    reactor.add_global_handler("pubmsg", on_message("pubmsg"))
    reactor.add_global_handler("privmsg", on_message("privmsg"))
    reactor.add_global_handler("privnotice", on_notice)

    receiver = reactor.server()
    try:
        receiver.connect(host, port, args.receiver,
                         connect_factory=starttls_factory(args, "receiver", args.receiver_cert, args.receiver_key))
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline and None in got.values():
            reactor.process_once(0.1)
    except (Failed, irc.client.ServerConnectionError, OSError) as e:
        emit("error", error=str(e))
        return 1
    if None in got.values():
        emit("timeout", got=got)
        return 1
    for conn in (state["sender"], receiver):
        conn.quit("done")
    emit("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
