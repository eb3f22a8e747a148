#!/usr/bin/env bats
# portprobe against the truth: loopback listeners for what needs no
# privileges, and (root) a namespace host whose ports are chosen at random
# from a seed this file prints — open with listeners, closed, dropped,
# rejected with ICMP admin-prohibited or host-unreachable, reset by the
# firewall — whose verdicts AND reasons must match exactly, over IPv4 and
# IPv6.  make check scans 1-2048 plus every special port; PP_FULL=1 scans
# all 65535 (bench/portprobe.sh runs that comparison too).  PP_SEED=n
# replays a run; PP_NO_FIXTURE=1 leaves the namespace out (its tests fail).

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/netns
load helpers/server

IDX=111

pick() {
	echo $(((RANDOM << 15 | RANDOM) % 65535 + 1))
}

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	[ -z "${PP_NO_FIXTURE:-}" ] || return 0
	command -v nft >/dev/null || return 0
	PP_SEED=${PP_SEED:-$(((RANDOM << 15 | RANDOM) + 1))}
	PP_DIR=$(mktemp -d /tmp/sk-portprobe.XXXXXX)
	PP_NS=$(sk_netns_up "$IDX") || return 1
	export PP_SEED PP_DIR PP_NS
	echo "# portprobe fixture seed $PP_SEED (PP_SEED=$PP_SEED replays it)" >&3
	# The fixture answers every probe: no ICMP rate limit inside.
	ip netns exec "$PP_NS" sysctl -qw net.ipv4.icmp_ratelimit=0 \
		net.ipv6.icmp.ratelimit=0
	RANDOM=$PP_SEED
	local -A used=()
	local kind n p list
	: >"$PP_DIR/truth"
	for kind in open:4 drop:6 admin:4 hostun:4 reset:4; do
		list=""
		for n in $(seq 1 "${kind#*:}"); do
			p=$(pick)
			while [ -n "${used[$p]:-}" ]; do p=$(pick); done
			used[$p]=1
			list="$list${list:+,}$p"
			echo "$p ${kind%%:*}" >>"$PP_DIR/truth"
		done
		echo "$list" >"$PP_DIR/${kind%%:*}"
	done
	local nft="ip netns exec $PP_NS nft add rule inet sktest input"
	$nft tcp dport "{ $(cat "$PP_DIR/drop") }" drop
	$nft tcp dport "{ $(cat "$PP_DIR/admin") }" reject with icmpx type admin-prohibited
	$nft tcp dport "{ $(cat "$PP_DIR/hostun") }" reject with icmpx type host-unreachable
	$nft tcp dport "{ $(cat "$PP_DIR/reset") }" reject with tcp reset
	# UDP: one echo port, one closed, one dropped, one prohibited.
	local u
	for kind in uopen uclosed udrop uadmin; do
		p=$(pick)
		while [ -n "${used[$p]:-}" ]; do p=$(pick); done
		used[$p]=1
		echo "$p" >"$PP_DIR/$kind"
	done
	$nft udp dport "$(cat "$PP_DIR/udrop")" drop
	$nft udp dport "$(cat "$PP_DIR/uadmin")" reject with icmpx type admin-prohibited
	for p in $(tr , ' ' <"$PP_DIR/open"); do
		ip netns exec "$PP_NS" "$SK_TBIN/sk-listen" "$p" >/dev/null 2>&1 &
		echo $! >>"$PP_DIR/pids"
	done
	u=$(cat "$PP_DIR/uopen")
	ip netns exec "$PP_NS" "$SK_TBIN/pp-udpecho" "$u" 300 >/dev/null 2>&1 &
	echo $! >>"$PP_DIR/pids"
	for p in $(tr , ' ' <"$PP_DIR/open"); do
		for _ in $(seq 1 100); do
			[ -n "$(ip netns exec "$PP_NS" ss -Htln "sport = :$p")" ] && break
			sleep 0.05
		done
	done
}

teardown_file() {
	if [ -n "${PP_DIR:-}" ]; then
		if [ -s "$PP_DIR/pids" ]; then
			for p in $(cat "$PP_DIR/pids"); do
				kill "$p" 2>/dev/null
			done
		fi
		rm -rf "$PP_DIR"
	fi
	[ "$(id -u)" -eq 0 ] && sk_netns_down "$IDX"
	return 0
}

setup() {
	P=$SK_BIN/portprobe
}

teardown() {
	sk_servers_stop_all
}

need_fixture() {
	sk_require_root
	sk_require_cmd nft jq
	[ -s "${PP_DIR:-/nonexistent}/truth" ] || {
		echo "fixture was not set up" >&2
		false
	}
}

# "port state reason icmp" for each port portprobe printed as NDJSON.
verdicts() {
	jq -r 'select(.type == "port") |
		"\(.port) \(.state) \(.reason) \(.icmp_type // "-")/\(.icmp_code // "-")"' |
		sort -n
}

# What the fixture's ports must show, for ports up to $1 plus every
# special port; $2 is 4 or 6 (the ICMP types differ).
truth() {
	local max=$1 fam=$2
	awk -v max="$max" -v fam="$fam" '
		NR == FNR {
			if ($2 == "open") t[$1] = "open syn-ack -/-"
			else if ($2 == "drop") t[$1] = "filtered no-response -/-"
			else if ($2 == "admin") t[$1] = "filtered admin-prohibited " (fam == 4 ? "3/13" : "1/1")
			else if ($2 == "hostun") t[$1] = "filtered host-unreach " (fam == 4 ? "3/1" : "1/3")
			else t[$1] = "closed conn-refused -/-"
			next
		}
		END {
			for (p = 1; p <= 65535; p++)
				if (p <= max || (p in t))
					print p, (p in t ? t[p] : "closed conn-refused -/-")
		}' "$PP_DIR/truth" /dev/null
}

fixture_ports() {
	if [ -n "${PP_FULL:-}" ]; then
		echo "-"
	else
		echo "1-2048,$(awk '{print $1}' "$PP_DIR/truth" | paste -sd,)"
	fi
}

# ---- bad input and usage ----------------------------------------------------

@test "portprobe --help prints the synopsis on stdout and exits 0" {
	run -0 "$P" --help
	[[ "${lines[0]}" == "usage: portprobe "* ]]
}

@test "portprobe refuses a reversed port range naming the token, exit 2" {
	run -2 "$P" -p 90-80 127.0.0.1
	[[ "$output" == *'bad port range "90-80"'* ]]
}

@test "portprobe refuses a block larger than /16 without --force, exit 2" {
	run -2 "$P" -p 80 198.18.0.0/15
	[[ "$output" == *"more than a /16; use --force"* ]]
	run -2 "$P" -p 80 2001:2::/100
	[[ "$output" == *"more than a /112"* ]]
	run -2 "$P" -p 80 198.18.0.300
	[[ "$output" == *'target "198.18.0.300"'* ]]
}

@test "portprobe refuses options that would be ignored or clash, exit 2" {
	run -2 "$P" -sT -sS -p 1 127.0.0.1
	run -2 "$P" -p U:53 127.0.0.1
	[[ "$output" == *"add -sU"* ]]
	run -2 "$P" -F -p 1 127.0.0.1
	run -2 "$P" --shard 3/3 -p 1 127.0.0.1
	run -2 "$P" -T6 -p 1 127.0.0.1
	run -2 "$P" --bogus 127.0.0.1
}

@test "portprobe -sS without privileges exits 2 and points at -sT" {
	if [ "$(id -u)" -eq 0 ]; then
		sk_require_cmd setpriv
		run -2 setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$P" -sS -p 1 127.0.0.1
	else
		run -2 "$P" -sS -p 1 127.0.0.1
	fi
	[[ "$output" == *"SYN scan needs root or CAP_NET_RAW; use -sT"* ]]
}

@test "portprobe exits 1 when a name does not resolve and nothing is left" {
	# A private "hosts: files" lookup, so the answer is NXDOMAIN-like on
	# any host, resolver or none (root: unshare -m).
	sk_require_root
	sk_require_cmd unshare
	printf 'hosts: files\n' >"$BATS_TEST_TMPDIR/nsswitch.conf"
	printf '127.0.0.1 localhost\n' >"$BATS_TEST_TMPDIR/hosts"
	run -1 unshare -m sh -c 'mount --bind "$0" /etc/nsswitch.conf &&
		mount --bind "$1" /etc/hosts && shift && exec "$@"' \
		"$BATS_TEST_TMPDIR/nsswitch.conf" "$BATS_TEST_TMPDIR/hosts" \
		"$P" -p 80 nosuch.invalid
	[[ "$output" == *"nosuch.invalid"* ]]
}

# ---- loopback ----------------------------------------------------------------

@test "portprobe tells open from closed loopback ports, with reasons" {
	sk_require_cmd jq
	local a b c
	a=$(sk_free_port)
	b=$(sk_free_port)
	c=$(sk_free_port)
	sk_server_start la "$SK_TBIN/sk-listen" 127.0.0.1 "$a"
	sk_server_start lb "$SK_TBIN/sk-listen" 127.0.0.1 "$b"
	sk_wait_port "$a"
	sk_wait_port "$b"
	run -0 "$P" -j -p "$a,$b,$c" 127.0.0.1
	got=$(echo "$output" | verdicts)
	want=$(printf '%s\n' "$a open syn-ack -/-" "$b open syn-ack -/-" \
		"$c closed conn-refused -/-" | sort -n)
	[ "$got" = "$want" ]
	echo "$output" | jq -se 'map(select(.type == "host")) | .[0] |
		.up and .open == 2 and .closed == 1 and .ports == 3 and
		.reason == "syn-ack" and .schema == "sockkit.portprobe/1"'
	echo "$output" | jq -se "map(select(.type == \"port\" and .port == $a)) |
		length == 1 and .[0].rtt_us >= 0 and .[0].tries == 1"
}

@test "portprobe exit status answers whether the one asked port is open" {
	local a c
	a=$(sk_free_port)
	c=$(sk_free_port)
	sk_server_start la "$SK_TBIN/sk-listen" 127.0.0.1 "$a"
	sk_wait_port "$a"
	run -0 "$P" -p "$a" 127.0.0.1
	[[ "$output" == *"$a/tcp"*open*syn-ack* ]]
	run -1 "$P" -p "$c" 127.0.0.1
	[[ "$output" == *"$c/tcp"*closed*conn-refused* ]]
}

@test "portprobe reports only listening ports open across the ephemeral range" {
	# Probes to 127.0.0.1 in the ephemeral range can land on their own
	# source port (a self-connect); none of those may come out open.
	sk_require_cmd jq ss
	local lo hi
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	run -0 "$P" -j --open -p "$lo-$hi" 127.0.0.1
	for p in $(echo "$output" | jq -r 'select(.type == "port") | .port'); do
		[ -n "$(ss -Htln "sport = :$p")" ] || {
			echo "port $p reported open, nothing listens" >&2
			false
		}
	done
}

@test "portprobe summarises closed ports and writes nmap's grepable format" {
	local a
	a=$(sk_free_port)
	sk_server_start la "$SK_TBIN/sk-listen" 127.0.0.1 "$a"
	sk_wait_port "$a"
	run -0 "$P" -oG "$BATS_TEST_TMPDIR/g" -p "1-200,$a" 127.0.0.1
	[[ "$output" == *"Not shown: 200 closed tcp ports (conn-refused)"* ]]
	[[ "$output" == *"PORT"*"STATE"*"SERVICE"*"REASON"*"RTT"* ]]
	grep -q "^Host: 127.0.0.1 ()	Ports: $a/open/tcp//" "$BATS_TEST_TMPDIR/g"
	grep -q "Ignored State: closed (200)" "$BATS_TEST_TMPDIR/g"
	grep -q "^# portprobe done at .* 1 IP address scanned" "$BATS_TEST_TMPDIR/g"
}

@test "portprobe reads a UDP port unreachable as closed" {
	sk_require_cmd jq
	local c
	c=$(sk_free_port)
	run -1 "$P" -sU -j -p "$c" 127.0.0.1
	echo "$output" | jq -se "map(select(.type == \"port\")) | .[0] | .proto == \"udp\" and
		.state == \"closed\" and .reason == \"port-unreach\" and
		.icmp_type == 3 and .icmp_code == 3"
}

@test "portprobe --banner shows the first line a server sends" {
	local a
	a=$(sk_free_port)
	sk_server_start ans "$SK_TBIN/sk-answer" "$a" "220 hello from the test"
	sk_wait_port "$a"
	run -0 "$P" --banner -p "$a" 127.0.0.1
	[[ "$output" == *"|_ 220 hello from the test"* ]]
}

@test "portprobe -iL reads targets from a file, comments and all" {
	sk_require_cmd jq
	local c
	c=$(sk_free_port)
	printf '# targets\n127.0.0.1 ::1  # both loopbacks\n' >"$BATS_TEST_TMPDIR/t"
	run -0 "$P" -j -p "$c" -iL "$BATS_TEST_TMPDIR/t"
	[ "$(echo "$output" | jq -r 'select(.type == "host") | .host' | sort | paste -sd' ')" = "127.0.0.1 ::1" ]
}

@test "portprobe scans the first address of a name, --all-addrs every one" {
	sk_require_root
	sk_require_cmd jq unshare
	printf '127.0.0.1 pp-dual.test\n::1 pp-dual.test\n' >"$BATS_TEST_TMPDIR/hosts"
	local c
	c=$(sk_free_port)
	run -1 sk_with_hosts "$BATS_TEST_TMPDIR/hosts" "$P" -j -p "$c" pp-dual.test
	[ "$(echo "$output" | jq -r 'select(.type == "host") | .host' | wc -l)" -eq 1 ]
	echo "$output" | jq -se 'map(select(.type == "port"))[0].name == "pp-dual.test"'
	run -0 sk_with_hosts "$BATS_TEST_TMPDIR/hosts" "$P" -j --all-addrs -p "$c" pp-dual.test
	[ "$(echo "$output" | jq -r 'select(.type == "host") | .host' | sort | paste -sd' ')" = "127.0.0.1 ::1" ]
}

# ---- shards --------------------------------------------------------------------

@test "portprobe shards: plans of 0/3..2/3 cover the unsharded plan once" {
	"$P" --plan --seed 11 -p 1-500,U:53 -sTU 198.18.0.1-4 | sort >"$BATS_TEST_TMPDIR/all"
	: >"$BATS_TEST_TMPDIR/union"
	for i in 0 1 2; do
		"$P" --plan --seed 11 --shard "$i/3" -p 1-500,U:53 -sTU 198.18.0.1-4 \
			>>"$BATS_TEST_TMPDIR/union"
	done
	[ "$(wc -l <"$BATS_TEST_TMPDIR/all")" -eq $((4 * 501)) ]
	[ -z "$(sort "$BATS_TEST_TMPDIR/union" | uniq -d)" ]
	sort "$BATS_TEST_TMPDIR/union" | cmp - "$BATS_TEST_TMPDIR/all"
	# The order is not the port order, and it follows the seed.
	! "$P" --plan --seed 11 -p 1-500 198.18.0.1 | cut -d/ -f2 | sort -nc 2>/dev/null
	[ "$("$P" --plan --seed 11 -p 1-500 198.18.0.1 | head -5)" != \
		"$("$P" --plan --seed 12 -p 1-500 198.18.0.1 | head -5)" ]
}

@test "portprobe shards: merged NDJSON equals the unsharded scan" {
	sk_require_cmd jq
	local a
	a=$(sk_free_port)
	sk_server_start la "$SK_TBIN/sk-listen" 127.0.0.1 "$a"
	sk_wait_port "$a"
	local key='[.[] | select(.type == "port") | [.host, .proto, .port, .state, .reason]] | sort'
	"$P" -j --seed 5 -p "1-1500,$a" 127.0.0.1 >"$BATS_TEST_TMPDIR/all"
	for i in 0 1 2; do
		"$P" -j --seed 5 --shard "$i/3" -p "1-1500,$a" 127.0.0.1 \
			>"$BATS_TEST_TMPDIR/s$i"
	done
	whole=$(jq -cs "$key" "$BATS_TEST_TMPDIR/all")
	merged=$(cat "$BATS_TEST_TMPDIR"/s[012] | jq -cs "$key")
	[ "$whole" = "$merged" ]
	[ "$(cat "$BATS_TEST_TMPDIR"/s[012] | jq -s '[.[] | select(.type == "port")] | length')" -eq 1501 ]
	# Host summaries add up to the unsharded one.
	[ "$(cat "$BATS_TEST_TMPDIR"/s[012] | jq -s '[.[] | select(.type == "host") | .closed] | add')" -eq 1500 ]
}

# ---- the namespace fixture (root) ---------------------------------------------

@test "portprobe -sT verdicts and reasons equal the fixture's truth (IPv4)" {
	need_fixture
	run -0 "$P" -j -T4 -p "$(fixture_ports)" "198.18.$IDX.2"
	diff -u <(truth 2048 4) <(echo "$output" | verdicts)
}

@test "portprobe -sT verdicts and reasons equal the fixture's truth (IPv6)" {
	need_fixture
	run -0 "$P" -j -T4 -p "$(fixture_ports)" "2001:2:0:$IDX::2"
	diff -u <(truth 2048 6) <(echo "$output" | verdicts)
}

@test "portprobe -sS verdicts and reasons equal the fixture's truth (IPv4, IPv6)" {
	need_fixture
	run -0 "$P" -sS -j -T4 -p "$(fixture_ports)" "198.18.$IDX.2"
	diff -u <(truth 2048 4 | sed 's/closed conn-refused/closed reset/') \
		<(echo "$output" | verdicts)
	run -0 "$P" -sS -j -T4 -p "$(fixture_ports)" "2001:2:0:$IDX::2"
	diff -u <(truth 2048 6 | sed 's/closed conn-refused/closed reset/') \
		<(echo "$output" | verdicts)
}

@test "portprobe -sU: reply open, unreachable closed, silence open|filtered" {
	need_fixture
	local uo uc ud ua
	uo=$(cat "$PP_DIR/uopen")
	uc=$(cat "$PP_DIR/uclosed")
	ud=$(cat "$PP_DIR/udrop")
	ua=$(cat "$PP_DIR/uadmin")
	for addr in "198.18.$IDX.2:3/13:3/3" "2001:2:0:$IDX::2:1/1:1/4"; do
		local host=${addr%:*:*} adm unr
		adm=${addr%:*}
		adm=${adm##*:}
		unr=${addr##*:}
		run -0 "$P" -sU -j -T4 -p "$uo,$uc,$ud,$ua" "$host"
		want=$(printf '%s\n' "$uo open udp-response -/-" \
			"$uc closed port-unreach $unr" \
			"$ud open|filtered no-response -/-" \
			"$ua filtered admin-prohibited $adm" | sort -n)
		diff -u <(echo "$want") <(echo "$output" | verdicts)
	done
}

@test "portprobe table shows ICMP types and filtered reasons like nmap" {
	need_fixture
	local adm
	adm=$(cut -d, -f1 "$PP_DIR/admin")
	run -1 "$P" -T4 -p "$adm" "198.18.$IDX.2"
	[[ "$output" == *"$adm/tcp"*filtered*"admin-prohibited (icmp 3/13)"* ]]
}
