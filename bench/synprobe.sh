#!/bin/bash
# bench/synprobe.sh — SYN probes per second on loopback: the engine
# (sk_syn_send + libpcap + validation, every probe answered by a RST)
# against a bare raw-socket send loop of the same SYNs with nothing
# captured (the floor).  Both run in a private network namespace.
# Needs root; skipped otherwise.
#
#   make bench             (builds helpers, sets SK_BENCH)
#   bash bench/synprobe.sh (builds them under O=/tmp/sockkit-bench)
# Environment: N (probes per run, 200000), RUNS (3, best kept).
set -eu
N=${N:-200000}
RUNS=${RUNS:-3}
if [ "$(id -u)" -ne 0 ]; then
	echo "synprobe: skipped: needs root (raw socket, capture, netns)"
	exit 0
fi
root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${SK_BENCH:-}" ]; then
	O=${O:-/tmp/sockkit-bench}
	make -s -C "$root" O="$O" "$O/bench/bin/syn_rate"
	SK_BENCH=$O/bench/bin
fi
best_eng=0 best_plain=0 lost=0 drops=0
for r in $(seq 1 "$RUNS"); do
	p=$("$SK_BENCH/syn_rate" plain "$N")
	read -r rate sent got drop < <("$SK_BENCH/syn_rate" engine "$N")
	[ "$p" -gt "$best_plain" ] && best_plain=$p
	if [ "$rate" -gt "$best_eng" ]; then
		best_eng=$rate lost=$((sent - got)) drops=$drop
	fi
done
echo "SYN probes to closed loopback ports, $N per run, best of $RUNS:"
echo "  raw send only:        $best_plain SYN/s"
echo "  sk_syn send+recv:     $best_eng answered/s (lost $lost, pcap drops $drops)"
awk -v a="$best_eng" -v b="$best_plain" \
	'BEGIN { printf "  ratio engine/raw:     %.2f\n", a / b }'
