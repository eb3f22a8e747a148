#!/bin/bash
# bench/resolve.sh — resolve in bulk against the anchors of its issue.
#
# N names (default 10,000) served by a dnsmasq started here on a
# 127.0.53.x address, port 53, seen through a private mount namespace
# whose /etc/resolv.conf points at it (hosts: files dns, a hosts file
# with localhost only).  Timed, best of RUNS, the sides alternating:
#
#   resolve -f names            NSS (getaddrinfo worker pool)
#   xargs -n 5000 getent ahosts the getent batch        target: >= 5x slower
#   resolve --dns A -f names    DNS on one c-ares loop
#   adnshost -a -f -t a         adns, asynchronous      (for the record)
#   getent batch vs --dns                               target: >= 10x
#   xargs -n 1 getent ahosts    one getent per name, once (SERIAL=0 skips)
#   resolve_floor -s 64         the floor: getaddrinfo on 64 threads and
#                               nothing else (bench/resolve_floor.c)
#
# Every side's answers are counted: resolve must answer all N, none lost.
# Root only (unshare -m, port 53).  Prints the figures and the ratios;
# exits 1 if a target is missed or an answer is lost.
#
# Environment: N (10000), RUNS (3), SERIAL (1), SK_BIN, SK_BENCH (the
# floor's binary; built in O, /tmp/sockkit-bench, when not given).
set -euo pipefail

N=${N:-10000}
RUNS=${RUNS:-3}
SERIAL=${SERIAL:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
R=${SK_BIN:-$root/bin}/resolve

if [ "$(id -u)" -ne 0 ]; then
	echo "resolve.sh: skipped (needs root: unshare -m, port 53)"
	exit 0
fi
for c in dnsmasq getent adnshost unshare; do
	command -v "$c" >/dev/null ||
		{ echo "resolve.sh: skipped (needs $c; make deps)"; exit 0; }
done
[ -x "$R" ] || { echo "resolve.sh: $R missing (make)" >&2; exit 1; }
if [ -z "${SK_BENCH:-}" ]; then
	O=${O:-/tmp/sockkit-bench}
	make -s -C "$root" O="$O" "$O/bench/bin/resolve_floor" >/dev/null 2>&1 &&
		SK_BENCH=$(cd "$root" && cd "$O/bench/bin" && pwd)
fi
F=${SK_BENCH:-/nonexistent}/resolve_floor

tmp=$(mktemp -d)
dpid=
cleanup() {
	if [ -n "$dpid" ]; then kill "$dpid" 2>/dev/null || true; wait "$dpid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

awk -v n="$N" 'BEGIN { for (i = 1; i <= n; i++)
	printf "198.18.%d.%d b%d.bench.test\n", 64 + int(i / 250), i % 250 + 1, i }' \
	>"$tmp/zone"
awk '{ print $2 }' "$tmp/zone" >"$tmp/names"

# An address nothing else listens on.  Another bench (or a test) may
# pick the same one at the same moment: only a listener that is this
# dnsmasq (ss -p) will do, else another try on another address.
start_dnsmasq() {
	for _ in $(seq 1 20); do
		DNS=127.0.53.$((2 + RANDOM % 250))
		ss -Hlun "src $DNS:53" | grep -q . || break
	done
	# No query log.  --cache-size: dnsmasq sizes its name hash from it,
	# and with the default (150) the N host records sit in long chains
	# that every query walks (perf: 8% of dnsmasq's time; 2% with 10 x N).
	# Both sides ask this one dnsmasq.
	dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
		--listen-address="$DNS" --port=53 --pid-file= --user=root \
		--cache-size=$((10 * N)) \
		--local=/test/ --addn-hosts="$tmp/zone" 2>"$tmp/dnsmasq.err" &
	dpid=$!
	for _ in $(seq 1 100); do
		kill -0 "$dpid" 2>/dev/null || break
		ss -Hlunp "src $DNS:53" | grep -q "pid=$dpid," && return 0
		sleep 0.05
	done
	kill "$dpid" 2>/dev/null || true
	wait "$dpid" 2>/dev/null || true
	dpid=
	return 1
}
RANDOM=$$
for try in 1 2 3 4 5; do
	start_dnsmasq && break
	[ "$try" -lt 5 ] || { echo "resolve.sh: dnsmasq did not start: $(cat "$tmp/dnsmasq.err")" >&2; exit 1; }
done
printf 'nameserver %s\noptions timeout:2 attempts:3\n' "$DNS" >"$tmp/resolv.conf"
printf 'hosts: files dns\n' >"$tmp/nsswitch.conf"
printf '127.0.0.1 localhost\n' >"$tmp/hosts"

in_ns() {
	unshare -m bash -c 'mount --bind "$0" /etc/resolv.conf &&
		mount --bind "$1" /etc/nsswitch.conf &&
		mount --bind "$2" /etc/hosts && shift 2 && exec "$@"' \
		"$tmp/resolv.conf" "$tmp/nsswitch.conf" "$tmp/hosts" "$@"
}

# ms NAME cmd...: time one run, output to $tmp/NAME.out.  Runs inside
# the one namespace measure() is called in: each side is timed as a
# program on a host with this resolv.conf, without the ~30 ms of unshare
# and mounts that a namespace per side would add to both.
ms() {
	local name=$1 t0 t1
	shift
	t0=$(date +%s%N)
	"$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || true
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

measure() {
	declare -A best
	keep() {
		if [ -z "${best[$1]:-}" ] || [ "$2" -lt "${best[$1]}" ]; then
			best[$1]=$2
		fi
	}

	# answered NAME: how many names that side answered with an address
	answered() {
		case $1 in
		nss | dns) grep -c ' ok ' "$tmp/$1.out" || true ;;
		floor) awk '$1 == "answered" { print $2 }' "$tmp/floor.out" ;;
		getent) awk '{ print $3 }' "$tmp/getent.out" | grep -c . || true ;;
		adns) awk '$3 == "ok" { n++ } END { print n + 0 }' "$tmp/adns.out" ;;
		esac
	}

	lost=0
	for run in $(seq 1 "$RUNS"); do
		order="nss getent dns adns"
		[ -x "$F" ] && order="floor $order"
		[ $((run % 2)) -eq 0 ] && order=$(echo "$order" | tr ' ' '\n' | tac | tr '\n' ' ')
		for side in $order; do
			case $side in
			nss) t=$(ms nss "$R" -f "$tmp/names") ;;
			getent) t=$(ms getent sh -c 'xargs -n 5000 getent ahosts <"$0"' "$tmp/names") ;;
			dns) t=$(ms dns "$R" --dns A -f "$tmp/names") ;;
			adns) t=$(ms adns sh -c 'adnshost -a -f -t a <"$0"' "$tmp/names") ;;
			floor) t=$(ms floor "$F" -s 64 "$tmp/names") ;;
			esac
			keep "$side" "$t"
			a=$(answered "$side")
			case $side in
			nss | dns)
				if [ "$a" -ne "$N" ] || [ "$(wc -l <"$tmp/$side.out")" -ne "$N" ]; then
					echo "resolve ($side) answered $a of $N, $(wc -l <"$tmp/$side.out") lines" >&2
					lost=1
				fi ;;
			esac
			eval "ans_$side=$a"
		done
	done
	serial=
	if [ "$SERIAL" = 1 ]; then
		serial=$(ms serial sh -c 'xargs -n 1 getent ahosts <"$0"' "$tmp/names")
	fi

	echo "resolve bench: $N names from dnsmasq via resolv.conf, best of $RUNS (ms)"
	printf '  %-32s %7d  answered %d\n' "resolve -f (NSS, -c 64)" "${best[nss]}" "$ans_nss"
	printf '  %-32s %7d  answered %d\n' "xargs -n 5000 getent ahosts" "${best[getent]}" "$ans_getent"
	printf '  %-32s %7d  answered %d\n' "resolve --dns A -f" "${best[dns]}" "$ans_dns"
	printf '  %-32s %7d  answered %d\n' "adnshost -a -f -t a" "${best[adns]}" "$ans_adns"
	[ -n "$serial" ] && printf '  %-32s %7d  (one run)\n' "xargs -n 1 getent ahosts" "$serial"
	if [ -n "${best[floor]:-}" ]; then
		printf '  %-32s %7d  answered %d\n' "getaddrinfo floor (64 threads)" "${best[floor]}" "$ans_floor"
		awk -v n="${best[nss]}" -v f="${best[floor]}" -v g="${best[getent]}" 'BEGIN {
			printf "  resolve -f / floor                   = %5.2f (getent batch / floor = %.1fx)\n", n / (f ? f : 1), g / (f ? f : 1) }'
	fi
	awk -v n="${best[nss]}" -v g="${best[getent]}" -v d="${best[dns]}" \
	    -v a="${best[adns]}" -v s="${serial:-0}" -v lost="$lost" 'BEGIN {
		n = n ? n : 1; d = d ? d : 1
		printf "  ratio getent batch / resolve -f      = %5.1fx (target >= 5)\n", g / n
		if (s) printf "  ratio getent serial / resolve -f     = %5.1fx\n", s / n
		printf "  ratio getent batch / resolve --dns   = %5.1fx (target >= 10)\n", g / d
		printf "  ratio adnshost / resolve --dns       = %5.1fx\n", a / d
		ok = g / n >= 5 && g / d >= 10 && !lost
		printf "  answers lost by resolve: %s\n", lost ? "SOME" : "none"
		exit ok ? 0 : 1
	}'
}

export -f measure ms
export N RUNS SERIAL R F tmp
in_ns bash -c 'set -eu; measure'
