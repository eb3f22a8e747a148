#!/usr/bin/env bats
# lssock against ss(8): a namespace holds a known set of sockets
# (tests/drivers/sk-socks.c) and both tools must list the same ones, with
# the same owners, through netlink and /proc, for a table of filters.

bats_require_minimum_version 1.5.0

load helpers/common
load helpers/netns

IDX=61

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	command -v ss >/dev/null || return 0
	# Not in $(...): sk_netns_up records what it made for teardown_file,
	# and a subshell would lose that record (and leak the namespaces).
	sk_netns_up "$IDX" >/dev/null
	sk_netns_up "$((IDX + 1))" >/dev/null
	LS_NS=$(sk_netns_name "$IDX")
	LS_NS2=$(sk_netns_name "$((IDX + 1))")
	LS_DIR=$(mktemp -d /tmp/sk-lssock.XXXXXX)
	mkdir "$LS_DIR/2"
	ip netns exec "$LS_NS" "$SK_TBIN/sk-socks" "198.18.$IDX.2" \
		"2001:2:0:$IDX::2" "$LS_DIR" 300 >"$LS_DIR/out" 2>&1 &
	echo $! >"$LS_DIR/pid"
	# A second namespace for --all-netns.
	ip netns exec "$LS_NS2" "$SK_TBIN/sk-socks" "198.18.$((IDX + 1)).2" \
		"2001:2:0:$((IDX + 1))::2" "$LS_DIR/2" 300 >"$LS_DIR/out2" 2>&1 &
	echo $! >"$LS_DIR/pid2"
	for _ in $(seq 1 100); do
		grep -q ready "$LS_DIR/out" && grep -q ready "$LS_DIR/out2" && break
		sleep 0.05
	done
	export LS_NS LS_NS2 LS_DIR
}

teardown_file() {
	if [ -n "${LS_DIR:-}" ]; then
		for f in pid pid2; do
			[ -s "$LS_DIR/$f" ] || continue
			kill "$(cat "$LS_DIR/$f")" 2>/dev/null
			wait "$(cat "$LS_DIR/$f")" 2>/dev/null
		done
		rm -rf "$LS_DIR"
	fi
	sk_netns_cleanup_all
}

setup() {
	L=$SK_BIN/lssock
}

need_fixture() {
	sk_require_root
	sk_require_cmd ss
	grep -q ready "$LS_DIR/out" || {
		cat "$LS_DIR/out"
		false
	}
}

# Rows as sets: whitespace squeezed, sorted; the fixture is still, so
# queues compare too.
rows() {
	sed -e 's/[[:space:]]\+/ /g' -e 's/ $//' -e 's/^ //' | sort
}

in_ns() {
	ip netns exec "$LS_NS" "$@"
}

same_as_ss() {
	local flags=$1
	shift
	# Both must accept the filter: two empty listings prove nothing.
	in_ns ss -H "$flags" "$@" >"$BATS_TEST_TMPDIR/ss.raw" || return 1
	in_ns "$L" -H "$flags" "$@" >"$BATS_TEST_TMPDIR/ls.raw" || return 1
	rows <"$BATS_TEST_TMPDIR/ss.raw" >"$BATS_TEST_TMPDIR/ss"
	rows <"$BATS_TEST_TMPDIR/ls.raw" >"$BATS_TEST_TMPDIR/ls"
	diff -u "$BATS_TEST_TMPDIR/ss" "$BATS_TEST_TMPDIR/ls"
}

@test "lssock --help prints the synopsis to stdout and exits 0" {
	run --separate-stderr "$L" --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: lssock "* ]]
	[ -z "$stderr" ]
}

@test "lssock rejects an unknown option with the usage on stderr, exit 2" {
	run --separate-stderr "$L" --bogus
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == *"usage: lssock "* ]]
}

@test "lssock refuses contradicting options instead of ignoring one" {
	run "$L" -n -r
	[ "$status" -eq 2 ]
	run "$L" -j -s
	[ "$status" -eq 2 ]
	run "$L" -4 -x
	[ "$status" -eq 2 ]
}

# What make decides (Makefile, BPF_ABSENT): the BPF owner path is built
# wherever clang, bpftool, the kernel's BTF and libbpf are there.
bpf_buildable() {
	command -v clang >/dev/null && { command -v bpftool >/dev/null ||
		[ -x /usr/sbin/bpftool ]; } && [ -r /sys/kernel/btf/vmlinux ] &&
		pkg-config --exists libbpf
}

@test "lssock -V says whether the BPF owner path is built, as the build box allows" {
	run "$L" -V
	[ "$status" -eq 0 ]
	if bpf_buildable; then
		[[ "$output" == *"owners (-p): BPF task_file iterator (root"* ]]
	else
		[[ "$output" == *"BPF task_file iterator: not built: no "* ]]
	fi
}

@test "a bad filter exits 2 and points at the token" {
	run --separate-stderr "$L" -tan sport = :22 and bogus
	[ "$status" -eq 2 ]
	echo "$stderr"
	[[ "$stderr" == *'unexpected "bogus"'* ]]
	# The caret sits under the token.
	[[ "$stderr" == *"sport = :22 and bogus"*"                ^^^^^"* ]]
	run "$L" -tan state nosuch
	[ "$status" -eq 2 ]
	run "$L" -tan '( sport = :22'
	[ "$status" -eq 2 ]
	run "$L" -tan dport '>' :notaport
	[ "$status" -eq 2 ]
}

@test "lssock -tuwxan lists the same sockets as ss -tuwxan" {
	need_fixture
	same_as_ss -tuwxan
	# And the fixture is really there: listeners of every family.
	grep -q "LISTEN 0 16 198.18.$IDX.2:4301 0.0.0.0:\*" "$BATS_TEST_TMPDIR/ls"
	grep -q "LISTEN 0 16 \[2001:2:0:$IDX::2\]:4302 \[::\]:\*" "$BATS_TEST_TMPDIR/ls"
	grep -q "LISTEN 0 16 \*:4303 \*:\*" "$BATS_TEST_TMPDIR/ls"
	grep -q "TIME-WAIT" "$BATS_TEST_TMPDIR/ls"
	grep -q "^raw " "$BATS_TEST_TMPDIR/ls"
	grep -q "^u_seq LISTEN" "$BATS_TEST_TMPDIR/ls"
	grep -q "@sk-lssock-" "$BATS_TEST_TMPDIR/ls"
}

@test "lssock -N NETNS enters the namespace like ip netns exec" {
	need_fixture
	"$L" -N "$LS_NS" -Htuwxan | rows >"$BATS_TEST_TMPDIR/n"
	in_ns "$L" -Htuwxan | rows >"$BATS_TEST_TMPDIR/e"
	diff -u "$BATS_TEST_TMPDIR/e" "$BATS_TEST_TMPDIR/n"
	run "$L" -N sk-no-such-netns -tan
	[ "$status" -eq 2 ]
}

@test "the default, -l, -a and one protocol at a time agree with ss" {
	need_fixture
	same_as_ss -tuwxn
	same_as_ss -tuwxln
	same_as_ss -tn
	same_as_ss -tln
	same_as_ss -uan
	same_as_ss -wan
	same_as_ss -xan
	same_as_ss -4tan
	same_as_ss -6uan
}

# netid, state, local and peer as a set; UNIX peers dropped, since
# /proc/net/unix does not carry them.
tuples() {
	awk '$1 ~ /^u_/ { print $1, $2, $5, $6; next } { print $1, $2, $5, $6 }' | sort
}

@test "lssock --proc lists what netlink lists" {
	need_fixture
	in_ns "$L" -Htuwxan | tuples >"$BATS_TEST_TMPDIR/nl"
	in_ns "$L" --proc -Htuwxan | tuples >"$BATS_TEST_TMPDIR/proc"
	diff -u "$BATS_TEST_TMPDIR/nl" "$BATS_TEST_TMPDIR/proc"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/nl")" -ge 25 ]
}

@test "lssock -p names the same owners as ss -p" {
	need_fixture
	same_as_ss -tuwxanp
	grep -q 'users:(("sk-socks",pid=[0-9]*,fd=[0-9]*))' "$BATS_TEST_TMPDIR/ls"
}

@test "lssock -p: the BPF iterator and the /proc walk name the same owners" {
	need_fixture
	bpf_buildable || skip "the BPF iterator is not built here"
	# LSSOCK_PROC names a /proc to walk, which rules the iterator out.
	run --separate-stderr in_ns "$L" -v -Htuwxanp
	[ "$status" -eq 0 ]
	[[ "$stderr" == "lssock: owners: BPF task_file iterator, "* ]]
	echo "$output" | rows >"$BATS_TEST_TMPDIR/bpf"
	run --separate-stderr in_ns env LSSOCK_PROC=/proc "$L" -v -Htuwxanp
	[ "$status" -eq 0 ]
	[[ "$stderr" == "lssock: owners: /proc fd walk, "* ]]
	echo "$output" | rows >"$BATS_TEST_TMPDIR/proc"
	diff -u "$BATS_TEST_TMPDIR/proc" "$BATS_TEST_TMPDIR/bpf"
	# The fixture shares a socket between two fds: both, in ss's order.
	grep -q 'users:(("sk-socks",pid=[0-9]*,fd=[0-9]*),("sk-socks",' \
		"$BATS_TEST_TMPDIR/bpf"
}

@test "lssock -p in a child pid namespace names pids as it numbers them, both ways" {
	sk_require_root
	sk_require_cmd unshare python3
	bpf_buildable || skip "the BPF iterator is not built here"
	# sh is pid 1 of the new namespace, the listener it starts pid 2.
	run --separate-stderr unshare --pid --fork --mount-proc sh -c '
		python3 -c "import socket, time
s = socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen()
print(s.getsockname()[1], flush=True); time.sleep(20)" >"$2/port" &
		for i in $(seq 1 100); do [ -s "$2/port" ] && break; sleep 0.05; done
		f="sport = :$(cat "$2/port")"
		"$1" -v -Htlnp "$f"
		LSSOCK_PROC=/proc "$1" -v -Htlnp "$f"
		kill $!' sh "$L" "$BATS_TEST_TMPDIR"
	[ "$status" -eq 0 ]
	echo "$stderr"
	[[ "$stderr" == *"owners: BPF task_file iterator"*"owners: /proc fd walk"* ]]
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *'users:(("python3",pid=2,fd='[0-9]*'))' ]]
	[ "${lines[0]}" = "${lines[1]}" ]
}

@test "without privileges lssock -p walks /proc silently; -v says why" {
	sk_require_root
	sk_require_cmd setpriv
	nobody() {
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	}
	run --separate-stderr nobody "$L" -tanp
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	run --separate-stderr nobody "$L" -v -tanp
	[ "$status" -eq 0 ]
	[[ "$stderr" == "lssock: owners: /proc fd walk, "*"; BPF iterator: "* ]]
}

# flags|expression, each run by both tools.
FILTERS=(
	"-tan|sport = :4301"
	"-tan|dport = :4301"
	"-tan|sport == :4302 or sport eq :4303"
	"-tan|dport > :1024"
	"-tan|dport < :4303"
	"-tan|sport >= :4302 and sport <= :4303"
	"-tan|sport != :4301"
	"-tan|not sport = :4301 and not dport = :4301"
	"-tan|( sport = :4301 or dport = :4301 ) and not dst 198.18.0.0/15"
	"-tan|src 198.18.0.0/15"
	"-tan|src 198.18.$IDX.2:4301"
	"-tan|dst [::1]"
	"-tan|dst [::1]:4303"
	"-tan|src 2001:2::/48"
	"-tan|dst 127.0.0.1"
	"-tuan|src *:5301 or dst *:5301"
	"-uan|dport = :5301"
	"-tuwxan|state established"
	"-tuwxan|state listening"
	"-tuwxan|state connected"
	"-tuwxan|state synchronized"
	"-tuwxan|state time-wait"
	"-tuwxan|state all"
	"-tuwxan|exclude listening"
	"-tuwxan|state established state listening"
	"-tuwxan|state bucket"
	"-tan|state established sport = :4301"
	"-xan|src $LS_DIR/s*"
	"-xan|src @sk-lssock-*"
)

@test "every filter in the table selects what ss selects" {
	need_fixture
	local c flags expr bad=0
	set -f	# the words are filters, not file names
	for c in "${FILTERS[@]}"; do
		flags=${c%%|*}
		expr=${c#*|}
		# shellcheck disable=SC2086
		if ! same_as_ss "$flags" $expr; then
			echo "differs: $flags '$expr'"
			bad=1
		fi
	done
	[ "$bad" -eq 0 ]
}

@test "lssock -j writes one typed NDJSON object per socket" {
	need_fixture
	sk_require_cmd jq
	in_ns "$L" -tuwxanpj >"$BATS_TEST_TMPDIR/j"
	n=$(in_ns "$L" -Htuwxan | wc -l)
	[ "$(wc -l <"$BATS_TEST_TMPDIR/j")" -eq "$n" ]
	jq -se 'length > 20 and all(.[];
		.schema == "sockkit.lssock/1" and
		(.netid | type) == "string" and (.state | type) == "string" and
		(.recv_q | type) == "number" and (.send_q | type) == "number" and
		(.inode | type) == "number" and (.owners | type) == "array" and
		(if .family == "unix" then (.peer_inode | type) == "number"
		 else (.local_addr | type) == "string" and
		      (.local_port | type) == "number" and
		      (.peer_port | type) == "number" end))' "$BATS_TEST_TMPDIR/j"
	# Owners are objects with typed fields.
	jq -se '[.[].owners[]] | length > 0 and all(.[];
		(.comm == "sk-socks") and (.pid | type) == "number" and
		(.fd | type) == "number")' "$BATS_TEST_TMPDIR/j"
	# tcp_info on request, numbers inside.
	in_ns "$L" -tnij state established | jq -se 'all(.[];
		(.tcp_info.rtt_us | type) == "number" and (.cong | type) == "string")'
}

@test "lssock --netstat shows host.service names like the source text" {
	need_fixture
	run in_ns "$L" --netstat -tln
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Active Internet connections (including servers)" ]
	[[ "${lines[1]}" == "Proto R-Q  S-Q Local Address"*"(state)" ]]
	[[ "$output" == *"198.18.$IDX.2.4301"*"*.*"*"LISTEN"* ]]
	[[ "$output" == *"*.4303"*"LISTEN"* ]]
}

@test "lssock -s counts sockets like ss -s" {
	need_fixture
	# The TCP line's total and closed come from the host-wide allocation
	# counter, which other tests move; estab and timewait are ours.
	in_ns ss -s | sed -n '4,8p' | rows >"$BATS_TEST_TMPDIR/ss"
	in_ns ss -s | grep -o 'estab [0-9]*\|timewait [0-9]*' >>"$BATS_TEST_TMPDIR/ss"
	in_ns "$L" -s | sed -n '4,8p' | rows >"$BATS_TEST_TMPDIR/ls"
	in_ns "$L" -s | grep -o 'estab [0-9]*\|timewait [0-9]*' >>"$BATS_TEST_TMPDIR/ls"
	diff -u "$BATS_TEST_TMPDIR/ss" "$BATS_TEST_TMPDIR/ls"
	grep -q "^estab [1-9]" "$BATS_TEST_TMPDIR/ls"
}

@test "lssock --all-netns shows each namespace as -N does, with its name" {
	need_fixture
	grep -q ready "$LS_DIR/out2"
	"$L" --all-netns -Htan >"$BATS_TEST_TMPDIR/all"
	for ns in "$LS_NS" "$LS_NS2"; do
		grep "^$ns " "$BATS_TEST_TMPDIR/all" | sed "s/^$ns //" | rows \
			>"$BATS_TEST_TMPDIR/from-all"
		"$L" -N "$ns" -Htan | rows >"$BATS_TEST_TMPDIR/from-n"
		diff -u "$BATS_TEST_TMPDIR/from-n" "$BATS_TEST_TMPDIR/from-all"
		[ -s "$BATS_TEST_TMPDIR/from-n" ]
	done
	# The host's own namespace is listed too, under its inode: it holds a
	# socket of ours (abstract names are per namespace), so this does not
	# depend on what else the host runs.
	local name=sk-allnetns-$$-$RANDOM i
	python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind("\0" + sys.argv[1]); s.listen(1)
print("ready", flush=True); time.sleep(60)' "$name" >"$BATS_TEST_TMPDIR/hostsock" &
	HOSTSOCK_PID=$!
	for i in $(seq 1 100); do
		grep -q ready "$BATS_TEST_TMPDIR/hostsock" && break
		sleep 0.05
	done
	"$L" --all-netns -Hxa >"$BATS_TEST_TMPDIR/allx"
	grep '^net:\[[0-9]*\] ' "$BATS_TEST_TMPDIR/allx" | grep -q "@$name"
	! grep "^$LS_NS " "$BATS_TEST_TMPDIR/allx" | grep -q "@$name"
	"$L" --all-netns -tlnj | jq -se 'all(.[]; (.netns | type) == "string")
		and any(.[]; .netns == "'"$LS_NS2"'")'
	run "$L" --all-netns -N "$LS_NS" -tan
	[ "$status" -eq 2 ]
}

@test "lssock --all-netns needs root and says so" {
	sk_require_root
	sk_require_cmd setpriv
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$L" --all-netns -tan
	[ "$status" -eq 3 ]
	[[ "$output" == *"needs root"* ]]
}

@test "lssock --openmetrics writes what a Prometheus parser reads, with ss's counts" {
	need_fixture
	/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null ||
		skip "needs python3-prometheus-client (make deps installs it)"
	m=$BATS_TEST_TMPDIR/m.prom
	in_ns "$L" --openmetrics "$m"
	# Renamed into place: no temporary file is left behind.
	[ "$(ls "$BATS_TEST_TMPDIR" | grep -c 'm.prom.tmp')" -eq 0 ]
	/usr/bin/python3 - "$m" >"$BATS_TEST_TMPDIR/counts" <<'PY'
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
tot = {}
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    if fam.name != "lssock_sockets":
        continue
    for s in fam.samples:
        netid, state = s.labels["netid"], s.labels["state"]
        key = netid if netid in ("tcp", "udp", "raw") else "unix"
        if key == "tcp" and state == "TIME-WAIT":
            key = "timewait"
        tot[key] = tot.get(key, 0) + int(s.value)
for k in sorted(tot):
    print(k, tot[k])
PY
	cat "$BATS_TEST_TMPDIR/counts"
	in_ns ss -s >"$BATS_TEST_TMPDIR/ss-s"
	for p in TCP UDP RAW; do
		n=$(awk -v p="$p" '$1 == p { print $2 }' "$BATS_TEST_TMPDIR/ss-s")
		grep -qx "$(echo "$p" | tr 'A-Z' 'a-z') $n" "$BATS_TEST_TMPDIR/counts"
	done
	tw=$(grep -o 'timewait [0-9]*' "$BATS_TEST_TMPDIR/ss-s")
	grep -qx "$tw" "$BATS_TEST_TMPDIR/counts"
	grep -qx "lssock_accept_queue_limit{netid=\"tcp\",local=\"198.18.$IDX.2:4301\"} 16" "$m"
	grep -qx 'lssock_listening{netid="tcp",port="4303"} 1' "$m"
	tail -n 1 "$m" | grep -qx '# EOF'
}

# --- --diff -----------------------------------------------------------------------

# conns.py's sockets: a listener with one accepted connection, then, on
# SIGUSR1, the accepted side and the listener closed and a new listener.
conns_start() {
	sk_require_cmd python3
	python3 "$SK_ROOT/tests/cli/helpers/conns.py" "$BATS_TEST_TMPDIR/conns" \
		</dev/null >/dev/null 2>&1 &
	CONNS_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$BATS_TEST_TMPDIR/conns" ] && break
		sleep 0.05
	done
	read -r P1 CP <"$BATS_TEST_TMPDIR/conns"
	[ -n "$CP" ]
}

conns_change() {
	kill -USR1 "$CONNS_PID"
	for _ in $(seq 1 100); do
		P2=$(sed -n 2p "$BATS_TEST_TMPDIR/conns")
		[ -n "$P2" ] && break
		sleep 0.05
	done
	[ -n "$P2" ]
}

teardown() {
	if [ -n "${HOSTSOCK_PID:-}" ]; then
		kill "$HOSTSOCK_PID" 2>/dev/null || true
		wait "$HOSTSOCK_PID" 2>/dev/null || true
	fi
	if [ -n "${CONNS_PID:-}" ]; then
		kill "$CONNS_PID" 2>/dev/null || true
		wait "$CONNS_PID" 2>/dev/null || true
	fi
	if [ -n "${TMUX_SOCK:-}" ]; then
		tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
	fi
}

@test "lssock --diff reports sockets gone, appeared and changed, exit 1" {
	conns_start
	# The whole table, with owners and tcp_info the diff must skip.
	"$L" -tanpij >"$BATS_TEST_TMPDIR/snap"
	conns_change
	run --separate-stderr "$L" -tan --diff "$BATS_TEST_TMPDIR/snap" \
		sport = ":$P1" or dport = ":$P1" or sport = ":$P2"
	echo "$output"
	[ "$status" -eq 1 ]
	[ -z "$stderr" ]
	[[ "${lines[0]}" == "  Netid State"*"Local Address:Port"* ]]
	diff -u - <(echo "$output" | sed 1d | rows) <<-END
	+ tcp LISTEN 127.0.0.1:$P2 0.0.0.0:*
	- tcp LISTEN 127.0.0.1:$P1 0.0.0.0:*
	~ tcp ESTAB->CLOSE-WAIT 127.0.0.1:$CP 127.0.0.1:$P1
	~ tcp ESTAB->FIN-WAIT-2 127.0.0.1:$P1 127.0.0.1:$CP
	END
}

@test "lssock --diff -j writes one typed object per difference" {
	sk_require_cmd jq
	conns_start
	"$L" -tanj >"$BATS_TEST_TMPDIR/snap"
	conns_change
	run "$L" -tanj --diff "$BATS_TEST_TMPDIR/snap" \
		sport = ":$P1" or dport = ":$P1" or sport = ":$P2"
	[ "$status" -eq 1 ]
	echo "$output" | jq -se '
		length == 4 and
		all(.[]; .schema == "sockkit.lssock.diff/1" and
		    (.local_port | type) == "number") and
		([.[] | select(.change == "gone")] | .[0].local_port == '"$P1"'
		    and .[0].state == "LISTEN") and
		([.[] | select(.change == "appeared")] | .[0].local_port == '"$P2"') and
		([.[] | select(.change == "changed")] | length == 2 and
		    all(.[]; .old_state == "ESTAB"))'
}

@test "lssock --diff is silent with exit 0 when nothing it selects changed" {
	conns_start
	"$L" -tanj >"$BATS_TEST_TMPDIR/snap"
	run "$L" -tan --diff "$BATS_TEST_TMPDIR/snap" sport = ":$P1" or dport = ":$P1"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# The selection applies to the snapshot too: -t now, so its UDP
	# and UNIX sockets are not "gone".
	"$L" -tuxanj >"$BATS_TEST_TMPDIR/all"
	run "$L" -tan --diff "$BATS_TEST_TMPDIR/all" sport = ":$P1"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "lssock --diff names file and line of a malformed snapshot, exit 2" {
	conns_start
	"$L" -tanj sport = ":$P1" >"$BATS_TEST_TMPDIR/snap"
	echo '{"schema":"sockkit.lssock/1","netid":"tcp","state":"LISTEN"' \
		>>"$BATS_TEST_TMPDIR/snap"
	n=$(wc -l <"$BATS_TEST_TMPDIR/snap")
	run --separate-stderr "$L" -tan --diff "$BATS_TEST_TMPDIR/snap"
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[[ "$stderr" == "lssock: $BATS_TEST_TMPDIR/snap:$n: column "*": expected '}'" ]]
	[ "$(echo "$stderr" | wc -l)" -eq 1 ]
	printf 'not json\n' >"$BATS_TEST_TMPDIR/bad"
	run --separate-stderr "$L" --diff "$BATS_TEST_TMPDIR/bad"
	[ "$status" -eq 2 ]
	[[ "$stderr" == "lssock: $BATS_TEST_TMPDIR/bad:1: column 1: expected '{'" ]]
	run --separate-stderr "$L" --diff "$BATS_TEST_TMPDIR/no-such-file"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"no-such-file: No such file or directory" ]]
	# Outputs the diff does not have are refused, not ignored.
	run "$L" --diff "$BATS_TEST_TMPDIR/snap" -p
	[ "$status" -eq 2 ]
	run "$L" --diff "$BATS_TEST_TMPDIR/snap" -s
	[ "$status" -eq 2 ]
}

@test "lssock --diff --all-netns tells namespaces apart" {
	need_fixture
	grep -q ready "$LS_DIR/out2"
	"$L" --all-netns -tanj >"$BATS_TEST_TMPDIR/snap"
	run "$L" --all-netns -tan --diff "$BATS_TEST_TMPDIR/snap" sport = :4301
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# Without the second namespace's sockets in the snapshot, its
	# listener appeared, named by its namespace.
	grep -v "\"netns\":\"$LS_NS2\"" "$BATS_TEST_TMPDIR/snap" >"$BATS_TEST_TMPDIR/snap1"
	run "$L" --all-netns -tln --diff "$BATS_TEST_TMPDIR/snap1" sport = :4301
	[ "$status" -eq 1 ]
	echo "$output"
	[ "$(echo "$output" | sed 1d | rows)" = "$LS_NS2 + tcp LISTEN 198.18.$((IDX + 1)).2:4301 0.0.0.0:*" ]
	# A snapshot of one kind is refused by the other, naming the line.
	run --separate-stderr "$L" -tan --diff "$BATS_TEST_TMPDIR/snap"
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"snap:1: a \"netns\" field: an --all-netns snapshot needs --all-netns" ]]
	"$L" -tanj >"$BATS_TEST_TMPDIR/plain"
	run "$L" --all-netns -tan --diff "$BATS_TEST_TMPDIR/plain"
	[ "$status" -eq 2 ]
}

# --- --watch under tmux -------------------------------------------------------------

# Two listeners (listeners.py): LO, and HI with Recv-Q 2.
listeners_start() {
	sk_require_cmd python3
	python3 "$SK_ROOT/tests/cli/helpers/listeners.py" "$BATS_TEST_TMPDIR/ls" \
		</dev/null >/dev/null 2>&1 &
	CONNS_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$BATS_TEST_TMPDIR/ls" ] && break
		sleep 0.05
	done
	read -r LO HI ST <"$BATS_TEST_TMPDIR/ls"
	[ -n "$ST" ]
}

# lssock --watch ARGS in a tmux pane of its own; when it ends, its exit
# status and the terminal's settings are written down.
watch_start() {
	sk_require_cmd tmux
	TMUX_SOCK=$BATS_TEST_TMPDIR/tmux.sock
	local d=$BATS_TEST_TMPDIR
	tmux -S "$TMUX_SOCK" new-session -d -x 160 -y 20 \
		"sh -c 'echo \$\$ >$d/pid; exec $L --watch 0.2 $*'; echo rc=\$? >$d/rc; stty -a >$d/stty; sleep 60"
}

screen() {
	tmux -S "$TMUX_SOCK" capture-pane -p
}

# Wait (5 s at most) until the screen matches the grep pattern.
wait_screen() {
	for _ in $(seq 1 100); do
		screen | grep -q -- "$1" && return 0
		sleep 0.05
	done
	echo "screen never showed: $1"
	screen
	return 1
}

# Line numbers of the LO and HI rows, "LO HI".
row_order() {
	screen | awk -v lo="127.0.0.1:$LO " -v hi="127.0.0.1:$HI " '
		index($0, lo) { l = NR } index($0, hi) { h = NR }
		END { print (l < h) ? "LO HI" : "HI LO" }'
}

watch_ended() {
	for _ in $(seq 1 100); do
		[ -s "$BATS_TEST_TMPDIR/stty" ] && return 0
		sleep 0.05
	done
	return 1
}

@test "lssock --watch shows a known listener and its owner in the table" {
	listeners_start
	watch_start -tln "sport = :$LO or sport = :$HI"
	wait_screen "LISTEN *0 *8 *127.0.0.1:$LO "
	screen | grep -q "^Netid *State *Recv-Q *Send-Q *Local Address:Port"
	wait_screen "LISTEN *2 *8 *127.0.0.1:$HI .*python3/$CONNS_PID"
	screen | grep -q "2 sockets"
	screen | grep -q "q quit"
}

@test "lssock --watch shows the send and receive rates of a busy connection" {
	listeners_start
	watch_start -tn "sport = :$ST or dport = :$ST"
	wait_screen "127.0.0.1:$ST "
	# Columns: Netid State Recv-Q Send-Q Local Peer Send/s Recv/s ...;
	# the sending side's Send/s and the reading side's Recv/s are rates
	# (digits, maybe K or M), not "-" or 0, once two refreshes are in.
	for _ in $(seq 1 100); do
		screen | awk -v st="127.0.0.1:$ST" '
			$5 == st && $7 ~ /^[0-9.]+[KMG]?$/ && $7 != "0" { s = 1 }
			$6 == st && $8 ~ /^[0-9.]+[KMG]?$/ && $8 != "0" { r = 1 }
			END { exit !(s && r) }' && break
		sleep 0.05
	done
	screen
	screen | awk -v st="127.0.0.1:$ST" '
		$5 == st && $7 ~ /^[0-9.]+[KMG]?$/ && $7 != "0" { s = 1 }
		$6 == st && $8 ~ /^[0-9.]+[KMG]?$/ && $8 != "0" { r = 1 }
		END { exit !(s && r) }'
}

@test "lssock --watch sort keys change the order of the rows" {
	listeners_start
	watch_start -tln "sport = :$LO or sport = :$HI"
	wait_screen "127.0.0.1:$HI "
	wait_screen "127.0.0.1:$LO "
	# By Recv-Q, the default: largest queue first.
	wait_screen "sort: Recv-Q"
	[ "$(row_order)" = "HI LO" ]
	tmux -S "$TMUX_SOCK" send-keys r
	wait_screen "sort: Recv-Q (reversed)"
	[ "$(row_order)" = "LO HI" ]
	# By Send/s, both 0 (reversed): ties go by local address, reversed.
	for _ in $(seq 1 12); do
		screen | grep -q "sort: Send/s" && break
		tmux -S "$TMUX_SOCK" send-keys '>'
		sleep 0.1
	done
	wait_screen "sort: Send/s (reversed)"
	[ "$(row_order)" = "HI LO" ]
}

# Rows of 61 sockets whose RTT or Cwnd column is not a number, "-" when
# none are on screen.
unfilled() {
	screen | awk '$1 == "tcp" { n++; if ($9 !~ /^[0-9]+\.[0-9]$/ || $11 !~ /^[0-9]+$/) { print; bad++ } }
		END { if (!n) print "-" }'
}

# Wait (5 s at most) until every tcp row on screen has its tcp_info.
wait_filled() {
	for _ in $(seq 1 100); do
		[ -z "$(unfilled)" ] && return 0
		sleep 0.05
	done
	screen
	return 1
}

@test "lssock --watch shows tcp_info for the rows on screen after scrolling and sorting" {
	sk_require_cmd python3
	# A listener and 30 connections to it: 61 sockets, 17 rows a screen.
	python3 -c '
import socket, sys, time, os
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(64)
c = [socket.create_connection(l.getsockname()) for _ in range(30)]
a = [l.accept()[0] for _ in range(30)]
for s in c: s.sendall(b"x" * 1000)
open(sys.argv[1] + ".tmp", "w").write("%d\n" % l.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(120)' "$BATS_TEST_TMPDIR/port" </dev/null >/dev/null 2>&1 &
	CONNS_PID=$!
	for _ in $(seq 1 100); do
		[ -s "$BATS_TEST_TMPDIR/port" ] && break
		sleep 0.05
	done
	read -r P <"$BATS_TEST_TMPDIR/port"
	watch_start -tan "sport = :$P or dport = :$P"
	wait_screen "61 sockets"
	# Sorted by Recv-Q, no tcp_info in the dump: the rows shown have
	# theirs all the same.
	wait_filled
	first=$(screen | awk '$1 == "tcp" { print $5, $6; exit }')
	tmux -S "$TMUX_SOCK" send-keys NPage NPage
	for _ in $(seq 1 100); do
		[ "$(screen | awk '$1 == "tcp" { print $5, $6; exit }')" != "$first" ] && break
		sleep 0.05
	done
	[ "$(screen | awk '$1 == "tcp" { print $5, $6; exit }')" != "$first" ]
	wait_filled
	# By RTT every socket's tcp_info is dumped; back to Peer, only the
	# rows shown are looked up again.
	for _ in $(seq 1 12); do
		screen | grep -q "sort: RTT ms" && break
		tmux -S "$TMUX_SOCK" send-keys '>'
		sleep 0.1
	done
	wait_screen "sort: RTT ms"
	wait_filled
	for _ in $(seq 1 12); do
		screen | grep -q "sort: Peer" && break
		tmux -S "$TMUX_SOCK" send-keys '<'
		sleep 0.1
	done
	wait_screen "sort: Peer"
	n=$(screen | grep -o "refresh #[0-9]*")
	for _ in $(seq 1 100); do
		[ "$(screen | grep -o "refresh #[0-9]*")" != "$n" ] && break
		sleep 0.05
	done
	tmux -S "$TMUX_SOCK" send-keys PPage
	sleep 0.3
	wait_filled
}

@test "lssock --watch / narrows with a filter; a bad one is only a message" {
	listeners_start
	watch_start -tln "sport = :$LO or sport = :$HI"
	wait_screen "127.0.0.1:$HI "
	tmux -S "$TMUX_SOCK" send-keys / C-u "sport = :$HI" Enter
	wait_screen "filter: sport = :$HI"
	wait_screen "1 socket "
	screen | grep -q "127.0.0.1:$HI "
	[ -z "$(screen | grep "127.0.0.1:$LO ")" ]
	tmux -S "$TMUX_SOCK" send-keys / C-u "sport = :$HI and bogus" Enter
	wait_screen 'bad filter: unexpected "bogus" (filter unchanged)'
	screen | grep -q "127.0.0.1:$HI "
	# Still running: the next key is read.
	tmux -S "$TMUX_SOCK" send-keys q
	watch_ended
	[ "$(cat "$BATS_TEST_TMPDIR/rc")" = "rc=0" ]
}

@test "lssock --watch: q quits with exit 0 and the terminal restored" {
	listeners_start
	watch_start -tln "sport = :$LO"
	wait_screen "127.0.0.1:$LO "
	tmux -S "$TMUX_SOCK" send-keys q
	watch_ended
	[ "$(cat "$BATS_TEST_TMPDIR/rc")" = "rc=0" ]
	# Echo and canonical input are back, and the table is gone with
	# the alternate screen.
	grep -qw icanon "$BATS_TEST_TMPDIR/stty"
	grep -qw echo "$BATS_TEST_TMPDIR/stty"
	[ -z "$(screen | grep "Local Address:Port")" ]
}

@test "lssock --watch restores the terminal on SIGTERM and SIGINT" {
	listeners_start
	for sig in TERM INT; do
		rm -f "$BATS_TEST_TMPDIR/stty" "$BATS_TEST_TMPDIR/rc"
		watch_start -tln "sport = :$LO"
		wait_screen "127.0.0.1:$LO "
		kill -"$sig" "$(cat "$BATS_TEST_TMPDIR/pid")"
		watch_ended
		[ "$(cat "$BATS_TEST_TMPDIR/rc")" = "rc=0" ]
		grep -qw icanon "$BATS_TEST_TMPDIR/stty"
		grep -qw echo "$BATS_TEST_TMPDIR/stty"
		tmux -S "$TMUX_SOCK" kill-server
	done
}

@test "lssock --watch without a terminal says so and exits 2" {
	run --separate-stderr "$L" --watch </dev/null
	[ "$status" -eq 2 ]
	[ "$stderr" = "lssock: --watch needs a terminal on standard input and output" ]
	run "$L" --watch 0.01
	[ "$status" -eq 2 ]
	run "$L" --watch -j
	[ "$status" -eq 2 ]
}

@test "lssock --watch redraws at the new size when the terminal is resized" {
	listeners_start
	watch_start -tln "sport = :$LO"
	wait_screen "127.0.0.1:$LO "
	[ "$(screen | wc -l)" -eq 20 ]
	tmux -S "$TMUX_SOCK" resize-window -x 90 -y 12
	for _ in $(seq 1 100); do
		[ "$(screen | wc -l)" -eq 12 ] && screen | tail -n 1 | grep -q "q quit" && break
		sleep 0.05
	done
	screen | tail -n 1 | grep -q "^q quit"
	screen | grep -q "127.0.0.1:$LO "
	# No line is wider than the terminal now.
	[ "$(screen | awk '{ if (length($0) > m) m = length($0) } END { print m }')" -le 90 ]
	tmux -S "$TMUX_SOCK" send-keys q
	watch_ended
	[ "$(cat "$BATS_TEST_TMPDIR/rc")" = "rc=0" ]
}
