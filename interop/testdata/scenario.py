"""What the slixmpp scenario scripts share: one JSON object per line on
stdout, a client online with its plugins, and the main that runs a
scenario within a minute (exit 1 with a "failed" event otherwise)."""

import argparse
import asyncio
import json
import logging
import sys

import slixmpp

TIMEOUT = 20


def out(**kw):
    print(json.dumps(kw), flush=True)


async def online(jid, password, ca, host, port, plugins):
    c = slixmpp.ClientXMPP(jid, password, sasl_mech="PLAIN")
    c.ca_certs = ca
    for p in plugins:
        c.register_plugin(p)
    ready = asyncio.get_event_loop().create_future()
    c.add_event_handler("session_start", lambda _: ready.done() or ready.set_result(True))
    c.connect((host, port))
    await asyncio.wait_for(ready, TIMEOUT)
    return c


async def finish(*clients):
    for c in clients:
        c.disconnect()
    await asyncio.sleep(0.2)
    out(event="done")


def main(scenario, options):
    """Parses --host, --port and the required options, then runs scenario(args)."""
    p = argparse.ArgumentParser()
    for a in ("--host", "--ca") + tuple(options):
        p.add_argument(a, required=True)
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(asyncio.wait_for(scenario(args), 60))
    except BaseException as e:
        out(event="failed", error=repr(e))
        sys.exit(1)
