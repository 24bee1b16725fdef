# rdpd - one Makefile. `make run` and `make test` are all a new user needs.
#
# Sources are picked up by folder: a new family or transport is a new file.
# build/librdpd.a   the driver stack (daemon/ minus main.c and sim/)
# build/libsim.a    the simulator (daemon/sim/ minus its main)
# build/rdpd        daemon + one-shot command line
# build/rdpd-sim    standalone simulator (TCP CMSIS-DAP server)

CC      ?= cc
BUILD   ?= build
VERSION ?= 0.1.0
PKGS    := libusb-1.0 hidapi-hidraw json-c libmicrohttpd
CFLAGS  ?= -O2 -g
override CFLAGS += -DRDPD_VERSION=\"$(VERSION)\" -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
           -Wno-unused-parameter -Wno-missing-field-initializers -fno-strict-aliasing -pthread -MMD -MP
CPPFLAGS += -Idaemon -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -pthread -lm

# Debian packages: what builds rdpd, and what its tests drive it with.
DEB_BUILD := build-essential pkg-config libmicrohttpd-dev libjson-c-dev libhidapi-dev \
             libusb-1.0-0-dev
DEB_TEST  := curl python3 chromium nodejs faketime

LIB_SRC  := $(filter-out daemon/main.c,$(wildcard daemon/*.c)) \
            $(wildcard daemon/transport/*.c daemon/access/*.c daemon/dap/*.c daemon/stlink/*.c daemon/adiv5/*.c \
                       daemon/cortexm/*.c daemon/targets/*.c daemon/jobs/*.c \
                       daemon/probes/*.c daemon/cli/*.c api/*.c)
SIM_SRC  := $(filter-out daemon/sim/sim_main.c,$(wildcard daemon/sim/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/assets.o
SIM_OBJ  := $(SIM_SRC:%.c=$(BUILD)/obj/%.o)

UNIT_SRC := $(wildcard tests/unit/test_*.c tests/sim/test_*.c)
FUZZ_TARGETS := dap_replies json_body router journal
FUZZ_REPLAY := $(FUZZ_TARGETS:%=$(BUILD)/fuzz-replay/%)
FUZZ_SECONDS ?= 60
UNIT_BIN := $(patsubst tests/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
BENCH_BIN := $(BUILD)/bench/bench_probe $(BUILD)/bench/bench_service $(BUILD)/bench/soak
# What the tests read the driver table with (tests/tools/families.c).
TOOL_BIN := $(BUILD)/tools/families

.PHONY: all deps run test test-web bench clean lint sanitize fuzz valgrind
all: $(BUILD)/rdpd $(BUILD)/rdpd-sim

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# Dashboard files and the OpenAPI document, compiled in (a fixed table).
WEB_FILES := $(wildcard web/index.html web/app.js web/style.css)
ASSET_SPECS := /openapi.json=api/openapi.json:application/json \
	$(foreach f,$(WEB_FILES),/$(notdir $(f))=$(f):$(if $(filter %.html,$(f)),text/html;charset=utf-8,$(if $(filter %.js,$(f)),text/javascript;charset=utf-8,text/css;charset=utf-8)))
$(BUILD)/gen/assets.c: api/gen_assets.sh api/openapi.json $(WEB_FILES)
	@mkdir -p $(dir $@)
	sh api/gen_assets.sh $@ $(foreach s,$(ASSET_SPECS),'$(s)')

$(BUILD)/obj/gen/assets.o: $(BUILD)/gen/assets.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/librdpd.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libsim.a: $(SIM_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Exported so that libmicrohttpd's own error answers reach api/http_errors.c.
$(BUILD)/rdpd: $(BUILD)/obj/daemon/main.o $(BUILD)/librdpd.a $(BUILD)/libsim.a
	$(CC) $(CFLAGS) $(LDFLAGS) -Wl,--export-dynamic-symbol=MHD_queue_response -o $@ $^ $(LDLIBS)

$(BUILD)/rdpd-sim: $(BUILD)/obj/daemon/sim/sim_main.o $(BUILD)/libsim.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -pthread -lm

$(BUILD)/tests/%: tests/%.c $(BUILD)/librdpd.a $(BUILD)/libsim.a tests/check.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -o $@ $< $(BUILD)/librdpd.a $(BUILD)/libsim.a $(LDLIBS)

# Each fuzz target built with a plain main() that replays its kept inputs.
$(BUILD)/fuzz-replay/%: tests/fuzz/fuzz_%.c tests/fuzz/replay_main.c $(BUILD)/librdpd.a $(BUILD)/libsim.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/fuzz $(CFLAGS) -o $@ $< tests/fuzz/replay_main.c $(BUILD)/librdpd.a $(BUILD)/libsim.a $(LDLIBS)

$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/librdpd.a $(BUILD)/libsim.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/librdpd.a $(BUILD)/libsim.a $(LDLIBS)

$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/librdpd.a $(BUILD)/libsim.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -o $@ $< $(BUILD)/librdpd.a $(BUILD)/libsim.a $(LDLIBS)

# README.md's "Supported chips" table, written from the driver tables between
# its chip table markers (tests/cli/test_chip_table.sh fails when it differs).
.PHONY: chip-table
chip-table: $(TOOL_BIN)
	@$(TOOL_BIN) --markdown >$(BUILD)/chip-table.md
	@awk -v f=$(BUILD)/chip-table.md ' \
	  state == 2 && /^<!-- chip table end -->$$/ { state = 3 } \
	  state == 2 { next } \
	  { print } \
	  state < 2 && /^<!-- chip table begin/ { state = 1 } \
	  state == 1 && /-->$$/ { print ""; while ((getline l < f) > 0) print l; print ""; state = 2 }' \
	  README.md >$(BUILD)/README.md.new && mv $(BUILD)/README.md.new README.md

# Installs only what is missing; as root directly, otherwise through sudo.
deps:
	@missing=""; for p in $(DEB_BUILD) $(DEB_TEST); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "rdpd: installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null \
	    || { echo "rdpd: could not install:$$missing (run as root or configure sudo)"; exit 1; }; \
	fi

# The daemon on 127.0.0.1:$(PORT) with the real probes it finds, or else a
# simulated DAPLink with a locked STM32F401. State (the job journal) in ./state.
PORT ?= 8080
# The simulated board served when no probe is attached: a profile and its
# URI options (docs/sim/README.md), e.g. SIM='stm32f401re-rdp1?probe=stlink-v2-1'.
SIM ?= stm32f401re-rdp1
run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p state
	$(BUILD)/rdpd serve --listen 127.0.0.1:$(PORT) --state-dir ./state --config /dev/null \
		--sim-if-empty '$(SIM)'

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN) $(FUZZ_REPLAY) $(TOOL_BIN)
	@sh tests/run.sh $(BUILD)

# The dashboard's end-to-end tests (Playwright + Debian's Chromium, tests/web/).
test-web: deps
	@command -v npm >/dev/null 2>&1 || { if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get install -y -qq npm >/dev/null || echo "rdpd: could not install npm"; }
	@[ -d tests/web/node_modules/playwright-core ] || npm ci --prefix tests/web --no-audit --no-fund
	@$(MAKE) --no-print-directory all
	@sh tests/web/run.sh $(BUILD)

# rdpd's probe figures in process, then beside OpenOCD's through the emulated
# USB probe (tests/bench/bench_openocd.sh: it fails, saying why, where it
# cannot run, and make bench then exits 1 after the others), the service, a
# short soak (docs/bench.md).
bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@$(MAKE) --no-print-directory $(BUILD)/usb_testbed >$(BUILD)/usb_testbed_build.log 2>&1 || \
	  echo "bench: the test bed did not build; see $(BUILD)/usb_testbed_build.log"
	@$(BUILD)/bench/bench_probe
	@rc=0; sh tests/bench/bench_openocd.sh $(BUILD) || rc=1; \
	  $(BUILD)/bench/bench_service $(BUILD)/rdpd && $(BUILD)/bench/soak $(BUILD)/rdpd 10 && exit $$rc

# A soak of the real daemon on loopback for SOAK_SECONDS (tests/bench/soak.c):
# keep-alive clients, SSE subscribers, slowloris, oversized requests, unlocks,
# probes removed and re-added; figures and a verdict (RSS and fds flat).
SOAK_SECONDS ?= 60
.PHONY: soak
soak: deps
	@$(MAKE) --no-print-directory all $(BUILD)/bench/soak
	@$(BUILD)/bench/soak $(BUILD)/rdpd $(SOAK_SECONDS)

# The fault matrix failing every Nth SWD transfer and packet of every
# family's unlock too (make test steps N over the unlock): minutes.
.PHONY: fault-matrix
fault-matrix: deps
	@$(MAKE) --no-print-directory $(BUILD)/tests/sim/test_stack_fault_matrix
	@FM_FULL=1 $(BUILD)/tests/sim/test_stack_fault_matrix

# libFuzzer (clang) on every target for FUZZ_SECONDS each. New corpus
# entries go to build-fuzz/corpus/; crashes to tests/fuzz/crashes/, where
# `make test` replays them from then on.
fuzz:
	@command -v clang >/dev/null && dpkg-query -W libclang-rt-14-dev >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then s=""; else s=sudo; fi; $$s apt-get install -y -qq clang libclang-rt-14-dev >/dev/null; }
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" build-fuzz/librdpd.a build-fuzz/libsim.a
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus/$$t tests/fuzz/crashes/$$t; \
	  clang -O1 -g -fsanitize=fuzzer,address,undefined -Idaemon -I. -Itests/fuzz $(shell pkg-config --cflags json-c) \
	    -o build-fuzz/fuzz_$$t tests/fuzz/fuzz_$$t.c build-fuzz/librdpd.a build-fuzz/libsim.a $(LDLIBS) || exit 1; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s"; \
	  build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -print_final_stats=1 \
	    -artifact_prefix=tests/fuzz/crashes/$$t/ build-fuzz/corpus/$$t tests/fuzz/corpus/$$t 2>&1 \
	    | grep -E "^(stat::number_of_executed_units|stat::new_units_added|==.*ERROR|SUMMARY)" ; \
	done

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
sanitize: deps
	@RDPD_SANITIZE=1 $(MAKE) --no-print-directory BUILD=build-asan \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		LDFLAGS="-fsanitize=address,undefined" test

# The C test programs under valgrind memcheck (a reported error fails the program).
valgrind: deps
	@command -v valgrind >/dev/null || { if [ "$$(id -u)" = 0 ]; then s=""; else s=sudo; fi; \
	  $$s apt-get install -y -qq valgrind >/dev/null; }
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@RDPD_C_ONLY=1 RDPD_TEST_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full \
	  --errors-for-leak-kinds=definite --show-leak-kinds=definite" sh tests/run.sh $(BUILD)

# Lower layers never include upper ones (docs/README.md, "The layers": includes point downward only);
# every file-scope name starts with its file's stem (tests/lint_names.sh).
lint:
	@sh tests/lint_layers.sh; l=$$?; CC='$(CC)' CPPFLAGS='$(CPPFLAGS)' sh tests/lint_names.sh && exit $$l

# What tests/lint_names.sh compiles with when make does not pass it.
.PHONY: lint-cppflags
lint-cppflags:
	@echo '$(CPPFLAGS)'

clean:
	rm -rf $(BUILD)

# Dependencies gcc -MMD wrote: of the objects, and of the test, fuzz and
# bench programs (a change to tests/sim/stack_util.h rebuilds its users).
-include $(shell find $(BUILD)/obj $(BUILD)/tests $(BUILD)/fuzz-replay $(BUILD)/bench -name '*.d' 2>/dev/null)

# --- Installing and packaging (systemd/, systemd/debian/) --------------------
# make install [DESTDIR=...] [PREFIX=/usr/local]: binaries, unit and socket,
# udev rule, sysusers entry, man page; /etc/rdpd/rdpd.conf only if absent.
# It creates no user and no token: see README.md "Install on a Raspberry Pi".
PREFIX       ?= /usr/local
SBINDIR      ?= $(PREFIX)/sbin
BINDIR       ?= $(PREFIX)/bin
MANDIR       ?= $(PREFIX)/share/man
SYSCONFDIR   ?= /etc
UNITDIR      ?= $(PREFIX)/lib/systemd/system
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
SYSUSERSDIR  ?= $(PREFIX)/lib/sysusers.d
STRIP        ?= strip
DEB_ARCH     ?= $(shell dpkg --print-architecture 2>/dev/null)
DEB_STAGE    := $(BUILD)/deb/rdpd_$(VERSION)_$(DEB_ARCH)
DEB_FILE     := $(BUILD)/rdpd_$(VERSION)_$(DEB_ARCH).deb
# What packaging and its test need; what the arm64 build and test need.
DEB_PACKAGING := dpkg-dev lintian debootstrap systemd-container
ARM64_LIBS    := libmicrohttpd-dev:arm64 libjson-c-dev:arm64 libhidapi-dev:arm64 libusb-1.0-0-dev:arm64
DEB_ARM64     := gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user $(ARM64_LIBS)
ARM64_PKGCONFIG := /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig

# $(call deb_need,PACKAGES): apt-get install those not installed yet.
deb_need = missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "rdpd: installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq $$missing >/dev/null \
	    || { echo "rdpd: could not install:$$missing"; exit 1; }; \
	fi

.PHONY: install deb deb-arm64 deps-deb deps-arm64 test-deb test-arm64
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(SYSCONFDIR)/rdpd
	install -m 0755 $(BUILD)/rdpd $(DESTDIR)$(SBINDIR)/rdpd
	install -m 0755 $(BUILD)/rdpd-sim $(DESTDIR)$(BINDIR)/rdpd-sim
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/rdpd.service >$(DESTDIR)$(UNITDIR)/rdpd.service
	install -m 0644 systemd/rdpd.socket $(DESTDIR)$(UNITDIR)/rdpd.socket
	install -m 0644 systemd/60-rdpd.rules $(DESTDIR)$(UDEVRULESDIR)/60-rdpd.rules
	install -m 0644 systemd/rdpd.sysusers $(DESTDIR)$(SYSUSERSDIR)/rdpd.conf
	sed 's|@VERSION@|$(VERSION)|g' systemd/rdpd.8 >$(DESTDIR)$(MANDIR)/man8/rdpd.8
	chmod 0644 $(DESTDIR)$(UNITDIR)/rdpd.service $(DESTDIR)$(MANDIR)/man8/rdpd.8
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/rdpd/rdpd.conf ]; then \
	  echo "rdpd: keeping $(DESTDIR)$(SYSCONFDIR)/rdpd/rdpd.conf (new defaults: systemd/rdpd.conf)"; \
	else install -m 0644 systemd/rdpd.conf $(DESTDIR)$(SYSCONFDIR)/rdpd/rdpd.conf; fi

# make deb: build/rdpd_VERSION_ARCH.deb, assembled with dpkg-deb from a
# staging tree (the layout is Debian's: /usr/sbin, /lib/systemd/system,
# /lib/udev/rules.d, /usr/lib/sysusers.d; maintainer scripts in systemd/debian).
deb: all
	@$(call deb_need,dpkg-dev)
	rm -rf $(DEB_STAGE) $(BUILD)/deb/src
	$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/$(DEB_STAGE) PREFIX=/usr \
		UNITDIR=/lib/systemd/system UDEVRULESDIR=/lib/udev/rules.d SYSUSERSDIR=/usr/lib/sysusers.d
	$(STRIP) --strip-unneeded --remove-section=.comment --remove-section=.note \
		$(DEB_STAGE)/usr/sbin/rdpd $(DEB_STAGE)/usr/bin/rdpd-sim
	gzip -9n $(DEB_STAGE)/usr/share/man/man8/rdpd.8
	install -d $(DEB_STAGE)/usr/share/doc/rdpd $(DEB_STAGE)/DEBIAN
	install -m 0644 systemd/debian/copyright $(DEB_STAGE)/usr/share/doc/rdpd/copyright
	sed 's|@VERSION@|$(VERSION)|g' systemd/debian/changelog | gzip -9n >$(DEB_STAGE)/usr/share/doc/rdpd/changelog.gz
	install -m 0755 systemd/debian/postinst systemd/debian/prerm systemd/debian/postrm $(DEB_STAGE)/DEBIAN/
	install -m 0644 systemd/debian/conffiles $(DEB_STAGE)/DEBIAN/conffiles
	@mkdir -p $(BUILD)/deb/src/debian
	@printf 'Source: rdpd\n\nPackage: rdpd\nArchitecture: any\n' >$(BUILD)/deb/src/debian/control
	deps=$$(cd $(BUILD)/deb/src && DEB_HOST_ARCH=$(DEB_ARCH) dpkg-shlibdeps -O -e $(CURDIR)/$(DEB_STAGE)/usr/sbin/rdpd \
		-e $(CURDIR)/$(DEB_STAGE)/usr/bin/rdpd-sim 2>/dev/null | sed -n 's/^shlibs:Depends=//p'); \
	[ -n "$$deps" ] || { echo "rdpd: dpkg-shlibdeps found no dependencies (are the $(DEB_ARCH) libraries installed?)"; exit 1; }; \
	size=$$(du -sk --exclude=DEBIAN $(DEB_STAGE) | cut -f1); \
	sed -e 's|@VERSION@|$(VERSION)|' -e 's|@ARCH@|$(DEB_ARCH)|' -e "s|@SIZE@|$$size|" \
	    -e "s|@DEPENDS@|$$deps, adduser|" systemd/debian/control.in >$(DEB_STAGE)/DEBIAN/control
	cd $(DEB_STAGE) && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | sort | xargs md5sum >DEBIAN/md5sums
	dpkg-deb --root-owner-group -Zxz --build $(DEB_STAGE) $(DEB_FILE)
	@echo "rdpd: built $(DEB_FILE)"

# The same package for a Raspberry Pi 4/5 (arm64), with Debian's cross compiler.
deb-arm64: deps-arm64
	PKG_CONFIG_LIBDIR=$(ARM64_PKGCONFIG) $(MAKE) --no-print-directory deb BUILD=build-arm64 \
		CC=aarch64-linux-gnu-gcc STRIP=aarch64-linux-gnu-strip DEB_ARCH=arm64

deps-deb: deps
	@$(call deb_need,$(DEB_PACKAGING))

deps-arm64: deps
	@dpkg --print-foreign-architectures | grep -qx arm64 || { \
	  if [ "$$(id -u)" = 0 ]; then dpkg --add-architecture arm64; else sudo dpkg --add-architecture arm64; fi; }
	@$(call deb_need,$(DEB_ARM64))

# Builds the package, lints it, installs it into a Debian root made with
# debootstrap (cached in build/deb-root), checks it, purges it (a minute or
# several the first time: debootstrap; make test does not run it).
test-deb: deps-deb
	@$(MAKE) --no-print-directory deb
	@sh tests/cli/check_deb.sh $(BUILD) $(DEB_FILE)

# arm64: cross-build everything into build-arm64 and run the unit and
# simulator tests under qemu-aarch64 (user-mode emulation).
test-arm64: deps-arm64
	@PKG_CONFIG_LIBDIR=$(ARM64_PKGCONFIG) $(MAKE) --no-print-directory BUILD=build-arm64 \
		CC=aarch64-linux-gnu-gcc all $(patsubst $(BUILD)/%,build-arm64/%,$(UNIT_BIN))
	@sh tests/cli/run_arm64.sh build-arm64

# --- Emulated USB (tests/usb/) ------------------------------------------------
# rdpd's usb-bulk/usb-hid transports and Debian's OpenOCD against the simulated
# DAPLink, through umockdev. `make test` runs these too (tests/run.sh builds
# the test bed), so `make deps` installs what they need.
DEB_USB  := umockdev libumockdev-dev openocd python3-pyocd stlink-tools
DEB_TEST += $(DEB_USB)
.PHONY: test-usb
$(BUILD)/usb_testbed: tests/usb/usb_testbed.c $(BUILD)/libsim.a
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(shell pkg-config --cflags umockdev-1.0) -o $@ $< \
		$(BUILD)/libsim.a $(shell pkg-config --libs umockdev-1.0) -pthread -lm

# A careless ST-LINK host for the hostile checks of tests/usb/test_stlink.sh.
$(BUILD)/stlink_raw: tests/usb/stlink_raw.c
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs libusb-1.0)

test-usb: deps
	@$(call deb_need,$(DEB_USB))
	@$(MAKE) --no-print-directory all $(BUILD)/usb_testbed $(BUILD)/stlink_raw
	@sh tests/usb/test_usb.sh $(BUILD)
	@sh tests/usb/test_pyocd.sh $(BUILD)
	@sh tests/usb/test_stlink.sh $(BUILD)
