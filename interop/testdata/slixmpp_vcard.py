#!/usr/bin/python3
"""Drive slixmpp's xep_0054 (vcard-temp) and xep_0153 (vCard avatars)
against jabberd. Alice loads xep_0054 only: she publishes a vCard with a
photo (the bytes of --photo) and sends plain presence, saying nothing of
the photo herself. Bob loads xep_0054 and xep_0153: he is online first,
reports the photo hash slixmpp's xep_0153 read from alice's presence, then
fetches her vCard and reports the photo bytes slixmpp decoded from it. One
JSON object per line on stdout; exit 0 when the scenario completed.

Usage: slixmpp_vcard.py --host H --port P --ca CAFILE --alice JID
       --alice-password PW --bob JID --bob-password PW --photo PATH
"""

import asyncio
import base64

from scenario import TIMEOUT, finish, main, online, out


async def scenario(args):
    photo = open(args.photo, "rb").read()
    bob = await online(args.bob, args.bob_password, args.ca, args.host, args.port,
                       ("xep_0030", "xep_0054", "xep_0153"))
    avatar = asyncio.get_event_loop().create_future()

    def avatar_update(pres):
        if pres["from"].bare == args.alice and not avatar.done():
            avatar.set_result(pres["vcard_temp_update"]["photo"])

    bob.add_event_handler("vcard_avatar_update", avatar_update)
    bob.send_presence()
    out(event="online", who="bob", jid=str(bob.boundjid))

    alice = await online(args.alice, args.alice_password, args.ca, args.host, args.port,
                         ("xep_0030", "xep_0054"))
    out(event="online", who="alice", jid=str(alice.boundjid))
    info = await alice["xep_0030"].get_info(jid=alice.boundjid.domain, timeout=TIMEOUT)
    out(event="disco", who="alice", vcard="vcard-temp" in info["disco_info"]["features"])
    empty = await bob["xep_0054"].get_vcard(args.alice, timeout=TIMEOUT)
    out(event="vcard", who="bob", phase="before", fn=empty["vcard_temp"]["FN"],
        photo=base64.b64encode(empty["vcard_temp"]["PHOTO"]["BINVAL"] or b"").decode())

    card = alice["xep_0054"].make_vcard()
    card["FN"] = "Alice Interop"
    card["PHOTO"]["TYPE"] = "image/png"
    card["PHOTO"]["BINVAL"] = photo
    await alice["xep_0054"].publish_vcard(card, timeout=TIMEOUT)
    out(event="published", who="alice")
    alice.send_presence()

    photo_hash = await asyncio.wait_for(avatar, TIMEOUT)
    out(event="avatar", who="bob", hash=photo_hash)
    got = await bob["xep_0054"].get_vcard(args.alice, timeout=TIMEOUT)
    v = got["vcard_temp"]
    out(event="vcard", who="bob", phase="after", fn=v["FN"], type=v["PHOTO"]["TYPE"],
        photo=base64.b64encode(v["PHOTO"]["BINVAL"] or b"").decode())
    own = await alice["xep_0054"].get_vcard(alice.boundjid.bare, timeout=TIMEOUT)
    out(event="vcard", who="alice", phase="own", fn=own["vcard_temp"]["FN"],
        photo=base64.b64encode(own["vcard_temp"]["PHOTO"]["BINVAL"] or b"").decode())
    await finish(alice, bob)


if __name__ == "__main__":
    main(scenario, ("--alice", "--alice-password", "--bob", "--bob-password", "--photo"))
