#!/bin/bash
# bench/portprobe.sh — portprobe against nmap, nc and masscan on the same
# work, same run, sides alternating, best of RUNS:
#   1. loopback, all 65535 ports, 4 listeners: portprobe -sT -T4 -p- vs
#      nmap -sT -T4 -p- (target <= 0.5x) and nc -z; open sets compared;
#   2. (root) a namespace host with 4 open and 1,001 dropped ports:
#      portprobe -sT vs nmap -sT -T4 and portprobe -sS vs nmap -sS -T4
#      (targets <= 0.5x, verdicts compared to the fixture); masscan is
#      not run (see below);
#   3. memory: RSS of a /16 x top-100 plan (streamed, target <= 32 MB) and
#      of a real /20 x top-100 scan of 127.0.0.0/20.
# Hold /tmp/sk-check.lock while it runs (make bench does not take it):
#   flock /tmp/sk-check.lock bash bench/portprobe.sh
# Environment: RUNS (5), SK_BIN, SK_TBIN (built binaries).
set -u
RUNS=${RUNS:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
: "${SK_BIN:=$root/bin}"
: "${SK_TBIN:=$root/tests/bin}"
P=$SK_BIN/portprobe
[ -x "$P" ] || { echo "build first: make" >&2; exit 1; }
[ -x "$SK_TBIN/sk-listen" ] || make -s -C "$root" tests/bin/sk-listen
tmp=$(mktemp -d /tmp/sk-ppbench.XXXXXX)
pids=()
ns=""
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	if [ -n "$ns" ]; then
		ip link del skppb112 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

ms() { echo $(($(date +%s%N) / 1000000)); }
# Wall milliseconds of "$@", output to $tmp/out.
timed() {
	local t0
	t0=$(ms)
	"$@" >"$tmp/out" 2>"$tmp/err"
	echo $(($(ms) - t0))
}
best() { [ "$1" -lt "$2" ] && echo "$1" || echo "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		[ -z "$(ss -Htan "sport = :$p")" ] && { echo "$p"; return; }
	done
}

# ---- 1. loopback ----------------------------------------------------------------
open=()
for _ in 1 2 3 4; do
	p=$(free_port)
	"$SK_TBIN/sk-listen" 127.0.0.1 "$p" >/dev/null 2>&1 &
	pids+=($!)
	open+=("$p")
done
sleep 0.3
bp=999999 bn=999999 diffs=0
for r in $(seq 1 "$RUNS"); do
	t=$(timed "$P" -j --open -T4 -p- 127.0.0.1)
	bp=$(best "$t" "$bp")
	jq -r 'select(.type == "port") | .port' "$tmp/out" | sort -n >"$tmp/pp.open"
	t=$(timed nmap -sT -T4 -p- -oG - 127.0.0.1)
	bn=$(best "$t" "$bn")
	grep -o '[0-9]*/open/' "$tmp/out" | cut -d/ -f1 | sort -n >"$tmp/nmap.open"
	cmp -s "$tmp/pp.open" "$tmp/nmap.open" || diffs=$((diffs + 1))
	for p in "${open[@]}"; do
		grep -qx "$p" "$tmp/pp.open" || echo "portprobe missed open port $p" >&2
	done
done
tnc=$(timed nc -z 127.0.0.1 1-65535)
echo "loopback, 65535 ports, ${#open[@]} listeners here (+ whatever else listens), best of $RUNS:"
echo "  portprobe -sT -T4 -p-:   ${bp} ms"
echo "  nmap -sT -T4 -p-:        ${bn} ms"
echo "  nc -z 1-65535 (1 run):   ${tnc} ms"
echo "  ratio portprobe/nmap:    $(ratio "$bp" "$bn") (target <= 0.5)"
echo "  ratio portprobe/nc:      $(ratio "$bp" "$tnc")"
echo "  open sets differed in $diffs of $RUNS runs (listeners of other processes may come and go)"

# ---- 2. a namespace host ------------------------------------------------------------
if [ "$(id -u)" -eq 0 ] && command -v nft >/dev/null; then
	ns=skppb$$-112
	ip netns add "$ns"
	ip link add skppb112 type veth peer name skpeer netns "$ns"
	ip addr add 198.18.112.1/24 dev skppb112
	ip link set skppb112 up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add 198.18.112.2/24 dev skpeer
	ip -n "$ns" link set skpeer up
	ip netns exec "$ns" nft add table inet b
	ip netns exec "$ns" nft add chain inet b input '{ type filter hook input priority 0; }'
	# 4 open, 1,001 dropped, the rest closed; ports from a fixed seed.
	RANDOM=112
	declare -A used=()
	# Not called in $(...): a subshell would lose used[] (and RANDOM's
	# state), and the "1,001 dropped" would hold duplicates.
	pick() {
		local p=$((RANDOM % 65535 + 1))
		while [ -n "${used[$p]:-}" ]; do p=$((RANDOM % 65535 + 1)); done
		used[$p]=1
		picked=$p
	}
	nsopen=()
	for _ in 1 2 3 4; do pick; nsopen+=("$picked"); done
	drop=()
	for _ in $(seq 1 1001); do pick; drop+=("$picked"); done
	ip netns exec "$ns" nft add rule inet b input tcp dport "{ $(IFS=,; echo "${drop[*]}") }" drop
	for p in "${nsopen[@]}"; do
		ip netns exec "$ns" "$SK_TBIN/sk-listen" "$p" >/dev/null 2>&1 &
		pids+=($!)
	done
	sleep 0.3
	printf '%s\n' "${nsopen[@]}" | sort -n >"$tmp/truth.open"
	bp=999999 bn=999999 ok=0
	for r in $(seq 1 "$RUNS"); do
		t=$(timed "$P" -j -T4 -p- 198.18.112.2)
		bp=$(best "$t" "$bp")
		jq -r 'select(.type == "port" and .state == "open") | .port' "$tmp/out" |
			sort -n >"$tmp/pp.open"
		nf=$(jq -r 'select(.type == "port" and .state == "filtered") | .port' "$tmp/out" | wc -l)
		nc_=$(jq -r 'select(.type == "port" and .state == "closed") | .port' "$tmp/out" | wc -l)
		cmp -s "$tmp/pp.open" "$tmp/truth.open" && [ "$nf" -eq 1001 ] &&
			[ "$nc_" -eq $((65535 - 1005)) ] && ok=$((ok + 1))
		t=$(timed nmap -sT -T4 -p- -oX "$tmp/nmap.xml" 198.18.112.2)
		bn=$(best "$t" "$bn")
	done
	nmap_open=$(grep -o 'portid="[0-9]*"><state state="open"' "$tmp/nmap.xml" | wc -l)
	nmap_filt=$(( $(grep -o 'portid="[0-9]*"><state state="filtered"' "$tmp/nmap.xml" | wc -l) +
		$(grep -o '<extraports state="filtered" count="[0-9]*"' "$tmp/nmap.xml" | grep -o '[0-9]*' | head -1 || echo 0) ))
	bs=999999 bns=999999 oks=0
	for r in $(seq 1 "$RUNS"); do
		t=$(timed "$P" -sS -j -T4 -p- 198.18.112.2)
		bs=$(best "$t" "$bs")
		jq -r 'select(.type == "port" and .state == "open") | .port' "$tmp/out" |
			sort -n >"$tmp/pp.open"
		nf=$(jq -r 'select(.type == "port" and .state == "filtered") | .port' "$tmp/out" | wc -l)
		nc_=$(jq -r 'select(.type == "port" and .state == "closed") | .port' "$tmp/out" | wc -l)
		cmp -s "$tmp/pp.open" "$tmp/truth.open" && [ "$nf" -eq 1001 ] &&
			[ "$nc_" -eq $((65535 - 1005)) ] && oks=$((oks + 1))
		t=$(timed nmap -sS -T4 -p- -oG - 198.18.112.2)
		bns=$(best "$t" "$bns")
	done
	echo "namespace host 198.18.112.2: 4 open, 1001 dropped, 64530 closed, best of $RUNS:"
	echo "  portprobe -sT -T4 -p-:   ${bp} ms (verdicts exact in $ok of $RUNS runs)"
	echo "  nmap -sT -T4 -p-:        ${bn} ms (last run: $nmap_open open, $nmap_filt filtered)"
	echo "  ratio portprobe/nmap:    $(ratio "$bp" "$bn") (target <= 0.5)"
	echo "  portprobe -sS -T4 -p-:   ${bs} ms (verdicts exact in $oks of $RUNS runs)"
	echo "  nmap -sS -T4 -p-:        ${bns} ms"
	echo "  ratio portprobe/nmap -sS: $(ratio "$bs" "$bns") (target <= 0.5)"
	# masscan is not run: it sends from its own stack through the adapter
	# it picks, and here it reported 12,049 of 65,535 ports "open" on a
	# host with 4 listeners, most likely because its SYNs left by eth0
	# (whose gateway answers SYN-ACK for any address) instead of the veth
	# to the namespace.  Pinning it (--adapter skppb112, --router-mac of
	# skpeer) is untested; until then it must not send at all.
	echo "  masscan: not run (see the comment in bench/portprobe.sh)"
else
	echo "namespace host: skipped (needs root and nft)"
fi

# ---- 3. memory ------------------------------------------------------------------------
rss=$( { /usr/bin/time -f %M "$P" --plan -F 198.18.0.0/16 >/dev/null; } 2>&1 | tail -1)
echo "memory:"
echo "  /16 x top-100 plan (6,553,600 probes, streamed): ${rss} KB RSS (target <= 32768)"
rss=$( { /usr/bin/time -f %M "$P" -j -F 127.0.0.0/20 >/dev/null; } 2>&1 | tail -1)
echo "  /20 x top-100 scan of 127.0.0.0/20, -j:           ${rss} KB RSS"
rss=$( { /usr/bin/time -f %M "$P" -F 127.0.0.0/20 >/dev/null; } 2>&1 | tail -1)
echo "  /20 x top-100 scan of 127.0.0.0/20, tables:       ${rss} KB RSS"
