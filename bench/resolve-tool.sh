#!/bin/bash
# resolve -f (a worker pool over NSS) against getent ahosts run serially
# (one process per name through xargs) for the same N hosts-file names,
# in a private mount namespace whose /etc/hosts holds them.  Best of
# RUNS; prints both figures and the ratio.  Root only (unshare -m).
set -euo pipefail
N=${N:-500}
RUNS=${RUNS:-3}
R=${SK_BIN:-$(dirname "$0")/../bin}/resolve
if [ "$(id -u)" -ne 0 ]; then
	echo "resolve-tool: skipped (needs root for unshare -m)"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo '127.0.0.1 localhost' >"$tmp/hosts"
for i in $(seq 1 "$N"); do
	echo "198.18.$((i / 250)).$((i % 250 + 1)) b$i.bench.test"
	echo "b$i.bench.test" >>"$tmp/names"
done >>"$tmp/hosts"
printf 'hosts: files\n' >"$tmp/nsswitch.conf"
in_ns() {
	unshare -m sh -c 'mount --bind "$0" /etc/hosts &&
		mount --bind "$1" /etc/nsswitch.conf && shift && exec "$@"' \
		"$tmp/hosts" "$tmp/nsswitch.conf" "$@"
}
best() {
	local b= t0 t1 i
	for i in $(seq 1 "$RUNS"); do
		t0=$(date +%s%N)
		in_ns "$@" >/dev/null
		t1=$(date +%s%N)
		t=$(((t1 - t0) / 1000000))
		if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
	done
	echo "$b"
}
lines=$(in_ns "$R" -f "$tmp/names" | grep -c ' ok ')
[ "$lines" -eq "$N" ] || { echo "resolve answered $lines of $N" >&2; exit 1; }
r=$(best "$R" -f "$tmp/names")
g=$(best sh -c 'xargs -n 1 getent ahosts <"$0"' "$tmp/names")
echo "resolve -f, $N hosts-file names: ${r} ms (best of $RUNS)"
echo "getent ahosts serially via xargs:  ${g} ms"
awk -v r="$r" -v g="$g" 'BEGIN { printf "ratio getent/resolve: %.1fx\n", g / (r ? r : 1) }'
