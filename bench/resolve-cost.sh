#!/bin/bash
# bench/resolve-cost.sh — what the deadline costs name resolution.
#
# sk_addr_resolve() under a deadline must cost a numeric address no worker
# thread: bench/resolve_cost.c times N calls of getaddrinfo(3) on a
# numeric address (the anchor) and of sk_addr_resolve() on the same
# address with SK_NEVER and with a deadline, then "localhost" through
# hosts(5) inline and through the worker thread, which shows what a
# thread costs.  Best of RUNS; fails if the deadline adds more than
# MAX_EXTRA_NS to a numeric call (a thread would add tens of thousands).
#
#   make bench                 builds the helper, sets SK_BENCH, runs this
#   bash bench/resolve-cost.sh builds it itself (O=/tmp/sockkit-bench)
#
# Environment: N (200000), RUNS (3), MAX_EXTRA_NS (1000), SK_BENCH, O.
set -eu

N=${N:-200000}
RUNS=${RUNS:-3}
MAX_EXTRA_NS=${MAX_EXTRA_NS:-1000}

root=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${SK_BENCH:-}" ]; then
	O=${O:-/tmp/sockkit-bench}
	make -s -C "$root" O="$O" "$O/bench/bin/resolve_cost"
	SK_BENCH=$(cd "$root" && cd "$O/bench/bin" && pwd)
fi
[ -x "$SK_BENCH/resolve_cost" ] ||
	{ echo "resolve.sh: $SK_BENCH/resolve_cost missing" >&2; exit 1; }

for _ in $(seq "$RUNS"); do
	"$SK_BENCH/resolve_cost" "$N"
done | awk -v n="$N" -v max="$MAX_EXTRA_NS" '
	!($1 in best) || $2 < best[$1] { best[$1] = $2 }
	END {
		printf "resolve: ns per call, best of runs (%d numeric calls each)\n", n
		printf "  getaddrinfo numeric        %8.0f\n", best["raw"]
		printf "  sk_addr_resolve SK_NEVER   %8.0f\n", best["never"]
		printf "  sk_addr_resolve deadline   %8.0f\n", best["deadline"]
		printf "  getaddrinfo localhost      %8.0f\n", best["name-raw"]
		printf "  sk_addr_resolve localhost  %8.0f  (worker thread)\n", best["name-dl"]
		extra = best["deadline"] - best["never"]
		printf "  a deadline adds %.0f ns to a numeric call (target <= %d); a thread costs %.0f\n", extra, max, best["name-dl"] - best["name-raw"]
		printf "  ratio sockkit/getaddrinfo (numeric, deadline) = %.2f\n", best["raw"] / best["deadline"]
		exit extra <= max ? 0 : 1
	}'
