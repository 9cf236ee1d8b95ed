#!/usr/bin/python3
"""Drive slixmpp (Debian's python3-slixmpp) against jabberd for the interop tests.

Every observation is printed on stdout as one JSON object per line, so the Go
test can parse it and assert on it; slixmpp's own log goes to stderr. The
process exits 0 when the scenario completed, 1 when it did not (the JSON lines
say how far it got), 2 on bad arguments.

Scenarios:

  login    one account logs in (password or client certificate) and leaves
  chat     a sender and a receiver log in; the sender sends the receiver's
           bare JID a message; the receiver reports what arrived
  receive  one account logs in, prints {"event": "ready"}, waits for one
           message, reports it and leaves (used with go-sendxmpp)

An account is given as --jid JID with either --password PW or --cert/--key
(then no password is given to slixmpp at all, so only EXTERNAL can work), and
optionally --mech NAME to force one SASL mechanism (slixmpp's sasl_mech).

--no-channel-binding hides the TLS channel-binding data from slixmpp's SASL
layer. slixmpp 1.8.3 otherwise sends the GS2 flag 'y' ("I could bind, I think
the server cannot") with a forced non-PLUS SCRAM mechanism, which a server
that advertised -PLUS must refuse as a downgrade (RFC 5802 section 6).
"""

import argparse
import asyncio
import json
import logging
import sys

import slixmpp


def emit(event, **fields):
    fields["event"] = event
    print(json.dumps(fields, sort_keys=True), flush=True)


class Account:
    def __init__(self, jid, password=None, cert=None, key=None, mech=None):
        self.jid = jid
        self.password = password
        self.cert = cert
        self.key = key
        self.mech = mech


def make_client(acct, args, loop, label):
    """A ClientXMPP for acct that trusts only the lab CA, with events wired
    to JSON lines. Returns (client, session_started future)."""
    # No password for certificate login: EXTERNAL is then the only mechanism
    # slixmpp can choose, so a silent fallback to a password is impossible.
    password = acct.password if acct.password is not None else ""
    client = slixmpp.ClientXMPP(acct.jid, password, sasl_mech=acct.mech)
    client.ca_certs = args.ca
    if acct.cert:
        client.certfile = acct.cert
        client.keyfile = acct.key
    client.whitespace_keepalive = False
    mechs = client["feature_mechanisms"]
    if args.no_channel_binding:
        default_creds = mechs.sasl_callback

        def creds(required, optional):
            result = default_creds(required, optional)
            if "channel_binding" in result:
                result["channel_binding"] = None
            return result

        mechs.sasl_callback = creds

    started = loop.create_future()

    def settle(ok, why=""):
        if not started.done():
            started.set_result((ok, why))

    def on_tls(_event):
        emit("tls", who=label, jid=acct.jid)

    def on_auth_success(_stanza):
        emit("authenticated", who=label, jid=acct.jid, mechanism=mechs.mech.name if mechs.mech else "")

    def on_failed_auth(stanza):
        emit("auth_failed", who=label, jid=acct.jid,
             mechanism=mechs.mech.name if mechs.mech else "",
             condition=stanza["condition"], text=stanza["text"])

    def on_failed_all_auth(_event):
        emit("auth_exhausted", who=label, jid=acct.jid)
        settle(False, "no SASL mechanism succeeded")

    def on_session_start(_event):
        emit("session", who=label, jid=client.boundjid.full)
        settle(True)

    def on_invalid_chain(err):
        emit("tls_invalid_chain", who=label, jid=acct.jid, error=str(err))
        settle(False, "server certificate did not verify: %s" % err)

    def on_stream_error(err):
        emit("stream_error", who=label, jid=acct.jid,
             condition=err["condition"], text=err["text"])

    def on_disconnected(reason):
        emit("disconnected", who=label, jid=acct.jid, reason=str(reason or ""))
        settle(False, "disconnected before the session started: %s" % (reason or ""))

    def on_connection_failed(err):
        emit("connection_failed", who=label, jid=acct.jid, error=str(err))
        settle(False, "connection failed: %s" % err)

    client.add_event_handler("tls_success", on_tls)
    client.add_event_handler("auth_success", on_auth_success)
    client.add_event_handler("failed_auth", on_failed_auth)
    client.add_event_handler("failed_all_auth", on_failed_all_auth)
    client.add_event_handler("session_start", on_session_start)
    client.add_event_handler("ssl_invalid_chain", on_invalid_chain)
    client.add_event_handler("stream_error", on_stream_error)
    client.add_event_handler("disconnected", on_disconnected)
    client.add_event_handler("connection_failed", on_connection_failed)
    return client, started


def connect(client, args):
    host, _, port = args.server.rpartition(":")
    # An explicit address: no SRV lookup; the XMPP domain (the JID's) stays
    # what the stream header and the certificate check use.
    client.connect(address=(host, int(port)))


async def leave(*clients):
    """Close each stream (</stream:stream>) and wait for the server's close;
    slixmpp aborts the connection itself after `wait` seconds."""
    await asyncio.gather(*(c.disconnect(wait=5) for c in clients))


def message_fields(msg, label):
    return dict(who=label, from_jid=msg["from"].full, to=msg["to"].full,
                type=msg["type"], body=msg["body"])


async def start(client, started, args, label):
    connect(client, args)
    ok, why = await asyncio.wait_for(started, args.timeout)
    if not ok:
        raise ScenarioFailed("%s: %s" % (label, why))


class ScenarioFailed(Exception):
    pass


async def scenario_login(args, loop):
    acct = Account(args.jid, args.password, args.cert, args.key, args.mech)
    client, started = make_client(acct, args, loop, "login")
    try:
        await start(client, started, args, "login")
    finally:
        await leave(client)


async def scenario_chat(args, loop):
    sender = Account(args.sender, args.sender_password, mech=args.sender_mech)
    receiver = Account(args.receiver, args.receiver_password, mech=args.receiver_mech)
    s, s_started = make_client(sender, args, loop, "sender")
    r, r_started = make_client(receiver, args, loop, "receiver")
    got = loop.create_future()

    def on_message(msg):
        emit("message", **message_fields(msg, "receiver"))
        if msg["body"] == args.body and not got.done():
            got.set_result(True)

    def on_sender_message(msg):
        # An error bounced back (service-unavailable and the like).
        emit("message", **message_fields(msg, "sender"))

    r.add_event_handler("message", on_message)
    s.add_event_handler("message", on_sender_message)
    try:
        # The receiver first, so that the message has a session to go to.
        await start(r, r_started, args, "receiver")
        await start(s, s_started, args, "sender")
        to = slixmpp.JID(receiver.jid).bare
        s.send_message(mto=to, mbody=args.body, mtype="chat")
        emit("sent", who="sender", to=to, body=args.body)
        try:
            await asyncio.wait_for(got, args.timeout)
        except asyncio.TimeoutError:
            raise ScenarioFailed("receiver: no message with the body %r within %ss" % (args.body, args.timeout))
    finally:
        await leave(s, r)


async def scenario_receive(args, loop):
    acct = Account(args.jid, args.password, args.cert, args.key, args.mech)
    client, started = make_client(acct, args, loop, "receiver")
    got = loop.create_future()

    def on_message(msg):
        emit("message", **message_fields(msg, "receiver"))
        if not got.done():
            got.set_result(True)

    client.add_event_handler("message", on_message)
    try:
        await start(client, started, args, "receiver")
        # Presence is not needed for routing to a bound session, but a real
        # client sends it; jabberd must not mind.
        client.send_presence()
        emit("ready", who="receiver", jid=client.boundjid.full)
        try:
            await asyncio.wait_for(got, args.timeout)
        except asyncio.TimeoutError:
            raise ScenarioFailed("receiver: no message within %ss" % args.timeout)
    finally:
        await leave(client)


def account_args(p):
    p.add_argument("--jid", required=True)
    p.add_argument("--password")
    p.add_argument("--cert", help="client certificate (PEM); use with --key and no --password")
    p.add_argument("--key")
    p.add_argument("--mech", help="force this SASL mechanism")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True, help="HOST:PORT of the STARTTLS listener")
    ap.add_argument("--ca", required=True, help="CA file the server certificate must chain to")
    ap.add_argument("--timeout", type=float, default=20, help="seconds for each wait")
    ap.add_argument("--no-channel-binding", action="store_true")
    ap.add_argument("--debug", action="store_true", help="slixmpp debug log on stderr")
    sub = ap.add_subparsers(dest="scenario", required=True)
    account_args(sub.add_parser("login"))
    account_args(sub.add_parser("receive"))
    chat = sub.add_parser("chat")
    chat.add_argument("--sender", required=True)
    chat.add_argument("--sender-password", required=True)
    chat.add_argument("--sender-mech")
    chat.add_argument("--receiver", required=True)
    chat.add_argument("--receiver-password", required=True)
    chat.add_argument("--receiver-mech")
    chat.add_argument("--body", required=True)
    args = ap.parse_args()
    if args.scenario in ("login", "receive"):
        if bool(args.cert) != bool(args.key):
            ap.error("--cert and --key go together")
        if args.cert and args.password is not None:
            ap.error("--cert/--key and --password exclude each other: certificate login gets no password")
        if not args.cert and args.password is None:
            ap.error("give --password or --cert/--key")

    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if args.debug else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    run = {"login": scenario_login, "chat": scenario_chat, "receive": scenario_receive}[args.scenario]
    emit("start", scenario=args.scenario, slixmpp=slixmpp.__version__)
    try:
        loop.run_until_complete(run(args, loop))
    except ScenarioFailed as e:
        emit("failed", error=str(e))
        return 1
    except asyncio.TimeoutError:
        emit("failed", error="timed out after %ss" % args.timeout)
        return 1
    finally:
        # slixmpp leaves its filter tasks pending; end them quietly.
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for t in pending:
            t.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()
    emit("done", scenario=args.scenario)
    return 0


if __name__ == "__main__":
    sys.exit(main())
