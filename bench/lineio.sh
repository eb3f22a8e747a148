#!/bin/bash
# bench/lineio.sh — sk_line_read throughput against `wc -l`.
#
# A producer (bench/tcpfeed.c) sends SIZE_MB MiB of 80-byte lines over a
# loopback TCP socket; the consumer reads it as stdin.  Consumer A is
# bench/lineio_count.c (sk_line_read, 64 KiB buffer, maxline 1024),
# consumer B is `wc -l`.  Each runs RUNS times (alternating); the best
# time of each is kept.  Prints MiB/s for both and the ratio sockkit/wc;
# fails if the line counts differ or the ratio is below MIN_RATIO.
#
#   make bench                 builds the helpers, sets SK_BENCH, runs this
#   bash bench/lineio.sh       builds the helpers itself with
#                              `make -s O=$O $O/bench/bin/...` (O defaults
#                              to /tmp/sockkit-bench, outside the tree)
#
# Environment: SIZE_MB (1024), RUNS (5), MIN_RATIO (0.8; 0 never fails),
# SK_BENCH, O.
set -eu

SIZE_MB=${SIZE_MB:-1024}
RUNS=${RUNS:-5}
MIN_RATIO=${MIN_RATIO:-0.8}
LEN=80

root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${SK_BENCH:-}" ]; then
	O=${O:-/tmp/sockkit-bench}
	make -s -C "$root" O="$O" "$O/bench/bin/tcpfeed" "$O/bench/bin/lineio_count"
	SK_BENCH=$(cd "$root" && cd "$O/bench/bin" && pwd)
fi
for h in tcpfeed lineio_count; do
	[ -x "$SK_BENCH/$h" ] || { echo "lineio.sh: $SK_BENCH/$h missing" >&2; exit 1; }
done

lines=$(( SIZE_MB * 1024 * 1024 / LEN ))
bytes=$(( lines * LEN ))

# run_once NAME CMD... : sets $count and $ns for one pass over the socket.
run_once() {
	local t0 t1
	t0=$(date +%s%N)
	count=$(timeout 300 "$SK_BENCH/tcpfeed" "$lines" "$LEN" "$@")
	t1=$(date +%s%N)
	ns=$(( t1 - t0 ))
	count=${count//[[:space:]]/}
	if [ "$count" != "$lines" ]; then
		echo "lineio.sh: $1 counted '$count' lines, want $lines" >&2
		exit 1
	fi
}

best_sk=0 best_wc=0
for _ in $(seq "$RUNS"); do
	run_once "$SK_BENCH/lineio_count"
	if [ "$best_sk" -eq 0 ] || [ "$ns" -lt "$best_sk" ]; then best_sk=$ns; fi
	run_once wc -l
	if [ "$best_wc" -eq 0 ] || [ "$ns" -lt "$best_wc" ]; then best_wc=$ns; fi
done

awk -v b="$bytes" -v sk="$best_sk" -v wc="$best_wc" -v n="$lines" \
    -v min="$MIN_RATIO" 'BEGIN {
	mib = b / 1048576
	sk_rate = mib / (sk / 1e9); wc_rate = mib / (wc / 1e9)
	ratio = sk_rate / wc_rate
	printf "lineio: %d lines, %.0f MiB over loopback TCP, best of runs\n", n, mib
	printf "  sk_line_read  %8.1f MiB/s  (%.3f s)\n", sk_rate, sk / 1e9
	printf "  wc -l         %8.1f MiB/s  (%.3f s)\n", wc_rate, wc / 1e9
	printf "  ratio sockkit/wc = %.2f (target >= %.2f)\n", ratio, min
	exit ratio >= min ? 0 : 1
}'
