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
	$(MAKE) mailive unit fuzz-replay-build
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
	rm -f mailive *.o $(UNIT_BINS) $(REPLAY_BINS)

.PHONY: all unit check demo deps install asan clean \
	fuzz fuzz-build fuzz-replay fuzz-replay-build fuzz-clean

# ---------------------------------------------------------------------------
# Fuzzing: libFuzzer targets in tests/fuzz (see tests/fuzz/README.md).
#
#   make fuzz            build every target with clang (ASan, UBSan) and run
#                        each FUZZ_SECONDS (60) on a working copy of its
#                        corpus in tests/fuzz/build; any crash fails
#   make fuzz-TARGET     one of them (fuzz-smtp_reply, fuzz-dns_wire, ...);
#                        make -j4 -k fuzz runs all four side by side
#   make fuzz-replay     replay the committed corpora, built with $(CC) from
#                        LIB_OBJS: no clang needed (make check does it too,
#                        through tests/run.sh)
#   make fuzz-clean      remove tests/fuzz/build and the replay binaries
FUZZ_TARGETS	 = smtp_reply imap_search dns_wire options
FUZZ_SECONDS	?= 60
FUZZ_MAX_LEN	?= 4096
FUZZ_CC		?= clang
FUZZ_DIR	 = tests/fuzz/build
FUZZ_CFLAGS	 = -g -O1 -fno-omit-frame-pointer \
		   -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=undefined $(MAILIVE_CFLAGS) \
		   -Wno-unknown-warning-option
FUZZ_OBJS	 = $(LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_BINS	 = $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
REPLAY_BINS	 = $(FUZZ_TARGETS:%=tests/fuzz/replay_%)

# Only pattern rules name the objects: keep make from deleting them.
.SECONDARY: $(FUZZ_OBJS)

$(FUZZ_DIR)/obj/%.o: %.c $(wildcard *.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I. -o $@ $< $(FUZZ_OBJS) $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: $(FUZZ_TARGETS:%=fuzz-%)

.PHONY: $(FUZZ_TARGETS:%=fuzz-%)

# New inputs go to build/corpus/TARGET (seeded from the committed corpus),
# crashes to build/artifacts/TARGET/, the whole log to build/TARGET.log;
# tests/fuzz/TARGET.dict, when there is one, is the libFuzzer dictionary.
$(FUZZ_TARGETS:%=fuzz-%): fuzz-%: $(FUZZ_DIR)/fuzz_%
	@mkdir -p $(FUZZ_DIR)/corpus/$* $(FUZZ_DIR)/artifacts/$*
	@cp tests/fuzz/corpus/$*/* $(FUZZ_DIR)/corpus/$*/
	@echo "fuzz $*: $(FUZZ_SECONDS) s, log in $(FUZZ_DIR)/$*.log"
	@cd $(FUZZ_DIR) && ./fuzz_$* -max_len=$(FUZZ_MAX_LEN) \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 \
	    $$(test -f ../$*.dict && echo -dict=../$*.dict) \
	    -artifact_prefix=artifacts/$*/ corpus/$* >$*.log 2>&1; \
	rc=$$?; \
	if [ $$rc -eq 0 ]; then \
		grep 'cov:' $*.log | tail -n 1; \
		grep -E '^Done|^stat::(new_units_added|peak_rss_mb)' $*.log; \
		echo "PASS fuzz-$*"; \
	else \
		tail -n 60 $*.log; \
		echo "FAIL fuzz-$*: exit status $$rc, input in $(FUZZ_DIR)/artifacts/$*/"; \
	fi; \
	exit $$rc

tests/fuzz/replay_%: tests/fuzz/replay.c tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h \
    $(LIB_OBJS)
	$(CC) $(MAILIVE_CFLAGS) $(CFLAGS) -I. -DFUZZ_TARGET='"$*"' $(LDFLAGS) -o $@ \
	    tests/fuzz/replay.c tests/fuzz/fuzz_$*.c $(LIB_OBJS) $(LDLIBS)

fuzz-replay-build: $(REPLAY_BINS)

fuzz-replay: $(REPLAY_BINS)
	@rc=0; for t in $(REPLAY_BINS); do $$t || rc=1; done; exit $$rc

fuzz-clean:
	rm -rf $(FUZZ_DIR) $(REPLAY_BINS)
