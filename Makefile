# mailive - a round-trip SMTP probe.
#
#   make            build ./mailive
#   make check      unit tests, then integration tests against the loopback lab
#   make demo       build, start the lab, one real round trip, stop the lab
#   make deps       install every build and test dependency (Debian 12, root)
#   make install    PREFIX=/usr/local DESTDIR= : binary and man page

VERSION	 = 0.1.0
PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANDIR	?= $(PREFIX)/share/man

PKGS	 = openssl libcurl libcjson ldns
CC	?= cc
CFLAGS	?= -O2 -g
# Truncation of peer text into fixed buffers is deliberate and always
# bounded; -Wformat-truncation would flag every such snprintf.
WARN	 = -Wall -Wextra -Wformat=2 -Wshadow -Wpointer-arith \
	   -Wstrict-prototypes -Wmissing-prototypes -Wno-format-truncation
# What the code needs, kept apart from CFLAGS so that "make CFLAGS=..."
# (as in the asan target) changes optimisation and sanitizers only.
MAILIVE_CFLAGS = -std=c11 -D_DEFAULT_SOURCE $(WARN) \
	   -DMAILIVE_VERSION='"$(VERSION)"' \
	   $(shell pkg-config --cflags $(PKGS))
LDLIBS	+= $(shell pkg-config --libs $(PKGS))

LIB_SRCS = attach.c deadline.c dns.c failure.c imap_poll.c message.c \
	   net.c options.c plan.c report.c result.c smtp.c tls.c util.c \
	   verdict.c
LIB_OBJS = $(LIB_SRCS:.c=.o)
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(UNIT_SRCS:.c=)

all: mailive

mailive: mailive.o $(LIB_OBJS)
	$(CC) $(MAILIVE_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ mailive.o $(LIB_OBJS) $(LDLIBS)

%.o: %.c $(wildcard *.h)
	$(CC) $(MAILIVE_CFLAGS) $(CFLAGS) -c -o $@ $<

tests/unit/test_%: tests/unit/test_%.c $(LIB_OBJS) tests/unit/harness.h
	$(CC) $(MAILIVE_CFLAGS) $(CFLAGS) -I. $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

unit: $(UNIT_BINS)

# The README's two commands.  Each installs what is missing first (a quick
# no-op when all is there), so each works alone on a fresh machine; both run
# as root because the lab binds port 25.
check: deps
	$(MAKE) mailive unit
	tests/run.sh

demo: deps
	$(MAKE) mailive
	tests/demo.sh

deps:
	scripts/install-deps.sh

install: mailive
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 mailive $(DESTDIR)$(BINDIR)/mailive
	install -m 644 man/mailive.1 $(DESTDIR)$(MANDIR)/man1/mailive.1

# Address and undefined-behaviour sanitizers over the same test suite.
# (UBSan findings abort, so they fail the test that met them.)  The tree is
# cleaned before and after, so a normal build never picks up these objects.
asan:
	$(MAKE) clean
	$(MAKE) check CFLAGS='-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' LDFLAGS='-fsanitize=address,undefined'
	$(MAKE) clean

clean:
	rm -f mailive *.o $(UNIT_BINS)

.PHONY: all unit check demo deps install asan clean
