#!/usr/bin/env bats
# make install / make uninstall into a scratch DESTDIR: what a packager or
# a user with PREFIX=/opt/sk gets, and that uninstall takes it all back.
# Installs from the build make check just made (SK_O names its directory,
# SK_LDFLAGS the flags it links with).

bats_require_minimum_version 1.5.0

load helpers/common

# make from the source tree, not as a sub-make of make check.
sk_make() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -s -C "$SK_ROOT" O="${SK_O:-.}" DESTDIR="$DEST" "$@"
}

setup_file() {
	export DEST=$BATS_FILE_TMPDIR/dest
	sk_make install
	sk_make install PREFIX=/opt/sk
}

@test "install puts tools, library, headers, pc file, man pages and contrib under PREFIX" {
	p=$DEST/usr/local
	[ -x "$p/bin/linechat" ]
	[ -x "$p/sbin/whoisd" ]
	[ -f "$p/lib/libsockkit.a" ]
	[ -f "$p/include/sockkit/err.h" ]
	[ ! -e "$p/include/sockkit/internal.h" ]
	[ -f "$p/share/man/man8/whoisd.8" ]
	[ -f "$p/share/man/man3/sk_tcpopen.3" ]
	# another name of a page that documents several functions links to it
	[ "$(readlink "$p/share/man/man3/sk_udpopen.3")" = sk_tcpopen.3 ]
	[ -f "$p/share/sockkit/whoisd.db" ]
	[ -f "$p/share/sockkit/inetd.conf" ]
	[ -f "$p/share/sockkit/systemd/whoisd.socket" ]
	grep -qx 'prefix=/usr/local' "$p/lib/pkgconfig/sockkit.pc"
}

@test "a second install with another PREFIX writes a pc file with that prefix" {
	grep -qx 'prefix=/opt/sk' "$DEST/opt/sk/lib/pkgconfig/sockkit.pc"
	grep -qx 'prefix=/usr/local' "$DEST/usr/local/lib/pkgconfig/sockkit.pc"
}

@test "a program builds against the installed library through sockkit.pc" {
	sk_require_cmd cc pkg-config
	export PKG_CONFIG_PATH=$DEST/opt/sk/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$DEST
	[[ "$(pkg-config --libs --static sockkit)" == *"-lsockkit"*"-pthread"* ]]
	printf '#include <sockkit/deadline.h>\nint main(void) { return sk_now_ms() > 0 ? 0 : 1; }\n' \
		> "$BATS_TEST_TMPDIR/t.c"
	# shellcheck disable=SC2046
	# shellcheck disable=SC2086 # (an ASan build's library needs its flags)
	cc $SK_LDFLAGS -o "$BATS_TEST_TMPDIR/t" "$BATS_TEST_TMPDIR/t.c" \
		$(pkg-config --cflags --libs --static sockkit)
	"$BATS_TEST_TMPDIR/t"
}

@test "without bpftool the build leaves the BPF owner path out and lssock says so" {
	o=$BATS_TEST_TMPDIR/nobpf
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -j2 -C "$SK_ROOT" \
		O="$o" BPFTOOL=/nonexistent/bpftool "$o/bin/lssock"
	[ ! -e "$o/obj/lib/bpf/procmap.skel.h" ]
	run "$o/bin/lssock" -V
	[ "$status" -eq 0 ]
	[[ "$output" == *"BPF task_file iterator: not built: no bpftool"* ]]
	# Owners still come, from the /proc walk, and -v says why.  The
	# socket is the test's own: the host may hold no owned one.
	sk_require_cmd nc
	nc -lU "$BATS_TEST_TMPDIR/owned.sock" </dev/null >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 1 100); do
		[ -S "$BATS_TEST_TMPDIR/owned.sock" ] && break
		sleep 0.05
	done
	run --separate-stderr "$o/bin/lssock" -v -xanp
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
	[ "$status" -eq 0 ]
	[[ "$stderr" == "lssock: owners: /proc fd walk, "*"not built: no bpftool" ]]
	[[ "$output" == *"$BATS_TEST_TMPDIR/owned.sock"*"users:((\"nc\",pid=$pid,"* ]]
}

@test "uninstall removes every file install put there" {
	sk_make uninstall
	sk_make uninstall PREFIX=/opt/sk
	run find "$DEST" ! -type d
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run find "$DEST" -name '*sockkit*'
	[ -z "$output" ]
}
