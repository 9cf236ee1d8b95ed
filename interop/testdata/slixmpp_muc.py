#!/usr/bin/python3
"""Drive slixmpp's xep_0045 (Debian's python3-slixmpp) against jabberd's
multi-user chat, with three occupants in one process.

alice creates the room and joins; bob and carol join; bob sends a groupchat
message that all three receive; alice sets the subject, which all see; carol
sends bob a private message through the room; alice kicks carol with a
reason; bob sees carol leave with status 307. Every observation is printed
on stdout as one JSON object per line; the process exits 0 when the scenario
completed, 1 when it did not.

Usage: slixmpp_muc.py --host H --port P --ca CAFILE --room ROOM
           --user JID PASSWORD --user JID PASSWORD --user JID PASSWORD

With --scenario persist, alice alone creates the room, makes it persistent
through the configuration form (slixmpp's get_room_config and
set_room_config), sets the subject, says something and leaves; with
--scenario rejoin (after a server restart), bob joins the room and reports
its subject, the history slixmpp handed back from the join, and the room's
configuration as disco#info shows it. With --scenario multisession, the
first two users are two resources of one account that both join as Alice.
"""

import argparse
import asyncio
import json
import logging
import sys

import slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import StanzaPath

TIMEOUT = 20


def out(**kw):
    print(json.dumps(kw), flush=True)


class Client(slixmpp.ClientXMPP):
    def __init__(self, jid, password, name):
        super().__init__(jid, password, sasl_mech="PLAIN")
        self.name = name
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0045")
        self.register_plugin("xep_0199")
        self.register_plugin("xep_0004")
        self.register_plugin("xep_0077")
        self.register_plugin("xep_0059")
        self.register_plugin("xep_0313")
        self.register_plugin("xep_0359")
        self.online = asyncio.get_event_loop().create_future()
        self.add_event_handler("session_start", self._started)
        self.queue = asyncio.Queue()
        for ev in ("groupchat_message", "groupchat_subject", "groupchat_presence", "message"):
            self.add_event_handler(ev, self._queue(ev))
        # Every unavailable presence as it arrives, before xep_0045 or the
        # roster decide whether to pass it on.
        self.register_handler(Callback("unavailable", StanzaPath("presence@type=unavailable"), self._queue("raw_unavailable")))
        # Likewise every message with a data form (a voice request).
        self.register_handler(Callback("form", StanzaPath("message/form"), self._queue("raw_form")))

    def _queue(self, ev):
        def put(stanza):
            self.queue.put_nowait((ev, stanza))
        return put

    async def _started(self, _):
        self.send_presence()
        await self.get_roster()
        if not self.online.done():
            self.online.set_result(True)

    async def wait_for(self, what, pred):
        while True:
            ev, st = await asyncio.wait_for(self.queue.get(), TIMEOUT)
            if ev == what and pred(st):
                return st


def codes(pr):
    return sorted(int(c) for c in pr["muc"]["status_codes"])


async def connect(args):
    clients = []
    for (jid, pw), name in zip(args.user, ("alice", "bob", "carol")):
        c = Client(jid, pw, name)
        c.ca_certs = args.ca
        c.connect((args.host, args.port))
        clients.append(c)
    await asyncio.wait_for(asyncio.gather(*(c.online for c in clients)), TIMEOUT)
    return clients


async def persist(args):
    clients = await connect(args)
    alice = clients[0]
    room = slixmpp.JID(args.room)
    pres, _, _, _ = await alice["xep_0045"].join_muc_wait(room, "Alice", timeout=TIMEOUT)
    out(event="joined", who="alice", codes=codes(pres))
    form = await alice["xep_0045"].get_room_config(room, timeout=TIMEOUT)
    out(event="form", fields=sorted(form.get_fields().keys()))
    form["type"] = "submit"
    form.set_values({"muc#roomconfig_persistentroom": True, "muc#roomconfig_roomname": "Kept room"})
    await alice["xep_0045"].set_room_config(room, form, timeout=TIMEOUT)
    out(event="configured")
    alice["xep_0045"].set_subject(room, "Survives restarts")
    await alice.wait_for("groupchat_subject", lambda m: m["subject"] == "Survives restarts")
    alice.send_message(mto=room, mbody="said before the restart", mtype="groupchat")
    await alice.wait_for("groupchat_message", lambda m: m["body"] == "said before the restart")
    alice["xep_0045"].leave_muc(room, "Alice")
    await asyncio.sleep(0.2)
    for c in clients:
        c.disconnect()
    await asyncio.sleep(0.2)
    out(event="done")


async def rejoin(args):
    clients = await connect(args)
    bob = clients[1]
    room = slixmpp.JID(args.room)
    pres, subject, _, history = await bob["xep_0045"].join_muc_wait(room, "Bob", timeout=TIMEOUT)
    info = await bob["xep_0030"].get_info(jid=room, timeout=TIMEOUT)
    out(event="rejoined", who="bob", codes=codes(pres), subject=subject["subject"],
        history=[{"sender": m["from"].resource, "body": m["body"], "delayed": bool(m["delay"]["stamp"])} for m in history],
        name=[i[3] for i in info["disco_info"]["identities"]][0],
        persistent="muc_persistent" in info["disco_info"]["features"])
    for c in clients:
        c.disconnect()
    await asyncio.sleep(0.2)
    out(event="done")


async def multisession(args):
    """Two slixmpp sessions of one account (the first two --user, with
    resources) share the nickname Alice; the third is bob."""
    clients = await connect(args)
    one, two, bob = clients
    room = slixmpp.JID(args.room)
    await one["xep_0045"].join_muc_wait(room, "Alice", timeout=TIMEOUT)
    await bob["xep_0045"].join_muc_wait(room, "Bob", timeout=TIMEOUT)
    pres, _, occupants, _ = await two["xep_0045"].join_muc_wait(room, "Alice", timeout=TIMEOUT)
    out(event="joined", who="two", nick=pres["from"].resource, codes=codes(pres),
        role=pres["muc"]["role"], affiliation=pres["muc"]["affiliation"],
        occupants=sorted(p["from"].resource for p in occupants))
    bob.send_message(mto=room, mbody="to both sessions", mtype="groupchat")
    for c, who in ((one, "one"), (two, "two")):
        m = await c.wait_for("groupchat_message", lambda m: m["body"] == "to both sessions")
        out(event="groupchat", who=who, sender=m["from"].resource, body=m["body"])
    one["xep_0045"].leave_muc(room, "Alice")
    # slixmpp forgets the room as it leaves, so its xep_0045 drops the
    # answer: read it as a plain unavailable presence.
    pr = await one.wait_for("raw_unavailable", lambda p: p["from"] == slixmpp.JID(args.room + "/Alice"))
    out(event="left", who="one", codes=codes(pr))
    bob.send_message(mto=room, mbody="after one left", mtype="groupchat")
    m = await two.wait_for("groupchat_message", lambda m: m["body"] == "after one left")
    out(event="groupchat", who="two", sender=m["from"].resource, body=m["body"])
    await bob.wait_for("groupchat_message", lambda m: m["body"] == "after one left")
    out(event="roster", who="bob", nicks=sorted(bob["xep_0045"].get_roster(room)))
    for c in clients:
        c.disconnect()
    await asyncio.sleep(0.2)
    out(event="done")


async def register_voice(args):
    """alice makes the room moderated; bob registers the nickname Bobby
    (xep_0077 on the room) and asks disco for it; carol cannot join as
    Bobby, joins as Carol (a visitor), asks for voice (xep_0045's
    request_voice); alice gets the form and approves it; carol sees herself
    a participant; bob removes his registration."""
    clients = await connect(args)
    alice, bob, carol = clients
    room = slixmpp.JID(args.room)
    await alice["xep_0045"].join_muc_wait(room, "Alice", timeout=TIMEOUT)
    form = await alice["xep_0045"].get_room_config(room, timeout=TIMEOUT)
    form["type"] = "submit"
    form.set_values({"muc#roomconfig_moderatedroom": True})
    await alice["xep_0045"].set_room_config(room, form, timeout=TIMEOUT)

    iq = await bob["xep_0077"].get_registration(jid=room, timeout=TIMEOUT)
    fields = iq["register"]["form"].get_fields()
    out(event="register_form", who="bob", items=sorted(fields.keys()))
    reg = bob.Iq()
    reg["type"] = "set"
    reg["to"] = room
    f = reg["register"]["form"]
    f["type"] = "submit"
    f.add_field(var="FORM_TYPE", ftype="hidden", value="http://jabber.org/protocol/muc#register")
    f.add_field(var="muc#register_roomnick", value="Bobby")
    res = await reg.send(timeout=TIMEOUT)
    out(event="registered", who="bob", type=res["type"])
    info = await bob["xep_0030"].get_info(jid=room, node="x-roomuser-item", timeout=TIMEOUT)
    out(event="reserved", who="bob", nicks=[i[3] for i in info["disco_info"]["identities"]])

    try:
        await carol["xep_0045"].join_muc_wait(room, "Bobby", timeout=TIMEOUT)
        out(event="conflict", error=None)
    except slixmpp.exceptions.PresenceError as e:
        out(event="conflict", error=e.condition)
    pres, _, _, _ = await carol["xep_0045"].join_muc_wait(room, "Carol", timeout=TIMEOUT)
    out(event="joined", who="carol", role=pres["muc"]["role"])

    carol["xep_0045"].request_voice(room, "participant")
    # slixmpp reads a hidden field as a list of values.
    m = await alice.wait_for("raw_form", lambda m: m["form"].get_values().get("FORM_TYPE") == ["http://jabber.org/protocol/muc#request"])
    values = m["form"].get_values()
    out(event="voice_request", who="alice", nick=values.get("muc#roomnick"), type=str(values.get("muc#request_allow")))
    answer = alice.make_message(room)
    a = answer["form"]
    a["type"] = "submit"
    a.add_field(var="FORM_TYPE", ftype="hidden", value=values["FORM_TYPE"])
    for var in ("muc#role", "muc#jid", "muc#roomnick"):
        a.add_field(var=var, value=values.get(var))
    a.add_field(var="muc#request_allow", ftype="boolean", value=True)
    answer.send()
    pr = await carol.wait_for("groupchat_presence", lambda p: p["from"].resource == "Carol" and p["muc"]["role"] == "participant")
    out(event="voiced", who="carol", role=pr["muc"]["role"], codes=codes(pr))

    await bob["xep_0077"].cancel_registration(jid=room, timeout=TIMEOUT)
    info = await bob["xep_0030"].get_info(jid=room, node="x-roomuser-item", timeout=TIMEOUT)
    out(event="unregistered", who="bob", nicks=[i[3] for i in info["disco_info"]["identities"]])
    for c in clients:
        c.disconnect()
    await asyncio.sleep(0.2)
    out(event="done")


async def archive(args):
    """alice creates the room and says three things; bob, who never joined,
    reads the room's archive with xep_0313 (two per page, xep_0059) and
    asks its disco#info; carol joins and reports her status codes and the
    stanza-id (xep_0359) on the next message she gets."""
    clients = await connect(args)
    alice, bob, carol = clients
    room = slixmpp.JID(args.room)
    pres, _, _, _ = await alice["xep_0045"].join_muc_wait(room, "Alice", timeout=TIMEOUT)
    out(event="joined", who="alice", codes=codes(pres))
    for i in range(3):
        body = "archived %d" % i
        alice.send_message(mto=room, mbody=body, mtype="groupchat")
        await alice.wait_for("groupchat_message", lambda m: m["body"] == body)
    info = await bob["xep_0030"].get_info(jid=room, timeout=TIMEOUT)
    out(event="disco", who="bob", items=sorted(info["disco_info"]["features"]))
    got = []
    async for m in bob["xep_0313"].iterate(jid=room, rsm={"max": 2}):
        r = m["mam_result"]
        st = r["forwarded"]["stanza"]
        got.append({"sender": str(st["from"]), "body": st["body"], "delayed": bool(r["forwarded"]["delay"]["stamp"])})
    out(event="archive", who="bob", history=got)
    pres, _, _, _ = await carol["xep_0045"].join_muc_wait(room, "Carol", maxstanzas=0, timeout=TIMEOUT)
    out(event="joined", who="carol", codes=codes(pres))
    alice.send_message(mto=room, mbody="with an id", mtype="groupchat")
    m = await carol.wait_for("groupchat_message", lambda m: m["body"] == "with an id")
    out(event="stanza_id", who="carol", by=str(m["stanza_id"]["by"]), type=m["stanza_id"]["id"])
    for c in clients:
        c.disconnect()
    await asyncio.sleep(0.2)
    out(event="done")


async def scenario(args):
    clients = await connect(args)
    alice, bob, carol = clients
    room = slixmpp.JID(args.room)
    out(event="online")

    # The service is found through disco.
    items = await alice["xep_0030"].get_items(jid=alice.boundjid.domain, timeout=TIMEOUT)
    svc = [i[0] for i in items["disco_items"]["items"]]
    info = await alice["xep_0030"].get_info(jid=room.domain, timeout=TIMEOUT)
    out(event="disco", items=svc, muc="http://jabber.org/protocol/muc" in info["disco_info"]["features"])

    for c, nick in ((alice, "Alice"), (bob, "Bob"), (carol, "Carol")):
        pres, subject, occupants, history = await c["xep_0045"].join_muc_wait(room, nick, maxstanzas=10, timeout=TIMEOUT)
        out(event="joined", who=c.name, nick=pres["from"].resource, codes=codes(pres),
            role=pres["muc"]["role"], affiliation=pres["muc"]["affiliation"],
            occupants=sorted(p["from"].resource for p in occupants))

    # A conflicting nickname.
    try:
        await carol["xep_0045"].join_muc_wait(slixmpp.JID(args.room), "Bob", timeout=TIMEOUT)
        out(event="conflict", error=None)
    except slixmpp.exceptions.PresenceError as e:
        out(event="conflict", error=e.condition)

    bob.send_message(mto=room, mbody="hello from bob", mtype="groupchat")
    for c in clients:
        m = await c.wait_for("groupchat_message", lambda m: m["body"] == "hello from bob")
        out(event="groupchat", who=c.name, sender=m["from"].resource, body=m["body"])

    alice["xep_0045"].set_subject(room, "Interop subject")
    for c in clients:
        m = await c.wait_for("groupchat_subject", lambda m: m["subject"] == "Interop subject")
        out(event="subject", who=c.name, by=m["from"].resource, subject=m["subject"])

    carol.send_message(mto=slixmpp.JID(args.room + "/Bob"), mbody="just for bob", mtype="chat")
    m = await bob.wait_for("message", lambda m: m["body"] == "just for bob")
    out(event="private", who="bob", sender=str(m["from"]), type=m["type"])

    await alice["xep_0045"].set_role(room, "Carol", "none", reason="interop kick")
    pr = await carol.wait_for("groupchat_presence", lambda p: p["type"] == "unavailable" and p["from"].resource == "Carol")
    out(event="kicked", who="carol", codes=codes(pr), reason=pr["muc"]["item"]["reason"] if pr["muc"]["item"] is not None else "")
    pr = await bob.wait_for("groupchat_presence", lambda p: p["type"] == "unavailable" and p["from"].resource == "Carol")
    out(event="saw_kick", who="bob", codes=codes(pr))
    out(event="roster", who="bob", nicks=sorted(bob["xep_0045"].get_roster(room)))

    for c in clients:
        c.disconnect()
    await asyncio.sleep(0.2)
    out(event="done")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--room", required=True)
    p.add_argument("--user", nargs=2, action="append", required=True)
    p.add_argument("--scenario", default="talk", choices=("talk", "persist", "rejoin", "multisession", "register_voice", "archive"))
    args = p.parse_args()
    if len(args.user) != 3:
        p.error("three --user JID PASSWORD")
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        run = {"talk": scenario, "persist": persist, "rejoin": rejoin, "multisession": multisession, "register_voice": register_voice, "archive": archive}[args.scenario]
        loop.run_until_complete(asyncio.wait_for(run(args), 60))
    except BaseException as e:  # reported, then a failing exit
        out(event="failed", error=repr(e))
        sys.exit(1)


if __name__ == "__main__":
    main()
