#!/usr/bin/env bash
# Load a generated directory the way whoisd does and report time, minor
# page faults and memory against the targets of issue 9: 1,000,000
# records in under 1 s, at most 5,000 minor faults, resident memory under
# 2x the file size.  Ratios are printed, not asserted.  WDB_RECORDS
# overrides the record count, WDB_RUNS the number of runs (best counts:
# load time is noisy on a shared machine; the fault count is not).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${WDB_RECORDS:-1000000}
runs=${WDB_RUNS:-5}
if [ -z "${SK_BENCH:-}" ]; then
	# Run by hand: build the helpers outside the tree, like the others.
	O=${O:-/tmp/sockkit-bench}
	make -s -C "$root" O="$O" "$O/bench/bin/gendb" "$O/bench/bin/wdb_load"
	SK_BENCH=$O/bench/bin
fi
bench=$SK_BENCH
for b in gendb wdb_load; do
	if [ ! -x "$bench/$b" ]; then
		echo "whoisd-load: $bench/$b missing; run 'make bench'" >&2
		exit 2
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t0=$(date +%s%N)
"$bench/gendb" "$n" > "$tmp/whoisd.db"
t1=$(date +%s%N)
sync "$tmp/whoisd.db"	# writeback must not compete with the load
size=$(stat -c %s "$tmp/whoisd.db")
echo "gendb: $n records, $((size / 1048576)) MiB in $(((t1 - t0) / 1000000)) ms"
best=
for i in $(seq "$runs"); do
	out=$("$bench/wdb_load" "$tmp/whoisd.db")
	ms=$(sed -n 's/.*load_ms=\([0-9.]*\).*/\1/p' <<<"$out")
	flt=$(sed -n 's/.*minflt=\([0-9]*\).*/\1/p' <<<"$out")
	max=$(sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' <<<"$out")
	rss=$(sed -n 's/.* rss_kb=\([0-9]*\).*/\1/p' <<<"$out")
	echo "run $i: $out"
	if [ -z "$best" ] || awk -v a="$ms" -v b="$best" 'BEGIN{exit !(a<b)}'; then
		best=$ms
	fi
done
awk -v ms="$best" -v size="$size" -v max="$max" -v rss="$rss" -v runs="$runs" \
    -v flt="$flt" 'BEGIN {
	printf "load time: %.0f ms (best of %d; target < 1000 ms)\n", ms, runs
	printf "minor faults: %d during the load (target <= 5000)\n", flt
	printf "file size: %.1f MiB\n", size / 1048576
	printf "RSS after load: %.1f MiB, peak %.1f MiB\n", rss / 1024, max / 1024
	printf "RSS/file ratio: %.2f after load, %.2f peak (target < 2)\n",
	    rss * 1024 / size, max * 1024 / size
}'
