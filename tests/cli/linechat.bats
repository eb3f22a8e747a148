#!/usr/bin/env bats
# linechat against real peers started here: redis-server, whoisd,
# openssl s_server, nc (netcat-openbsd), an SMTP fixture (sk-smtpd), and
# itself in listen mode; interactive mode under tmux.

load helpers/common
load helpers/server

setup() {
	L=$SK_BIN/linechat
	DB=$SK_ROOT/contrib/whoisd.db
}

teardown() {
	if [ -n "${TMUX_SOCK:-}" ]; then
		tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
	fi
	sk_servers_stop_all
}

start_redis() {
	sk_require_cmd redis-server
	RPORT=$(sk_free_port)
	sk_server_start redis redis-server --port "$RPORT" --bind 127.0.0.1 \
		--save '' --appendonly no --dir "$BATS_TEST_TMPDIR"
	sk_wait_port "$RPORT"
}

start_whoisd() {
	WPORT=$(sk_free_port)
	sk_server_start whoisd "$SK_BIN/whoisd" -f "$DB" -l "127.0.0.1:$WPORT" \
		--log-stderr
	sk_wait_port "$WPORT"
}

# A throwaway CA and a server certificate for localhost / 127.0.0.1.
make_certs() {
	sk_require_cmd openssl
	local d=$BATS_TEST_TMPDIR
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-days 2 -subj /CN=sockkit-test-ca -keyout "$d/ca.key" -out "$d/ca.pem" \
		2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj /CN=localhost -keyout "$d/srv.key" -out "$d/srv.csr" 2>/dev/null
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$d/ext"
	openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/ext" -out "$d/srv.pem" 2>/dev/null
}

@test "linechat: unknown service is a usage error naming it" {
	run "$L" 127.0.0.1 no-such-service
	[ "$status" -eq 2 ]
	[[ "$output" == *"no-such-service"* ]]
	run "$L" 127.0.0.1 70000
	[ "$status" -eq 2 ]
	[[ "$output" == *"70000"* ]]
}

@test "linechat: missing script file and script syntax errors exit 2" {
	run "$L" -f /nonexistent/script 127.0.0.1 80
	[ "$status" -eq 2 ]
	[[ "$output" == *"/nonexistent/script"* ]]
	printf "'' PING\nTIMEOUT\n" >"$BATS_TEST_TMPDIR/bad.chat"
	run "$L" -f "$BATS_TEST_TMPDIR/bad.chat" 127.0.0.1 80
	[ "$status" -eq 2 ]
	[[ "$output" == *"bad.chat:2:"* ]]
}

@test "linechat: refused connection is a network error (exit 3)" {
	port=$(sk_free_port)
	run "$L" -c hello 127.0.0.1 "$port"
	[ "$status" -eq 3 ]
	[[ "$output" == *"connect to 127.0.0.1:$port: Connection refused"* ]]
}

@test "linechat -c is the source text's whois client (against whoisd)" {
	start_whoisd
	run "$L" -c reggers 127.0.0.1 "$WPORT"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Full Name: Quinton, Reg"* ]]
	[[ "$output" == *"For more information try 'whois help'."* ]]
}

@test "linechat -v names each attempt and the connection" {
	start_whoisd
	run "$L" -v -c reggers localhost "$WPORT"
	[ "$status" -eq 0 ]
	# The suite's one address form: 127.0.0.1:43, [::1]:43.
	[[ "$output" == *"trying 127.0.0.1:$WPORT ..."* || "$output" == *"trying [::1]:$WPORT ..."* ]]
	[[ "$output" == *"connected to localhost:$WPORT (127.0.0.1:$WPORT) in "* || "$output" == *"connected to localhost:$WPORT ([::1]:$WPORT) in "* ]]
	[[ "$output" != *" port $WPORT"* && "$output" != *".$WPORT"* ]]
}

@test "linechat -c with no reply before -i exits 1" {
	# A peer that never speaks: our own listener.
	port=$(sk_free_port)
	sk_server_start mute "$L" -l 127.0.0.1 "$port" -q 5
	sk_wait_port "$port"
	run "$L" -i 1 -c hello 127.0.0.1 "$port"
	[ "$status" -eq 1 ]
}

@test "linechat script drives redis: PING, SET, GET" {
	start_redis
	run "$L" -e "'' PING +PONG 'SET k v' +OK 'GET k' v" 127.0.0.1 "$RPORT"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(redis-cli -p "$RPORT" GET k)" = v ]
}

@test "linechat script: ABORT string gives exit 4+n" {
	start_redis
	run "$L" -e "ABORT BUSY ABORT -ERR '' BOGUSCOMMAND +OK" 127.0.0.1 "$RPORT"
	[ "$status" -eq 5 ]
	printf "ABORT -ERR\n'' BOGUSCOMMAND\n+OK\n" >"$BATS_TEST_TMPDIR/s.chat"
	run "$L" -f "$BATS_TEST_TMPDIR/s.chat" 127.0.0.1 "$RPORT"
	[ "$status" -eq 4 ]
}

@test "linechat script: TIMEOUT exits 3" {
	start_redis
	run "$L" -e "TIMEOUT 1 '' PING NEVERSEEN" 127.0.0.1 "$RPORT"
	[ "$status" -eq 3 ]
}

@test "linechat script: regex expect" {
	start_redis
	run "$L" -e "'' 'INCR n' '~/:[0-9]+/' 'INCR n' ~/:2/" 127.0.0.1 "$RPORT"
	[ "$status" -eq 0 ]
}

@test "linechat pipe mode: lines go out with CRLF, replies come back" {
	start_redis
	run bash -c "printf 'PING\nECHO hi\n' | '$L' -q 1 127.0.0.1 $RPORT"
	[ "$status" -eq 0 ]
	[[ "$output" == *"+PONG"* ]]
	[[ "$output" == *"hi"* ]]
	# What the server sees, byte for byte.
	port=$(sk_free_port)
	sk_server_start sink "$L" -l --raw 127.0.0.1 "$port"
	sk_wait_port "$port"
	printf 'a\nb\r\nc' | "$L" -q 0 127.0.0.1 "$port"
	sleep 0.3
	[ "$(od -An -c "$BATS_TEST_TMPDIR/sink.out" | tr -d ' \n')" = 'a\r\nb\r\nc' ]
}

@test "linechat --lf and --raw keep line endings as they are" {
	port=$(sk_free_port)
	sk_server_start sink "$L" -l --raw 127.0.0.1 "$port"
	sk_wait_port "$port"
	printf 'a\nb\n' | "$L" --lf -q 0 127.0.0.1 "$port"
	sleep 0.3
	[ "$(od -An -c "$BATS_TEST_TMPDIR/sink.out" | tr -d ' \n')" = 'a\nb\n' ]
}

@test "linechat --raw is binary safe both ways" {
	head -c 3000000 /dev/urandom >"$BATS_TEST_TMPDIR/blob"
	port=$(sk_free_port)
	sk_server_start sink "$L" -l --raw 127.0.0.1 "$port"
	sk_wait_port "$port"
	"$L" --raw -q 0 127.0.0.1 "$port" <"$BATS_TEST_TMPDIR/blob"
	for i in $(seq 1 50); do
		[ "$(stat -c %s "$BATS_TEST_TMPDIR/sink.out")" -ge 3000000 ] && break
		sleep 0.1
	done
	cmp "$BATS_TEST_TMPDIR/blob" "$BATS_TEST_TMPDIR/sink.out"
	# And back: the listener sends a file, the client prints it.
	port=$(sk_free_port)
	sk_server_start src bash -c "'$L' -l --raw -q 0 127.0.0.1 $port <'$BATS_TEST_TMPDIR/blob'"
	sk_wait_port "$port"
	"$L" --raw 127.0.0.1 "$port" </dev/null >"$BATS_TEST_TMPDIR/back"
	cmp "$BATS_TEST_TMPDIR/blob" "$BATS_TEST_TMPDIR/back"
}

@test "linechat -l -k accepts one connection after another" {
	port=$(sk_free_port)
	sk_server_start keep "$L" -l -k --raw 127.0.0.1 "$port"
	sk_wait_port "$port"
	echo one | "$L" -q 0 127.0.0.1 "$port"
	echo two | "$L" -q 0 127.0.0.1 "$port"
	sleep 0.3
	grep -q one "$BATS_TEST_TMPDIR/keep.out"
	grep -q two "$BATS_TEST_TMPDIR/keep.out"
}

@test "linechat -u sends each line as a datagram" {
	sk_require_cmd nc
	port=$(sk_free_port)
	sk_server_start udp nc -u -l -W 2 127.0.0.1 "$port"
	sleep 0.3
	printf 'first\nsecond\n' | "$L" -u -q 1 127.0.0.1 "$port"
	sleep 0.3
	grep -q first "$BATS_TEST_TMPDIR/udp.out"
	grep -q second "$BATS_TEST_TMPDIR/udp.out"
}

@test "linechat -U talks to a UNIX socket" {
	sk_require_cmd nc
	sock=$BATS_TEST_TMPDIR/s.sock
	sk_server_start unix bash -c "printf 'hello from unix\n' | nc -lU '$sock'"
	for i in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.05; done
	run bash -c "echo hi | '$L' -q 1 -U '$sock'"
	[[ "$output" == *"hello from unix"* ]]
	run "$L" -U /nonexistent/dir/sock -c x
	[ "$status" -eq 3 ]
	[[ "$output" == *"/nonexistent/dir/sock"* ]]
}

@test "linechat --tls verifies the certificate; --insecure and --ca work" {
	make_certs
	port=$(sk_free_port)
	# -rev: the server sends every line back reversed.
	sk_server_start tls openssl s_server -rev -accept "127.0.0.1:$port" \
		-cert "$BATS_TEST_TMPDIR/srv.pem" -key "$BATS_TEST_TMPDIR/srv.key"
	sk_wait_port "$port"
	run "$L" --tls -c hello -i 1 localhost "$port"
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *verif* ]]
	run "$L" --tls --insecure -c hello -i 1 localhost "$port"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *olleh* ]]
	run "$L" --tls --ca "$BATS_TEST_TMPDIR/ca.pem" -v -c hello -i 1 localhost "$port"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *olleh* ]]
	[[ "$output" == *"protocol: TLS"* ]]
	[[ "$output" == *"subject: CN = localhost"* ]]
	[[ "$output" == *"issuer: CN = sockkit-test-ca"* ]]
}

@test "linechat --starttls smtp upgrades, then talks TLS" {
	make_certs
	port=$(sk_free_port)
	sk_server_start smtp "$SK_TBIN/sk-smtpd" "$port" \
		"$BATS_TEST_TMPDIR/srv.pem" "$BATS_TEST_TMPDIR/srv.key"
	sk_wait_port "$port"
	run "$L" --starttls smtp --ca "$BATS_TEST_TMPDIR/ca.pem" -v \
		-c "NOOP" -i 2 localhost "$port"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"250 2.0.0 OK over TLS"* ]]
	[[ "$output" == *STARTTLS* ]]
}

@test "linechat --starttls with an unknown protocol is a usage error" {
	run "$L" --starttls gopher localhost 25
	[ "$status" -eq 2 ]
	[[ "$output" == *gopher* ]]
}

@test "linechat --log records, --replay checks a server in one command" {
	start_redis
	redis-cli -p "$RPORT" SET k v >/dev/null
	run bash -c "printf 'PING\nGET k\n' | '$L' -q 1 --log '$BATS_TEST_TMPDIR/t.log' 127.0.0.1 $RPORT"
	[ "$status" -eq 0 ]
	grep -q '^[0-9]* > PING\\r\\n$' "$BATS_TEST_TMPDIR/t.log"
	grep -q '^[0-9]* < +PONG\\r\\n$' "$BATS_TEST_TMPDIR/t.log"
	run "$L" --replay "$BATS_TEST_TMPDIR/t.log" 127.0.0.1 "$RPORT"
	echo "$output"
	[ "$status" -eq 0 ]
	run "$L" --fast --replay "$BATS_TEST_TMPDIR/t.log" 127.0.0.1 "$RPORT"
	[ "$status" -eq 0 ]
	redis-cli -p "$RPORT" SET k w >/dev/null
	run "$L" --replay "$BATS_TEST_TMPDIR/t.log" 127.0.0.1 "$RPORT"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"differs"* ]]
}

@test "linechat never grows without bound on a peer that floods without newlines" {
	# The bound is on growth over an idle linechat of the same build, so
	# the check means the same under ASan (shadow memory, quarantine).
	idle=$(sk_free_port)
	sk_server_start idle "$L" -l 127.0.0.1 "$idle"
	sk_wait_port "$idle"
	base=$(awk '/VmRSS/ { print $2 }' "/proc/$(sk_server_pid idle)/status")
	port=$(sk_free_port)
	sk_server_start flood bash -c "head -c 50000000 /dev/zero | '$L' -l --raw -q 0 127.0.0.1 $port"
	sk_wait_port "$port"
	"$L" -c x -i 2 127.0.0.1 "$port" >"$BATS_TEST_TMPDIR/got" &
	pid=$!
	max=0
	while kill -0 "$pid" 2>/dev/null; do
		rss=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
		[ "${rss:-0}" -gt "$max" ] && max=$rss
		sleep 0.05
	done
	wait "$pid" || true
	echo "max RSS ${max} kB, idle ${base} kB"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/got")" -eq 50000000 ]
	[ "$((max - base))" -lt 16000 ]
}

tmux_start() {
	sk_require_cmd tmux
	TMUX_SOCK=$BATS_TEST_TMPDIR/tmux.sock
	tmux -S "$TMUX_SOCK" new-session -d -x 120 -y 30 \
		"env HOME=$BATS_TEST_TMPDIR TERM=xterm $*; sleep 30"
}

tmux_screen() {
	tmux -S "$TMUX_SOCK" capture-pane -p
}

tmux_wait_for() {
	local i
	for i in $(seq 1 60); do
		tmux_screen | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	tmux_screen
	return 1
}

@test "linechat interactive: line editing, replies shown, history per service" {
	start_redis
	tmux_start "$L" 127.0.0.1 "$RPORT"
	tmux_wait_for "connected"
	# Typed "NG", back to the start, "PI": the line sent is PING.
	tmux -S "$TMUX_SOCK" send-keys "NG" C-a "PI" Enter
	tmux_wait_for "+PONG"
	tmux -S "$TMUX_SOCK" send-keys "ECHO x" Enter
	tmux_wait_for "\$1"
	tmux -S "$TMUX_SOCK" send-keys "~." Enter
	sleep 0.3
	# libedit stores lines vis(3)-encoded: "ECHO\040x".
	grep -q 'ECHO.*x' "$BATS_TEST_TMPDIR/.local/state/linechat/$RPORT.history"
}

@test "linechat interactive: control bytes made visible, half-close reported" {
	port=$(sk_free_port)
	sk_server_start peer bash -c "printf 'bell\\a esc\\033[2J nul\\000 cr\\rdone\\r\\n' | '$L' -l --raw -q 1 127.0.0.1 $port"
	sk_wait_port "$port"
	tmux_start "$L" 127.0.0.1 "$port"
	tmux_wait_for "done"
	screen=$(tmux_screen)
	echo "$screen"
	[[ "$screen" == *'bell\x07 esc\x1b[2J nul\0 cr\rdone'* ]]
	tmux_wait_for "peer closed its side; you may still send"
	tmux -S "$TMUX_SOCK" send-keys "~." Enter
}

@test "linechat -c shows the reply of a server that answers and closes at once" {
	port=$(sk_free_port)
	sk_server_start answer "$SK_TBIN/sk-answer" "$port" "-DENIED not from you"
	sk_wait_port "$port"
	# One line in one write: the server reads it whole, answers, closes.
	run "$L" -c PING 127.0.0.1 "$port"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"-DENIED not from you"* ]]
	# A megabyte it never reads: the connection is reset under our send;
	# the reply is still shown, before the error.
	big=$(head -c 100000 /dev/zero | tr '\0' a)
	run "$L" -c "$big" -c "$big" -c "$big" -c "$big" -c "$big" -c "$big" \
		-c "$big" -c "$big" -c "$big" -c "$big" -c "$big" -c "$big" \
		127.0.0.1 "$port"
	echo "${output:0:300}"
	[ "$status" -eq 3 ]
	[ "${lines[0]}" = $'-DENIED not from you\r' ]
	[[ "${lines[1]}" == "linechat: "*": Connection reset by peer" ]]
}

# Until something is bound to UDP port $1 (at most 5 s).
wait_udp_port() {
	local i
	for i in $(seq 1 100); do
		[ -n "$(ss -Hunl "sport = :$1")" ] && return 0
		sleep 0.05
	done
	return 1
}

@test "linechat -u -l listens on UDP and answers the first sender" {
	port=$(sk_free_port)
	sk_server_start udpl bash -c "echo pong | '$L' -u -l -v -q 1 127.0.0.1 $port"
	wait_udp_port "$port"
	[ -z "$(ss -Htnl "sport = :$port")" ]
	run bash -c "echo ping | '$L' -u -i 1 127.0.0.1 $port"
	echo "$output"
	[[ "$output" == *pong* ]]
	sleep 0.3
	grep -q ping "$BATS_TEST_TMPDIR/udpl.out"
	grep -q "^Connection received on 127.0.0.1:[0-9]*$" "$BATS_TEST_TMPDIR/udpl.err"
}

@test "linechat -l -U listens on a UNIX socket and removes it after" {
	sock=$BATS_TEST_TMPDIR/l.sock
	sk_server_start unixl "$L" -l --raw -U "$sock"
	for i in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.05; done
	ss -Hxl | grep -qF "$sock"
	echo "over unix" | "$L" -q 1 -U "$sock"
	for i in $(seq 1 100); do [ -e "$sock" ] || break; sleep 0.05; done
	[ ! -e "$sock" ]
	grep -q "over unix" "$BATS_TEST_TMPDIR/unixl.out"
}

@test "linechat -l -4 and -l -6 listen on that family only" {
	port=$(sk_free_port)
	sk_server_start v4 "$L" -l -4 -k --raw "$port"
	sk_wait_port "$port"
	run "$SK_TBIN/sk-connect" 127.0.0.1 "$port"
	[ "$status" -eq 0 ]
	run "$SK_TBIN/sk-connect" ::1 "$port"
	[ "$status" -eq 3 ]
	sk_server_stop v4
	port=$(sk_free_port)
	sk_server_start v6 "$L" -l -6 -k --raw "$port"
	sk_wait_port "$port"
	run "$SK_TBIN/sk-connect" ::1 "$port"
	[ "$status" -eq 0 ]
	run "$SK_TBIN/sk-connect" 127.0.0.1 "$port"
	[ "$status" -eq 3 ]
}

@test "linechat refuses options that would be ignored, in one line, exit 2" {
	while IFS='|' read -r args want; do
		# shellcheck disable=SC2086
		run "$L" $args </dev/null
		echo "$args -> $status: $output"
		[ "$status" -eq 2 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == "linechat: $want"* ]]
	done <<-'EOF2'
	-k 127.0.0.1 7|-k: only with -l
	-u -U /tmp/x|-u: not with -U
	-u -l -k 7|-k: not with -u
	-i 3 127.0.0.1 7|-i: only with -c or -u
	--insecure 127.0.0.1 7|--insecure: only with --tls or --starttls
	--ca /etc/hostname 127.0.0.1 7|--ca: only with --tls or --starttls
	-4 -6 127.0.0.1 7|-4 and -6 exclude each other
	-4 -U /tmp/x|-4/-6: not with -U
	-l -s 127.0.0.1 7|-s: not with -l or -U
	-l -w 3 7|-w: not with -l
	-q 1 -c x 127.0.0.1 7|-q: pipe mode only
	--fast 127.0.0.1 7|--fast: only with --replay
	--lf --raw 127.0.0.1 7|--lf and --raw exclude each other
	--tls --starttls smtp 127.0.0.1 7|--tls and --starttls exclude each other
	--tls -u 127.0.0.1 7|--tls/--starttls: TCP client connections only
	EOF2
}

@test "linechat -q 0 exits at the end of stdin without spinning" {
	port=$(sk_free_port)
	# A peer that keeps the connection open, silent, for 4 s.
	sk_server_start mute bash -c "sleep 4 | '$L' -l --raw 127.0.0.1 $port"
	sk_wait_port "$port"
	run /usr/bin/time -f 'time %e %U %S' bash -c "echo hi | '$L' -q 0 127.0.0.1 $port"
	echo "$output"
	[ "$status" -eq 0 ]
	read -r _ wall user sys <<<"$(grep '^time ' <<<"$output")"
	# Bounded: well under the peer's 4 s, and next to no CPU.
	awk -v w="$wall" -v u="$user" -v s="$sys" 'BEGIN { exit !(w < 1.5 && u + s < 0.3) }'
}

@test "linechat takes HOST:PORT and [v6]:PORT as one argument, like nc users type" {
	start_whoisd
	run "$L" -c reggers "127.0.0.1:$WPORT"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Full Name: Quinton, Reg"* ]]
	port=$(sk_free_port)
	sk_server_start v6 "$L" -l -k --raw "[::1]:$port"
	sk_wait_port "$port"
	echo "over v6" | "$L" -q 1 "[::1]:$port"
	sleep 0.3
	grep -q "over v6" "$BATS_TEST_TMPDIR/v6.out"
	run "$L" example.org
	[ "$status" -eq 2 ]
	[[ "$output" == "linechat: example.org: no port"* ]]
}

@test "linechat -e with a program path says -e is a chat script, at once" {
	printf "'' PING\n" >"$BATS_TEST_TMPDIR/s.chat"
	start=$(sk_ms)
	run "$L" -e /bin/cat 127.0.0.1 7
	[ "$status" -eq 2 ]
	[[ "$output" == "linechat: -e /bin/cat: -e takes a chat script, not a program"* ]]
	run "$L" -e "$BATS_TEST_TMPDIR/s.chat" 127.0.0.1 7
	[ "$status" -eq 2 ]
	[[ "$output" == *"use -f $BATS_TEST_TMPDIR/s.chat"* ]]
	[ $(( $(sk_ms) - start )) -lt 2000 ]
	# A one-word script that is not a path still runs.
	start_redis
	run "$L" -e "''" 127.0.0.1 "$RPORT"
	[ "$status" -eq 0 ]
}

@test "linechat -v -l names the address it listens on and the peer that connected" {
	port=$(sk_free_port)
	sk_server_start lv "$L" -v -l --raw 127.0.0.1 "$port"
	sk_wait_port "$port"
	echo hi | "$L" -q 1 127.0.0.1 "$port"
	sleep 0.3
	cat "$BATS_TEST_TMPDIR/lv.err"
	grep -qx "Listening on 127.0.0.1:$port" "$BATS_TEST_TMPDIR/lv.err"
	grep -qx "Connection received on 127.0.0.1:[0-9]*" "$BATS_TEST_TMPDIR/lv.err"
}

@test "linechat warns once when piped stdin is binary without --raw" {
	printf 'GIF89a\0\1\2\n\377\376 more\n' >"$BATS_TEST_TMPDIR/bin"
	port=$(sk_free_port)
	sk_server_start sink "$L" -l -k --raw 127.0.0.1 "$port"
	sk_wait_port "$port"
	run bash -c "'$L' -q 0 127.0.0.1 $port <'$BATS_TEST_TMPDIR/bin' 2>'$BATS_TEST_TMPDIR/err'"
	[ "$status" -eq 0 ]
	cat "$BATS_TEST_TMPDIR/err"
	[ "$(grep -c . "$BATS_TEST_TMPDIR/err")" -eq 1 ]
	grep -q "^linechat: stdin: NUL byte at byte 6: not text; LF is sent as CRLF, --raw passes bytes unchanged$" "$BATS_TEST_TMPDIR/err"
	# Invalid UTF-8 (Latin-1) is told too; text, --raw and --lf are not.
	printf 'caf\351\n' | "$L" -q 0 127.0.0.1 "$port" 2>"$BATS_TEST_TMPDIR/err"
	grep -q "invalid UTF-8 at byte 3" "$BATS_TEST_TMPDIR/err"
	printf 'caf\303\251\n' | "$L" -q 0 127.0.0.1 "$port" 2>"$BATS_TEST_TMPDIR/err"
	"$L" --raw -q 0 127.0.0.1 "$port" <"$BATS_TEST_TMPDIR/bin" 2>>"$BATS_TEST_TMPDIR/err"
	"$L" --lf -q 0 127.0.0.1 "$port" <"$BATS_TEST_TMPDIR/bin" 2>>"$BATS_TEST_TMPDIR/err"
	[ ! -s "$BATS_TEST_TMPDIR/err" ]
}

@test "linechat -v traces a chat script's expects and sends with times, like chat -v" {
	start_redis
	run "$L" -v -e "'' PING +PONG 'GET nokey' ~/^\\\$-1/" 127.0.0.1 "$RPORT"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *'linechat: '[0-9]*' ms: send "PING"'* ]]
	[[ "$output" == *'linechat: '[0-9]*' ms: expect "+PONG"'* ]]
	[[ "$output" == *'linechat: '[0-9]*' ms: got "+PONG" in '[0-9]*' ms'* ]]
	[[ "$output" == *'ms: got "~/^\$-1/" in '* ]]
}

@test "linechat --replay --ignore leaves a changing HTTP Date: out of the comparison" {
	sk_require_cmd python3
	mkdir -p "$BATS_TEST_TMPDIR/www"
	echo hello >"$BATS_TEST_TMPDIR/www/index.txt"
	port=$(sk_free_port)
	sk_server_start http python3 -m http.server --bind 127.0.0.1 \
		--directory "$BATS_TEST_TMPDIR/www" "$port"
	sk_wait_port "$port"
	printf 'GET /index.txt HTTP/1.0\n\n' |
		"$L" -q 2 --log "$BATS_TEST_TMPDIR/h.log" 127.0.0.1 "$port"
	grep -q '< Date: ' "$BATS_TEST_TMPDIR/h.log"
	sleep 1.1	# the next answer has another Date:
	run "$L" --replay "$BATS_TEST_TMPDIR/h.log" 127.0.0.1 "$port"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"replay: differs at transcript line "*" GMT"* ]]
	run "$L" --replay "$BATS_TEST_TMPDIR/h.log" --ignore 'Date: [^\r]*' \
		--ignore '^Server: .*' 127.0.0.1 "$port"
	echo "$output"
	[ "$status" -eq 0 ]
	# What is not ignored still counts.
	echo changed >"$BATS_TEST_TMPDIR/www/index.txt"
	run "$L" --replay "$BATS_TEST_TMPDIR/h.log" --ignore 'Date: .*' 127.0.0.1 "$port"
	echo "$output"
	[ "$status" -eq 1 ]
	run "$L" --ignore 'x*' --replay "$BATS_TEST_TMPDIR/h.log" 127.0.0.1 "$port"
	[ "$status" -eq 2 ]
	[[ "$output" == "linechat: --ignore x*: matches the empty string" ]]
	run "$L" --ignore Date 127.0.0.1 "$port"
	[ "$status" -eq 2 ]
	[[ "$output" == "linechat: --ignore: only with --replay" ]]
}

@test "linechat --stats sums up bytes each way and the duration on stderr" {
	start_redis
	run bash -c "printf 'PING\n' | '$L' --stats -q 1 127.0.0.1 $RPORT 2>'$BATS_TEST_TMPDIR/err'"
	[ "$status" -eq 0 ]
	[ "$output" = $'+PONG\r' ]
	cat "$BATS_TEST_TMPDIR/err"
	grep -Eqx 'linechat: sent 6 bytes, received 7 bytes in [0-9]+\.[0-9]{3} s' "$BATS_TEST_TMPDIR/err"
	# One-shot, and --raw through splice, count the same way.
	run "$L" --stats -c PING 127.0.0.1 "$RPORT"
	[[ "$output" == *"linechat: sent 6 bytes, received 7 bytes in "* ]]
	head -c 100000 /dev/zero >"$BATS_TEST_TMPDIR/z"
	port=$(sk_free_port)
	sk_server_start sink "$L" -l --raw 127.0.0.1 "$port"
	sk_wait_port "$port"
	"$L" --raw --stats -q 0 127.0.0.1 "$port" <"$BATS_TEST_TMPDIR/z" 2>"$BATS_TEST_TMPDIR/err"
	grep -q "sent 100000 bytes, received 0 bytes" "$BATS_TEST_TMPDIR/err"
}
