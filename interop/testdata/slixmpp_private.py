#!/usr/bin/python3
"""Drive slixmpp's xep_0048 (bookmarks) over xep_0049 (private XML
storage) against jabberd. Alice's first client reads her bookmarks (none
yet), stores two conferences and a URL; her second client, another
resource, reads them back and reports what slixmpp parsed. One JSON object
per line on stdout; exit 0 when the scenario completed.

Usage: slixmpp_private.py --host H --port P --ca CAFILE --jid JID --password PW
"""

from slixmpp.plugins.xep_0048 import Bookmarks

from scenario import TIMEOUT, finish, main, online, out

PLUGINS = ("xep_0030", "xep_0048", "xep_0049")


def conferences(iq):
    b = iq["private"]["bookmarks"]
    return [{"jid": str(c["jid"]), "nick": c["nick"], "name": c["name"], "autojoin": bool(c["autojoin"])}
            for c in b["conferences"]], [u["url"] for u in b["urls"]]


async def scenario(args):
    first = await online(args.jid + "/first", args.password, args.ca, args.host, args.port, PLUGINS)
    info = await first["xep_0030"].get_info(jid=first.boundjid.domain, timeout=TIMEOUT)
    out(event="disco", private="jabber:iq:private" in info["disco_info"]["features"])
    confs, urls = conferences(await first["xep_0048"].get_bookmarks(method="xep_0049", timeout=TIMEOUT))
    out(event="bookmarks", who="first", phase="before", conferences=confs, urls=urls)
    b = Bookmarks()
    b.add_conference("lab@conference.localhost", "alice", name="The Lab", autojoin=True)
    b.add_conference("tea@conference.localhost", "al", name="Tea")
    b.add_url("https://example.org/", name="Example")
    await first["xep_0048"].set_bookmarks(b, method="xep_0049", timeout=TIMEOUT)
    out(event="stored", who="first")

    second = await online(args.jid + "/second", args.password, args.ca, args.host, args.port, PLUGINS)
    confs, urls = conferences(await second["xep_0048"].get_bookmarks(method="xep_0049", timeout=TIMEOUT))
    out(event="bookmarks", who="second", phase="after", conferences=confs, urls=urls)
    await finish(first, second)


if __name__ == "__main__":
    main(scenario, ("--jid", "--password"))
