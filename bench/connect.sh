#!/bin/bash
# bench/connect.sh — sk_tcpopen() connect+close rate against a plain
# blocking connect() loop, same listener, same run.  Target ratio >= 0.9.
#
#   make bench             (builds helpers, sets SK_BENCH)
#   bash bench/connect.sh  (builds them under O=/tmp/sockkit-bench)
# Environment: N (connections per run, 10000), RUNS (3, best kept).
set -eu
N=${N:-10000}
RUNS=${RUNS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${SK_BENCH:-}" ]; then
	O=${O:-/tmp/sockkit-bench}
	make -s -C "$root" O="$O" "$O/bench/bin/connect_loop"
	SK_BENCH=$O/bench/bin
fi
tmp=$(mktemp -d)
"$SK_BENCH/connect_loop" serve "$tmp/port" &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; rm -rf "$tmp"' EXIT
for i in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(cat "$tmp/port")
best_sk=0 best_plain=0
for r in $(seq 1 "$RUNS"); do
	p=$("$SK_BENCH/connect_loop" plain "$port" "$N")
	s=$("$SK_BENCH/connect_loop" sk "$port" "$N")
	[ "$p" -gt "$best_plain" ] && best_plain=$p
	[ "$s" -gt "$best_sk" ] && best_sk=$s
done
echo "connect+close, $N per run, best of $RUNS:"
echo "  plain connect(): $best_plain conn/s"
echo "  sk_tcpopen():    $best_sk conn/s"
awk -v a="$best_sk" -v b="$best_plain" 'BEGIN { printf "  ratio sk/plain:  %.2f (target >= 0.9)\n", a / b }'
