#!/usr/bin/env bats
# libsockkit scenarios that need real networks: sk_tcpopen() against test
# hosts in network namespaces (root only), driven by tests/bin/sk-connect.

load helpers/common
load helpers/server
load helpers/netns

setup() {
	CONNECT=$SK_TBIN/sk-connect
}

teardown() {
	sk_servers_stop_all
	sk_netns_cleanup_all
}

# A listener inside namespace IDX on [::]:PORT (both families).
listen_in_ns() {
	local idx=$1 port=$2
	sk_server_start "srv$idx" ip netns exec "$(sk_netns_name "$idx")" \
		"$SK_TBIN/sk-listen" "$port"
	for i in $(seq 1 100); do
		[ -n "$(sk_netns_exec "$idx" ss -Htanl "sport = :$port")" ] && return 0
		sleep 0.05
	done
	return 1
}

@test "tcpopen reports a refused loopback port with address and port" {
	port=$(sk_free_port)
	run "$CONNECT" 127.0.0.1 "$port"
	[ "$status" -eq 3 ]
	[ "$output" = "sk-connect: connect to 127.0.0.1:$port: Connection refused" ]
}

@test "tcpopen rejects an unknown service with a clear error" {
	run "$CONNECT" 127.0.0.1 no-such-service
	[ "$status" -eq 2 ]
	[[ "$output" == *"service no-such-service: unknown tcp service"* ]]
}

@test "tcpopen names every attempt for -v" {
	port=$(sk_free_port)
	run "$CONNECT" -v 127.0.0.1 "$port"
	[[ "${lines[0]}" == *"start 127.0.0.1:$port" ]]
	[[ "${lines[1]}" == *"fail 127.0.0.1:$port" ]]
}

@test "tcpopen: several addresses, first blackholed, connects to the next" {
	sk_require_root
	sk_netns_up 21 >/dev/null
	sk_netns_addr 21 198.18.21.3/24
	port=$(sk_free_port)
	listen_in_ns 21 "$port"
	sk_netns_block 21 drop "$port" ip 198.18.21.2
	printf '198.18.21.2 skmulti.test\n198.18.21.3 skmulti.test\n' >"$BATS_TEST_TMPDIR/hosts"
	run sk_with_hosts "$BATS_TEST_TMPDIR/hosts" "$CONNECT" -v -w 3000 skmulti.test "$port"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"connected 198.18.21.3:$port"* ]]
	[[ "${lines[0]}" == *"start 198.18.21.2:$port" ]]
	ms=$(echo "$output" | sed -n 's/^connected .* \([0-9]*\) ms$/\1/p')
	[ "$ms" -ge 240 ] && [ "$ms" -lt 1500 ]
}

@test "tcpopen: first address rejected, next tried at once" {
	sk_require_root
	sk_netns_up 22 >/dev/null
	sk_netns_addr 22 198.18.22.3/24
	port=$(sk_free_port)
	listen_in_ns 22 "$port"
	sk_netns_block 22 reject "$port" ip 198.18.22.2
	printf '198.18.22.2 skmulti.test\n198.18.22.3 skmulti.test\n' >"$BATS_TEST_TMPDIR/hosts"
	run sk_with_hosts "$BATS_TEST_TMPDIR/hosts" "$CONNECT" -v -w 3000 skmulti.test "$port"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"fail 198.18.22.2:$port"* ]]
	[[ "$output" == *"connected 198.18.22.3:$port"* ]]
	ms=$(echo "$output" | sed -n 's/^connected .* \([0-9]*\) ms$/\1/p')
	[ "$ms" -lt 200 ]
}

# getaddrinfo (RFC 6724, gai.conf) decides which family goes first; find
# out, so the tests blackhole the preferred family whatever the order.
first_family() {
	local a
	a=$(sk_with_hosts "$1" getent ahosts "$2" | awk '/STREAM/ { print $1; exit }')
	case $a in *:*) echo ip6 ;; *) echo ip ;; esac
}

@test "Happy Eyeballs: preferred family blackholed, the other wins after the stagger" {
	sk_require_root
	sk_netns_up 23 >/dev/null
	port=$(sk_free_port)
	listen_in_ns 23 "$port"
	printf '198.18.23.2 skhe.test\n2001:2:0:23::2 skhe.test\n' >"$BATS_TEST_TMPDIR/hosts"
	pref=$(first_family "$BATS_TEST_TMPDIR/hosts" skhe.test)
	if [ "$pref" = ip ]; then
		blackholed=198.18.23.2:$port winner="[2001:2:0:23::2]:$port"
	else
		blackholed="[2001:2:0:23::2]:$port" winner=198.18.23.2:$port
	fi
	sk_netns_block 23 drop "$port" "$pref"
	run sk_with_hosts "$BATS_TEST_TMPDIR/hosts" "$CONNECT" -v -w 5000 skhe.test "$port"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"start $blackholed" ]]
	[[ "$output" == *"connected $winner"* ]]
	[[ "$output" == *"cancel $blackholed"* ]]
	ms=$(echo "$output" | sed -n 's/^connected .* \([0-9]*\) ms$/\1/p')
	[ "$ms" -ge 240 ] && [ "$ms" -lt 1500 ]
}

@test "Happy Eyeballs: other family blackholed, preferred wins at once" {
	sk_require_root
	sk_netns_up 24 >/dev/null
	port=$(sk_free_port)
	listen_in_ns 24 "$port"
	printf '2001:2:0:24::2 skhe.test\n198.18.24.2 skhe.test\n' >"$BATS_TEST_TMPDIR/hosts"
	pref=$(first_family "$BATS_TEST_TMPDIR/hosts" skhe.test)
	if [ "$pref" = ip ]; then
		other=ip6 winner=198.18.24.2:$port
	else
		other=ip winner="[2001:2:0:24::2]:$port"
	fi
	sk_netns_block 24 drop "$port" "$other"
	run sk_with_hosts "$BATS_TEST_TMPDIR/hosts" "$CONNECT" -v -w 5000 skhe.test "$port"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"connected $winner"* ]]
	ms=$(echo "$output" | sed -n 's/^connected .* \([0-9]*\) ms$/\1/p')
	[ "$ms" -lt 200 ]
}

@test "tcpopen: every address blackholed, gives up at the deadline" {
	sk_require_root
	sk_netns_up 25 >/dev/null
	port=$(sk_free_port)
	listen_in_ns 25 "$port"
	sk_netns_block 25 drop "$port"
	printf '198.18.25.2 skhe.test\n2001:2:0:25::2 skhe.test\n' >"$BATS_TEST_TMPDIR/hosts"
	t0=$(sk_ms)
	run sk_with_hosts "$BATS_TEST_TMPDIR/hosts" "$CONNECT" -w 600 skhe.test "$port"
	el=$(( $(sk_ms) - t0 ))
	echo "$output ($el ms)"
	[ "$status" -eq 3 ]
	[[ "$output" == *"connect to skhe.test:$port: timed out after"* ]]
	# Bounds tell "the deadline held" from "the kernel's SYN retries ran"
	# (minutes), with room for a loaded machine or ASan.
	[ "$el" -ge 550 ] && [ "$el" -lt 3000 ]
}

@test "-4 and -6 restrict the families tried" {
	sk_require_root
	sk_netns_up 26 >/dev/null
	port=$(sk_free_port)
	listen_in_ns 26 "$port"
	printf '198.18.26.2 skhe.test\n2001:2:0:26::2 skhe.test\n' >"$BATS_TEST_TMPDIR/hosts"
	run sk_with_hosts "$BATS_TEST_TMPDIR/hosts" "$CONNECT" -6 skhe.test "$port"
	[ "$status" -eq 0 ]
	[[ "$output" == *"connected [2001:2:0:26::2]:$port"* ]]
	run sk_with_hosts "$BATS_TEST_TMPDIR/hosts" "$CONNECT" -4 skhe.test "$port"
	[ "$status" -eq 0 ]
	[[ "$output" == *"connected 198.18.26.2:$port"* ]]
}

@test "resolve: a numeric address needs no time at all" {
	run "$CONNECT" -r -w 1 198.18.0.2 43
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "resolved 198.18.0.2:43" ]
}

@test "resolve: a resolver that never answers, the deadline holds and the message names the host" {
	sk_require_root
	sk_netns_up 27 >/dev/null
	sk_netns_dead_resolver 27
	ns=$(sk_netns_name 27)
	for w in 300 1000; do
		t0=$(sk_ms)
		run ip netns exec "$ns" "$CONNECT" -r -w "$w" slowhost.test 43
		el=$(( $(sk_ms) - t0 ))
		echo "$output (wall $el ms)"
		[ "$status" -eq 3 ]
		[[ "${lines[0]}" == "sk-connect: host slowhost.test: timed out after "* ]]
		[ "${lines[1]%% after*}" = "sk-connect: kind timeout" ]
		ms=$(echo "${lines[1]}" | sed -n 's/.* after \([0-9]*\) ms$/\1/p')
		# Without the deadline glibc would wait 2 x 5 s: the bounds leave
		# room for a loaded machine or ASan, not for that.
		[ "$ms" -ge $((w - 5)) ] && [ "$ms" -le $((w + 1000)) ]
		[ "$el" -lt $((w + 2500)) ]
	done
}

@test "tcpopen: -w covers a resolver that never answers" {
	sk_require_root
	sk_netns_up 28 >/dev/null
	sk_netns_dead_resolver 28
	ns=$(sk_netns_name 28)
	t0=$(sk_ms)
	run ip netns exec "$ns" "$CONNECT" -w 2000 slowhost.test 43
	el=$(( $(sk_ms) - t0 ))
	echo "$output (wall $el ms)"
	[ "$status" -eq 3 ]
	[[ "$output" == "sk-connect: host slowhost.test: timed out after "[0-9]*" ms" ]]
	ms=$(echo "$output" | sed -n 's/.* after \([0-9]*\) ms$/\1/p')
	# glibc alone would wait 2 x 5 s; the room is for a loaded machine.
	[ "$ms" -ge 1995 ] && [ "$ms" -le 3500 ]
	[ "$el" -ge 1950 ] && [ "$el" -lt 4500 ]
}

@test "linechat -w 2 returns in time when the resolver never answers" {
	sk_require_root
	sk_netns_up 29 >/dev/null
	sk_netns_dead_resolver 29
	ns=$(sk_netns_name 29)
	t0=$(sk_ms)
	run ip netns exec "$ns" "$SK_BIN/linechat" -w 2 -c hello slowhost.test 43
	el=$(( $(sk_ms) - t0 ))
	echo "$output (wall $el ms)"
	[ "$status" -eq 3 ]
	[[ "$output" == *"host slowhost.test: timed out after"* ]]
	[ "$el" -ge 1950 ] && [ "$el" -lt 4500 ]
}
