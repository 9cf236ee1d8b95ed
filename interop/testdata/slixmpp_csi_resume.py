#!/usr/bin/python3
"""XEP-0352 across a XEP-0198 resumption with slixmpp's xep_0352 and
xep_0198: the receiver says it is inactive; the sender's presence changes
are held for it; its TCP connection is aborted without a close; the sender
changes presence again while it is gone; slixmpp resumes the session and
prints every presence and message it then gets. One JSON object per line
(the helpers of slixmpp_client.py); exit 0 when the scenario completed.

Usage: slixmpp_csi_resume.py --server HOST:PORT --ca CAFILE
       --sender JID --sender-password PW --receiver JID --receiver-password PW
"""

import argparse
import asyncio
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import slixmpp_client as base  # noqa: E402  (the helpers, next to this file)


async def scenario(args, loop):
    sender = base.Account(args.sender, args.sender_password, mech="PLAIN")
    receiver = base.Account(args.receiver, args.receiver_password, mech="PLAIN")
    r, r_started = base.make_client(receiver, args, loop, "receiver")
    r.register_plugin("xep_0198", {"window": 1})
    r.register_plugin("xep_0352")
    resumed = loop.create_future()
    def on_resumed(_stanza):
        base.emit("resumed", who="receiver")
        if not resumed.done():
            resumed.set_result(True)

    r.add_event_handler("session_resumed", on_resumed)
    r.add_event_handler("message", lambda msg: base.emit("message", **base.message_fields(msg, "receiver")))
    woke, on_wake = base.when(lambda msg: msg["body"] == "wake")
    r.add_event_handler("message", on_wake)
    s, s_started = base.make_client(sender, args, loop, "sender")
    try:
        await base.start(r, r_started, args, "receiver")
        await base.go_online(r, "receiver", args.timeout)
        seen, on_seen = base.when(lambda p: p["from"].bare == s.boundjid.bare)
        r.add_event_handler("presence", on_seen)
        await base.start(s, s_started, args, "sender")
        await base.go_online(s, "sender", args.timeout)
        await base.wait(seen, args.timeout, "receiver: the sender's presence did not come")
        r["xep_0352"].send_inactive()
        await base.ping_server(r, "receiver", args.timeout)
        base.emit("inactive", who="receiver")
        s.send_presence(pshow="away")
        await base.ping_server(s, "sender", args.timeout)
        await asyncio.sleep(0.2)
        base.emit("dropped", who="receiver")
        r.transport.abort()  # no </stream:stream>, no close_notify
        s.send_presence(pshow="dnd")
        await base.ping_server(s, "sender", args.timeout)
        await asyncio.sleep(0.2)
        base.connect(r, args)
        await base.wait(resumed, args.timeout, "receiver: the session was not resumed")
        s.send_message(mto=r.boundjid.full, mbody="wake", mtype="chat")
        await base.wait(woke, args.timeout, "receiver: no message")
        await base.ping_server(r, "receiver", args.timeout)
    finally:
        await base.leave(s, r)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for a in ("--server", "--ca", "--sender", "--sender-password", "--receiver", "--receiver-password"):
        ap.add_argument(a, required=True)
    ap.add_argument("--timeout", type=float, default=20)
    args = ap.parse_args()
    args.no_channel_binding = False
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(scenario(args, loop))
    except (base.ScenarioFailed, asyncio.TimeoutError) as e:
        base.emit("failed", error=str(e) or "timed out")
        return 1
    finally:
        base.end_loop(loop)
    base.emit("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
