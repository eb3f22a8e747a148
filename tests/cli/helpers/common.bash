# Shared setup for every bats file: where the binaries are, root checks.
# make check exports SK_BIN (tools), SK_TBIN (test drivers) and SK_ROOT.
: "${SK_ROOT:=$(cd "$(dirname "${BATS_TEST_FILENAME}")/../.." && pwd)}"
: "${SK_BIN:=$SK_ROOT/bin}"
: "${SK_TBIN:=$SK_ROOT/tests/bin}"
export SK_ROOT SK_BIN SK_TBIN

# Skip the current test unless we are root (namespaces, nftables, port 43).
sk_require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		skip "needs root (network namespaces, nftables); CI runs as root"
	fi
}

# Skip unless every named program exists.
sk_require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs $c (make deps installs it)"
	done
}

# Milliseconds from a monotonic-enough clock for coarse test assertions.
sk_ms() {
	local t
	t=$(date +%s%N)
	echo $((t / 1000000))
}
