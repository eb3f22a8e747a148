#!/usr/bin/env bats
# whoisd against real clients and super-servers: the Debian whois client,
# systemd-socket-activate, openbsd-inetd, and hostile clients (sk-client).

load helpers/common
load helpers/server

DB=$SK_ROOT/contrib/whoisd.db

# The record block from the source text, as the Debian client prints it.
REGGERS='There were 1 matches on your request.

           Full Name: Quinton, Reg
          Department: Info Tech Svcs
                Room: NSC 214
               Phone: 679-2111x(6026)
           Index Key: 481800
     Machine Address:
 Directory Addresses:

For more information try '"'"'whois help'"'"'.'

setup() {
	W=$SK_BIN/whoisd
	C=$SK_TBIN/sk-client
}

teardown() {
	sk_servers_stop_all
	if [ -n "${LIVEDIR:-}" ]; then rm -rf "$LIVEDIR"; fi
}

# Start a standalone whoisd on a free loopback port (v4 and v6); extra
# arguments go to whoisd.  Sets PORT and PID.
start_whoisd() {
	PORT=$(sk_free_port)
	sk_server_start whoisd "$W" -f "${WDB:-$DB}" -l "127.0.0.1:$PORT" \
		-l "[::1]:$PORT" --log-stderr "$@"
	sk_wait_port "$PORT"
	PID=$(sk_server_pid whoisd)
	BASE_FDS=$(sk_fd_count "$PID")
}

# The server is still up and holds no more fds than after start.
assert_healthy() {
	local i n
	kill -0 "$PID"
	for i in $(seq 1 40); do
		n=$(sk_fd_count "$PID")
		[ "$n" -le "$BASE_FDS" ] && break
		sleep 0.05
	done
	echo "fds now $n, at start $BASE_FDS"
	[ "$n" -le "$BASE_FDS" ]
	if [ -z "${WDB:-}" ]; then
		run whois -h 127.0.0.1 -p "$PORT" reggers
		[ "$output" = "$REGGERS" ]
	else
		run "$C" query 127.0.0.1 "$PORT" nosuchname
		[[ "$output" == "There were 0 matches"* ]]
	fi
}

log_of() {
	cat "$BATS_TEST_TMPDIR/whoisd.err"
}

@test "whoisd --stdio answers a pipe like the source text" {
	run bash -c "echo reggers | '$W' --stdio -f '$DB'"
	[ "$status" -eq 0 ]
	[ "$output" = "$REGGERS" ]
}

@test "whoisd refuses a pipe on stdin without --stdio" {
	run bash -c "echo reggers | '$W' -f '$DB'"
	[ "$status" -eq 2 ]
	[[ "$output" == *"stdin is a pipe, not an internet socket"* ]]
}

@test "whoisd: Debian whois client gets exactly the record block" {
	sk_require_cmd whois
	start_whoisd
	run whois -h 127.0.0.1 -p "$PORT" reggers
	[ "$status" -eq 0 ]
	[ "$output" = "$REGGERS" ]
	[[ "$(log_of)" == *'127.0.0.1:'*' query "reggers" matches 1 bytes '*' ok'* ]]
}

@test "whoisd: answers end lines with CRLF on sockets" {
	start_whoisd
	"$C" query 127.0.0.1 "$PORT" reggers >"$BATS_TEST_TMPDIR/ans"
	lines_total=$(wc -l <"$BATS_TEST_TMPDIR/ans")
	crlf=$(grep -c $'\r$' "$BATS_TEST_TMPDIR/ans")
	[ "$lines_total" -eq 11 ]
	[ "$crlf" -eq "$lines_total" ]
	run bash -c "echo reggers | '$W' --stdio -f '$DB' | grep -c $'\r'"
	[ "$output" = 0 ]
}

@test "whoisd: the whois verb is dropped, as the source text says" {
	sk_require_cmd whois
	start_whoisd
	run whois -h 127.0.0.1 -p "$PORT" "whois reggers"
	[ "$output" = "$REGGERS" ]
}

@test "whoisd: help lists the commands" {
	sk_require_cmd whois
	start_whoisd
	run whois -h 127.0.0.1 -p "$PORT" help
	[ "$status" -eq 0 ]
	[[ "$output" == *help* ]]
	[ "${#lines[@]}" -gt 3 ]
}

@test "whoisd: no match says 0 matches and the hint" {
	sk_require_cmd whois
	start_whoisd
	run whois -h 127.0.0.1 -p "$PORT" nosuchpersonanywhere
	[ "${lines[0]}" = "There were 0 matches on your request." ]
	[ "${lines[1]}" = "For more information try 'whois help'." ]
}

@test "whoisd: prefix and quoted queries" {
	sk_require_cmd whois
	start_whoisd
	run whois -h 127.0.0.1 -p "$PORT" 'quint*'
	[ "${lines[0]}" = "There were 2 matches on your request." ]
	[[ "$output" == *"Quinton, Reg"*"Quinton, Farah"* ]]
	run whois -h 127.0.0.1 -p "$PORT" 'q*'
	[[ "$output" == "%ERROR:120:"* ]]
	run whois -h 127.0.0.1 -p "$PORT" '"Quinton, Reg"'
	[ "$output" = "$REGGERS" ]
	run whois -h 127.0.0.1 -p "$PORT" '"Quinton"'
	[ "${lines[0]}" = "There were 0 matches on your request." ]
}

@test "whoisd: IPv6 clients over ::1" {
	sk_require_cmd whois
	start_whoisd
	run whois -h ::1 -p "$PORT" reggers
	[ "$output" = "$REGGERS" ]
	[[ "$(log_of)" == *'[::1]:'*'reggers'* ]]
}

@test "whoisd under systemd-socket-activate --inetd (per connection)" {
	sk_require_cmd systemd-socket-activate whois
	PORT=$(sk_free_port)
	sk_server_start sa systemd-socket-activate -a --inetd -l "127.0.0.1:$PORT" \
		"$W" -f "$DB" --log-stderr
	sk_wait_port "$PORT"
	run whois -h 127.0.0.1 -p "$PORT" reggers
	[ "$output" = "$REGGERS" ]
	run whois -h 127.0.0.1 -p "$PORT" nosuchperson
	[ "${lines[0]}" = "There were 0 matches on your request." ]
}

@test "whoisd under systemd-socket-activate (LISTEN_FDS, one daemon)" {
	sk_require_cmd systemd-socket-activate whois
	PORT=$(sk_free_port)
	sk_server_start sa systemd-socket-activate -l "127.0.0.1:$PORT" \
		"$W" -f "$DB" --log-stderr
	sk_wait_port "$PORT"
	run whois -h 127.0.0.1 -p "$PORT" reggers
	[ "$output" = "$REGGERS" ]
	pid=$(sk_server_pid sa)
	run whois -h 127.0.0.1 -p "$PORT" reggers
	[ "$output" = "$REGGERS" ]
	# One long-lived daemon served both: it logged its start once.
	[ "$(grep -c 'serving' "$BATS_TEST_TMPDIR/sa.err")" -eq 1 ]
}

@test "whoisd under openbsd-inetd" {
	sk_require_root
	sk_require_cmd whois
	[ -x /usr/sbin/inetd ] || skip "needs openbsd-inetd"
	PORT=$(sk_free_port)
	conf=$BATS_TEST_TMPDIR/inetd.conf
	printf '127.0.0.1:%s stream tcp nowait nobody %s whoisd -f %s\n' \
		"$PORT" "$W" "$DB" >"$conf"
	chmod 755 "$BATS_TEST_TMPDIR"
	sk_server_start inetd /usr/sbin/inetd -d "$conf"
	sk_wait_port "$PORT"
	run whois -h 127.0.0.1 -p "$PORT" reggers
	[ "$output" = "$REGGERS" ]
}

@test "whoisd: 1 MB line without newline gets error 107" {
	start_whoisd
	run "$C" flood 127.0.0.1 "$PORT" 1048576
	[[ "$output" == "%ERROR:107: input line too long"* ]]
	assert_healthy
}

@test "whoisd: NUL and control bytes get error 108" {
	start_whoisd
	run "$C" query 127.0.0.1 "$PORT" $'reg\x01gers'
	[[ "$output" == "%ERROR:108: invalid characters in query"* ]]
	[[ "$(log_of)" == *'reg\x01gers'* ]]
	run bash -c "printf 'reg\0gers\r\n' | '$W' --stdio -f '$DB'"
	[[ "$output" == "%ERROR:108: invalid characters in query"* ]]
	assert_healthy
}

@test "whoisd: a silent client is cut at the read timeout" {
	start_whoisd --read-timeout 1
	run "$C" silent 127.0.0.1 "$PORT"
	ms=$(echo "$output" | sed -n 's/closed after \([0-9]*\) ms/\1/p')
	[ "$ms" -ge 900 ] && [ "$ms" -lt 5000 ]
	[[ "$(log_of)" == *timeout* ]]
	assert_healthy
}

@test "whoisd: a dripping client is cut at the read timeout" {
	start_whoisd --read-timeout 1
	run "$C" drip 127.0.0.1 "$PORT" reggersreggersreggers 100
	[[ "$output" != *"matches on your request"* ]]
	[[ "$(log_of)" == *timeout* ]]
	assert_healthy
}

@test "whoisd: a client that never reads a large answer is cut off" {
	# 3000 records that all match "samename": an answer of about 1 MiB,
	# far more than the socket buffers between us and the client hold.
	WDB=$BATS_TEST_TMPDIR/big.db
	awk 'BEGIN { for (i = 0; i < 3000; i++) {
		printf "Full Name: Samename, Person%d\nNote: ", i
		for (j = 0; j < 40; j++) printf "padding%d ", j
		printf "\n\n" } }' >"$WDB"
	start_whoisd --timeout 2 --max-matches 3000
	run "$C" noread 127.0.0.1 "$PORT" samename 5
	echo "$output"
	log_of
	grep -q '"samename" matches .* timeout' "$BATS_TEST_TMPDIR/whoisd.err"
	assert_healthy
}

@test "whoisd: half-close before the query" {
	start_whoisd
	run "$C" halfclose 127.0.0.1 "$PORT"
	[[ "$output" == "closed after"* ]]
	[[ "$(log_of)" == *no-query* ]]
	assert_healthy
}

@test "whoisd: reset in the middle of the answer" {
	start_whoisd
	for i in 1 2 3 4 5; do
		run "$C" rst 127.0.0.1 "$PORT" reggers
		[ "$output" = reset ]
	done
	assert_healthy
}

@test "whoisd: 2000 idle connections and a normal query still answered" {
	start_whoisd --no-limits --read-timeout 30 --timeout 60
	"$C" idle 127.0.0.1 "$PORT" 2000 20 >"$BATS_TEST_TMPDIR/idle.out" &
	idle=$!
	for i in $(seq 1 200); do
		grep -q 'open 2000' "$BATS_TEST_TMPDIR/idle.out" && break
		sleep 0.05
	done
	grep -q 'open 2000' "$BATS_TEST_TMPDIR/idle.out"
	run "$C" timed 127.0.0.1 "$PORT" reggers
	kill "$idle"
	wait "$idle" || true
	ms=$(echo "$output" | sed -n 's/^ms //p')
	echo "answered in $ms ms with 2000 idle clients"
	[[ "$output" == *"Full Name: Quinton, Reg"* ]]
	assert_healthy
}

@test "whoisd: --max-clients refuses with error 208, never hangs" {
	start_whoisd --max-clients 3 --no-limits --read-timeout 30
	"$C" idle 127.0.0.1 "$PORT" 3 10 >"$BATS_TEST_TMPDIR/idle.out" &
	idle=$!
	for i in $(seq 1 100); do
		grep -q 'open 3' "$BATS_TEST_TMPDIR/idle.out" && break
		sleep 0.05
	done
	run "$C" query 127.0.0.1 "$PORT" reggers
	kill "$idle"
	wait "$idle" || true
	[[ "$output" == "%ERROR:208: server busy"* ]]
	assert_healthy
}

@test "whoisd: the rate limit answers error 201" {
	start_whoisd --rate 1 --burst 3
	for i in 1 2 3; do
		run "$C" query 127.0.0.1 "$PORT" reggers
		[[ "$output" == *"Full Name: Quinton, Reg"* ]]
	done
	run "$C" query 127.0.0.1 "$PORT" reggers
	[[ "$output" == "%ERROR:201: access temporarily denied"* ]]
	[[ "$(log_of)" == *rate-limited* ]]
}

@test "whoisd: 200 rapid queries from one address: answer or whole error, never a reset" {
	start_whoisd
	run "$SK_TBIN/wd-burst" 127.0.0.1 "$PORT" reggers 200
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *" resets 0 other 0" ]]
	# Default limits (60/min, burst 20): most of them were refused.
	[[ "$output" != *" errors 0 "* ]]
	[[ "$(log_of)" == *rate-limited* ]]
}

@test "whoisd: refused by --max-clients or --deny, the client still reads the error" {
	start_whoisd --deny 127.0.0.0/8
	run "$SK_TBIN/wd-burst" 127.0.0.1 "$PORT" reggers 50
	echo "$output"
	[ "$output" = "answers 0 errors 50 resets 0 other 0" ]
	sk_server_stop whoisd
	start_whoisd --max-clients 1 --no-limits --read-timeout 30
	"$C" idle 127.0.0.1 "$PORT" 1 10 >"$BATS_TEST_TMPDIR/idle.out" &
	idle=$!
	for i in $(seq 1 100); do
		grep -q 'open 1' "$BATS_TEST_TMPDIR/idle.out" && break
		sleep 0.05
	done
	run "$SK_TBIN/wd-burst" 127.0.0.1 "$PORT" reggers 50
	kill "$idle"
	wait "$idle" || true
	echo "$output"
	[ "$output" = "answers 0 errors 50 resets 0 other 0" ]
}

@test "whoisd: --deny and --allow access lists" {
	start_whoisd --deny 127.0.0.0/8
	run "$C" query 127.0.0.1 "$PORT" reggers
	[[ "$output" == "%ERROR:201: access denied"* ]]
	run "$C" query ::1 "$PORT" reggers
	[[ "$output" == *"Full Name: Quinton, Reg"* ]]
	[[ "$(log_of)" == *'127.0.0.1:'*denied* ]]
	sk_server_stop whoisd
	start_whoisd --allow 198.18.0.0/15
	run "$C" query 127.0.0.1 "$PORT" reggers
	[[ "$output" == "%ERROR:201: access denied"* ]]
}

@test "whoisd: SIGHUP with a broken database keeps serving the old one" {
	# Root drops to nobody after loading: the file must stay readable
	# to nobody for the reload (bats' own temp dirs are private).
	LIVEDIR=$(mktemp -d /tmp/whoisd-live.XXXXXX)
	chmod 755 "$LIVEDIR"
	WDB=$LIVEDIR/live.db
	cp "$DB" "$WDB"
	chmod 644 "$WDB"
	start_whoisd
	printf 'Full Name: Broken\nthis line has no colon\n' >"$WDB"
	kill -HUP "$PID"
	sleep 0.3
	log_of
	[[ "$(log_of)" == *"reload rejected"*"live.db:2:"* ]]
	run whois -h 127.0.0.1 -p "$PORT" reggers
	[ "$output" = "$REGGERS" ]
	printf 'Full Name: Newcomer, Nora\nIndex Key: 999\n' >"$WDB"
	kill -HUP "$PID"
	sleep 0.3
	run "$C" query 127.0.0.1 "$PORT" newcomer
	[[ "$output" == *"Newcomer, Nora"* ]]
	run "$C" query 127.0.0.1 "$PORT" reggers
	rm -rf "$LIVEDIR"
	[[ "$output" == *"There were 0 matches"* ]]
}

@test "whoisd: a SIGHUP during the database load is held, then reloads" {
	# A FIFO as the database: the load blocks until we write it.
	LIVEDIR=$(mktemp -d /tmp/whoisd-live.XXXXXX)
	chmod 755 "$LIVEDIR"
	WDB=$LIVEDIR/db.fifo
	mkfifo -m 666 "$WDB"
	PORT=$(sk_free_port)
	sk_server_start whoisd "$W" -f "$WDB" -l "127.0.0.1:$PORT" --log-stderr
	PID=$(sk_server_pid whoisd)
	sk_wait_port "$PORT"
	kill -HUP "$PID"
	sleep 0.2
	kill -0 "$PID"
	timeout 5 sh -c 'cat "$1" >"$2"' sh "$DB" "$WDB"
	# Serving now; the held SIGHUP reads the FIFO once more.
	timeout 5 sh -c 'printf "Full Name: Newcomer, Nora\nIndex Key: 999\n" >"$1"' \
		sh "$WDB"
	sleep 0.3
	run "$C" query 127.0.0.1 "$PORT" newcomer
	[[ "$output" == *"Newcomer, Nora"* ]]
	[[ "$(log_of)" == *"reloaded"* ]]
	kill -0 "$PID"
}

@test "whoisd: SIGTERM stops accepting, finishes in-flight, exits 0" {
	start_whoisd --read-timeout 5
	"$C" drip 127.0.0.1 "$PORT" reggers 100 >"$BATS_TEST_TMPDIR/drip.out" &
	drip=$!
	sleep 0.2
	kill -TERM "$PID"
	wait "$drip"
	# The in-flight query (finished within the 2 s drain) got its answer.
	grep -q 'Full Name: Quinton, Reg' "$BATS_TEST_TMPDIR/drip.out"
	for i in $(seq 1 60); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$PID" 2>/dev/null
	wait "$PID"
	[[ "$(log_of)" == *draining* ]]
}

@test "whoisd: bad command lines name the input" {
	run "$W" -f /nonexistent/db --stdio
	[ "$status" -eq 2 ]
	[[ "$output" == *"/nonexistent/db"* ]]
	run "$W" -f "$DB" --deny 198.18.0.0/33 -l 127.0.0.1:0
	[ "$status" -eq 2 ]
	[[ "$output" == *"198.18.0.0/33"* ]]
	run "$W" -f "$DB" -l 127.0.0.1:99999
	[ "$status" -eq 2 ]
	[[ "$output" == *"99999"* ]]
	run "$W" --max-matches 0
	[ "$status" -eq 2 ]
	[[ "$output" == *"max-matches 0"* ]]
	run "$W" --no-such-flag
	[ "$status" -eq 2 ]
	[[ "$output" == *usage:* ]]
}

@test "whoisd: a port in use is a system error naming the address" {
	start_whoisd
	run "$W" -f "$DB" -l "127.0.0.1:$PORT"
	[ "$status" -eq 3 ]
	[[ "$output" == *"127.0.0.1:$PORT: Address already in use"* ]]
	# Threads listen with SO_REUSEPORT: a second whoisd must still fail
	# rather than join their group and take a share of the clients.
	sk_server_stop whoisd
	start_whoisd --threads 2
	run timeout 5 "$W" -f "$DB" -l "127.0.0.1:$PORT" --threads 2
	[ "$status" -eq 3 ]
	[[ "$output" == *"127.0.0.1:$PORT: Address already in use"* ]]
	[ "$(ss -Htln "sport = :$PORT" | wc -l)" -eq 4 ]
}

@test "whoisd started as root serves as nobody" {
	sk_require_root
	start_whoisd
	uid=$(awk '/^Uid:/ { print $2 "," $3 "," $4 }' "/proc/$PID/status")
	want=$(id -u nobody)
	[ "$uid" = "$want,$want,$want" ]
	run whois -h 127.0.0.1 -p "$PORT" reggers
	[ "$output" = "$REGGERS" ]
}

@test "whoisd out of file descriptors neither spins nor drops the listener" {
	sk_require_cmd prlimit
	PORT=$(sk_free_port)
	# 64 fds in all: a few dozen idle clients exhaust them.
	sk_server_start whoisd prlimit --nofile=64:64 "$W" -f "$DB" \
		-l "127.0.0.1:$PORT" --no-limits --read-timeout 3 --timeout 3 --log-stderr
	sk_wait_port "$PORT"
	PID=$(pgrep -P "$(sk_server_pid whoisd)" whoisd || sk_server_pid whoisd)
	"$C" idle 127.0.0.1 "$PORT" 100 2 >"$BATS_TEST_TMPDIR/idle.out" &
	idle=$!
	sleep 0.5
	t0=$(awk '{ print $14 + $15 }' "/proc/$PID/stat")
	sleep 1
	t1=$(awk '{ print $14 + $15 }' "/proc/$PID/stat")
	wait "$idle" || true
	echo "cpu ticks in 1 s while out of fds: $((t1 - t0))"
	# A spinning loop burns ~100 ticks a second; a paused one next to none.
	[ $((t1 - t0)) -lt 50 ]
	grep -q 'out of file descriptors' "$BATS_TEST_TMPDIR/whoisd.err"
	sleep 3.5
	run whois -h 127.0.0.1 -p "$PORT" reggers
	[ "$output" = "$REGGERS" ]
}

@test "whoisd under inetd with a broken database: the admin's log names it, the client gets %ERROR without paths" {
	sk_require_cmd systemd-socket-activate
	PORT=$(sk_free_port)
	bad=$BATS_TEST_TMPDIR/bad.db
	printf 'Full Name: Broken\nthis line has no colon\n' >"$bad"
	sk_server_start sa systemd-socket-activate -a --inetd -l "127.0.0.1:$PORT" \
		"$W" -f "$bad" --log-stderr
	sk_wait_port "$PORT"
	run "$C" query 127.0.0.1 "$PORT" reggers
	echo "client: $output"
	[[ "$output" == "%ERROR:100: internal software error"* ]]
	[[ "$output" != *bad.db* ]]
	[[ "$output" != */* ]]
	sleep 0.2
	grep -q "bad.db:2:" "$BATS_TEST_TMPDIR/sa.err"
}

@test "whoisd under openbsd-inetd with a broken database: nothing of the server's paths reaches the client" {
	sk_require_root
	[ -x /usr/sbin/inetd ] || skip "needs openbsd-inetd"
	PORT=$(sk_free_port)
	chmod 755 "$BATS_TEST_TMPDIR"
	bad=$BATS_TEST_TMPDIR/bad.db
	printf 'Full Name: Broken\nthis line has no colon\n' >"$bad"
	chmod 644 "$bad"
	printf '127.0.0.1:%s stream tcp nowait nobody %s whoisd -f %s\n' \
		"$PORT" "$W" "$bad" >"$BATS_TEST_TMPDIR/inetd.conf"
	sk_server_start inetd /usr/sbin/inetd -d "$BATS_TEST_TMPDIR/inetd.conf"
	sk_wait_port "$PORT"
	run "$C" query 127.0.0.1 "$PORT" reggers
	echo "client: $output"
	[ "$output" = $'%ERROR:100: internal software error\r' ]
}

@test "whoisd: usage and whoisd(8) advertise -V, not a -v that does not exist" {
	run "$W" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"[-DhV]"* ]]
	run "$W" -v
	[ "$status" -eq 2 ]
	! grep -q 'Fl Dhv' "$SK_ROOT/man/man8/whoisd.8"
	grep -q 'Fl DhV' "$SK_ROOT/man/man8/whoisd.8"
}

@test "whoisd: bad option values name the option; --inetd with --stdio is refused" {
	run "$W" --rate abc
	[ "$status" -eq 2 ]
	[[ "$output" == *"--rate abc"* ]]
	run "$W" --stdio -f "$DB" --help-file /nonexist </dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == *"--help-file /nonexist"* ]]
	run "$W" --inetd --stdio -f "$DB"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--inetd"*"--stdio"* ]]
}

@test "whoisd: the startup line names its addresses and ports" {
	start_whoisd
	sleep 0.1
	[[ "$(log_of)" == *"serving"*"127.0.0.1:$PORT, [::1]:$PORT"* ]]
}

@test "whoisd(8) documents every log outcome" {
	for o in ok help too-long bad-chars bad-query denied rate-limited busy \
		timeout no-query write-error; do
		grep -q "^\\.It Cm $o\$" "$SK_ROOT/man/man8/whoisd.8" || { echo "missing $o"; false; }
	done
}

@test "whoisd: the pidfile is locked while running and removed after SIGTERM" {
	LIVEDIR=$(mktemp -d /tmp/whoisd-live.XXXXXX)
	chmod 777 "$LIVEDIR"
	start_whoisd -P "$LIVEDIR/whoisd.pid"
	[ "$(cat "$LIVEDIR/whoisd.pid")" = "$PID" ]
	run "$W" -f "$DB" -l "127.0.0.1:$(sk_free_port)" -P "$LIVEDIR/whoisd.pid"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"$LIVEDIR/whoisd.pid: locked by pid $PID"* ]]
	kill -TERM "$PID"
	for i in $(seq 1 60); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$PID" 2>/dev/null
	[ ! -e "$LIVEDIR/whoisd.pid" ]
}

@test "whoisd -D with a relative -f reloads the same file on SIGHUP" {
	LIVEDIR=$(mktemp -d /tmp/whoisd-live.XXXXXX)
	chmod 777 "$LIVEDIR"
	cp "$DB" "$LIVEDIR/live.db"
	chmod 644 "$LIVEDIR/live.db"
	PORT=$(sk_free_port)
	(cd "$LIVEDIR" && "$W" -D -f live.db -l "127.0.0.1:$PORT" -P "$LIVEDIR/pid")
	sk_wait_port "$PORT"
	PID=$(cat "$LIVEDIR/pid")
	printf 'Full Name: Newcomer, Nora\nIndex Key: 999\n' >"$LIVEDIR/live.db"
	kill -HUP "$PID"
	for i in $(seq 1 40); do
		run "$C" query 127.0.0.1 "$PORT" newcomer
		[[ "$output" == *"Newcomer, Nora"* ]] && break
		sleep 0.05
	done
	kill -TERM "$PID"
	[[ "$output" == *"Newcomer, Nora"* ]]
}

@test "whoisd as root: -u nosuchuser says so once; a reload the dropped user cannot read says who it runs as" {
	sk_require_root
	run "$W" -f "$DB" -l "127.0.0.1:$(sk_free_port)" -u nosuchuser --log-stderr
	echo "$output"
	[ "$status" -eq 3 ]
	[ "$(grep -c nosuchuser <<<"$output")" -eq 1 ]
	LIVEDIR=$(mktemp -d /tmp/whoisd-live.XXXXXX)
	chmod 755 "$LIVEDIR"
	WDB=$LIVEDIR/live.db
	cp "$DB" "$WDB"
	chmod 644 "$WDB"
	start_whoisd
	chmod 600 "$WDB"
	kill -HUP "$PID"
	for i in $(seq 1 40); do grep -q "reload rejected" "$BATS_TEST_TMPDIR/whoisd.err" && break; sleep 0.05; done
	log_of
	[[ "$(log_of)" == *"reload rejected"*"Permission denied"*"now runs as user nobody"* ]]
}

# Wait until whoisd logs that it serves (it listens before it has loaded).
wait_serving() {
	local i
	for i in $(seq 1 200); do
		grep -q 'serving' "$BATS_TEST_TMPDIR/whoisd.err" && return 0
		sleep 0.05
	done
	return 1
}

@test "whoisd: SIGHUP reloads off the loop: queries every 10 ms keep answering while 500k records load" {
	LIVEDIR=$(mktemp -d /tmp/whoisd-live.XXXXXX)
	chmod 755 "$LIVEDIR"
	WDB=$LIVEDIR/big.db
	"$SK_ROOT/contrib/gendb" 500000 >"$WDB"
	chmod 644 "$WDB"
	q=$(awk -F': ' '/^Handle:/ { n++; if (n == 5000) { print $2; exit } }' "$WDB")
	start_whoisd --no-limits
	wait_serving
	run "$SK_TBIN/wd-steady" 127.0.0.1 "$PORT" "$q" 10 300 "$PID" 20
	echo "$output"
	# Sanitizer builds load slower: the reload may end after the queries.
	for i in $(seq 1 400); do grep -q reloaded "$BATS_TEST_TMPDIR/whoisd.err" && break; sleep 0.05; done
	log_of | grep -v query
	[ "$status" -eq 0 ]
	[[ "$(log_of)" == *"reloaded $WDB: 500000 records"* ]]
	max=$(awk '{ print int($6) }' <<<"$output")
	# The old in-loop reload stalled every query for the whole load.
	[ "$max" -lt 200 ]
}

@test "whoisd --threads 4: one loop per thread; rate and per-address limits hold across them" {
	start_whoisd --threads 4 --rate 1 --burst 5
	wait_serving
	[[ "$(log_of)" == *"with 4 threads"* ]]
	[ "$(ls "/proc/$PID/task" | wc -l)" -eq 4 ]
	# A listener of its own per thread on each address (v4 and v6).
	[ "$(ss -Htln "sport = :$PORT" | wc -l)" -eq 8 ]
	run "$SK_TBIN/wd-burst" 127.0.0.1 "$PORT" reggers 40
	echo "$output"
	[ "$output" = "answers 5 errors 35 resets 0 other 0" ]
	sk_server_stop whoisd
	start_whoisd --threads 4 --per-ip 3 --rate 0 --read-timeout 30
	"$C" idle 127.0.0.1 "$PORT" 3 10 >"$BATS_TEST_TMPDIR/idle.out" &
	idle=$!
	for i in $(seq 1 100); do
		grep -q 'open 3' "$BATS_TEST_TMPDIR/idle.out" && break
		sleep 0.05
	done
	run "$SK_TBIN/wd-burst" 127.0.0.1 "$PORT" reggers 20
	kill "$idle"
	wait "$idle" || true
	echo "$output"
	[ "$output" = "answers 0 errors 20 resets 0 other 0" ]
}

@test "whoisd --threads 3: SIGHUP swaps the directory for every thread" {
	LIVEDIR=$(mktemp -d /tmp/whoisd-live.XXXXXX)
	chmod 755 "$LIVEDIR"
	WDB=$LIVEDIR/live.db
	cp "$DB" "$WDB"
	chmod 644 "$WDB"
	start_whoisd --threads 3 --no-limits
	wait_serving
	printf 'Full Name: Newcomer, Nora\nIndex Key: 999\n' >"$WDB"
	kill -HUP "$PID"
	for i in $(seq 1 100); do grep -q reloaded "$BATS_TEST_TMPDIR/whoisd.err" && break; sleep 0.05; done
	sleep 0.1
	# Connections spread over the threads: every one sees the new file.
	for i in $(seq 1 30); do
		run "$C" query 127.0.0.1 "$PORT" newcomer
		[[ "$output" == *"Newcomer, Nora"* ]]
	done
}

@test "whoisd's own symbols all carry its wd_ prefix" {
	command -v nm >/dev/null || skip "nm not installed"
	objs=("$SK_ROOT/${SK_O:-.}"/obj/tools/whoisd/*.o)
	[ -f "${objs[0]}" ]
	run sh -c 'nm -g --defined-only "$@" | awk "NF == 3 {print \$3}" |
		grep -v -e "^wd_" -e "^main\$"' sh "${objs[@]}"
	echo "without the prefix: $output"
	[ -z "$output" ]
}
