# sockkit build settings; override on the command line (make PREFIX=/usr).
VERSION   = 0.1.0
PREFIX    = /usr/local
MANPREFIX = $(PREFIX)/share/man
PKGCONFIGDIR = $(PREFIX)/lib/pkgconfig
SHAREDIR  = $(PREFIX)/share/sockkit

CC       ?= cc
CFLAGS   ?= -O2 -g
WFLAGS    = -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -Iinclude -Itools -DSK_VERSION=\"$(VERSION)\"
LDFLAGS  ?=

SAN_FLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZ_CC   = clang
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude
