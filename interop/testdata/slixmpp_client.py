#!/usr/bin/python3
"""Drive slixmpp (Debian's python3-slixmpp) against jabberd for the interop tests.

Every observation is printed on stdout as one JSON object per line, so the Go
test can parse it and assert on it; slixmpp's own log goes to stderr. The
process exits 0 when the scenario completed, 1 when it did not (the JSON lines
say how far it got), 2 on bad arguments.

Scenarios:

  login      one account logs in (password or client certificate) and leaves
  chat       a receiver logs in and becomes available; then a sender logs in
             and sends the receiver's bare JID a message; the receiver
             reports what arrived
  receive    one account logs in, becomes available, prints
             {"event": "ready"}, waits for one message, reports it and leaves
             (used with go-sendxmpp)
  roster     one account logs in and fetches its roster, adds a contact with
             a name and groups (roster set), leaves; a fresh login fetches
             the roster again
  subscribe  a contact logs in and becomes available; a user logs in, becomes
             available and asks to subscribe to the contact's presence; the
             contact approves; then fresh logins of both fetch their rosters
  offline    a sender logs in, sends the (offline) receiver a message and
             leaves; the receiver logs in, becomes available and reports the
             message and its delay stamp (XEP-0203); a second login of the
             receiver checks that nothing is delivered twice
  sm         XEP-0198 with slixmpp's xep_0198: the receiver enables stream
             management (resumable) and becomes available; the sender sends
             "one"; the receiver's TCP connection is aborted without a
             close; the sender sends "two" and "three"; the receiver
             reconnects and resumes, gets what it missed, then "four" live
  carbons    XEP-0280 with slixmpp's xep_0280: two resources of the receiver
             log in, the second enables carbons; the sender writes to the
             first, which answers; the second reports both copies
  csi        XEP-0352 with slixmpp's xep_0352 (the server must make the two
             accounts contacts: chat.auto_roster): the receiver says it is
             inactive; the sender changes its presence twice and then
             writes; the receiver reports what came, in order
  blocking   XEP-0191 with slixmpp's xep_0191: the receiver blocks the
             sender, whose message is refused; then unblocks, and the next
             message arrives

"Available" is RFC 6121 section 4.2: the client sends initial presence and
waits until the server echoes it back (its own presence, from its own full
JID), as real clients do. A server routes messages to a bare JID only to
available resources (section 8.5.2), so a receiver reports {"event": "online"}
(and "ready") only after that echo. Every presence, roster result and roster
push a client gets is printed too.

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
import xml.etree.ElementTree as ET

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
    # XEP-0203: msg['delay'] on messages that come from offline storage.
    client.register_plugin("xep_0203")
    # Subscription requests are answered by the scenario, never by
    # slixmpp's defaults (auto_authorize=True approves everything and
    # auto_subscribe=True asks back).
    client.auto_authorize = None
    client.auto_subscribe = False
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

    def on_presence(pres):
        emit("presence", **presence_fields(pres, label))

    def on_roster_update(iq):
        # A roster push (type set); results are printed by fetch_roster.
        if iq["type"] == "set":
            emit("roster_push", who=label, from_jid=iq["from"].full, **roster_fields(iq))

    def on_message_error(msg):
        emit("message_error", who=label, from_jid=msg["from"].full, to=msg["to"].full,
             condition=msg["error"]["condition"], text=msg["error"]["text"])

    client.add_event_handler("presence", on_presence)
    client.add_event_handler("roster_update", on_roster_update)
    client.add_event_handler("message_error", on_message_error)
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


def end_loop(loop):
    """Close the loop; slixmpp leaves its filter tasks pending: they are
    ended quietly."""
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in pending:
        t.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()


def message_fields(msg, label):
    fields = dict(who=label, from_jid=msg["from"].full, to=msg["to"].full,
                  type=msg["type"], body=msg["body"])
    delay = msg.xml.find("{urn:xmpp:delay}delay")
    if delay is not None:
        # The attribute as sent, and what slixmpp's xep_0203 made of it.
        stamp = msg["delay"]["stamp"]
        fields.update(delay_stamp=delay.get("stamp", ""),
                      delay_parsed=stamp.isoformat() if stamp is not None else "",
                      delay_from=delay.get("from", ""),
                      delay_text=msg["delay"]["text"] or "")
    return fields


def presence_fields(pres, label):
    return dict(who=label, from_jid=pres["from"].full, to=pres["to"].full,
                type=pres["type"], priority=pres["priority"])


def roster_fields(iq):
    """The roster in an IQ as the server sent it: query is false for a
    result without <query/> (roster versioning: nothing changed)."""
    query = iq.xml.find("{jabber:iq:roster}query")
    if query is None:
        return dict(query=False, ver="", items=[])
    items = []
    for jid, item in sorted(iq["roster"]["items"].items(), key=lambda kv: str(kv[0])):
        items.append(dict(jid=str(jid), name=item.get("name") or "",
                          subscription=item.get("subscription") or "",
                          ask=item.get("ask") or "",
                          groups=sorted(item.get("groups") or [])))
    return dict(query=True, ver=query.get("ver", ""), items=items)


async def fetch_roster(client, label):
    """client.get_roster(), printed as {"event": "roster"}."""
    iq = await client.get_roster()
    emit("roster", who=label, type=iq["type"], **roster_fields(iq))
    return iq


async def go_online(client, label, timeout):
    """Send initial presence and wait for the server's echo of it: our own
    available presence from our own full JID (RFC 6121 section 4.2.2).
    Until then the server may not count the session as available."""
    echoed = asyncio.get_running_loop().create_future()

    def on_presence(pres):
        if (pres["from"].full == client.boundjid.full and pres["type"] == "available"
                and not echoed.done()):
            echoed.set_result(True)

    client.add_event_handler("presence", on_presence)
    try:
        client.send_presence()
        try:
            await asyncio.wait_for(echoed, timeout)
        except asyncio.TimeoutError:
            raise ScenarioFailed("%s: the server did not echo initial presence within %ss" % (label, timeout))
    finally:
        client.del_event_handler("presence", on_presence)
    emit("online", who=label, jid=client.boundjid.full)


async def ping_server(client, label, timeout):
    """An IQ round trip to the server: everything the server sent before
    its answer (offline messages after initial presence) has arrived."""
    iq = client.Iq()
    iq["type"] = "get"
    iq["to"] = client.boundjid.domain
    iq.xml.append(ET.Element("{urn:xmpp:ping}ping"))
    resp = await iq.send(timeout=timeout)
    emit("pong", who=label, type=resp["type"])


def when(pred):
    """A future and an event handler that completes it with the first
    stanza pred accepts."""
    fut = asyncio.get_running_loop().create_future()

    def handler(stanza):
        if not fut.done() and pred(stanza):
            fut.set_result(stanza)
    return fut, handler


async def wait(fut, timeout, what):
    try:
        return await asyncio.wait_for(fut, timeout)
    except asyncio.TimeoutError:
        raise ScenarioFailed("%s within %ss" % (what, timeout))


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
        # The receiver first, and available (its initial presence echoed),
        # so that the message to its bare JID has a session to go to.
        await start(r, r_started, args, "receiver")
        await go_online(r, "receiver", args.timeout)
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
        # Messages to the bare JID go to available resources only (RFC 6121
        # section 8.5.2): ready once the server echoed initial presence.
        await go_online(client, "receiver", args.timeout)
        emit("ready", who="receiver", jid=client.boundjid.full)
        try:
            await asyncio.wait_for(got, args.timeout)
        except asyncio.TimeoutError:
            raise ScenarioFailed("receiver: no message within %ss" % args.timeout)
    finally:
        await leave(client)


async def scenario_roster(args, loop):
    acct = Account(args.jid, args.password, mech=args.mech)
    contact = slixmpp.JID(args.contact).bare

    first, started = make_client(acct, args, loop, "first")
    try:
        await start(first, started, args, "first")
        await fetch_roster(first, "first")
        # The server pushes the new item to every session that fetched the
        # roster, this one included, before it answers the set.
        pushed, on_push = when(lambda iq: iq["type"] == "set" and contact in
                               {str(j) for j in iq["roster"]["items"]})
        first.add_event_handler("roster_update", on_push)
        resp = await first.update_roster(contact, name=args.name, groups=args.group)
        emit("roster_set", who="first", type=resp["type"], jid=contact)
        await wait(pushed, args.timeout, "first: no roster push for %s" % contact)
    finally:
        await leave(first)

    second, started = make_client(acct, args, loop, "second")
    try:
        await start(second, started, args, "second")
        await fetch_roster(second, "second")
    finally:
        await leave(second)


def roster_view(client, label, contact):
    """The contact's item in slixmpp's roster: what the client made of the
    results and pushes it got."""
    item = client.client_roster[contact]
    emit("roster_view", who=label, jid=contact, subscription=item["subscription"],
         ask="subscribe" if item["pending_out"] else "",
         name=item["name"] or "", groups=sorted(item["groups"] or []))


async def scenario_subscribe(args, loop):
    user = Account(args.user, args.user_password, mech=args.user_mech)
    contact = Account(args.contact, args.contact_password, mech=args.contact_mech)
    user_bare = slixmpp.JID(user.jid).bare
    contact_bare = slixmpp.JID(contact.jid).bare
    u, u_started = make_client(user, args, loop, "user")
    c, c_started = make_client(contact, args, loop, "contact")

    # What each side waits for.
    request, on_request = when(lambda p: p["type"] == "subscribe" and p["from"].bare == user_bare)
    c.add_event_handler("presence", on_request)
    c_push, on_c_push = when(lambda iq: iq["type"] == "set" and any(
        str(j) == user_bare and it["subscription"] == "from" for j, it in iq["roster"]["items"].items()))
    c.add_event_handler("roster_update", on_c_push)
    subscribed, on_subscribed = when(lambda p: p["type"] == "subscribed" and p["from"].bare == contact_bare)
    u.add_event_handler("presence", on_subscribed)
    contact_available, on_available = when(lambda p: p["type"] == "available" and
                                           p["from"].bare == contact_bare and p["from"].resource)
    u.add_event_handler("presence", on_available)
    u_push, on_u_push = when(lambda iq: iq["type"] == "set" and any(
        str(j) == contact_bare and it["subscription"] == "to" for j, it in iq["roster"]["items"].items()))
    u.add_event_handler("roster_update", on_u_push)

    try:
        # As a client starts: the roster (so roster pushes come), then
        # initial presence.
        await start(c, c_started, args, "contact")
        await fetch_roster(c, "contact")
        await go_online(c, "contact", args.timeout)
        await start(u, u_started, args, "user")
        await fetch_roster(u, "user")
        await go_online(u, "user", args.timeout)

        u.send_presence_subscription(pto=contact_bare)
        emit("sent_presence", who="user", to=contact_bare, type="subscribe")
        await wait(request, args.timeout, "contact: no subscription request from %s" % user_bare)
        c.send_presence(pto=user_bare, ptype="subscribed")
        emit("sent_presence", who="contact", to=user_bare, type="subscribed")

        await wait(c_push, args.timeout, "contact: no roster push with subscription 'from'")
        await wait(u_push, args.timeout, "user: no roster push with subscription 'to'")
        await wait(subscribed, args.timeout, "user: no 'subscribed' from %s" % contact_bare)
        await wait(contact_available, args.timeout, "user: no presence from %s's resource" % contact_bare)
        roster_view(u, "user", contact_bare)
        roster_view(c, "contact", user_bare)
    finally:
        await leave(u, c)

    # What the server stored: a fresh login of each fetches the roster.
    u2, u2_started = make_client(user, args, loop, "user_again")
    c2, c2_started = make_client(contact, args, loop, "contact_again")
    try:
        await asyncio.gather(start(u2, u2_started, args, "user_again"),
                             start(c2, c2_started, args, "contact_again"))
        await asyncio.gather(fetch_roster(u2, "user_again"), fetch_roster(c2, "contact_again"))
    finally:
        await leave(u2, c2)


async def scenario_offline(args, loop):
    sender = Account(args.sender, args.sender_password, mech=args.sender_mech)
    receiver = Account(args.receiver, args.receiver_password, mech=args.receiver_mech)
    to = slixmpp.JID(receiver.jid).bare

    s, s_started = make_client(sender, args, loop, "sender")
    s.add_event_handler("message", lambda msg: emit("message", **message_fields(msg, "sender")))
    try:
        await start(s, s_started, args, "sender")
        s.send_message(mto=to, mbody=args.body, mtype="chat")
        emit("sent", who="sender", to=to, body=args.body, from_jid=s.boundjid.full)
    finally:
        # The server routes the message before it reads </stream:stream>.
        await leave(s)

    r, r_started = make_client(receiver, args, loop, "receiver")
    got, on_got = when(lambda msg: msg["body"] == args.body)
    r.add_event_handler("message", lambda msg: emit("message", **message_fields(msg, "receiver")))
    r.add_event_handler("message", on_got)
    try:
        await start(r, r_started, args, "receiver")
        # The handler is in place before the presence that releases the
        # stored messages.
        await go_online(r, "receiver", args.timeout)
        await wait(got, args.timeout, "receiver: no message with the body %r" % args.body)
        await ping_server(r, "receiver", args.timeout)
    finally:
        await leave(r)

    # Delivered means taken out of storage: the next login gets nothing.
    # Offline messages follow the presence echo, and the ping's answer
    # follows them.
    again, again_started = make_client(receiver, args, loop, "receiver_again")
    again.add_event_handler("message", lambda msg: emit("message", **message_fields(msg, "receiver_again")))
    try:
        await start(again, again_started, args, "receiver_again")
        await go_online(again, "receiver_again", args.timeout)
        await ping_server(again, "receiver_again", args.timeout)
    finally:
        await leave(again)


async def scenario_sm(args, loop):
    sender = Account(args.sender, args.sender_password, mech=args.sender_mech)
    receiver = Account(args.receiver, args.receiver_password, mech=args.receiver_mech)
    to = slixmpp.JID(receiver.jid).bare

    r, r_started = make_client(receiver, args, loop, "receiver")
    r.register_plugin("xep_0198", {"window": 1})
    sm = r["xep_0198"]
    enabled = loop.create_future()
    bodies = {}
    arrived = asyncio.Queue()

    def on_enabled(stanza):
        emit("sm_enabled", who="receiver", text=stanza.xml.get("id", ""), type=stanza.xml.get("resume", ""))
        if not enabled.done():
            enabled.set_result(True)

    def on_message(msg):
        emit("message", **message_fields(msg, "receiver"))
        arrived.put_nowait(msg["body"])

    resumed = loop.create_future()

    def on_resumed(stanza):
        emit("sm_resumed", who="receiver", text=stanza.xml.get("previd", ""), body=stanza.xml.get("h", ""))
        if not resumed.done():
            resumed.set_result(True)

    r.add_event_handler("sm_enabled", on_enabled)
    r.add_event_handler("session_resumed", on_resumed)
    r.add_event_handler("sm_failed", lambda st: emit("sm_failed", who="receiver"))
    r.add_event_handler("message", on_message)

    async def expect(body):
        got = await wait(arrived.get(), args.timeout, "receiver: no message %r" % body)
        if got != body:
            raise ScenarioFailed("receiver: got %r, want %r" % (got, body))

    s, s_started = make_client(sender, args, loop, "sender")
    try:
        await start(r, r_started, args, "receiver")
        await wait(enabled, args.timeout, "receiver: stream management was not enabled")
        await go_online(r, "receiver", args.timeout)
        await start(s, s_started, args, "sender")
        s.send_message(mto=to, mbody="one", mtype="chat")
        await expect("one")
        # Acknowledged: slixmpp answers the server's <r/> as it reads.
        await asyncio.sleep(0.2)
        emit("dropped", who="receiver", body=str(sm.handled))
        r.transport.abort()  # no </stream:stream>, no close_notify
        for body in ("two", "three"):
            s.send_message(mto=to, mbody=body, mtype="chat")
        await ping_server(s, "sender", args.timeout)
        await asyncio.sleep(0.2)
        connect(r, args)
        await wait(resumed, args.timeout, "receiver: the session was not resumed")
        await expect("two")
        await expect("three")
        s.send_message(mto=to, mbody="four", mtype="chat")
        await expect("four")
        await ping_server(r, "receiver", args.timeout)
        if not arrived.empty():
            raise ScenarioFailed("receiver: more messages than sent")
    finally:
        await leave(s, r)


async def scenario_carbons(args, loop):
    sender = Account(args.sender, args.sender_password, mech=args.sender_mech)
    one = Account(args.receiver + "/one", args.receiver_password, mech=args.receiver_mech)
    two = Account(args.receiver + "/two", args.receiver_password, mech=args.receiver_mech)
    s, s_started = make_client(sender, args, loop, "sender")
    r1, r1_started = make_client(one, args, loop, "one")
    r2, r2_started = make_client(two, args, loop, "two")
    r2.register_plugin("xep_0280")
    got1, on1 = when(lambda msg: msg["body"] == "hello one")
    got_s, on_s = when(lambda msg: msg["body"] == "reply")
    rec, on_rec = when(lambda msg: True)
    sent, on_sent = when(lambda msg: True)
    r1.add_event_handler("message", lambda msg: emit("message", **message_fields(msg, "one")))
    r1.add_event_handler("message", on1)
    s.add_event_handler("message", on_s)
    r2.add_event_handler("message", lambda msg: emit("message", **message_fields(msg, "two")))

    def carbon(kind, fut):
        def handler(msg):
            inner = msg["carbon_received" if kind == "received" else "carbon_sent"]
            emit("carbon_" + kind, who="two", from_jid=inner["from"].full, to=inner["to"].full,
                 body=inner["body"], type=inner["type"])
            if not fut.done():
                fut.set_result(msg)
        return handler
    r2.add_event_handler("carbon_received", carbon("received", rec))
    r2.add_event_handler("carbon_sent", carbon("sent", sent))
    try:
        await start(r1, r1_started, args, "one")
        await start(r2, r2_started, args, "two")
        await r2["xep_0280"].enable(timeout=args.timeout)
        emit("carbons_enabled", who="two")
        await go_online(r1, "one", args.timeout)
        await go_online(r2, "two", args.timeout)
        await start(s, s_started, args, "sender")
        s.send_message(mto=r1.boundjid.full, mbody="hello one", mtype="chat")
        await wait(got1, args.timeout, "one: no message")
        await wait(rec, args.timeout, "two: no received carbon")
        r1.send_message(mto=s.boundjid.full, mbody="reply", mtype="chat")
        await wait(got_s, args.timeout, "sender: no reply")
        await wait(sent, args.timeout, "two: no sent carbon")
        await ping_server(r2, "two", args.timeout)
    finally:
        await leave(s, r1, r2)


async def scenario_csi(args, loop):
    sender = Account(args.sender, args.sender_password, mech=args.sender_mech)
    receiver = Account(args.receiver, args.receiver_password, mech=args.receiver_mech)
    s, s_started = make_client(sender, args, loop, "sender")
    r, r_started = make_client(receiver, args, loop, "receiver")
    r.register_plugin("xep_0352")
    csi = loop.create_future()
    r.add_event_handler("csi_enabled", lambda f: csi.done() or csi.set_result(True))
    got, on_got = when(lambda msg: msg["body"] == "wake")
    r.add_event_handler("message", lambda msg: emit("message", **message_fields(msg, "receiver")))
    r.add_event_handler("message", on_got)
    try:
        await start(r, r_started, args, "receiver")
        await wait(csi, args.timeout, "receiver: no csi stream feature")
        await go_online(r, "receiver", args.timeout)
        seen, on_seen = when(lambda p: p["from"].bare == slixmpp.JID(sender.jid).bare)
        r.add_event_handler("presence", on_seen)
        await start(s, s_started, args, "sender")
        await go_online(s, "sender", args.timeout)
        await wait(seen, args.timeout, "receiver: the sender's presence did not come")
        r["xep_0352"].send_inactive()
        await ping_server(r, "receiver", args.timeout)
        emit("inactive", who="receiver")
        s.send_presence(pshow="away")
        s.send_presence(pshow="dnd")
        await ping_server(s, "sender", args.timeout)
        s.send_message(mto=r.boundjid.full, mbody="wake", mtype="chat")
        await wait(got, args.timeout, "receiver: no message")
        r["xep_0352"].send_active()
        await ping_server(r, "receiver", args.timeout)
    finally:
        await leave(s, r)


async def scenario_blocking(args, loop):
    sender = Account(args.sender, args.sender_password, mech=args.sender_mech)
    receiver = Account(args.receiver, args.receiver_password, mech=args.receiver_mech)
    s, s_started = make_client(sender, args, loop, "sender")
    r, r_started = make_client(receiver, args, loop, "receiver")
    r.register_plugin("xep_0191")
    bare = slixmpp.JID(sender.jid).bare
    refused, on_refused = when(lambda msg: True)
    s.add_event_handler("message_error", on_refused)
    got, on_got = when(lambda msg: msg["body"] == "after")
    r.add_event_handler("message", lambda msg: emit("message", **message_fields(msg, "receiver")))
    r.add_event_handler("message", on_got)
    pushed, on_pushed = when(lambda iq: True)
    r.add_event_handler("blocked", on_pushed)

    async def blocklist(label):
        iq = await r["xep_0191"].get_blocked(timeout=args.timeout)
        emit("blocklist", who="receiver", text=label,
             items=[dict(jid=str(j)) for j in sorted(iq["blocklist"]["items"], key=str)])

    try:
        await start(r, r_started, args, "receiver")
        await blocklist("before")
        await r["xep_0191"].block([bare], timeout=args.timeout)
        await wait(pushed, args.timeout, "receiver: no block push")
        emit("block_pushed", who="receiver")
        await blocklist("blocked")
        await start(s, s_started, args, "sender")
        s.send_message(mto=r.boundjid.full, mbody="before", mtype="chat")
        err = await wait(refused, args.timeout, "sender: the blocked message was not refused")
        emit("refused", who="sender", condition=err["error"]["condition"])
        await r["xep_0191"].unblock([bare], timeout=args.timeout)
        await blocklist("unblocked")
        s.send_message(mto=r.boundjid.full, mbody="after", mtype="chat")
        await wait(got, args.timeout, "receiver: no message after unblocking")
    finally:
        await leave(s, r)


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
    roster = sub.add_parser("roster")
    roster.add_argument("--jid", required=True)
    roster.add_argument("--password", required=True)
    roster.add_argument("--mech")
    roster.add_argument("--contact", required=True, help="bare JID to add")
    roster.add_argument("--name", required=True, help="the contact's name in the roster")
    roster.add_argument("--group", action="append", default=[], help="a roster group (repeatable)")
    subscribe = sub.add_parser("subscribe")
    subscribe.add_argument("--user", required=True, help="asks to see the contact's presence")
    subscribe.add_argument("--user-password", required=True)
    subscribe.add_argument("--contact", required=True, help="approves the request")
    subscribe.add_argument("--contact-password", required=True)
    subscribe.add_argument("--user-mech")
    subscribe.add_argument("--contact-mech")
    offline = sub.add_parser("offline")
    offline.add_argument("--sender", required=True)
    offline.add_argument("--sender-password", required=True)
    offline.add_argument("--receiver", required=True)
    offline.add_argument("--receiver-password", required=True)
    offline.add_argument("--sender-mech")
    offline.add_argument("--receiver-mech")
    offline.add_argument("--body", required=True)
    smp = sub.add_parser("sm")
    smp.add_argument("--sender", required=True)
    smp.add_argument("--sender-password", required=True)
    smp.add_argument("--receiver", required=True)
    smp.add_argument("--receiver-password", required=True)
    smp.add_argument("--sender-mech")
    smp.add_argument("--receiver-mech")
    cp = sub.add_parser("carbons")
    cp.add_argument("--sender", required=True)
    cp.add_argument("--sender-password", required=True)
    cp.add_argument("--receiver", required=True)
    cp.add_argument("--receiver-password", required=True)
    cp.add_argument("--sender-mech")
    cp.add_argument("--receiver-mech")
    cs = sub.add_parser("csi")
    cs.add_argument("--sender", required=True)
    cs.add_argument("--sender-password", required=True)
    cs.add_argument("--receiver", required=True)
    cs.add_argument("--receiver-password", required=True)
    cs.add_argument("--sender-mech")
    cs.add_argument("--receiver-mech")
    bp = sub.add_parser("blocking")
    bp.add_argument("--sender", required=True)
    bp.add_argument("--sender-password", required=True)
    bp.add_argument("--receiver", required=True)
    bp.add_argument("--receiver-password", required=True)
    bp.add_argument("--sender-mech")
    bp.add_argument("--receiver-mech")
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
    run = {"login": scenario_login, "chat": scenario_chat, "receive": scenario_receive,
           "roster": scenario_roster, "subscribe": scenario_subscribe,
           "offline": scenario_offline, "sm": scenario_sm,
           "carbons": scenario_carbons, "csi": scenario_csi,
           "blocking": scenario_blocking}[args.scenario]
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
        end_loop(loop)
    emit("done", scenario=args.scenario)
    return 0


if __name__ == "__main__":
    sys.exit(main())
