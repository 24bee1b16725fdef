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
DEB_TEST  := curl python3

LIB_SRC  := $(filter-out daemon/main.c,$(wildcard daemon/*.c)) \
            $(wildcard daemon/transport/*.c daemon/dap/*.c daemon/adiv5/*.c \
                       daemon/cortexm/*.c daemon/targets/*.c daemon/jobs/*.c \
                       daemon/probes/*.c daemon/cli/*.c api/*.c)
SIM_SRC  := $(filter-out daemon/sim/sim_main.c,$(wildcard daemon/sim/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/assets.o
SIM_OBJ  := $(SIM_SRC:%.c=$(BUILD)/obj/%.o)

UNIT_SRC := $(wildcard tests/unit/test_*.c tests/sim/test_*.c)
UNIT_BIN := $(patsubst tests/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
BENCH_BIN := $(BUILD)/bench/bench_probe $(BUILD)/bench/bench_service

.PHONY: all deps run test bench clean lint sanitize
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

$(BUILD)/rdpd: $(BUILD)/obj/daemon/main.o $(BUILD)/librdpd.a $(BUILD)/libsim.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/rdpd-sim: $(BUILD)/obj/daemon/sim/sim_main.o $(BUILD)/libsim.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -pthread -lm

$(BUILD)/tests/%: tests/%.c $(BUILD)/librdpd.a $(BUILD)/libsim.a tests/check.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -o $@ $< $(BUILD)/librdpd.a $(BUILD)/libsim.a $(LDLIBS)

$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/librdpd.a $(BUILD)/libsim.a
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -o $@ $< $(BUILD)/librdpd.a $(BUILD)/libsim.a $(LDLIBS)

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
run: deps
	@$(MAKE) --no-print-directory all
	@mkdir -p state
	$(BUILD)/rdpd serve --listen 127.0.0.1:$(PORT) --state-dir ./state --config /dev/null \
		--sim-if-empty stm32f401re-rdp1

test: deps
	@$(MAKE) --no-print-directory all $(UNIT_BIN)
	@sh tests/run.sh $(BUILD)

bench: deps
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@$(BUILD)/bench/bench_probe
	@$(BUILD)/bench/bench_service $(BUILD)/rdpd

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
sanitize: deps
	@$(MAKE) --no-print-directory BUILD=build-asan \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		LDFLAGS="-fsanitize=address,undefined" test

# Lower layers never include upper ones (STYLE.md: includes point downward only).
lint:
	@sh tests/lint_layers.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
