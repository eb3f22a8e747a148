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
	stop_compare_ns
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
	198.18.0.50 xn--bcher-kva.test
	::1 lo2.test
	127.0.0.1 lo2.test
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

@test "resolve converts an IDN to A-labels as getent ahosts does" {
	start_dns
	want=$(getent_addrs bücher.test)
	[ "$want" = 198.18.0.50 ]
	[ "$(resolve_addrs bücher.test)" = "$want" ]
	run in_ns "$R" -j bücher.test
	echo "$output" | jq -e '.idn == {"u_label": "bücher.test", "a_label": "xn--bcher-kva.test"}'
	run in_ns "$R" xn--bcher-kva.test
	[ "$status" -eq 0 ]
	[[ "$output" == *" idn bücher.test"* ]]
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

# A DNS server that answers every query NXDOMAIN and prints the client
# port of each, one a line.
start_recorder() {
	REC=127.0.53.$((2 + RANDOM % 250))
	[ "$REC" = "${DNS:-}" ] && REC=127.0.53.1
	sk_server_start rec /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
while True:
    q, peer = s.recvfrom(4096)
    if len(q) < 12:
        continue
    print(peer[1], flush=True)
    # QR, RD and RA set, RCODE 3: the question echoed, no records
    s.sendto(q[:2] + bytes([0x81, 0x83]) + q[4:6] + bytes(6) + q[12:], peer)
' "$REC"
	local i
	for i in $(seq 1 50); do
		ss -Hlun "src $REC:53" | grep -q . && break
		sleep 0.05
	done
	printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$REC" \
		>"$BATS_TEST_TMPDIR/resolv.conf"
}

@test "resolve -f: a worker keeps its resolver socket for 32 lookups, then a new one" {
	start_dns
	start_recorder
	for i in $(seq 1 100); do echo "nx$i.test"; done >"$BATS_TEST_TMPDIR/names"
	run in_ns "$R" -c 1 -f "$BATS_TEST_TMPDIR/names"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 100 ]
	[ "$(printf '%s\n' "${lines[@]}" | grep -c ' not-found ')" -eq 100 ]
	# one worker: lookups 1-32, 33-64, 65-96 and 97-100 on four sockets
	# (fewer ports if the kernel happened to give one twice)
	queries=$(wc -l <"$BATS_TEST_TMPDIR/rec.out")
	ports=$(sort -u "$BATS_TEST_TMPDIR/rec.out" | wc -l)
	echo "queries $queries ports $ports"
	[ "$queries" -ge 200 ]
	[ "$ports" -ge 2 ]
	[ "$ports" -le 4 ]
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

# ---- DNS mode ---------------------------------------------------------------

# A dnsmasq on 127.0.53.x and a free port serving every record type
# resolve --dns knows, plus the hosts file $ZONE_HOSTS (bulk names);
# sets ZDNS (address) and ZPORT.
start_zone() {
	sk_require_cmd dnsmasq dig jq
	ZDNS=127.0.53.$((2 + RANDOM % 250))
	ZPORT=$(sk_free_port)
	: "${ZONE_HOSTS:=/dev/null}"
	local caa soa ns
	caa=0005697373756563612e74657374			# 0 issue "ca.test"
	soa=026e730474657374000561646d696e0474657374000000000700000e1000000258000151800000012c
	ns=026e730474657374 ns=${ns}00
	sk_server_start zone dnsmasq -k --conf-file=/dev/null --no-resolv \
		--no-hosts --bind-interfaces --listen-address="$ZDNS" \
		--port="$ZPORT" --pid-file= --local=/test/ --user=root \
		--addn-hosts="$ZONE_HOSTS" \
		--host-record=a.test,198.18.0.20,2001:2::20 \
		--host-record=a.x.test,198.18.0.21 \
		--host-record=xn--bcher-kva.test,198.18.0.50 \
		--mx-host=mx.test,mail.test,10 \
		--srv-host=_whois._tcp.test,a.test,43,0,5 \
		--txt-record='txt.test,hello world,x"y' \
		--cname=c.test,a.test \
		--ptr-record=20.0.18.198.in-addr.arpa,a.test \
		--txt-record=nodata.test,sockkit \
		--dns-rr=caa.test,257,$caa --dns-rr=soa.test,6,$soa \
		--dns-rr=test,2,$ns
	local i
	for i in $(seq 1 100); do
		ss -Hlun "src $ZDNS:$ZPORT" | grep -q . && return 0
		sleep 0.05
	done
	echo "dnsmasq did not start: $(cat "$BATS_TEST_TMPDIR/zone.err")" >&2
	return 1
}

# What dig's answer section holds, as "name type data" lines, sorted.
dig_answer() {
	dig @"$ZDNS" -p "$ZPORT" +noall +answer "$1" "$2" |
		awk '{ n = $1; t = $4; $1 = $2 = $3 = $4 = ""; sub(/^ +/, "");
			print n, t, $0 }' | sort
}

resolve_answer() {
	"$R" --dns -j "$1" "$2" "@$ZDNS:$ZPORT" |
		jq -r '.records[] | "\(.name) \(.type) \(.data)"' | sort
}

@test "resolve --dns answers what dig answers, for every type" {
	start_zone
	while read -r t n; do
		want=$(dig_answer "$t" "$n")
		got=$(resolve_answer "$t" "$n")
		echo "$t $n: want [$want] got [$got]"
		[ -n "$want" ]
		[ "$got" = "$want" ]
	done <<-EOT
	A a.test
	AAAA a.test
	A c.test
	CNAME c.test
	MX mx.test
	NS test
	SRV _whois._tcp.test
	TXT txt.test
	PTR 20.0.18.198.in-addr.arpa
	SOA soa.test
	CAA caa.test
	EOT
}

@test "resolve --dns shows rcode, TTL, server and time" {
	start_zone
	run "$R" --dns -t MX mx.test "@$ZDNS:$ZPORT"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "mx.test MX ok NOERROR mx.test. 0 MX 10 mail.test. server $ZDNS:$ZPORT time "*ms ]]
	run "$R" --dns --tcp -j a.test "@$ZDNS:$ZPORT"
	echo "$output" | jq -e --arg s "$ZDNS:$ZPORT" '.source == "dns" and
		.rcode == "NOERROR" and .server == $s and .rrtype == "A" and
		(.time_ms | type) == "number" and .records[0].ttl == 0 and
		.addresses == [{"family": "inet", "address": "198.18.0.20"}]'
}

@test "resolve --dns exits 1 for NXDOMAIN and NODATA, 3 for REFUSED" {
	start_zone
	run "$R" --dns nx.test "@$ZDNS:$ZPORT"
	[ "$status" -eq 1 ]
	[[ "$output" == "nx.test A not-found NXDOMAIN "* ]]
	run "$R" --dns nodata.test "@$ZDNS:$ZPORT"
	[ "$status" -eq 1 ]
	[[ "$output" == "nodata.test A no-data NOERROR "* ]]
	run "$R" --dns MX a.test "@$ZDNS:$ZPORT"
	[ "$status" -eq 1 ]
	run "$R" --dns example.com "@$ZDNS:$ZPORT"
	[ "$status" -eq 3 ]
	[[ "$output" == "example.com A perm-fail REFUSED "* ]]
}

@test "resolve --dns times out on a server that drops, every try sent, exit 3" {
	sk_require_cmd python3
	port=$(sk_free_port)
	sk_server_start drop python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
n = 0
while True:
    s.recvfrom(4096)
    n += 1
    print(n, flush=True)' "$port"
	for i in $(seq 1 50); do
		ss -Hlun "sport = :$port" | grep -q . && break
		sleep 0.05
	done
	run "$R" --dns -w 1 --retries 2 slow.test "@127.0.0.1:$port"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == "slow.test A timeout "* ]]
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/drop.out")" -eq 3 ]
}

@test "resolve --dns rejects bad names per name, exit 2, the rest answered" {
	start_zone
	long=$(printf 'a%.0s' $(seq 1 64))
	run "$R" --dns "$long.test" 'bad!name' a.test "@$ZDNS:$ZPORT"
	echo "$output"
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == *"label longer than 63"* ]]
	[[ "${lines[1]}" == *"bad character"* ]]
	[[ "${lines[2]}" == "a.test A ok "* ]]
	run "$R" --dns a.test @nonsense
	[ "$status" -eq 2 ]
	run "$R" --dns -4 a.test
	[ "$status" -eq 2 ]
	run "$R" --qps 10 a.test
	[ "$status" -eq 2 ]
	run "$R" --compare -t a.test
	[ "$status" -eq 2 ]
	run "$R" --compare --dns a.test
	[ "$status" -eq 2 ]
}

@test "resolve --dns converts U-labels to A-labels and shows both" {
	start_zone
	run "$R" --dns -j bücher.test "@$ZDNS:$ZPORT"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.addresses[0].address == "198.18.0.50" and
		.idn.a_label == "xn--bcher-kva.test" and .idn.u_label == "bücher.test"'
	run "$R" --dns xn--bcher-kva.test "@$ZDNS:$ZPORT"
	[ "$status" -eq 0 ]
	[[ "$output" == *" idn bücher.test "* ]]
	run "$R" --dns --no-idn bücher.test "@$ZDNS:$ZPORT"
	[ "$status" -eq 2 ]
	[[ "$output" == *"not ASCII"* ]]
}

@test "resolve --dns --search shows each name tried" {
	start_zone
	# c-ares takes the search list and ndots from the environment too
	run env LOCALDOMAIN="x.test test" RES_OPTIONS="ndots:1" \
		"$R" --dns -j --search a "@$ZDNS:$ZPORT"
	echo "$output"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '[.tried[] | "\(.name)=\(.rcode)"] ==
		["a.x.test=NOERROR"] and .records[0].data == "198.18.0.21"'
	run env LOCALDOMAIN="nope.test test" RES_OPTIONS="ndots:1" \
		"$R" --dns --search a "@$ZDNS:$ZPORT"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *" tried a.nope.test=NXDOMAIN,a.test=NOERROR "* ]]
	run env LOCALDOMAIN="nope.test" RES_OPTIONS="ndots:1" \
		"$R" --dns --search zz "@$ZDNS:$ZPORT"
	[ "$status" -eq 3 ]
	[[ "$output" == *" tried zz.nope.test=NXDOMAIN,zz=REFUSED "* ]]
}

@test "resolve --dns -f: 10,000 names, each answered once, in order with --ordered" {
	ZONE_HOSTS=$BATS_TEST_TMPDIR/bulk.hosts
	awk 'BEGIN { for (i = 1; i <= 10000; i++)
		printf "198.18.%d.%d n%d.bulk.test\n", 64 + int(i / 250), i % 250 + 1, i }' \
		>"$ZONE_HOSTS"
	start_zone
	awk 'BEGIN { for (i = 1; i <= 10000; i++)
		if (i % 1000 == 0) print "gone" i ".bulk.test"; else print "n" i ".bulk.test" }' \
		>"$BATS_TEST_TMPDIR/names"
	run "$R" --dns -j --ordered -f "$BATS_TEST_TMPDIR/names" "@$ZDNS:$ZPORT"
	[ "$status" -eq 1 ]
	[ "${#lines[@]}" -eq 10000 ]
	printf '%s\n' "${lines[@]}" | jq -r .query >"$BATS_TEST_TMPDIR/got"
	diff "$BATS_TEST_TMPDIR/names" "$BATS_TEST_TMPDIR/got"
	printf '%s\n' "${lines[@]}" | jq -r 'select(.status == "ok") |
		"\(.addresses[0].address) \(.query)"' >"$BATS_TEST_TMPDIR/addrs"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/addrs")" -eq 9990 ]
	awk '$2 !~ /^n[0-9]*000[.]/' "$ZONE_HOSTS" | sort >"$BATS_TEST_TMPDIR/want"
	sort "$BATS_TEST_TMPDIR/addrs" | diff "$BATS_TEST_TMPDIR/want" -
	[ "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.status == "not-found") | .query' | wc -l)" -eq 10 ]
	# unordered: the same set of lines, each once
	run "$R" --dns -f "$BATS_TEST_TMPDIR/names" "@$ZDNS:$ZPORT"
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "${lines[@]}" | awk '{ print $1 }' | sort -u | wc -l)" -eq 10000 ]
}

@test "resolve --dns -f keeps one line per input line with bad lines and types" {
	start_zone
	printf '%s\n' a.test 'mx.test MX' 'bad!name' '' '# c' 'a.test BOGUS' \
		'a b c' nx.test >"$BATS_TEST_TMPDIR/names"
	run "$R" --dns --ordered -f "$BATS_TEST_TMPDIR/names" "@$ZDNS:$ZPORT"
	echo "$output"
	[ "$status" -eq 2 ]
	[ "${#lines[@]}" -eq 6 ]
	[[ "${lines[0]}" == "a.test A ok "* ]]
	[[ "${lines[1]}" == "mx.test MX ok "* ]]
	[[ "${lines[2]}" == "bad!name A input "* ]]
	[[ "${lines[3]}" == *"unknown record type BOGUS"* ]]
	[[ "${lines[4]}" == "line-7 A input "* ]]
	[[ "${lines[5]}" == "nx.test A not-found "* ]]
}

@test "resolve --dns --qps paces the queries and loses none" {
	start_zone
	for i in $(seq 1 60); do echo a.test; done >"$BATS_TEST_TMPDIR/names"
	t0=$(sk_ms)
	run "$R" --dns --qps 100 -f "$BATS_TEST_TMPDIR/names" "@$ZDNS:$ZPORT"
	t1=$(sk_ms)
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 60 ]
	# a lower bound only: 60 queries at 100 per second take >= 0.59 s
	[ $((t1 - t0)) -ge 550 ]
}

# ---- --compare ------------------------------------------------------------

# A network namespace of our own whose /etc/netns/NAME/ files (resolv.conf
# with a search domain, hosts, nsswitch.conf) ip netns exec puts over
# /etc, and a dnsmasq inside it on 127.0.53.5:53.  h4.test is IPv4-only
# in the hosts file and has other A and AAAA records in DNS.
start_compare_ns() {
	sk_require_root
	sk_require_cmd ip dnsmasq jq
	CNS=sk-rcmp-$$
	ip netns add "$CNS"
	mkdir -p "/etc/netns/$CNS"
	ip -n "$CNS" link set lo up
	# AI_ADDRCONFIG wants a non-loopback address of each family: a veth
	# pair with both ends inside
	ip -n "$CNS" link add skra type veth peer name skrb
	ip -n "$CNS" addr add 198.18.201.1/24 dev skra
	ip -n "$CNS" -6 addr add 2001:2:0:201::1/64 dev skra nodad
	ip -n "$CNS" link set skra up
	ip -n "$CNS" link set skrb up
	printf 'nameserver 127.0.53.5\nsearch test\noptions timeout:1 attempts:2\n' \
		>"/etc/netns/$CNS/resolv.conf"
	printf '127.0.0.1 localhost\n198.18.0.11 h4.test\n' >"/etc/netns/$CNS/hosts"
	printf 'hosts: files dns\n' >"/etc/netns/$CNS/nsswitch.conf"
	sk_server_start cmpdns ip netns exec "$CNS" dnsmasq -k \
		--conf-file=/dev/null --no-resolv --no-hosts --bind-interfaces \
		--listen-address=127.0.53.5 --port=53 --pid-file= --user=root \
		--local=/test/ --host-record=a.test,198.18.0.20,2001:2::20 \
		--host-record=h4.test,198.18.0.99,2001:2::99 \
		--txt-record=nodata.test,sockkit
	local i
	for i in $(seq 1 100); do
		ip netns exec "$CNS" ss -Hlun "src 127.0.53.5:53" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

stop_compare_ns() {
	[ -n "${CNS:-}" ] || return 0
	sk_server_stop cmpdns
	ip netns del "$CNS" 2>/dev/null || true
	rm -rf "/etc/netns/$CNS"
}

in_cns() {
	ip netns exec "$CNS" "$@"
}

@test "resolve --compare: the same answer from NSS and DNS exits 0" {
	start_compare_ns
	run in_cns "$R" --compare a.test
	stop_compare_ns
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "a.test same" ]
	[[ "${lines[1]}" == "  nss ok ="* ]]
	[[ "${lines[2]}" == "  dns ok A NOERROR AAAA NOERROR ="* ]]
}

@test "resolve --compare explains a hosts entry hiding DNS's AAAA" {
	start_compare_ns
	run in_cns "$R" -j --compare h4.test
	stop_compare_ns
	echo "$output"
	[ "$status" -eq 1 ]
	echo "$output" | jq -e '.same == false and
		.nss.addresses == [{"family": "inet", "address": "198.18.0.11", "in": "nss"}] and
		([.dns.addresses[].in] | unique) == ["dns"] and
		.hosts_file == ["198.18.0.11"] and
		any(.differences[]; startswith("hosts-file entry")) and
		any(.differences[]; startswith("AAAA hidden"))'
}

@test "resolve --compare explains search-domain expansion" {
	start_compare_ns
	run in_cns "$R" --compare a
	stop_compare_ns
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "${lines[1]}" == "  nss ok "*" canonical a.test" ]]
	[[ "${lines[2]}" == *" (for a.test)"* ]]
	[[ "$output" == *"! search-domain expansion: DNS has no address for a as typed; NSS and the search list find a.test"* ]]
}

@test "resolve --compare tells NODATA apart from NXDOMAIN" {
	start_compare_ns
	run in_cns "$R" -j --compare nodata.test nx.test
	stop_compare_ns
	echo "$output"
	[ "${#lines[@]}" -eq 2 ]
	echo "${lines[0]}" | jq -e '.dns.status == "no-data" and
		.dns.rcode_a == "NOERROR" and
		any(.differences[]; test("NODATA"))'
	echo "${lines[1]}" | jq -e '.dns.status == "not-found" and
		.dns.rcode_a == "NXDOMAIN" and .nss.status == "not-found"'
}

# ---- --probe ----------------------------------------------------------------

# A TCP listener on 127.0.0.1 only; sets LPORT.
start_listener() {
	sk_require_cmd python3
	LPORT=$(sk_free_port)
	sk_server_start listener python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
time.sleep(60)' "$LPORT"
	sk_wait_port "$LPORT"
}

@test "resolve --probe connects to each address in plan order" {
	start_dns
	start_listener
	run in_ns "$R" -j --probe lo2.test "$LPORT"
	echo "$output"
	[ "$status" -eq 0 ]
	# both families tried, in the plan's order, each with its own verdict
	echo "$output" | jq -e '[.attempts[] | "\(.address) \(.probe.status)"] |
		sort == ["127.0.0.1 connected", "::1 refused"]'
	echo "$output" | jq -e 'all(.attempts[]; (.probe.time_ms | type) == "number")'
	run in_ns "$R" --probe "lo2.test:$LPORT"
	[ "$status" -eq 0 ]
	[[ "$output" == *"127.0.0.1:$LPORT (connected "* ]]
	[[ "$output" == *"[::1]:$LPORT (refused "* ]]
}

@test "resolve --probe exits 3 when no address takes the connection" {
	sk_require_cmd python3
	# a port held bound and not listening: refused, and nobody else can
	# start listening on it while the test runs
	sk_server_start closed python3 -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
time.sleep(60)'
	for i in $(seq 1 50); do
		port=$(cat "$BATS_TEST_TMPDIR/closed.out")
		[ -n "$port" ] && break
		sleep 0.05
	done
	run "$R" --probe "127.0.0.1:$port"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == "127.0.0.1:$port refused +0ms 127.0.0.1:$port (refused "* ]]
	run "$R" --probe localhost
	[ "$status" -eq 2 ]
	run "$R" --probe --dns a.test
	[ "$status" -eq 2 ]
}
