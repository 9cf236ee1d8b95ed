#!/usr/bin/python3
"""Drive slixmpp's xep_0363 (Debian's python3-slixmpp, with aiohttp) against
jabberd's HTTP file upload: log in, find the upload service through disco,
upload a file (slot request, then PUT over HTTPS), download it from the GET
URL and print what was read. One JSON object per line on stdout; exit 0
when the scenario completed.

Usage: slixmpp_upload.py --host H --port P --ca CAFILE --jid JID --password PW --file PATH
The CA is trusted by the HTTP client through SSL_CERT_FILE (the caller sets
it), as aiohttp uses the default verify paths.
"""

import asyncio
import hashlib
import ssl
import urllib.request

import slixmpp

from scenario import TIMEOUT, finish, main, out


async def scenario(args):
    c = slixmpp.ClientXMPP(args.jid, args.password, sasl_mech="PLAIN")
    c.ca_certs = args.ca
    for p in ("xep_0030", "xep_0363"):
        c.register_plugin(p)
    online = asyncio.get_event_loop().create_future()

    async def started(_):
        c.send_presence()
        online.set_result(True)

    c.add_event_handler("session_start", started)
    c.connect((args.host, args.port))
    await asyncio.wait_for(online, TIMEOUT)
    out(event="online", jid=str(c.boundjid))

    # slixmpp 1.8.3's own discovery (find_upload_service, through
    # xep_0030's get_info_from_domain) hands coroutines to asyncio.wait,
    # which Python 3.11 refuses; the same discovery, step by step: the
    # server's items, the item whose identity is store/file with the
    # feature, the limit from its form.
    items = await c["xep_0030"].get_items(jid=c.boundjid.domain, timeout=TIMEOUT)
    for jid, _, _ in items["disco_items"]["items"]:
        info = await c["xep_0030"].get_info(jid=jid, timeout=TIMEOUT)
        if ("store", "file") in [i[:2] for i in info["disco_info"]["identities"]] and \
                "urn:xmpp:http:upload:0" in info["disco_info"]["features"]:
            c["xep_0363"].upload_service = info["from"]
            for form in info["disco_info"].iterables:
                values = form["values"]
                if values.get("FORM_TYPE") == ["urn:xmpp:http:upload:0"]:
                    c["xep_0363"].max_file_size = int(values["max-file-size"])
    out(event="discovered", service=str(c["xep_0363"].upload_service))
    url = await c["xep_0363"].upload_file(args.file, content_type="application/octet-stream", timeout=TIMEOUT)
    out(event="uploaded", url=url, service=str(c["xep_0363"].upload_service), max_file_size=c["xep_0363"].max_file_size)

    ctx = ssl.create_default_context(cafile=args.ca)
    loop = asyncio.get_event_loop()
    data = await loop.run_in_executor(None, lambda: urllib.request.urlopen(url, context=ctx, timeout=TIMEOUT).read())
    out(event="downloaded", size=len(data), sha256=hashlib.sha256(data).hexdigest())
    await finish(c)


if __name__ == "__main__":
    main(scenario, ("--jid", "--password", "--file"))
