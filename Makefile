# sockkit — one non-recursive Makefile.  Settings live in config.mk.
#
#   make              lib/libsockkit.a and every tool into bin/
#   make check        Check unit suites, then the bats CLI suites under prove
#   make asan check   the same, built with ASan+UBSan into build-asan/
#   make fuzz         libFuzzer targets into build-fuzz/ (clang)
#   make fuzz-smoke   run each fuzz target for FUZZ_SECS seconds
#   make bench        build the benchmark helpers, then run bench/*.sh
#   make deps         install build and test dependencies (Debian, apt-get)
#   make install      PREFIX=/usr/local DESTDIR=...

include config.mk

# Adding a tool = adding its name here and a tools/<name>/ directory with
# main.c; tools/<name>/*.c other than main.c are also linked into fuzzers.
TOOLS  = whoisd linechat lssock
SBIN   = whoisd
# pkg-config modules the library links with (sockkit.pc Requires.private),
# then those each tool adds.
LIB_PKGS = libmnl
whoisd_PKGS =
linechat_PKGS = openssl libedit
lssock_PKGS =

O ?= .
ifneq ($(filter asan,$(MAKECMDGOALS)),)
O       := build-asan
CFLAGS  += $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
endif

ALL_CFLAGS = $(WFLAGS) $(CFLAGS)

HDR      = $(wildcard include/sockkit/*.h) lib/internal.h
LIB_SRC  = $(wildcard lib/*.c)
LIB_OBJ  = $(LIB_SRC:%.c=$(O)/obj/%.o)
LIB      = $(O)/lib/libsockkit.a
LIB_LIBS = $(shell pkg-config --libs $(LIB_PKGS)) -lpthread
$(LIB_OBJ): EXTRA_CFLAGS = $(shell pkg-config --cflags $(LIB_PKGS))

BIN_DIR  = $(O)/bin
BINS     = $(TOOLS:%=$(BIN_DIR)/%)

UNIT_SRC = $(wildcard tests/unit/*.c)
UNIT_OBJ = $(UNIT_SRC:%.c=$(O)/obj/%.o)
UNIT_RUN = $(O)/tests/unit-run
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

# Small C drivers the bats suites run (never installed).
TDRV_SRC = $(wildcard tests/drivers/*.c)
TDRV     = $(TDRV_SRC:tests/drivers/%.c=$(O)/tests/bin/%)

BENCH_SRC = $(wildcard bench/*.c)
BENCH_BIN = $(BENCH_SRC:bench/%.c=$(O)/bench/bin/%)

FUZZ_SRC  = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN  = $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_DEPS = $(LIB_SRC) $(filter-out %/main.c,$(wildcard tools/*/*.c))
FUZZ_SECS ?= 30

MAN1 = $(wildcard man/man1/*.1)
MAN3 = $(wildcard man/man3/*.3)
MAN5 = $(wildcard man/man5/*.5)
MAN8 = $(wildcard man/man8/*.8)

DEBS = build-essential pkg-config clang libclang-rt-14-dev check bats \
       libpcap-dev libncurses-dev libmnl-dev libc-ares-dev libedit-dev libssl-dev \
       whois nmap iproute2 nftables dnsmasq bind9-dnsutils redis-server \
       openbsd-inetd systemd jq tmux netcat-openbsd procps psmisc openssl \
       python3-prometheus-client

.PHONY: all asan check unit cli fuzz fuzz-smoke bench deps install uninstall clean

all: $(LIB) $(BINS)

asan: all

# --- library ---------------------------------------------------------------
$(O)/obj/%.o: %.c $(HDR) config.mk
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(EXTRA_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

# --- tools ------------------------------------------------------------------
define TOOL_template
$(1)_SRC = $$(wildcard tools/$(1)/*.c)
$(1)_OBJ = $$($(1)_SRC:%.c=$$(O)/obj/%.o)
$$($(1)_OBJ): $$(wildcard tools/$(1)/*.h)
$$($(1)_OBJ): EXTRA_CFLAGS = $$(if $$($(1)_PKGS),$$(shell pkg-config --cflags $$($(1)_PKGS)))
$$(BIN_DIR)/$(1): $$($(1)_OBJ) $$(LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) $$(LDFLAGS) -o $$@ $$($(1)_OBJ) $$(LIB) $$(LIB_LIBS) \
		$$(if $$($(1)_PKGS),$$(shell pkg-config --libs $$($(1)_PKGS)))
endef
$(foreach t,$(TOOLS),$(eval $(call TOOL_template,$(t))))

# Tool-private code that unit tests and fuzzers exercise, without main().
TOOL_LIBSRC = $(filter-out %/main.c,$(foreach t,$(TOOLS),$($(t)_SRC)))
TOOL_LIBOBJ = $(TOOL_LIBSRC:%.c=$(O)/obj/%.o)
TOOL_PKGS   = $(sort $(foreach t,$(TOOLS),$($(t)_PKGS)))
TOOL_LIBS   = $(if $(strip $(TOOL_PKGS)),$(shell pkg-config --libs $(TOOL_PKGS)))

# --- tests ------------------------------------------------------------------
$(O)/obj/tests/unit/suites.h: $(wildcard tests/unit/check_*.c)
	@mkdir -p $(@D)
	for f in $(sort $(wildcard tests/unit/check_*.c)); do \
		n=$${f##*/check_}; echo "SUITE($${n%.c})"; done > $@

$(UNIT_OBJ): EXTRA_CFLAGS = $(CHECK_CFLAGS) -I$(O)/obj/tests/unit -Itools
$(UNIT_OBJ): $(O)/obj/tests/unit/suites.h tests/unit/unit.h

$(UNIT_RUN): $(UNIT_OBJ) $(TOOL_LIBOBJ) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $(UNIT_OBJ) $(TOOL_LIBOBJ) $(LIB) $(LIB_LIBS) \
		$(CHECK_LIBS) $(TOOL_LIBS)

# Drivers that need more than libsockkit name their libraries here.
sk-smtpd_LIBS = $(shell pkg-config --libs openssl 2>/dev/null)

$(O)/tests/bin/%: tests/drivers/%.c $(LIB) $(HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIB_LIBS) $($*_LIBS)

check: unit cli

unit: all $(UNIT_RUN)
	$(UNIT_RUN)

cli: all $(TDRV)
	SK_BIN=$(abspath $(BIN_DIR)) SK_TBIN=$(abspath $(O)/tests/bin) \
	SK_ROOT=$(CURDIR) prove -f --exec 'bats --tap' tests/cli/*.bats

# --- fuzzing ----------------------------------------------------------------
fuzz: $(FUZZ_BIN)

build-fuzz/%: tests/fuzz/%.c $(FUZZ_DEPS) $(HDR)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -Itools -o $@ $< $(FUZZ_DEPS) $(TOOL_LIBS) $(LIB_LIBS)

fuzz-smoke: fuzz
	@set -e; for f in $(FUZZ_BIN); do \
		n=$${f##*/}; c=build-fuzz/corpus/$$n; mkdir -p $$c; \
		if [ -d tests/fuzz/corpus/$$n ]; then cp -n tests/fuzz/corpus/$$n/* $$c/ 2>/dev/null || true; fi; \
		echo "fuzz-smoke: $$n for $(FUZZ_SECS)s"; \
		$$f -max_total_time=$(FUZZ_SECS) -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 $$c 2>build-fuzz/$$n.log \
			|| { tail -n 40 build-fuzz/$$n.log; exit 1; }; \
		grep -E '^stat::number_of_executed_units' build-fuzz/$$n.log || true; \
	done

# --- benchmarks ---------------------------------------------------------------
$(O)/bench/bin/%: bench/%.c $(LIB) $(HDR) $(wildcard bench/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIB_LIBS)

bench: all $(BENCH_BIN) $(TDRV)
	@for s in bench/*.sh; do echo "== $$s"; SK_BIN=$(abspath $(BIN_DIR)) \
		SK_BENCH=$(abspath $(O)/bench/bin) bash $$s || exit 1; done

# --- dependencies (Debian 12) -----------------------------------------------
deps:
	@if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	$$SUDO apt-get update -q && \
	$$SUDO apt-get install -y -q --no-install-recommends $(DEBS) </dev/null
	$(MAKE) all

# --- install ------------------------------------------------------------------
sockkit.pc: config.mk
	printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: sockkit\nDescription: socket helpers of the sockkit toolbox\nVersion: %s\nRequires.private: %s\nLibs: -L$${libdir} -lsockkit\nLibs.private: -lpthread\nCflags: -I$${includedir}\n' \
		'$(PREFIX)' '$(VERSION)' '$(LIB_PKGS)' > $@

install: all sockkit.pc
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib \
		$(DESTDIR)$(PREFIX)/include/sockkit $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man3 \
		$(DESTDIR)$(MANPREFIX)/man5 $(DESTDIR)$(MANPREFIX)/man8
	for t in $(TOOLS); do \
		case " $(SBIN) " in *" $$t "*) d=sbin;; *) d=bin;; esac; \
		install -m 755 $(BIN_DIR)/$$t $(DESTDIR)$(PREFIX)/$$d/$$t; done
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/sockkit/*.h $(DESTDIR)$(PREFIX)/include/sockkit/
	install -m 644 sockkit.pc $(DESTDIR)$(PKGCONFIGDIR)/
	$(if $(MAN1),install -m 644 $(MAN1) $(DESTDIR)$(MANPREFIX)/man1/)
	$(if $(MAN3),install -m 644 $(MAN3) $(DESTDIR)$(MANPREFIX)/man3/)
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(MANPREFIX)/man5/)
	$(if $(MAN8),install -m 644 $(MAN8) $(DESTDIR)$(MANPREFIX)/man8/)

clean:
	rm -rf bin obj lib/libsockkit.a tests/bin build-asan build-fuzz bench/bin sockkit.pc \
		tests/unit-run
