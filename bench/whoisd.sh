#!/bin/bash
# bench/whoisd.sh — whoisd queries/s against a floor server, same run.
#
# Load: bench/whoisd_load.c, one connection per query, at concurrency 64
# and 256 for SECS seconds each.  whoisd: standalone on loopback with a
# generated 100k-record database (contrib/gendb), per-IP limits off
# (--no-limits), everything else default.  Floor: bench/floor_server.c
# (epoll, accept, read a line, write a fixed ~300-byte answer, close).
# Then again with IDLE (10000) idle connections held open against each
# server; for that run whoisd also gets --max-clients above IDLE and
# read/overall timeouts long enough that it does not cut the idle
# clients (by default it would, after 5 s, and refuse past 4096).
# Targets: whoisd >= 0.9x floor; with idle clients >= 0.9x without.
# Then every core: whoisd with its default one loop per core against the
# floor (target >= 1.6x on 2 cores) and against itself on --threads 1
# (p99 no worse), best of RUNS (3), sides alternating.  The load
# generator runs on the same cores, so the floor is also run with one
# loop per core: that is the most this generator can drive here, and
# the CPU each side spends per query shows who uses the cores.
#
#   make bench   or   bash bench/whoisd.sh
# Environment: SECS (5), RECORDS (100000), IDLE (10000), RUNS (3).
set -eu
SECS=${SECS:-5}
RECORDS=${RECORDS:-100000}
IDLE=${IDLE:-10000}
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${SK_BENCH:-}" ]; then
	O=${O:-/tmp/sockkit-bench}
	make -s -C "$root" O="$O" "$O/bin/whoisd" "$O/bench/bin/whoisd_load" \
		"$O/bench/bin/floor_server" "$O/bench/bin/gendb" "$O/tests/bin/sk-client"
	SK_BENCH=$O/bench/bin SK_BIN=$O/bin SK_TBIN=$O/tests/bin
fi
: "${SK_TBIN:=$(dirname "$SK_BENCH")/../tests/bin}"
ulimit -n "$(ulimit -Hn)"
tmp=$(mktemp -d /tmp/whoisd-bench.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

"$SK_BENCH/gendb" "$RECORDS" >"$tmp/db"
chmod 644 "$tmp/db"
# A handle from the middle of the file: one match, a typical answer.
query=$(awk -F': ' '/^Handle:/ { n++; if (n == 5000) { print $2; exit } }' "$tmp/db")

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		[ -z "$(ss -Htan "sport = :$p")" ] && { echo "$p"; return; }
	done
}
wait_port() {
	for i in $(seq 1 200); do
		[ -n "$(ss -Htanl "sport = :$1")" ] && return 0
		sleep 0.05
	done
	echo "nothing listens on $1" >&2
	return 1
}
start_whoisd() {
	WPORT=$(free_port)
	"$SK_BIN/whoisd" -f "$tmp/db" -l "127.0.0.1:$WPORT" --no-limits \
		--log-stderr "$@" 2>/dev/null &
	pids+=($!)
	WPID=$!
	wait_port "$WPORT"
}
start_floor() {	# [threads]
	rm -f "$tmp/fport"
	"$SK_BENCH/floor_server" "$tmp/fport" "${1:-1}" &
	pids+=($!)
	FPID=$!
	for i in $(seq 1 100); do [ -s "$tmp/fport" ] && break; sleep 0.05; done
	FPORT=$(cat "$tmp/fport")
}
hold_idle() {	# port → pid of the holder, once all are open
	"$SK_TBIN/sk-client" idle 127.0.0.1 "$1" "$IDLE" 600 >"$tmp/idle.$1" &
	pids+=($!)
	HOLDER=$!
	for i in $(seq 1 600); do grep -q open "$tmp/idle.$1" && return 0; sleep 0.1; done
	echo "idle clients did not connect" >&2
	return 1
}
qps() { echo "$1" | awk '{ print $2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "whoisd vs floor server: $RECORDS records, query \"$query\", ${SECS}s per run"
start_whoisd
start_floor
# One short warm-up each so neither side pays for first-touch costs.
"$SK_BENCH/whoisd_load" "$WPORT" 64 1 "$query" >/dev/null
"$SK_BENCH/whoisd_load" "$FPORT" 64 1 "$query" >/dev/null
for c in 64 256; do
	w=$("$SK_BENCH/whoisd_load" "$WPORT" "$c" "$SECS" "$query")
	f=$("$SK_BENCH/whoisd_load" "$FPORT" "$c" "$SECS" "$query")
	echo "  c=$c  whoisd: $w"
	echo "  c=$c  floor:  $f"
	echo "  c=$c  ratio whoisd/floor: $(ratio "$(qps "$w")" "$(qps "$f")") (target >= 0.9)"
	eval "base_w_$c=$(qps "$w")"
done
kill "$WPID"
wait "$WPID" 2>/dev/null || true

kill "$FPID"
wait "$FPID" 2>/dev/null || true

# Every core: whoisd with one loop per core (default --threads) against
# the single-thread floor and against itself on one thread (--threads 1),
# best of RUNS runs each, sides alternating so that load from other jobs
# on the machine hits both.  Targets: >= 1.6x the floor on 2 cores; p99
# no worse than one thread.
RUNS=${RUNS:-3}
N=$(nproc)
HZ=$(getconf CLK_TCK)
echo "every core: $N cores, best of $RUNS, load $(cut -d' ' -f1-3 /proc/loadavg)"
start_whoisd
MPORT=$WPORT MPID=$WPID
start_whoisd --threads 1
SPORT=$WPORT SPID=$WPID
start_floor
F1PORT=$FPORT F1PID=$FPID
start_floor "$N"
FNPORT=$FPORT FNPID=$FPID
for p in "$MPORT" "$SPORT" "$F1PORT" "$FNPORT"; do
	"$SK_BENCH/whoisd_load" "$p" 64 1 "$query" >/dev/null
done
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# One run against port $1 served by pid $2: the generator's line plus
# the CPU the server used meanwhile (srv_cpu_ms, all its threads).
run() {
	local t0 out
	t0=$(ticks "$2")
	out=$("$SK_BENCH/whoisd_load" "$1" "$c" "$SECS" "$query")
	echo "$out srv_cpu_ms $(( ($(ticks "$2") - t0) * 1000 / HZ ))"
}
best() {	# best-of line by q/s: current best, new line
	if [ -z "$1" ] || awk -v a="$(qps "$2")" -v b="$(qps "$1")" \
	    'BEGIN { exit !(a > b) }'; then echo "$2"; else echo "$1"; fi
}
field() { echo "$1" | awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'; }
# CPU microseconds per query: server + load generator.
cost() {
	awk -v q="$(qps "$1")" -v s="$(field "$1" srv_cpu_ms)" \
	    -v g="$(field "$1" cpu_ms)" -v t="$SECS" 'BEGIN {
		n = q * t; printf "server %.0f + generator %.0f us", s * 1000 / n, g * 1000 / n }'
}
for c in 64 256; do
	m= s= f= n=
	for r in $(seq 1 "$RUNS"); do
		m=$(best "$m" "$(run "$MPORT" "$MPID")")
		f=$(best "$f" "$(run "$F1PORT" "$F1PID")")
		s=$(best "$s" "$(run "$SPORT" "$SPID")")
		n=$(best "$n" "$(run "$FNPORT" "$FNPID")")
	done
	echo "  c=$c  whoisd, $N threads: $m"
	echo "  c=$c  whoisd, 1 thread:  $s"
	echo "  c=$c  floor, 1 thread:   $f"
	echo "  c=$c  floor, $N threads:  $n"
	echo "  c=$c  ratio whoisd/floor: $(ratio "$(qps "$m")" "$(qps "$f")") (target >= 1.6 on 2 cores)"
	echo "  c=$c  ceiling: floor $N threads/1 thread $(ratio "$(qps "$n")" "$(qps "$f")") (what this generator can drive here)"
	echo "  c=$c  ratio whoisd/floor, both $N threads: $(ratio "$(qps "$m")" "$(qps "$n")")"
	echo "  c=$c  CPU per query: whoisd $N threads $(cost "$m"); floor 1 thread $(cost "$f")"
	echo "  c=$c  p99 ms: $N threads $(field "$m" p99_ms), 1 thread $(field "$s" p99_ms) (target: no worse)"
done
kill "$MPID" "$SPID" "$F1PID" "$FNPID"
wait "$MPID" "$SPID" "$F1PID" "$FNPID" 2>/dev/null || true

echo "with $IDLE idle connections held open:"
start_whoisd --max-clients $((IDLE + 1000)) --read-timeout 3600 --timeout 3600
hold_idle "$WPORT"
for c in 64 256; do
	w=$("$SK_BENCH/whoisd_load" "$WPORT" "$c" "$SECS" "$query")
	eval "b=\$base_w_$c"
	echo "  c=$c  whoisd: $w"
	echo "  c=$c  ratio idle/no-idle: $(ratio "$(qps "$w")" "$b") (target >= 0.9)"
done
