#!/usr/bin/python3
"""A whole IRC session with python3-irc (Debian's "irc" library) against
jabberd's IRC listener, for the interop tests: connect over STARTTLS (the
connect_factory of irc_client.py), log in with SASL EXTERNAL when given a
certificate, register, then the commands a client
sends in its normal flow, each one after the answer to the one before:

  JOIN, TOPIC (set, then ask), MODE (the channel), WHO, WHOIS, NAMES, LIST,
  AWAY, AWAY (back), USERHOST, ISON, LUSERS, MOTD, WHOWAS, PRIVMSG to a user
  and to the channel, PART, QUIT.

Every line the library received is printed as a JSON object (event
"received"), with "step" events as the session advances; the Go test reads
the client's own lines. The process exits 0 when the session completed
with no 421 (ERR_UNKNOWNCOMMAND) among them, 1 otherwise (the JSON lines
say what came), 2 on bad arguments.
"""

import argparse
import os
import sys
import time

import irc.client

# PACE is the pause between a step's answer and the next step: the server
# allows a burst of 20 lines, then 5 a second.
PACE = 0.3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from irc_client import Failed, emit, starttls_factory  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--server", required=True, help="host:port of the IRC listener")
    p.add_argument("--ca", required=True, help="the lab CA (PEM)")
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--nick", default="erin")
    p.add_argument("--channel", default="#lab")
    p.add_argument("--peer", required=True, help="a nick on the network to message")
    p.add_argument("--cert", help="a client certificate (PEM): log in with SASL EXTERNAL over TLS")
    p.add_argument("--key", help="its key (PEM)")
    args = p.parse_args()
    host, _, port = args.server.rpartition(":")
    port = int(port)
    ch, me, peer = args.channel, args.nick, args.peer

    # Each step sends its command(s) and waits for the line that ends the
    # answer: its command or numeric, as the second word of a line.
    steps = [
        ("join", lambda c: c.join(ch), "366"),
        ("topic", lambda c: c.topic(ch, "python3-irc was here"), "TOPIC"),
        ("topic?", lambda c: c.topic(ch), "333"),
        ("mode", lambda c: c.mode(ch, ""), "329"),
        ("who", lambda c: c.who(ch), "315"),
        ("whois", lambda c: c.whois([peer]), "318"),
        ("names", lambda c: c.names([ch]), "366"),
        ("list", lambda c: c.list(), "323"),
        ("away", lambda c: c.send_raw("AWAY :testing python3-irc"), "306"),
        ("back", lambda c: c.send_raw("AWAY"), "305"),
        ("userhost", lambda c: c.userhost([peer, me]), "302"),
        ("ison", lambda c: c.ison([peer, "nobody"]), "303"),
        ("lusers", lambda c: c.lusers(), "266"),
        ("motd", lambda c: c.motd(), "422"),
        ("whowas", lambda c: c.whowas("nobody"), "369"),
        # A PING after the messages: its PONG says they were all read.
        ("privmsg", lambda c: (c.privmsg(peer, "private from python3-irc"),
                               c.privmsg(ch, "channel from python3-irc"),
                               c.ping("messages")), "PONG"),
        ("part", lambda c: c.part([ch], "bye"), "PART"),
    ]
    # step is the step under way; paused: its answer came, the next one
    # is scheduled.
    state = {"step": -1, "paused": False, "unknown": [], "done": False}

    def advance(conn):
        state["step"] += 1
        state["paused"] = False
        if state["step"] == len(steps):
            emit("step", name="quit")
            conn.quit("session done")
            state["done"] = True
            return
        name, send, _ = steps[state["step"]]
        emit("step", name=name)
        send(conn)

    def on_raw(conn, e):
        line = e.arguments[0]
        emit("received", line=line)
        words = line.split(" ")
        if line.startswith("@"):
            words = words[1:]
        if len(words) < 2:
            return
        if words[1] == "421":
            state["unknown"].append(line)
        i = state["step"]
        if state["paused"] or i >= len(steps):
            return
        if i < 0 and words[1] == "001" or i >= 0 and words[1] == steps[i][2]:
            # Paced as a person would be, well within the flood limit.
            state["paused"] = True
            reactor.execute_delayed(PACE, advance, (conn,))

    reactor = irc.client.IRC()
    reactor.add_global_handler("all_raw_messages", on_raw)
    conn = reactor.server()
    try:
        conn.connect(host, port, me, username=me, ircname="python3-irc session",
                     connect_factory=starttls_factory(args, me, args.cert, args.key))
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline and not state["done"]:
            reactor.process_once(0.1)
        # Read what answers the QUIT (the ERROR line) until the server closes.
        end = time.monotonic() + 5
        while time.monotonic() < end and conn.is_connected():
            reactor.process_once(0.1)
    except (Failed, irc.client.ServerConnectionError, OSError) as e:
        emit("error", error=str(e))
        return 1
    if state["unknown"]:
        emit("unknown_commands", lines=state["unknown"])
        return 1
    if not state["done"]:
        i = state["step"]
        emit("timeout", step=steps[i][0] if 0 <= i < len(steps) else i)
        return 1
    emit("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
