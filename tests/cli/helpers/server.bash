# Start and stop servers on free loopback ports; every process started
# here is recorded by pid and killed in sk_servers_stop_all (teardown).
#
#   port=$(sk_free_port)
#   sk_server_start NAME cmd args...    # background, pid recorded
#   sk_wait_port PORT [SECS]            # until something listens on PORT
#   sk_server_pid NAME / sk_server_stop NAME / sk_servers_stop_all

SK_SERVERS=()

# A TCP port nobody uses (random in 20000-31999, below the ephemeral
# range so no client connection can be holding it; checked with ss).
sk_free_port() {
	local p i
	for i in $(seq 1 50); do
		p=$((20000 + RANDOM % 12000))
		if [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	echo "sk_free_port: no free port found" >&2
	return 1
}

sk_server_start() {
	local name=$1
	shift
	"$@" >"$BATS_TEST_TMPDIR/$name.out" 2>"$BATS_TEST_TMPDIR/$name.err" </dev/null &
	echo $! >"$BATS_TEST_TMPDIR/$name.pid"
	SK_SERVERS+=("$name")
}

sk_server_pid() {
	cat "$BATS_TEST_TMPDIR/$1.pid"
}

# Wait until a TCP listener exists on PORT (any address), at most SECS (5).
sk_wait_port() {
	local port=$1 secs=${2:-5} i
	for i in $(seq 1 $((secs * 20))); do
		if [ -n "$(ss -Htanl "sport = :$port" 2>/dev/null)" ]; then
			return 0
		fi
		sleep 0.05
	done
	echo "nothing listens on port $port after ${secs}s" >&2
	return 1
}

sk_server_stop() {
	local name=$1 pid i
	[ -f "$BATS_TEST_TMPDIR/$name.pid" ] || return 0
	pid=$(cat "$BATS_TEST_TMPDIR/$name.pid")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 40); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	rm -f "$BATS_TEST_TMPDIR/$name.pid"
	return 0
}

sk_servers_stop_all() {
	local n
	for n in "${SK_SERVERS[@]}"; do
		sk_server_stop "$n"
	done
	SK_SERVERS=()
}

# Number of open fds of a process (for leak checks).
sk_fd_count() {
	ls "/proc/$1/fd" | wc -l
}
