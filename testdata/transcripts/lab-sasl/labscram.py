#!/usr/bin/python3
"""Compute the SCRAM messages of the lab-sasl transcripts, independently of
jabberd (hashlib and hmac only): alice's password alice-pw, salt
jabberd-lab-salt, 4096 iterations, client nonce "clientnonce", server
nonce "servernonce", tls-exporter data "exporter-data-32-bytes-long.....".

    labscram.py [--hash sha256|sha1] [--gs2 'n,,'|'y,,'|'p=tls-exporter,,']
                [--ssdp MECH,MECH[/CB,CB]]

prints the client-first message, the server-first message (with XEP-0474's
h over the list given), the client-final message, the server-final message
(and the one with its signature inverted), each base64 as it goes on the
wire.
"""

import argparse
import base64
import hashlib
import hmac

SALT = b"jabberd-lab-salt"
ITERS = 4096
EXPORTER = b"exporter-data-32-bytes-long....."


def b64(b):
    return base64.b64encode(b).decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hash", default="sha256")
    ap.add_argument("--gs2", default="n,,")
    ap.add_argument("--ssdp", default="")
    a = ap.parse_args()
    H = getattr(hashlib, a.hash)
    bare = "n=alice,r=clientnonce"
    first = a.gs2 + bare
    nonce = "clientnonceservernonce"
    s1 = "r=%s,s=%s,i=%d" % (nonce, b64(SALT), ITERS)
    if a.ssdp:
        mechs, _, cbs = a.ssdp.partition("/")
        s = "\x1e".join(sorted(mechs.split(",")))
        if cbs:
            s += "\x1f" + "\x1e".join(sorted(cbs.split(",")))
        s1 += ",h=" + b64(H(s.encode()).digest())
    cbind = a.gs2.encode()
    if a.gs2.startswith("p="):
        cbind += EXPORTER
    wop = "c=%s,r=%s" % (b64(cbind), nonce)
    salted = hashlib.pbkdf2_hmac(a.hash, b"alice-pw", SALT, ITERS)
    ck = hmac.new(salted, b"Client Key", H).digest()
    sk = hmac.new(salted, b"Server Key", H).digest()
    auth = ",".join([bare, s1, wop]).encode()
    sig = hmac.new(H(ck).digest(), auth, H).digest()
    proof = bytes(x ^ y for x, y in zip(ck, sig))
    final = wop + ",p=" + b64(proof)
    v = hmac.new(sk, auth, H).digest()
    for name, msg in [("client-first", first), ("server-first", s1), ("client-final", final),
                      ("server-final", "v=" + b64(v)), ("bad server-final", "v=" + b64(bytes(x ^ 0xff for x in v)))]:
        print("%-17s %s\n%17s %s" % (name, msg, "", b64(msg.encode())))


main()
