#!/bin/bash
# bench/linechat.sh — linechat --raw relay throughput against OpenBSD nc.
#
# Both relay SIZE_MB MiB from a pipe (head -c … /dev/zero) to the same
# loopback sink (bench/sink.c) in pipe mode; best of RUNS, alternating.
# Prints MiB/s of each, the ratio linechat/nc (target >= 1.3) and
# linechat's peak RSS during the relay (target < 8 MB).
#
#   make bench   or   bash bench/linechat.sh
# Environment: SIZE_MB (1024), RUNS (3).
set -eu
SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${SK_BENCH:-}" ]; then
	O=${O:-/tmp/sockkit-bench}
	make -s -C "$root" O="$O" "$O/bin/linechat" "$O/bench/bin/sink"
	SK_BENCH=$O/bench/bin SK_BIN=$O/bin
fi
command -v nc >/dev/null || { echo "needs nc (netcat-openbsd)"; exit 1; }
tmp=$(mktemp -d)
"$SK_BENCH/sink" "$tmp/port" >"$tmp/sink.out" &
sink=$!
trap 'kill $sink 2>/dev/null; wait $sink 2>/dev/null; rm -rf "$tmp"' EXIT
for i in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(cat "$tmp/port")

now() { date +%s%N; }
mbps() { awk -v b="$1" -v ns="$2" 'BEGIN { printf "%.0f", b / 1048576 / (ns / 1e9) }'; }
bytes=$((SIZE_MB * 1048576))

run_lc() {
	local t0 t1 pid peak=0 rss
	t0=$(now)
	head -c "$bytes" /dev/zero | "$SK_BIN/linechat" --raw -q 0 127.0.0.1 "$port" &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		rss=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
		[ -n "$rss" ] && [ "$rss" -gt "$peak" ] && peak=$rss
		sleep 0.05
	done
	wait "$pid"
	t1=$(now)
	echo "$((t1 - t0)) $peak"
}
run_nc() {
	local t0 t1
	t0=$(now)
	head -c "$bytes" /dev/zero | nc -N 127.0.0.1 "$port"
	t1=$(now)
	echo "$((t1 - t0))"
}
best_lc=0 best_nc=0 peak=0
for r in $(seq 1 "$RUNS"); do
	read -r ns rss < <(run_lc)
	v=$(mbps "$bytes" "$ns")
	[ "$v" -gt "$best_lc" ] && best_lc=$v
	[ "$rss" -gt "$peak" ] && peak=$rss
	v=$(mbps "$bytes" "$(run_nc)")
	[ "$v" -gt "$best_nc" ] && best_nc=$v
done
sleep 0.2
if [ "$(sort -u "$tmp/sink.out")" != "$bytes" ]; then
	echo "sink got $(sort -u "$tmp/sink.out" | tr '\n' ' ') bytes, expected $bytes" >&2
	exit 1
fi
echo "relay of $SIZE_MB MiB over loopback, best of $RUNS:"
echo "  nc (openbsd): $best_nc MiB/s"
echo "  linechat:     $best_lc MiB/s (peak RSS $peak kB, target < 8192)"
awk -v a="$best_lc" -v b="$best_nc" 'BEGIN { printf "  ratio linechat/nc: %.2f (target >= 1.3)\n", a / b }'
