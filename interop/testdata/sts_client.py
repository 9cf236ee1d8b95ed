#!/usr/bin/env python3
"""A small IRC client that follows the IRCv3 sts upgrade policy, for the
interop tests of the sts-bad-port profile: it reads CAP LS 302 on the
plaintext port, and if it lists sts=port=P it quits there and connects
with TLS to P, verifying the certificate against --ca (unless --insecure),
then registers over TLS. --fallback: when the TLS connection fails, it
registers on the plaintext port after all (what a correct client never
does). Standard library only; it prints what it did, one line each."""

import argparse
import socket
import ssl
import sys


def lines(sock):
    buf = b""
    while True:
        data = sock.recv(4096)
        if not data:
            return
        buf += data
        while b"\r\n" in buf:
            line, buf = buf.split(b"\r\n", 1)
            yield line.decode("utf-8", "replace")


def register(sock, nick):
    sock.sendall(("NICK %s\r\nUSER %s 0 * :%s\r\n" % (nick, nick, nick)).encode())
    for line in lines(sock):
        words = line.split(" ")
        if len(words) > 1 and words[1] == "001":
            print("registered:", line)
            sock.sendall(b"QUIT :done\r\n")
            return True
        if words[0] == "ERROR":
            print("error:", line)
            return False
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--insecure", action="store_true")
    ap.add_argument("--fallback", action="store_true")
    ap.add_argument("--timeout", type=float, default=10)
    a = ap.parse_args()

    plain = socket.create_connection((a.host, a.port), timeout=a.timeout)
    plain.sendall(b"CAP LS 302\r\n")
    policy = None
    for line in lines(plain):
        words = line.split(" ")
        if len(words) > 3 and words[1] == "CAP" and words[3] == "LS":
            caps = line.split(" :", 1)[1].split()
            print("caps:", " ".join(caps))
            policy = next((c for c in caps if c.startswith("sts=")), None)
            break
    if policy is None or "port=" not in policy:
        print("no sts upgrade policy")
        plain.sendall(b"CAP END\r\n")
        return 0 if register(plain, "nosts") else 1
    port = int(policy.split("port=", 1)[1].split(",")[0])
    print("sts upgrade policy: port", port)
    plain.sendall(b"QUIT :upgrading\r\n")
    plain.close()

    ctx = ssl.create_default_context(cafile=a.ca)
    if a.insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    try:
        tls = ctx.wrap_socket(socket.create_connection((a.host, port), timeout=a.timeout), server_hostname="localhost")
    except (ssl.SSLError, OSError) as e:
        print("TLS to the sts port failed:", e)
        if not a.fallback:
            return 0
        plain = socket.create_connection((a.host, a.port), timeout=a.timeout)
        print("falling back to plaintext")
        return 0 if register(plain, "fallback") else 1
    print("TLS:", tls.version())
    tls.sendall(b"CAP LS 302\r\nCAP END\r\n")
    return 0 if register(tls, "accepted") else 1


if __name__ == "__main__":
    sys.exit(main())
