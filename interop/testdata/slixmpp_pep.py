#!/usr/bin/python3
"""Drive slixmpp's PEP plugins (xep_0163 on xep_0060, with xep_0115 caps)
against jabberd. Bob (xep_0084, xep_0172, and an interest in the OMEMO
device list) is online first; alice publishes an avatar (xep_0084: the
bytes of --avatar, then its metadata), her nickname (xep_0172), an OMEMO
device list (xep_0060 with access_model=open) and her bookmarks through
PEP (xep_0048 over xep_0223). Bob reports the notifications he got, the
avatar bytes he fetched, and whether he may read alice's bookmarks; alice
reads her bookmarks back as XEP-0402 items and from private storage
(xep_0049). A second client of bob's, logging in afterwards, reports the
last items it got at login. One JSON object per line on stdout; exit 0
when the scenario completed.

Usage: slixmpp_pep.py --host H --port P --ca CAFILE --alice JID
       --alice-password PW --bob JID --bob-password PW --avatar PATH
"""

import asyncio
import base64

from slixmpp.exceptions import IqError
from slixmpp.plugins.xep_0048 import Bookmarks
from slixmpp.xmlstream import ET

from scenario import TIMEOUT, finish, main, online, out

DEVICELIST = "eu.siacs.conversations.axolotl.devicelist"
BOB = ("xep_0030", "xep_0060", "xep_0115", "xep_0163", "xep_0084", "xep_0172")
ALICE = BOB + ("xep_0004", "xep_0048", "xep_0049", "xep_0223")


def watch(client, name):
    """Collects the notifications a client receives, per node."""
    got = {}
    arrived = asyncio.Event()

    def on_event(msg):
        items = msg["pubsub_event"]["items"]
        got.setdefault(items["node"], []).append(msg)
        arrived.set()

    client.add_event_handler("pubsub_publish", on_event)
    return got, arrived


async def wait_nodes(got, arrived, nodes):
    async def all_there():
        while not all(n in got for n in nodes):
            arrived.clear()
            await arrived.wait()
    await asyncio.wait_for(all_there(), TIMEOUT)


async def bob_online(args, resource):
    bob = await online(args.bob + "/" + resource, args.bob_password, args.ca, args.host, args.port, BOB)
    got, arrived = watch(bob, "bob")
    bob["xep_0163"].add_interest(DEVICELIST)
    await asyncio.sleep(0.5)  # update_caps runs in the background
    bob.send_presence()
    return bob, got, arrived


def item_of(msg):
    return msg["pubsub_event"]["items"]["item"]


async def alice_publishes(alice, avatar):
    av_id = alice["xep_0084"].generate_id(avatar)
    await alice["xep_0084"].publish_avatar(avatar, timeout=TIMEOUT)
    await alice["xep_0084"].publish_avatar_metadata(
        [{"id": av_id, "type": "image/png", "bytes": len(avatar)}], timeout=TIMEOUT)
    await alice["xep_0172"].publish_nick("Alice of PEP", timeout=TIMEOUT)
    devices = ET.fromstring("<list xmlns='eu.siacs.conversations.axolotl'><device id='4242'/><device id='77'/></list>")
    form = alice["xep_0004"].make_form(ftype="submit")
    form.add_field(var="FORM_TYPE", ftype="hidden", value="http://jabber.org/protocol/pubsub#publish-options")
    form.add_field(var="pubsub#access_model", value="open")
    await alice["xep_0060"].publish(None, DEVICELIST, id="current", payload=devices, options=form, timeout=TIMEOUT)
    b = Bookmarks()
    b.add_conference("lab@conference.localhost", "alice", name="The Lab", autojoin=True)
    await alice["xep_0048"].set_bookmarks(b, method="xep_0223", timeout=TIMEOUT)
    out(event="published", who="alice", avatarid=av_id)


async def alice_reads(alice):
    items = await alice["xep_0060"].get_items(None, "urn:xmpp:bookmarks:1", timeout=TIMEOUT)
    confs = [{"jid": it["id"], "xml": str(ET.tostring(it.xml[0]).decode()) if len(it.xml) else ""}
             for it in items["pubsub"]["items"]]
    out(event="bookmarks402", who="alice", items=confs)
    priv = await alice["xep_0048"].get_bookmarks(method="xep_0049", timeout=TIMEOUT)
    out(event="private", who="alice", conferences=[{"jid": str(c["jid"]), "name": c["name"], "nick": c["nick"]}
                                                   for c in priv["private"]["bookmarks"]["conferences"]])


async def scenario(args):
    avatar = open(args.avatar, "rb").read()
    bob, got, arrived = await bob_online(args, "one")
    out(event="online", who="bob")
    alice = await online(args.alice + "/pep", args.alice_password, args.ca, args.host, args.port, ALICE)
    info = await alice["xep_0030"].get_info(jid=alice.boundjid.bare, timeout=TIMEOUT)
    out(event="disco", who="alice", identities=[list(i[:2]) for i in info["disco_info"]["identities"]],
        publish="http://jabber.org/protocol/pubsub#publish-options" in info["disco_info"]["features"])
    await alice_publishes(alice, avatar)

    await wait_nodes(got, arrived, ("urn:xmpp:avatar:metadata", "http://jabber.org/protocol/nick", DEVICELIST))
    meta = item_of(got["urn:xmpp:avatar:metadata"][-1])["avatar_metadata"]["items"][0]
    out(event="notified", who="bob", nodes=sorted(got), avatarid=meta["id"], avatarbytes=int(meta["bytes"]),
        nick=item_of(got["http://jabber.org/protocol/nick"][-1])["nick"]["nick"],
        devices=[d.get("id") for d in item_of(got[DEVICELIST][-1]).xml[0]])
    data = await bob["xep_0084"].retrieve_avatar(args.alice, meta["id"], timeout=TIMEOUT)
    out(event="avatar", who="bob", data=base64.b64encode(data["pubsub"]["items"]["item"]["avatar_data"]["value"]).decode())
    try:
        await bob["xep_0060"].get_items(args.alice, "storage:bookmarks", timeout=TIMEOUT)
        out(event="bookmarks", who="bob", error="")
    except IqError as e:
        out(event="bookmarks", who="bob", error=e.condition)

    await alice_reads(alice)
    bob2, got2, arrived2 = await bob_online(args, "two")
    await wait_nodes(got2, arrived2, ("urn:xmpp:avatar:metadata", "http://jabber.org/protocol/nick", DEVICELIST))
    out(event="last", who="bob2", nodes=sorted(got2),
        avatarid=item_of(got2["urn:xmpp:avatar:metadata"][-1])["avatar_metadata"]["items"][0]["id"])
    await finish(alice, bob, bob2)


if __name__ == "__main__":
    main(scenario, ("--alice", "--alice-password", "--bob", "--bob-password", "--avatar"))
