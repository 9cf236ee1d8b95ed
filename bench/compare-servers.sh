#!/bin/sh
# compare-servers.sh: `jabberd bench messages` against jabberd, ejabberd 23.01
# and Prosody 0.12.3 (Debian's packages), alternately, a fresh server for
# every run, each on its own loopback port with the same ECDSA P-256
# certificate (jabberd's, from its state directory), STARTTLS required,
# PLAIN over TLS, account bench/bench-pw, no shapers or rate limits, logging
# warnings only. BENCHMARKS.md has the figures and the relevant config lines.
#
#   apt-get install -y ejabberd prosody
#   systemctl disable --now ejabberd prosody
#   go build -o /tmp/jabberd ./cmd/jabberd
#   sh bench/compare-servers.sh /tmp/jabberd [ROUNDS] [BENCH FLAGS...]
#
# SERVERS (default "jabberd ejabberd prosody") chooses the servers and their
# order in a round; "jabberd-noarchive" is jabberd with chat.archive = false;
# "jabberd-ref" is the binary $JABBERD_REF (an older build, to compare
# before and after in the same run) with jabberd's configuration;
# "ejabberd-nobusywait" is ejabberd with the Erlang
# schedulers' busy waiting off (+sbwt none +sbwtdcpu none +sbwtdio none),
# which a machine shared with other work may favour.
#
# Run as root (ejabberd and Prosody run as their own users). Work files go
# to $WORK (default /tmp/compare-servers). Every server started here is
# stopped again, and epmd with it.
set -eu
JABBERD=$(realpath "$1")
ROUNDS=${2:-2}
shift; [ $# -gt 0 ] && shift
FLAGS=${*:-"-pairs 4 -window 64 -d 10s"}
WORK=${WORK:-/tmp/compare-servers}
SCRIPT_DIR=$(dirname "$(realpath "$0")")
mkdir -p "$WORK"
chmod 755 "$WORK"
cd "$WORK"

# jabberd: as shipped, but for the per-address limit; its state directory
# makes the certificate the other servers use.
cat > jabberd.toml <<EOF
state_dir = "$WORK/jabberd-state"
[[listen]]
address = "127.0.0.1:5322"
[limits]
max_connections_per_ip = 0
[lab]
status_address = ""
[log]
level = "warn"
[[user]]
name = "bench"
password = "bench-pw"
EOF
if [ ! -f jabberd-state/server.crt ]; then
	"$JABBERD" -config jabberd.toml > /dev/null 2>&1 & pid=$!
	sleep 2
	kill "$pid"
	wait "$pid" || true
fi

# jabberd-noarchive: the same without the message archive (chat.archive),
# which the other two servers' shipped configurations do not have for chats.
{ cat jabberd.toml; printf '[chat]\narchive = false\n'; } > jabberd-noarchive.toml

EJ="ejabberdctl --node compare@localhost --config-dir $WORK/ej --config $WORK/ej/ejabberd.yml --logs $WORK/ej/logs --spool $WORK/ej/spool"

run_bench() { # name port pid
	echo "== $1 round $round, pid $3, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	# shellcheck disable=SC2086
	"$JABBERD" bench -addr "127.0.0.1:$2" -state "$WORK/jabberd-state" -pid "$3" $FLAGS messages 2>/dev/null || echo "bench failed: $?"
	echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}

wait_port() { # port
	for _ in $(seq 1 100); do
		ss -ltn | grep -q "127.0.0.1:$1 " && return 0
		sleep 0.2
	done
	echo "nothing listens on $1" >&2
	return 1
}

run_jabberd() { # label config [binary]
	rm -f jabberd-state/jabberd.db
	"${3:-$JABBERD}" -config "$2" > jabberd.log 2>&1 & pid=$!
	wait_port 5322
	run_bench "$1" 5322 "$pid"
	kill "$pid"
	wait "$pid" || true
}

run_ejabberd() { # label [extra erl options]
	rm -rf ej
	mkdir -p ej/spool ej/logs
	cat jabberd-state/server.crt jabberd-state/server.key > ej/server.pem
	sed "s|@WORK@|$WORK|g" "$SCRIPT_DIR/ejabberd.yml" > ej/ejabberd.yml
	touch ej/inetrc
	chown -R ejabberd:ejabberd ej
	chmod 600 ej/server.pem
	ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 ${2:-}" $EJ foreground > ej/foreground.log 2>&1 &
	wait_port 5422
	$EJ register bench localhost bench-pw > /dev/null 2>&1
	# The server is beam.smp (its threads); its child erl_child_setup is idle.
	pid=$(ss -ltnp | grep "127.0.0.1:5422 " | grep -o 'pid=[0-9]*' | cut -d= -f2)
	run_bench "$1" 5422 "$pid"
	$EJ stop > /dev/null 2>&1 || kill "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
}

run_prosody() {
	rm -rf pr
	mkdir -p pr/data
	cp jabberd-state/server.crt pr/localhost.crt
	cp jabberd-state/server.key pr/localhost.key
	sed "s|@WORK@|$WORK|g" "$SCRIPT_DIR/prosody.cfg.lua" > pr/prosody.cfg.lua
	chown -R prosody:prosody pr
	runuser -u prosody -- prosodyctl --config "$WORK/pr/prosody.cfg.lua" register bench localhost bench-pw > /dev/null 2>&1
	runuser -u prosody -- prosody -F --config "$WORK/pr/prosody.cfg.lua" > pr/foreground.log 2>&1 &
	wait_port 5522
	pid=$(ss -ltnp | grep "127.0.0.1:5522 " | grep -o 'pid=[0-9]*' | cut -d= -f2)
	run_bench prosody 5522 "$pid"
	kill "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
}

for round in $(seq 1 "$ROUNDS"); do
	for server in ${SERVERS:-jabberd ejabberd prosody}; do
		case $server in
		jabberd) run_jabberd jabberd jabberd.toml ;;
		jabberd-noarchive) run_jabberd "$server" jabberd-noarchive.toml ;;
		jabberd-ref) run_jabberd "$server" jabberd.toml "$(realpath "$JABBERD_REF")" ;;
		ejabberd) run_ejabberd ejabberd ;;
		ejabberd-nobusywait) run_ejabberd "$server" "+sbwt none +sbwtdcpu none +sbwtdio none" ;;
		prosody) run_prosody ;;
		*) echo "unknown server $server" >&2; exit 2 ;;
		esac
	done
done
epmd -kill > /dev/null 2>&1 || true
