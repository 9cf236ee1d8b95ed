#!/usr/bin/python3
"""Drive slixmpp's xep_0313 (MAM), xep_0059 (RSM) and xep_0359 (stanza ids)
against jabberd. Alice sends bob --live messages while he is online, then
--offline more while he is away; bob reports the stanza-id slixmpp's
xep_0359 read on each message he got (live, then from offline storage).
Then bob asks disco#info of his own bare JID and of the server, and reads
his archive with xep_0313: paging forward (xep_0059 iterate, --page per
page), paging backward (reverse), filtered with alice, and with a start
in the future. One JSON object per line on stdout; exit 0 when the
scenario completed.

Usage: slixmpp_mam.py --host H --port P --ca CAFILE --alice JID
       --alice-password PW --bob JID --bob-password PW
       --live N --offline N --page N
"""

import asyncio
import datetime

import slixmpp

from scenario import TIMEOUT, finish, main, online, out

PLUGINS = ("xep_0030", "xep_0059", "xep_0313", "xep_0359")


async def connect(jid, password, args, on_message=None):
    """online() with a message handler, registered before the client sends
    its initial presence (offline messages follow that presence)."""
    c = await online(jid, password, args.ca, args.host, args.port, PLUGINS)
    if on_message:
        c.add_event_handler("message", on_message)
    return c


def receiver(phase, want, done):
    got = []

    def on_message(msg):
        if msg["body"]:
            sid = msg["stanza_id"]
            got.append(msg["body"])
            out(event="received", phase=phase, body=msg["body"], sid=sid["id"], by=str(sid["by"]))
            if len(got) == want and not done.done():
                done.set_result(True)
    return on_message


async def archive(bob, **kw):
    """Everything xep_0313's iterate yields, as (body, result id, from)."""
    res = []
    async for m in bob["xep_0313"].iterate(**kw):
        r = m["mam_result"]
        res.append({"body": r["forwarded"]["stanza"]["body"], "id": r["id"],
                    "from": str(r["forwarded"]["stanza"]["from"])})
    return res


async def scenario(args):
    for a in ("live", "offline", "page"):  # scenario.main reads every option as text
        setattr(args, a, int(getattr(args, a)))
    loop = asyncio.get_event_loop()
    live_done = loop.create_future()
    bob = await connect(args.bob, args.bob_password, args, receiver("live", args.live, live_done))
    bob.send_presence()
    alice = await connect(args.alice, args.alice_password, args)
    await asyncio.sleep(0.3)  # bob's presence has reached the server
    for i in range(args.live):
        body = "live %d" % i
        alice.send_message(mto=args.bob, mbody=body, mtype="chat")
        out(event="sent", phase="live", body=body)
    await asyncio.wait_for(live_done, TIMEOUT)
    bob.disconnect()
    await bob.disconnected
    await alice["xep_0030"].get_info(jid=alice.boundjid.domain, timeout=TIMEOUT)  # a round trip
    for i in range(args.offline):
        body = "offline %d" % i
        alice.send_message(mto=args.bob, mbody=body, mtype="chat")
        out(event="sent", phase="offline", body=body)
    await alice["xep_0030"].get_info(jid=alice.boundjid.domain, timeout=TIMEOUT)

    off_done = loop.create_future()
    bob = await connect(args.bob, args.bob_password, args, receiver("offline", args.offline, off_done))
    bob.send_presence()
    await asyncio.wait_for(off_done, TIMEOUT)

    for who, jid in (("account", bob.boundjid.bare), ("server", bob.boundjid.domain)):
        info = await bob["xep_0030"].get_info(jid=jid, timeout=TIMEOUT)
        out(event="disco", who=who, features=sorted(info["disco_info"]["features"]))
    own = bob.boundjid.bare
    out(event="archive", query="forward",
        results=await archive(bob, jid=own, rsm={"max": args.page}))
    out(event="archive", query="reverse",
        results=await archive(bob, jid=own, reverse=True, rsm={"max": args.page}))
    out(event="archive", query="with-alice",
        results=await archive(bob, jid=own, with_jid=slixmpp.JID(args.alice), rsm={"max": 100}))
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    out(event="archive", query="future",
        results=await archive(bob, jid=own, start=future, rsm={"max": 100}))
    await finish(alice, bob)


if __name__ == "__main__":
    main(scenario, ("--alice", "--alice-password", "--bob", "--bob-password", "--live", "--offline", "--page"))
