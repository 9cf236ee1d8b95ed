#!/usr/bin/python3
"""One irssi connection, for the lab report card (interop/labmatrix_test.go).

irssi (Debian's package) runs in a detached tmux session on a socket of its
own, with a fresh home: a configuration that names one server (the lab's
port, {domain} as its name, tls_verify with the lab CA as the only trust
anchor, SASL PLAIN with the test account) and a startup file that connects
with a rawlog (`/connect -rawlog FILE lab`), so that every line irssi sent
and read is written down by irssi itself. Nothing here answers the server
or steers irssi: what the output shows is irssi's own reaction.

--starttls yes is irssi's `starttls = "yes"` (STARTTLS whatever CAP LS
says); without it irssi upgrades only when CAP LS lists tls.

The script watches irssi's window until irssi reaches an end of its own:
it registered (001 and the end of the MOTD), or it lost the connection.
Then it prints everything and makes irssi quit (a registered irssi sends
QUIT, as a user would after reading the welcome). An irssi that reaches
neither within --wait seconds is stuck (it waits for an answer that does
not come, or sits after a refused STARTTLS): the script prints what it
has, kills irssi (no QUIT) and its tmux server, and sleeps, so that the
run's timeout stops it, as it stops any client that does not end by
itself. Give --wait a second or two less than the run's timeout.

Output, one JSON object per line:

  {"event": "window", "line": "..."}   irssi's window, line by line
  {"event": "raw", "line": "<< STARTTLS"}  irssi's rawlog: "<<" sent,
        ">>" read, "-->" irssi's own notes ("--> Now talking encrypted");
        AUTHENTICATE payloads are replaced by [redacted]
  {"event": "end", "how": "registered" | "connection lost" | "stuck"}

  labmatrix_irssi.py --server HOST:PORT --tls-name NAME --ca CA.pem
                     --nick NICK --password PW [--starttls yes] [--wait S]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time


def emit(event, **fields):
    fields["event"] = event
    print(json.dumps(fields, sort_keys=True), flush=True)


AUTH_PAYLOAD = re.compile(r"^(<< AUTHENTICATE )(?!PLAIN$|EXTERNAL$|SCRAM-|\+$|\*$)\S+")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--server", required=True, help="host:port")
    p.add_argument("--tls-name", required=True, help="the server's name (checked against its certificate)")
    p.add_argument("--ca", required=True)
    p.add_argument("--nick", required=True)
    p.add_argument("--password", required=True, help="SASL PLAIN password of --nick")
    p.add_argument("--starttls", default="", help='"yes": always STARTTLS')
    p.add_argument("--wait", type=float, default=4.5)
    args = p.parse_args()
    _, _, port = args.server.rpartition(":")
    irssi, tmux = shutil.which("irssi"), shutil.which("tmux")
    if not irssi or not tmux:
        emit("missing", irssi=irssi, tmux=tmux)
        return 2

    home = tempfile.mkdtemp(prefix="labmatrix-irssi-")
    raw = os.path.join(home, "raw.log")
    tls = '    use_tls = "no";\n'
    if args.starttls:
        tls += '    starttls = "%s";\n' % args.starttls
    with open(os.path.join(home, "config"), "w") as f:
        f.write('''servers = (
  {
    address = "%s";
    chatnet = "lab";
    port = "%s";
%s    tls_verify = "yes";
    tls_cafile = "%s";
    autoconnect = "no";
  }
);
chatnets = {
  lab = {
    type = "IRC";
    sasl_mechanism = "PLAIN";
    sasl_username = "%s";
    sasl_password = "%s";
  };
};
settings = {
  core = {
    real_name = "jabberd lab matrix";
    user_name = "%s";
    nick = "%s";
    server_reconnect_time = "-1";
  };
  "fe-common/core" = { theme = "default"; };
};
''' % (args.tls_name, port, tls, args.ca, args.nick, args.password, args.nick, args.nick))
    with open(os.path.join(home, "startup"), "w") as f:
        f.write("/connect -rawlog %s lab\n" % raw)

    sock = "labmatrix-irssi-%d" % os.getpid()
    env = dict(os.environ, TERM="screen")

    def tm(*a):
        return subprocess.run([tmux, "-L", sock, "-f", "/dev/null"] + list(a),
                              capture_output=True, text=True, env=env, timeout=10).stdout

    tm("new-session", "-d", "-s", "irssi", "-x", "200", "-y", "100", "%s --home=%s -n %s" % (irssi, home, args.nick))
    pid = tm("display-message", "-p", "-t", "irssi", "#{pane_pid}").strip()
    how, screen = "stuck", ""
    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        screen = tm("capture-pane", "-p", "-J", "-S", "-2000", "-t", "irssi")
        if "Connection lost to" in screen or "Unable to connect" in screen:
            how = "connection lost"
            break
        if "End of /MOTD" in screen or "MOTD File is missing" in screen:
            time.sleep(0.3)  # what the server sends right after
            screen = tm("capture-pane", "-p", "-J", "-S", "-2000", "-t", "irssi")
            how = "registered"
            break
        time.sleep(0.1)
    for line in screen.splitlines():
        if line.strip():
            emit("window", line=line.rstrip())
    if how == "registered":
        tm("send-keys", "-t", "irssi", "/quit labmatrix", "Enter")
        time.sleep(0.3)
    elif pid.isdigit():
        try:
            os.kill(int(pid), 9)
        except OSError:
            pass
    tm("kill-server")
    try:
        with open(raw, errors="replace") as f:
            for line in f:
                emit("raw", line=AUTH_PAYLOAD.sub(r"\1[redacted]", line.rstrip("\n")))
    except OSError as e:
        emit("no_rawlog", error=str(e))
    shutil.rmtree(home, ignore_errors=True)
    emit("end", how=how)
    if how == "stuck":
        # The run's timeout ends this client, as any that does not end
        # by itself.
        time.sleep(3600)
    return 0 if how == "registered" else 1


if __name__ == "__main__":
    sys.exit(main())
