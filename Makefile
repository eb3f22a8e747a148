# sockkit — one non-recursive Makefile.  Settings live in config.mk.
#
#   make              lib/libsockkit.a and every tool into bin/
#   make check        Check unit runners (library, then one per tool), then
#                     the bats CLI suites under prove
#   make asan check   the same, built with ASan+UBSan into build-asan/
#   make lint-man     mandoc -Tlint on every page; silent when clean
#   make fuzz         libFuzzer targets into build-fuzz/ (clang)
#   make fuzz-smoke   run the fuzz targets, FUZZ_TOTAL_SECS split among them
#   make bench        build the benchmark helpers, then run bench/*.sh
#   make deps         install build and test dependencies (Debian, apt-get)
#   make install      PREFIX=/usr/local DESTDIR=...; make uninstall undoes it

include config.mk

# Adding a tool = adding its name here and a tools/<name>/ directory with
# main.c; its other .c files are the tool's private code, which its unit
# runner and its fuzz targets link.
TOOLS  = whoisd linechat lssock resolve portprobe
SBIN   = whoisd
# pkg-config modules each tool links with.
whoisd_PKGS =
linechat_PKGS = openssl libedit
lssock_PKGS = ncursesw
resolve_PKGS = libidn2
portprobe_PKGS =

# pkg-config modules a library module needs, one list per lib/<mod>.c
# (lib/dns_PKGS = libcares, ...): the module is compiled with their
# --cflags; their union goes to everything that links libsockkit.a and to
# Requires.private in sockkit.pc.
lib/sockdiag_PKGS = libmnl
lib/dns_PKGS = libcares
lib/dns_parse_PKGS = libcares
lib/synprobe_PKGS = libpcap
# (pkg-config --static libpcap names -lsystemd and -ldbus-1: libsystemd-dev
# in DEBS is there so programs link libsockkit.a through sockkit.pc.)

# The BPF owner map (lib/procmap_bpf.c) needs, at build time, clang for
# the BPF target, bpftool (vmlinux.h from the kernel's BTF, then the
# skeleton) and libbpf; without one of them the file builds without the
# iterator and says why (lssock -V), and owners come from the /proc walk.
# BPF=no leaves it out on purpose.
BPF_CLANG   ?= clang
BPFTOOL     ?= $(or $(shell command -v bpftool 2>/dev/null),$(wildcard /usr/sbin/bpftool),bpftool)
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
# The first thing missing, one word (spaces as _), names the reason.
BPF_MISSING := $(if $(filter no,$(BPF)),BPF=no) \
	$(if $(shell command -v $(BPF_CLANG) 2>/dev/null),,no_$(BPF_CLANG)) \
	$(if $(shell command -v $(BPFTOOL) 2>/dev/null),,no_bpftool) \
	$(if $(wildcard $(VMLINUX_BTF)),,no_$(VMLINUX_BTF)) \
	$(if $(shell pkg-config --exists libbpf 2>/dev/null && echo y),,no_libbpf)
BPF_ABSENT := $(if $(strip $(BPF_MISSING)),not built: $(subst _, ,$(firstword $(BPF_MISSING))))
ifeq ($(BPF_ABSENT),)
lib/procmap_bpf_PKGS = libbpf
# $(@D) is the object's directory: the skeleton is generated beside it.
lib/procmap_bpf_CPPFLAGS = -DSK_HAVE_BPF -I$(@D)/bpf -Ilib
else
lib/procmap_bpf_CPPFLAGS = -DSK_BPF_ABSENT='"$(BPF_ABSENT)"'
endif
# lib/ uses POSIX threads (procmap's walkers, pthread_sigmask): built and
# linked with this, and sockkit.pc's Libs.private says so.
LIB_THREADS = -pthread

O ?= .
ifneq ($(filter asan,$(MAKECMDGOALS)),)
O       := build-asan
CFLAGS  += $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
endif

ALL_CFLAGS = $(WFLAGS) $(CFLAGS)

pkg-cflags = $(if $(strip $(1)),$(shell pkg-config --cflags $(1)))
pkg-libs   = $(if $(strip $(1)),$(shell pkg-config --libs $(1)))

PUBHDR   = $(wildcard include/sockkit/*.h)
HDR      = $(PUBHDR) $(wildcard lib/*.h)
LIB_SRC  = $(wildcard lib/*.c)
LIB_OBJ  = $(LIB_SRC:%.c=$(O)/obj/%.o)
LIB      = $(O)/lib/libsockkit.a
LIB_PKGS := $(sort $(foreach s,$(LIB_SRC),$($(s:.c=)_PKGS)))
LIB_LIBS := $(call pkg-libs,$(LIB_PKGS)) $(LIB_THREADS)

BIN_DIR  = $(O)/bin
BINS     = $(TOOLS:%=$(BIN_DIR)/%)
USRBIN   = $(filter-out $(SBIN),$(TOOLS))

CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)

# Small C drivers the bats suites run (never installed).
TDRV_SRC = $(wildcard tests/drivers/*.c)
TDRV     = $(TDRV_SRC:tests/drivers/%.c=$(O)/tests/bin/%)

BENCH_SRC = $(wildcard bench/*.c)
BENCH_BIN = $(BENCH_SRC:bench/%.c=$(O)/bench/bin/%)

FUZZ_SRC  = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN  = $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_LIB  = build-fuzz/lib/libsockkit.a
# fuzz-smoke runs all targets within one wall-clock budget (CI allows ~3
# minutes); FUZZ_SECS=n gives each target n seconds instead.
FUZZ_TOTAL_SECS ?= 150

MAN     = $(wildcard man/man*/*.[1-8])
# Other names of a page that documents several functions are symlinks.
MAN_LINKS := $(sort $(shell find man -type l -name '*.[1-8]'))
MAN_PAGES  = $(filter-out $(MAN_LINKS),$(MAN))
CONTRIB = contrib/whoisd.db contrib/inetd.conf $(wildcard contrib/systemd/*)

DEBS = build-essential pkg-config clang libclang-rt-14-dev check bats mandoc \
       libpcap-dev libsystemd-dev libncurses-dev libmnl-dev libc-ares-dev libidn2-dev libedit-dev libssl-dev \
       whois nmap iproute2 nftables dnsmasq bind9-dnsutils adns-tools redis-server \
       openbsd-inetd systemd jq tmux netcat-openbsd procps psmisc openssl \
       python3-prometheus-client bpftool libbpf-dev

.PHONY: FORCE all asan check unit cli lint-man fuzz fuzz-smoke bench deps install \
	uninstall clean

all: $(LIB) $(BINS)

asan: all

# --- library ---------------------------------------------------------------
$(O)/obj/%.o: %.c $(HDR) config.mk
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(EXTRA_CFLAGS) -c -o $@ $<

# $* is the stem of the rule above (lib/<mod>), so each module gets its own.
$(LIB_OBJ): EXTRA_CFLAGS = $(LIB_THREADS) $(call pkg-cflags,$($*_PKGS)) \
	$($*_CPPFLAGS)

# The BPF program: vmlinux.h from the kernel's BTF, the object (CO-RE,
# so it loads on other kernels), linked by bpftool (which drops the
# DWARF), then embedded in a skeleton header for lib/procmap_bpf.c.  One
# copy per build directory, since the fuzz build has its own.
# procmap_fixed: the same program with this kernel's offsets, and in
# procmap_kernel.h the BTF id it attaches to and this kernel's
# /sys/kernel/notes (its build ID): on that kernel it loads without
# libbpf parsing the kernel's BTF, most of the map's cost.  The notes
# are left out (so the fixed program is never used) when VMLINUX_BTF is
# not the running kernel's.
BPF_SRC = lib/bpf/procmap.bpf.c lib/bpf/owner.h
define BPF_template
$(1)/vmlinux.h: $$(VMLINUX_BTF)
	@mkdir -p $$(@D)
	$$(BPFTOOL) btf dump file $$< format c > $$@.tmp && mv $$@.tmp $$@
$(1)/procmap.bpf.o: $$(BPF_SRC) $(1)/vmlinux.h
	$$(BPF_CLANG) -g -O2 -target bpf -Wall -Werror -I$(1) -Ilib/bpf \
		-c -o $$@.tmp lib/bpf/procmap.bpf.c
	$$(BPFTOOL) gen object $$@ $$@.tmp && rm -f $$@.tmp
$(1)/procmap.skel.h: $(1)/procmap.bpf.o
	$$(BPFTOOL) gen skeleton $$< name procmap_bpf > $$@.tmp && mv $$@.tmp $$@
$(1)/procmap_fixed.bpf.o: $$(BPF_SRC) $(1)/vmlinux.h
	$$(BPF_CLANG) -g -O2 -target bpf -Wall -Werror -DSK_BPF_FIXED -I$(1) \
		-Ilib/bpf -c -o $$@.tmp lib/bpf/procmap.bpf.c
	$$(BPFTOOL) gen object $$@ $$@.tmp && rm -f $$@.tmp
$(1)/procmap_fixed.skel.h: $(1)/procmap_fixed.bpf.o
	$$(BPFTOOL) gen skeleton $$< name procmap_fixed_bpf > $$@.tmp && \
		mv $$@.tmp $$@
$(1)/procmap_kernel.h: $$(VMLINUX_BTF)
	$$(BPFTOOL) btf dump file $$< | awk \
		'/FUNC .bpf_iter_task_file. / { gsub(/[^0-9]/, "", $$$$1); \
		print "#define SK_BPF_ITER_BTF_ID " $$$$1; exit }' > $$@.tmp
	{ echo 'static const unsigned char sk_bpf_notes[] = {'; \
	  if [ "$$<" = /sys/kernel/btf/vmlinux ]; then od -An -v -tx1 \
		/sys/kernel/notes | awk '{ for (i = 1; i <= NF; i++) \
		printf "0x%s,", $$$$i } END { print "" }'; fi; \
	  echo '0 };'; } >> $$@.tmp
	grep -q SK_BPF_ITER_BTF_ID $$@.tmp && mv $$@.tmp $$@
endef
ifeq ($(BPF_ABSENT),)
$(eval $(call BPF_template,$(O)/obj/lib/bpf))
$(eval $(call BPF_template,build-fuzz/obj/lib/bpf))
$(O)/obj/lib/procmap_bpf.o: $(O)/obj/lib/bpf/procmap.skel.h \
	$(O)/obj/lib/bpf/procmap_fixed.skel.h $(O)/obj/lib/bpf/procmap_kernel.h
build-fuzz/obj/lib/procmap_bpf.o: build-fuzz/obj/lib/bpf/procmap.skel.h \
	build-fuzz/obj/lib/bpf/procmap_fixed.skel.h \
	build-fuzz/obj/lib/bpf/procmap_kernel.h
endif
# A change of BPF=, or of the tools found, rebuilds the file that says.
$(O)/obj/lib/procmap_bpf.o build-fuzz/obj/lib/procmap_bpf.o: $(O)/obj/bpf-config
$(O)/obj/bpf-config: FORCE
	@mkdir -p $(@D)
	@echo '$(or $(BPF_ABSENT),built)' > $@.tmp; \
	cmp -s $@.tmp $@ && rm $@.tmp || mv $@.tmp $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ)

# --- tools -------------------------------------------------------------------
# A tool's private code (its .c files but main.c) also goes into an archive
# that its unit runner and fuzz targets link, so they pull in only the
# objects they use.
define TOOL_template
$(1)_SRC = $$(wildcard tools/$(1)/*.c)
$(1)_OBJ = $$($(1)_SRC:%.c=$$(O)/obj/%.o)
$(1)_PRIV = $$(filter-out %/main.c,$$($(1)_SRC))
$(1)_PRIVLIB = $$(O)/obj/tools/$(1)/private.a
$(1)_CFLAGS := $$(call pkg-cflags,$$($(1)_PKGS))
$(1)_LIBS := $$(call pkg-libs,$$($(1)_PKGS))
$$($(1)_OBJ): $$(wildcard tools/$(1)/*.h)
$$($(1)_OBJ): EXTRA_CFLAGS = $$($(1)_CFLAGS)
$$(BIN_DIR)/$(1): $$($(1)_OBJ) $$(LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) $$(LDFLAGS) -o $$@ $$($(1)_OBJ) $$(LIB) \
		$$($(1)_LIBS) $$(LIB_LIBS)
$$($(1)_PRIVLIB): $$($(1)_PRIV:%.c=$$(O)/obj/%.o)
	rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach t,$(TOOLS),$(eval $(call TOOL_template,$(t))))

# --- unit runners -------------------------------------------------------------
# One runner per owner: $(O)/tests/unit-run/lib for the library's suites,
# $(O)/tests/unit-run/<tool> for a tool's, linked with that tool's private
# code and libraries only.  A suite belongs to the tool whose headers it
# includes (#include "whoisd/db.h"); fuzz targets are split the same way.
# Each runner's suite list (suites.h) comes from the file names
# (check_<name>.c defines Suite *<name>_suite(void)); it is regenerated on
# every run and replaced only when it changed.
owned-by = $(shell grep -l 'include "$(1)/' $(2) /dev/null)

CHECK_SRC = $(wildcard tests/unit/check_*.c)
$(foreach t,$(TOOLS),$(eval $(t)_CHECK := $(call owned-by,$(t),$(CHECK_SRC))))
lib_CHECK := $(filter-out $(foreach t,$(TOOLS),$($(t)_CHECK)),$(CHECK_SRC))
lib_CFLAGS := $(call pkg-cflags,$(LIB_PKGS))
RUNNERS    = lib $(foreach t,$(TOOLS),$(if $($(t)_CHECK),$(t)))
UNIT_RUN   = $(RUNNERS:%=$(O)/tests/unit-run/%)

define RUNNER_template
$(1)_CHECK_OBJ = $$($(1)_CHECK:%.c=$$(O)/obj/%.o)
$(1)_RUN_OBJ = $$(O)/obj/tests/unit/$(1)/run.o $$(O)/obj/tests/unit/util.o \
	$$($(1)_CHECK_OBJ)
$$($(1)_CHECK_OBJ): EXTRA_CFLAGS = $$(CHECK_CFLAGS) $$($(1)_CFLAGS)
$$($(1)_CHECK_OBJ): tests/unit/unit.h
$$(O)/obj/tests/unit/$(1)/suites.h: FORCE
	@mkdir -p $$(@D)
	@for f in $$(sort $$($(1)_CHECK)); do \
		n=$$$${f##*/check_}; echo "SUITE($$$${n%.c})"; done > $$@.tmp; \
	cmp -s $$@.tmp $$@ && rm $$@.tmp || mv $$@.tmp $$@
$$(O)/obj/tests/unit/$(1)/run.o: tests/unit/run.c tests/unit/unit.h \
		$$(O)/obj/tests/unit/$(1)/suites.h config.mk
	$$(CC) $$(CPPFLAGS) $$(ALL_CFLAGS) $$(CHECK_CFLAGS) \
		-I$$(O)/obj/tests/unit/$(1) -c -o $$@ tests/unit/run.c
$$(O)/tests/unit-run/$(1): $$($(1)_RUN_OBJ) $$($(1)_PRIVLIB) $$(LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) $$(LDFLAGS) -o $$@ $$($(1)_RUN_OBJ) \
		$$($(1)_PRIVLIB) $$(LIB) $$(CHECK_LIBS) $$($(1)_LIBS) $$(LIB_LIBS)
endef
$(foreach r,$(RUNNERS),$(eval $(call RUNNER_template,$(r))))

$(O)/obj/tests/unit/util.o: EXTRA_CFLAGS = $(CHECK_CFLAGS)
$(O)/obj/tests/unit/util.o: tests/unit/unit.h

# --- tests ------------------------------------------------------------------
# Drivers that need more than libsockkit name their libraries here.
sk-smtpd_LIBS = $(shell pkg-config --libs openssl 2>/dev/null)

$(O)/tests/bin/%: tests/drivers/%.c $(LIB) $(HDR)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $($*_LIBS) \
		$(LIB_LIBS)

check: unit cli

# Every runner runs, and the step fails if any failed; with CK_RUN_SUITE
# set, only the runner that holds that suite.
unit: all $(UNIT_RUN)
	@rc=0; for r in $(RUNNERS); do \
		if [ -n "$$CK_RUN_SUITE" ] && ! grep -qx "SUITE($$CK_RUN_SUITE)" \
			$(O)/obj/tests/unit/$$r/suites.h; then continue; fi; \
		echo "unit-run/$$r:"; $(O)/tests/unit-run/$$r || rc=1; done; exit $$rc

cli: all $(TDRV)
	SK_BIN=$(abspath $(BIN_DIR)) SK_TBIN=$(abspath $(O)/tests/bin) \
	SK_ROOT=$(CURDIR) SK_O=$(O) SK_LDFLAGS='$(LDFLAGS)' \
	prove -f --exec 'bats --tap' tests/cli/*.bats

lint-man:
	@cd man && out=$$(mandoc -Tlint -W warning */*.[1-8] 2>&1); \
		[ -z "$$out" ] || { echo "$$out"; exit 1; }

# --- fuzzing ----------------------------------------------------------------
# Built apart from $(O), every object instrumented.  A target links the
# library and, if it includes a tool's headers, that tool's private
# archive and libraries (the ownership rule of the unit runners).
FUZZ_LIB_OBJ = $(LIB_SRC:%.c=build-fuzz/obj/%.o)

build-fuzz/obj/%.o: %.c $(HDR) config.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(EXTRA_CFLAGS) -Itools -c -o $@ $<

$(FUZZ_LIB_OBJ): EXTRA_CFLAGS = $(LIB_THREADS) $(call pkg-cflags,$($*_PKGS)) \
	$($*_CPPFLAGS)

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $(FUZZ_LIB_OBJ)

define FUZZ_template
$(1)_FUZZ := $$(call owned-by,$(1),$$(FUZZ_SRC))
$(1)_FUZZ_OBJ = $$($(1)_PRIV:%.c=build-fuzz/obj/%.o)
$$($(1)_FUZZ_OBJ): $$(wildcard tools/$(1)/*.h)
$$($(1)_FUZZ_OBJ): EXTRA_CFLAGS = $$($(1)_CFLAGS)
build-fuzz/obj/tools/$(1)/private.a: $$($(1)_FUZZ_OBJ)
	rm -f $$@
	$$(AR) rcs $$@ $$^
$$($(1)_FUZZ:tests/fuzz/%.c=build-fuzz/%): FUZZ_TOOL = $(1)
$$($(1)_FUZZ:tests/fuzz/%.c=build-fuzz/%): build-fuzz/obj/tools/$(1)/private.a
endef
$(foreach t,$(TOOLS),$(eval $(call FUZZ_template,$(t))))

fuzz: $(FUZZ_BIN)

.SECONDARY: $(FUZZ_SRC:%.c=build-fuzz/obj/%.o)

build-fuzz/%: build-fuzz/obj/tests/fuzz/%.o $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< \
		$(if $(FUZZ_TOOL),build-fuzz/obj/tools/$(FUZZ_TOOL)/private.a) \
		$(FUZZ_LIB) $(if $(FUZZ_TOOL),$($(FUZZ_TOOL)_LIBS)) $(LIB_LIBS)

build-fuzz/obj/tests/fuzz/%.o: EXTRA_CFLAGS = $(if $(FUZZ_TOOL),$($(FUZZ_TOOL)_CFLAGS))

# Each target gets an equal share of what is left of the wall-clock
# budget, so start-up and corpus loading come out of the total too.
fuzz-smoke: fuzz
	@set -e; left=$(words $(FUZZ_BIN)); start=$$(date +%s); \
	for f in $(FUZZ_BIN); do \
		secs=$(or $(FUZZ_SECS),$$(( ($(FUZZ_TOTAL_SECS) - $$(date +%s) + start) / left ))); \
		[ "$$secs" -ge 1 ] || secs=1; left=$$((left - 1)); \
		n=$${f##*/}; c=build-fuzz/corpus/$$n; mkdir -p $$c; \
		if [ -d tests/fuzz/corpus/$$n ]; then cp -n tests/fuzz/corpus/$$n/* $$c/ 2>/dev/null || true; fi; \
		echo "fuzz-smoke: $$n for $${secs}s"; \
		$$f -max_total_time=$$secs -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 $$c 2>build-fuzz/$$n.log \
			|| { tail -n 40 build-fuzz/$$n.log; exit 1; }; \
		grep -E '^stat::number_of_executed_units' build-fuzz/$$n.log || true; \
	done; echo "fuzz-smoke: $$(( $$(date +%s) - start ))s in all"

# --- benchmarks ---------------------------------------------------------------
$(O)/bench/bin/%: bench/%.c $(LIB) $(HDR) $(wildcard bench/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIB_LIBS)
# wdb_load compiles whoisd's loader in: a change there must rebuild it.
$(O)/bench/bin/wdb_load: $(wildcard tools/whoisd/db*.c tools/whoisd/db*.h)

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
# sockkit.pc is written at install time, so it always names this PREFIX;
# man page links are installed as links.
install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib \
		$(DESTDIR)$(PREFIX)/include/sockkit $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(MANPREFIX)/man1 $(DESTDIR)$(MANPREFIX)/man3 \
		$(DESTDIR)$(MANPREFIX)/man5 $(DESTDIR)$(MANPREFIX)/man8 \
		$(DESTDIR)$(SHAREDIR)/systemd
	install -m 755 $(USRBIN:%=$(BIN_DIR)/%) $(DESTDIR)$(PREFIX)/bin/
	install -m 755 $(SBIN:%=$(BIN_DIR)/%) $(DESTDIR)$(PREFIX)/sbin/
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(PUBHDR) $(DESTDIR)$(PREFIX)/include/sockkit/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
		-e 's|@REQUIRES@|$(LIB_PKGS)|' -e 's|@LIBS@|$(LIB_THREADS)|' \
		sockkit.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/sockkit.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/sockkit.pc
	rm -f $(MAN:man/%=$(DESTDIR)$(MANPREFIX)/%)
	for f in $(MAN_PAGES); do install -m 644 $$f $(DESTDIR)$(MANPREFIX)/$${f#man/}; done
	$(foreach d,$(sort $(dir $(MAN_LINKS))),cp -P $(filter $(d)%,$(MAN_LINKS)) \
		$(DESTDIR)$(MANPREFIX)/$(d:man/%=%);)
	for f in $(CONTRIB); do \
		install -m 644 $$f $(DESTDIR)$(SHAREDIR)/$${f#contrib/}; done

uninstall:
	rm -f $(USRBIN:%=$(DESTDIR)$(PREFIX)/bin/%) $(SBIN:%=$(DESTDIR)$(PREFIX)/sbin/%)
	rm -f $(DESTDIR)$(PREFIX)/lib/libsockkit.a $(DESTDIR)$(PKGCONFIGDIR)/sockkit.pc
	rm -f $(PUBHDR:%=$(DESTDIR)$(PREFIX)/%)
	rm -f $(MAN:man/%=$(DESTDIR)$(MANPREFIX)/%)
	rm -f $(CONTRIB:contrib/%=$(DESTDIR)$(SHAREDIR)/%)
	rmdir $(DESTDIR)$(PREFIX)/include/sockkit $(DESTDIR)$(SHAREDIR)/systemd \
		$(DESTDIR)$(SHAREDIR) 2>/dev/null || true

clean:
	rm -rf bin obj lib/libsockkit.a tests/bin tests/unit-run build-asan build-fuzz \
		bench/bin
