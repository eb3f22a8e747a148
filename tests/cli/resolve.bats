#!/usr/bin/env bats
# resolve(1): what NSS answers, cross-checked with getent, under a private
# resolver: a mount namespace whose /etc/hosts, /etc/nsswitch.conf and
# /etc/resolv.conf point at a hosts file and a dnsmasq started here on a
# 127.0.53.x address (root only; CI is root).

load helpers/common
load helpers/server

bats_require_minimum_version 1.5.0

setup() {
	R=$SK_BIN/resolve
}

teardown() {
	sk_servers_stop_all
}

# The .test zone: d1.test A+AAAA, nodata.test TXT only, ptr for
# 198.18.0.30 names a host that does not exist (an FCrDNS mismatch);
# every other *.test is NXDOMAIN.  The hosts file adds h1/h2/dual.
start_dns() {
	sk_require_root
	sk_require_cmd dnsmasq unshare getent jq
	DNS=127.0.53.$((2 + RANDOM % 250))
	sk_server_start dns dnsmasq -k --conf-file=/dev/null --no-resolv \
		--no-hosts --bind-interfaces --listen-address="$DNS" --port=53 \
		--local=/test/ --host-record="d1.test,198.18.0.20,2001:2::20" \
		--host-record="d2.test,198.18.0.21" \
		--txt-record=nodata.test,sockkit \
		--ptr-record=30.0.18.198.in-addr.arpa,ghost.test
	local i
	for i in $(seq 1 50); do
		ss -Hlun "src $DNS:53" | grep -q . && break
		sleep 0.05
	done
	printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$DNS" \
		>"$BATS_TEST_TMPDIR/resolv.conf"
	printf 'hosts: files dns\nservices: files\nprotocols: files\n' \
		>"$BATS_TEST_TMPDIR/nsswitch.conf"
	cat >"$BATS_TEST_TMPDIR/hosts" <<-EOT
	127.0.0.1 localhost
	198.18.0.10 h1.test h1
	198.18.0.11 h2.test
	2001:2::11 h2.test
	2001:2::40 dual.test
	198.18.0.40 dual.test
	2001:2::41 dual.test
	198.18.0.41 dual.test
	EOT
}

# in_ns cmd...: run cmd with the private resolver.
in_ns() {
	unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf &&
		mount --bind "$1" /etc/nsswitch.conf &&
		mount --bind "$2" /etc/hosts && shift 2 && exec "$@"' \
		"$BATS_TEST_TMPDIR/resolv.conf" "$BATS_TEST_TMPDIR/nsswitch.conf" \
		"$BATS_TEST_TMPDIR/hosts" "$@"
}

# A DNS server that reads every query and answers none.
start_dropper() {
	DROP=127.0.53.$((2 + RANDOM % 250))
	[ "$DROP" = "$DNS" ] && DROP=127.0.53.1
	sk_server_start drop /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
while True:
    s.recvfrom(4096)' "$DROP"
	local i
	for i in $(seq 1 50); do
		ss -Hlun "src $DROP:53" | grep -q . && break
		sleep 0.05
	done
	printf 'nameserver %s\noptions timeout:5 attempts:2\n' "$DROP" \
		>"$BATS_TEST_TMPDIR/resolv.conf"
}

# The addresses getent ahosts prints, once each, in its order.
getent_addrs() {
	in_ns getent ahosts "$1" | awk '!seen[$1]++ { print $1 }'
}

resolve_addrs() {
	in_ns "$R" -j "$1" | jq -r '.addresses[].address'
}

@test "resolve gives getent ahosts' addresses for hosts-file names" {
	start_dns
	for n in h1.test h1 h2.test dual.test localhost; do
		want=$(getent_addrs "$n")
		[ -n "$want" ]
		got=$(resolve_addrs "$n")
		echo "$n: want [$want] got [$got]"
		[ "$got" = "$want" ]
	done
}

@test "resolve gives getent ahosts' addresses for DNS names" {
	start_dns
	for n in d1.test d2.test; do
		want=$(getent_addrs "$n")
		[ -n "$want" ]
		got=$(resolve_addrs "$n")
		echo "$n: want [$want] got [$got]"
		[ "$got" = "$want" ]
	done
}

@test "resolve -4 and -6 keep one family" {
	start_dns
	run in_ns "$R" -4 dual.test
	[ "$status" -eq 0 ]
	[[ "$output" == *198.18.0.40* ]]
	[[ "$output" != *2001:2::* ]]
	run in_ns "$R" -j -6 dual.test
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '[.addresses[].family] | unique | join(",")')" = inet6 ]
}

@test "resolve reports the canonical name" {
	start_dns
	run in_ns "$R" -j h1
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .canonical_name)" = h1.test ]
}

@test "resolve ADDR names what getent hosts names, forward-confirmed" {
	start_dns
	want=$(in_ns getent hosts 198.18.0.10 | awk '{ print $2 }')
	run in_ns "$R" 198.18.0.10
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "198.18.0.10 ok $want FCrDNS ok" ]
}

@test "resolve ADDR says mismatch when the PTR name does not lead back" {
	start_dns
	run in_ns "$R" -j 198.18.0.30
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .name)" = ghost.test ]
	[ "$(echo "$output" | jq -r .fcrdns)" = mismatch ]
}

@test "resolve -s matches getent services both ways" {
	sk_require_cmd getent
	for q in whois 43 43/tcp domain/udp 53/udp ssh; do
		want=$(getent services "$q")
		run "$R" -s "$q"
		echo "$q: want [$want] got [$output]"
		[ "$status" -eq 0 ]
		[ "$output" = "$want" ]
	done
	run "$R" -s whois
	[ "$output" = "whois                 43/tcp nicname" ]
}

@test "resolve -P matches getent protocols" {
	for q in tcp 17 icmp; do
		want=$(getent protocols "$q")
		run "$R" -P "$q"
		[ "$status" -eq 0 ]
		[ "$output" = "$want" ]
	done
}

@test "resolve -s of an unknown service exits 1" {
	run "$R" -s nosuchservice
	[ "$status" -eq 1 ]
	[[ "$output" == *not-found* ]]
}

@test "resolve HOST SERVICE alternates families with a 250 ms stagger" {
	start_dns
	run in_ns "$R" -j dual.test whois
	echo "$output"
	[ "$status" -eq 0 ]
	fams=$(echo "$output" | jq -r '[.attempts[].family] | join(",")')
	first=${fams%%,*}
	if [ "$first" = inet6 ]; then
		[ "$fams" = inet6,inet,inet6,inet ]
	else
		[ "$fams" = inet,inet6,inet,inet6 ]
	fi
	[ "$(echo "$output" | jq -r '[.attempts[].start_ms] | join(",")')" = 0,250,500,750 ]
	[ "$(echo "$output" | jq -r '[.attempts[].port] | unique | join(",")')" = 43 ]
	run in_ns "$R" dual.test:43
	[ "$status" -eq 0 ]
	[[ "$output" == *"+250ms "* ]]
}

@test "resolve exits 1 for NXDOMAIN and NODATA, with their status words" {
	start_dns
	run in_ns "$R" nx.test
	[ "$status" -eq 1 ]
	[[ "$output" == "nx.test not-found "* ]]
	run in_ns "$R" nodata.test
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == "nodata.test no-data "* ]]
}

@test "resolve -w gives up on a server that drops queries and exits 3" {
	start_dns
	start_dropper
	t0=$(sk_ms)
	run in_ns "$R" -w 1 slow.test
	t1=$(sk_ms)
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == "slow.test timeout "* ]]
	[ $((t1 - t0)) -lt 3000 ]
}

@test "resolve rejects bad names per name and exits 2" {
	long=$(printf 'a%.0s' $(seq 1 64))
	run "$R" "$long.test" 'bad!name' localhost
	echo "$output"
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == *"label longer than 63"* ]]
	[[ "${lines[1]}" == *"bad character"* ]]
	[[ "${lines[2]}" == "localhost ok "* ]]
	name=$(for i in $(seq 1 30); do printf 'abcdefghi.'; done)
	run "$R" "$name"
	[ "$status" -eq 2 ]
	[[ "$output" == *"longer than 253"* ]]
}

@test "resolve -f answers every line once, in order with --ordered" {
	start_dns
	{
		for i in $(seq 1 50); do echo h1.test; echo nx$i.test; echo d1.test; done
		echo '# a comment'
		echo ''
		echo 'bad!name'
		echo 'dual.test whois'
		echo '198.18.0.10'
	} >"$BATS_TEST_TMPDIR/names"
	run in_ns "$R" -c 8 --ordered -f "$BATS_TEST_TMPDIR/names"
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 153 ]
	grep -v '^#' "$BATS_TEST_TMPDIR/names" | grep . | awk '{ print $1 }' \
		>"$BATS_TEST_TMPDIR/want"
	printf '%s\n' "${lines[@]}" | awk '{ print $1 }' >"$BATS_TEST_TMPDIR/got"
	diff "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	[ "$(printf '%s\n' "${lines[@]}" | grep -c ' not-found ')" -eq 50 ]
}

@test "resolve -f - streams NDJSON, one valid object per line" {
	start_dns
	run in_ns sh -c 'printf "h1.test\nnx.test\nd1.test\n127.0.0.1\nlocalhost:43\n" |
		"$0" -j -t -f -' "$R"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 5 ]
	echo "$output" | jq -e -s 'length == 5 and
		all(.[]; .schema == "sockkit.resolve/1" and .source == "nss"
		    and (.time_ms | type) == "number")'
	echo "$output" | jq -e -s '[.[] | select(.query == "nx.test")][0].status == "not-found"'
	echo "$output" | jq -e -s '[.[] | select(.query == "h1.test")][0].addresses[0].address == "198.18.0.10"'
}

@test "resolve -f with a dropping server still gives one line per input" {
	start_dns
	start_dropper
	for i in $(seq 1 20); do echo "slow$i.test"; done >"$BATS_TEST_TMPDIR/names"
	echo localhost >>"$BATS_TEST_TMPDIR/names"
	t0=$(sk_ms)
	run in_ns "$R" -w 1 -c 32 -f "$BATS_TEST_TMPDIR/names"
	t1=$(sk_ms)
	echo "$output"
	[ "$status" -eq 3 ]
	[ "${#lines[@]}" -eq 21 ]
	[ "$(printf '%s\n' "${lines[@]}" | grep -cE ' (timeout|temp-fail) ')" -eq 20 ]
	[ $((t1 - t0)) -lt 4000 ]
}

@test "resolve --help prints the synopsis to stdout and exits 0" {
	run --separate-stderr "$R" --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: resolve "* ]]
	[ -z "$stderr" ]
}

@test "resolve refuses bad options and mixes with exit 2" {
	run "$R" -Z
	[ "$status" -eq 2 ]
	run "$R" -w 0 localhost
	[ "$status" -eq 2 ]
	run "$R" -f /dev/null localhost
	[ "$status" -eq 2 ]
	run "$R" --ordered localhost
	[ "$status" -eq 2 ]
	run "$R"
	[ "$status" -eq 2 ]
}
