# vpndnsd - GNU make
PREFIX	?= /usr/local
DESTDIR	?=
SBINDIR	 = $(PREFIX)/sbin
MANDIR	 = $(PREFIX)/share/man
EXAMPLEDIR = $(PREFIX)/share/examples/vpndnsd
UNITDIR	 = $(PREFIX)/lib/systemd/system
USER_NAME = _vpndnsd
CHROOT_DIR = /var/empty

CC	?= cc
BISON	?= bison
PKG_CONFIG ?= pkg-config
PKGS	 = libevent libmnl ldns libcrypto libtls libbsd-overlay libseccomp

# Debian packages: to build, and to run the test suite.
BUILD_DEPS = gcc make pkg-config bison libevent-dev libmnl-dev libldns-dev \
	     libbsd-dev libseccomp-dev libssl-dev libtls-dev
TEST_DEPS  = knot-dnsutils dnsutils python3 mandoc iproute2 procps util-linux \
	     bash bc wireguard-go wireguard-tools unbound dnsdist clang \
	     libclang-rt-14-dev gdb valgrind curl python3-prometheus-client \
	     systemd nsd knot tcpdump openssl fstrm-bin dnstap-ldns \
	     charon-systemd strongswan-swanctl strongswan-pki \
	     libstrongswan-extra-plugins libcharon-extra-plugins openvpn
BENCH_DEPS = dnsperf dnsmasq-base

CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 -Wall -Wextra -Werror \
	   -D_GNU_SOURCE -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 \
	   -fstack-protector-strong -fPIE \
	   -Icommon -Iparent -Ifrontend -Iresolver -Iwgwatch \
	   $(shell $(PKG_CONFIG) --cflags $(PKGS))
LDFLAGS	+= -pie -Wl,-z,relro -Wl,-z,now
LDLIBS	+= $(shell $(PKG_CONFIG) --libs $(PKGS))

# make SANITIZE=address,undefined: the whole suite under ASan/UBSan.  The
# first report ends the process, so a test cannot pass over one.
ifneq ($(SANITIZE),)
CFLAGS	+= -fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer -DSANDBOX_SANITIZE
LDFLAGS	+= -fsanitize=$(SANITIZE)
endif

COMMON	 = common/log.o common/imsg.o common/imsgev.o common/sandbox.o \
	   common/dname.o common/config.o common/proxyv2.o common/qlog.o common/metrics.o \
	   common/json.o common/cache.o common/dnsmsg.o common/siphash.o \
	   common/slug.o common/logrelay.o common/statfields.o \
	   common/dnstap.o
DAEMON	 = parent/parent.o parent/parse.o parent/printconf.o parent/wgnames.o \
	   frontend/frontend.o frontend/dnswire.o frontend/control.o \
	   frontend/ratelimit.o frontend/http.o frontend/copies.o \
	   frontend/chan.o frontend/acl.o frontend/stats.o \
	   resolver/resolver.o resolver/localzone.o resolver/presence.o \
	   resolver/policy.o resolver/upstream.o resolver/usock.o \
	   resolver/reply.o resolver/tsig.o resolver/dot.o resolver/dotframe.o \
	   resolver/blocklist.o resolver/blocklists.o \
	   resolver/xfr.o resolver/update.o \
	   parent/wgblank.o parent/relay.o parent/wgrelay.o parent/vicirelay.o \
	   parent/ovpnrelay.o \
	   wgwatch/wgwatch.o wgwatch/wgtable.o wgwatch/wguapi.o \
	   wgwatch/wgnetlink.o wgwatch/vici.o wgwatch/ovpnstatus.o $(COMMON)
CTL	 = ctl/vpndnsctl.o common/imsg.o common/log.o common/json.o \
	   common/statfields.o common/config.o
MANS	 = man/vpndnsd.8 man/vpndnsd.conf.5 man/vpndnsctl.8
# the example deployments and the lists and wg-quick files they name
EXAMPLES = $(wildcard etc/examples/*)

UNIT	 = regress/unit/test_imsg regress/unit/test_dnswire \
	   regress/unit/test_localzone regress/unit/test_wgparse \
	   regress/unit/test_blocklist regress/unit/test_proxyv2 \
	   regress/unit/test_dnsmsg regress/unit/test_ovpnstatus \
	   regress/unit/test_vici
TESTLIBS = regress/malloc_count.so

# libFuzzer targets (clang): a few seconds each in make check
# (regress/fuzz/t_fuzz.sh), FUZZ_SECONDS each in make fuzz.
FUZZCC	?= clang
FUZZFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -D_GNU_SOURCE -Icommon -Ifrontend \
	    -Iresolver -Iparent -Iwgwatch $(shell $(PKG_CONFIG) --cflags $(PKGS))
FUZZ	 = regress/fuzz/fuzz_proxyv2 regress/fuzz/fuzz_dnswire \
	   regress/fuzz/fuzz_dnsmsg regress/fuzz/fuzz_blocklist \
	   regress/fuzz/fuzz_wguapi regress/fuzz/fuzz_wgnl \
	   regress/fuzz/fuzz_vici regress/fuzz/fuzz_ovpnstatus \
	   regress/fuzz/fuzz_config regress/fuzz/fuzz_dotframe \
	   regress/fuzz/fuzz_fstrm
FUZZ_SECONDS ?= 300

.PHONY: all clean deps test-deps check regress bench run install uninstall \
	lint fuzz fuzz-afl user

all: vpndnsd vpndnsctl

vpndnsd: $(DAEMON)
	$(CC) $(LDFLAGS) -o $@ $(DAEMON) $(LDLIBS)

vpndnsctl: $(CTL)
	$(CC) $(LDFLAGS) -o $@ $(CTL) $(LDLIBS)

parent/parse.c: parent/parse.y
	$(BISON) -o $@ $<

# bison's own code is not held to our warning set
parent/parse.o: CFLAGS += -Wno-sign-compare -Wno-unused-but-set-variable

%.o: %.c
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

regress/unit/test_imsg: regress/unit/test_imsg.o common/imsg.o common/log.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

regress/unit/test_dnswire: regress/unit/test_dnswire.o frontend/dnswire.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

regress/unit/test_localzone: regress/unit/test_localzone.o \
	    resolver/localzone.o common/dnsmsg.o common/json.o common/log.o \
	    common/dname.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

regress/unit/test_wgparse: regress/unit/test_wgparse.o \
	    wgwatch/wgtable.o wgwatch/wguapi.o wgwatch/wgnetlink.o \
	    parent/wgblank.o parent/wgnames.o common/config.o common/log.o \
	    common/slug.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

regress/unit/test_ovpnstatus: regress/unit/test_ovpnstatus.o \
	    wgwatch/ovpnstatus.o wgwatch/wgtable.o common/log.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

regress/unit/test_vici: regress/unit/test_vici.o wgwatch/vici.o \
	    wgwatch/wgtable.o common/log.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

regress/unit/test_blocklist: regress/unit/test_blocklist.o \
	    resolver/blocklist.o common/siphash.o common/log.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

regress/unit/test_dnsmsg: regress/unit/test_dnsmsg.o common/dnsmsg.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

regress/unit/test_proxyv2: regress/unit/test_proxyv2.o common/proxyv2.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

regress/fuzz/fuzz_proxyv2: regress/fuzz/fuzz_proxyv2.c common/proxyv2.c
	$(FUZZCC) $(FUZZFLAGS) -o $@ $^

regress/fuzz/fuzz_dnswire: regress/fuzz/fuzz_dnswire.c frontend/dnswire.c
	$(FUZZCC) $(FUZZFLAGS) -o $@ $^

regress/fuzz/fuzz_dnsmsg: regress/fuzz/fuzz_dnsmsg.c common/dnsmsg.c
	$(FUZZCC) $(FUZZFLAGS) -o $@ $^

regress/fuzz/fuzz_blocklist: regress/fuzz/fuzz_blocklist.c \
	    resolver/blocklist.c common/siphash.c common/log.c
	$(FUZZCC) $(FUZZFLAGS) -o $@ $^ $(LDLIBS)

regress/fuzz/fuzz_wguapi: regress/fuzz/fuzz_wguapi.c wgwatch/wguapi.c \
	    wgwatch/wgtable.c parent/wgblank.c common/log.c common/config.c \
	    regress/fuzz/wgdiff.h wgwatch/wgwatch.h common/vpndnsd.h
	$(FUZZCC) $(FUZZFLAGS) -o $@ $(filter %.c,$^) $(LDLIBS)

regress/fuzz/fuzz_wgnl: regress/fuzz/fuzz_wgnl.c wgwatch/wgnetlink.c \
	    wgwatch/wgtable.c parent/wgblank.c common/log.c common/config.c \
	    regress/fuzz/wgdiff.h wgwatch/wgwatch.h common/vpndnsd.h
	$(FUZZCC) $(FUZZFLAGS) -o $@ $(filter %.c,$^) $(LDLIBS)

regress/fuzz/fuzz_vici: regress/fuzz/fuzz_vici.c wgwatch/vici.c \
	    wgwatch/wgtable.c common/log.c \
	    regress/fuzz/wgdiff.h wgwatch/wgwatch.h common/vpndnsd.h
	$(FUZZCC) $(FUZZFLAGS) -o $@ $(filter %.c,$^) $(LDLIBS)

regress/fuzz/fuzz_ovpnstatus: regress/fuzz/fuzz_ovpnstatus.c \
	    wgwatch/ovpnstatus.c wgwatch/wgtable.c common/log.c \
	    regress/fuzz/wgdiff.h wgwatch/wgwatch.h common/vpndnsd.h
	$(FUZZCC) $(FUZZFLAGS) -o $@ $(filter %.c,$^) $(LDLIBS)

regress/fuzz/fuzz_config: regress/fuzz/fuzz_config.c parent/parse.c \
	    parent/wgnames.c common/config.c common/log.c common/slug.c \
	    common/dname.c
	$(FUZZCC) $(FUZZFLAGS) -o $@ $^ $(LDLIBS)

regress/fuzz/fuzz_dotframe: regress/fuzz/fuzz_dotframe.c \
	    resolver/dotframe.c common/dnsmsg.c
	$(FUZZCC) $(FUZZFLAGS) -o $@ $^

regress/fuzz/fuzz_fstrm: regress/fuzz/fuzz_fstrm.c common/dnstap.c \
	    common/log.c common/imsgev.c common/imsg.c common/metrics.c \
	    common/qlog.c common/config.c
	$(FUZZCC) $(FUZZFLAGS) -o $@ $^ $(LDLIBS)

regress/bench/qlat: regress/bench/qlat.c
	$(CC) -O2 -g -Wall -Wextra -Werror -o $@ $<

regress/bench/srcparse: regress/bench/srcparse.o wgwatch/vici.o \
	    wgwatch/ovpnstatus.o wgwatch/wgtable.o common/log.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

regress/malloc_count.so: regress/malloc_count.c
	$(CC) -O2 -g -Wall -Wextra -Werror -fPIC -shared -o $@ $< -ldl

# Install what building needs, if anything is missing (Debian).
deps:
	@missing=""; for p in $(BUILD_DEPS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	    grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

test-deps: deps
	@missing=""; for p in $(TEST_DEPS) $(EXTRA_DEPS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	    grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

check: test-deps
	$(MAKE) all regress
	@sh regress/run.sh

# make -s print-UNIT: a variable, for regress/run.sh (the unit tests that
# must be there, the packages of a full test machine)
print-%:
	@echo $($*)

regress: $(UNIT) $(TESTLIBS) $(FUZZ)

# Figures, not pass/fail tests: minutes, not seconds (BENCHMARKS.md).
bench:
	$(MAKE) test-deps EXTRA_DEPS="$(BENCH_DEPS)"
	$(MAKE) all regress/bench/qlat regress/bench/srcparse
	@sh regress/bench/run.sh

lint:
	mandoc -Tlint -Wstyle $(MANS)

# Each fuzz target for FUZZ_SECONDS from its seeds; findings in
# regress/fuzz/crash-*.
fuzz: test-deps
	$(MAKE) $(FUZZ)
	@for f in $(FUZZ); do \
	    n=$${f##*/fuzz_}; mkdir -p /tmp/vpndnsd-fuzz/$$n; \
	    echo "== $$f, $(FUZZ_SECONDS) s"; \
	    $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=regress/fuzz/ /tmp/vpndnsd-fuzz/$$n \
	    regress/fuzz/seeds/$$n || exit 1; done

# The same targets built for AFL++ (afl-clang-fast gives them its own
# driver) into regress/fuzz/afl/, each fuzzed AFL_SECONDS.
AFL_SECONDS ?= 60
fuzz-afl:
	$(MAKE) test-deps EXTRA_DEPS=afl++
	@mkdir -p regress/fuzz/afl /tmp/vpndnsd-afl
	@for f in $(FUZZ); do n=$${f##*/fuzz_}; \
	    $(MAKE) --no-print-directory -B $$f FUZZCC=afl-clang-fast \
	    >/dev/null 2>&1 || exit 1; \
	    mv $$f regress/fuzz/afl/fuzz_$$n; \
	    echo "== AFL++ $$n, $(AFL_SECONDS) s"; \
	    AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 \
	    AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 afl-fuzz -m none \
	    -V $(AFL_SECONDS) -i regress/fuzz/seeds/$$n \
	    -o /tmp/vpndnsd-afl/$$n -- regress/fuzz/afl/fuzz_$$n \
	    >/tmp/vpndnsd-afl-$$n.log 2>&1 || exit 1; \
	    grep -E "^(execs_done|execs_per_sec|saved_crashes)" \
	    /tmp/vpndnsd-afl/$$n/default/fuzzer_stats; \
	    grep -q "^saved_crashes *: 0$$" \
	    /tmp/vpndnsd-afl/$$n/default/fuzzer_stats || exit 1; done

# Run the daemon in the foreground on the example configuration.
run: deps
	$(MAKE) all
	@$(MAKE) --no-print-directory user
	./vpndnsd -d -f etc/vpndnsd.conf.example

# The daemon's user, as DESIGN.md and vpndnsd.conf(5) expect it.
user:
	@id $(USER_NAME) >/dev/null 2>&1 || useradd --system --no-create-home \
	    --home-dir /nonexistent --shell /usr/sbin/nologin $(USER_NAME)

# As root without DESTDIR, also the user and the empty chroot directory.
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(EXAMPLEDIR) \
	    $(DESTDIR)$(UNITDIR)
	install -m 755 vpndnsd vpndnsctl $(DESTDIR)$(SBINDIR)/
	install -m 644 man/vpndnsd.8 man/vpndnsctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 man/vpndnsd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 644 etc/vpndnsd.conf.example $(EXAMPLES) \
	    $(DESTDIR)$(EXAMPLEDIR)/
	sed 's|/usr/local/sbin|$(SBINDIR)|g' etc/vpndnsd.service \
	    >$(DESTDIR)$(UNITDIR)/vpndnsd.service
	chmod 644 $(DESTDIR)$(UNITDIR)/vpndnsd.service
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
	    $(MAKE) --no-print-directory user; \
	    install -d -o root -g root -m 755 $(CHROOT_DIR); \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/vpndnsd $(DESTDIR)$(SBINDIR)/vpndnsctl \
	    $(DESTDIR)$(MANDIR)/man8/vpndnsd.8 \
	    $(DESTDIR)$(MANDIR)/man8/vpndnsctl.8 \
	    $(DESTDIR)$(MANDIR)/man5/vpndnsd.conf.5 \
	    $(DESTDIR)$(EXAMPLEDIR)/vpndnsd.conf.example \
	    $(EXAMPLES:etc/examples/%=$(DESTDIR)$(EXAMPLEDIR)/%) \
	    $(DESTDIR)$(UNITDIR)/vpndnsd.service
	-rmdir $(DESTDIR)$(EXAMPLEDIR) 2>/dev/null

clean:
	rm -f vpndnsd vpndnsctl parent/parse.c $(UNIT) $(TESTLIBS) $(FUZZ) \
	    regress/bench/qlat regress/bench/srcparse
	rm -rf regress/fuzz/afl
	find . -name '*.o' -o -name '*.d' | xargs rm -f

-include $(DAEMON:.o=.d) $(CTL:.o=.d) $(UNIT:=.d)
