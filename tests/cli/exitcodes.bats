#!/usr/bin/env bats
# The suite's one exit-code table (DESIGN.md, sk_err_exitcode(3)), checked
# per tool and per kind of failure: 1 a negative answer (no such name, no
# address, no reply), 2 usage or bad input, 3 the job could not be done
# (refused, timeout, resolver or system failure).
#
# Name lookups run against a private resolver: a mount namespace whose
# /etc/hosts, /etc/nsswitch.conf and /etc/resolv.conf point at a dnsmasq
# started here on a loopback address (root only).

load helpers/common
load helpers/server

setup() {
	L=$SK_BIN/linechat
	W=$SK_BIN/whoisd
	C=$SK_TBIN/sk-connect
	DB=$SK_ROOT/contrib/whoisd.db
}

teardown() {
	sk_servers_stop_all
}

# A DNS server for the .test domain: v4.test has only an A record (the
# server's own address, so its TCP port 53 answers a connect),
# nodata.test only a TXT record, every other *.test is NXDOMAIN.
start_dns() {
	sk_require_root
	sk_require_cmd dnsmasq unshare
	DNS=127.0.53.$((2 + RANDOM % 250))
	sk_server_start dns dnsmasq -k --conf-file=/dev/null --no-resolv \
		--no-hosts --bind-interfaces --listen-address="$DNS" --port=53 \
		--local=/test/ --host-record="v4.test,$DNS" \
		--txt-record=nodata.test,sockkit
	local i
	for i in $(seq 1 50); do
		ss -Hlun "src $DNS:53" | grep -q . && break
		sleep 0.05
	done
	printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$DNS" \
		>"$BATS_TEST_TMPDIR/resolv.conf"
	# A resolver address nothing answers on: a temporary failure.
	printf 'nameserver 127.0.53.1\noptions timeout:1 attempts:1\n' \
		>"$BATS_TEST_TMPDIR/resolv.down"
	printf 'hosts: files dns\n' >"$BATS_TEST_TMPDIR/nsswitch.conf"
	printf '127.0.0.1 localhost\n' >"$BATS_TEST_TMPDIR/hosts"
}

# with_dns up|down cmd...: run cmd with the private resolver.
with_dns() {
	local r=$BATS_TEST_TMPDIR/resolv.conf
	[ "$1" = down ] && r=$BATS_TEST_TMPDIR/resolv.down
	shift
	unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf &&
		mount --bind "$1" /etc/nsswitch.conf &&
		mount --bind "$2" /etc/hosts && shift 2 && exec "$@"' \
		"$r" "$BATS_TEST_TMPDIR/nsswitch.conf" "$BATS_TEST_TMPDIR/hosts" "$@"
}

# expect CODE WORDS cmd...: cmd exits CODE and its output has WORDS.
expect() {
	local code=$1 words=$2
	shift 2
	run "$@"
	echo "# $* -> $status: $output"
	[ "$status" -eq "$code" ]
	[[ "$output" == *"$words"* ]]
}

@test "exit codes: libsockkit's sk_tcpopen, one row per kind" {
	start_dns
	port=$(sk_free_port)
	expect 0 "connected $DNS:53" with_dns up "$C" -w 3000 v4.test 53
	expect 1 "host nosuch.test: Name or service not known" \
		with_dns up "$C" -w 3000 nosuch.test 80
	expect 1 "host nodata.test: No address associated with hostname" \
		with_dns up "$C" -w 3000 nodata.test 80
	expect 2 "service no-such-service: unknown tcp service" \
		with_dns up "$C" v4.test no-such-service
	expect 3 "connect to $DNS:$port: Connection refused" \
		with_dns up "$C" v4.test "$port"
	expect 3 "host v4.test:" with_dns down "$C" -w 3000 v4.test 80
}

@test "exit codes: linechat, one row per kind" {
	start_dns
	port=$(sk_free_port)
	expect 1 "host nosuch.test: Name or service not known" \
		with_dns up "$L" -w 3 -c x nosuch.test 80
	expect 1 "host nodata.test: No address associated with hostname" \
		with_dns up "$L" -w 3 -c x nodata.test 80
	expect 2 "no-such-service" with_dns up "$L" -c x v4.test no-such-service
	expect 2 "usage:" "$L" --no-such-option
	expect 3 ":$port: Connection refused" with_dns up "$L" -c x v4.test "$port"
	expect 3 "host v4.test:" with_dns down "$L" -w 3 -c x v4.test 80
}

@test "exit codes: linechat without a reply is a negative answer (1)" {
	sk_require_cmd nc
	port=$(sk_free_port)
	sk_server_start silent nc -l 127.0.0.1 "$port"
	sk_wait_port "$port"
	expect 1 "" "$L" -w 2 -i 1 -c hello 127.0.0.1 "$port"
}

@test "exit codes: whoisd, one row per kind" {
	mkdir "$BATS_TEST_TMPDIR/dir.db"
	printf 'name reggers\n' >"$BATS_TEST_TMPDIR/bad.db"
	expect 2 "usage:" "$W" --no-such-option
	expect 2 "/nonexistent/db" "$W" -f /nonexistent/db --stdio
	expect 2 "dir.db" "$W" -f "$BATS_TEST_TMPDIR/dir.db" --stdio
	expect 2 "bad.db:1:" "$W" -f "$BATS_TEST_TMPDIR/bad.db" --stdio
	expect 2 "99999" "$W" -f "$DB" -l 127.0.0.1:99999
	port=$(sk_free_port)
	sk_server_start holder "$W" -f "$DB" -l "127.0.0.1:$port"
	sk_wait_port "$port"
	expect 3 "Address already in use" "$W" -f "$DB" -l "127.0.0.1:$port"
}

@test "exit codes: whoisd listening on a name that does not exist (1)" {
	start_dns
	expect 1 "nosuch.test" with_dns up "$W" -f "$DB" -l nosuch.test:4343
}

@test "exit codes: --help prints the synopsis to stdout and exits 0" {
	for t in "$L" "$W"; do
		run bash -c "'$t' --help 2>/dev/null"
		[ "$status" -eq 0 ]
		[[ "$output" == "usage: ${t##*/} "* ]]
		run bash -c "'$t' --no-such-option 2>&1 >/dev/null"
		[ "$status" -eq 2 ]
		[[ "$output" == *"usage: ${t##*/} "* ]]
	done
}
