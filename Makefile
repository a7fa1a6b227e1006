# SPDX-License-Identifier: GPL-2.0-only
#
# xlb build. Sources are found by wildcard, so adding a file needs no edit:
#   bpf/*.bpf.c            -> build/NAME.bpf.o + build/NAME.skel.h
#   userspace/lib/*.c, userspace/lib/*/*.c -> build/libxlb.a
#   userspace/xlbd/*.c     -> build/libxlbd_core.a (all but main.c) + build/xlbd
#   userspace/xlbctl/*.c, userspace/backend-host/*.c -> build/xlbctl
#   tests/unit/test_*.c    -> build/tests/unit/test_*   (cmocka; linked with
#                             libxlbd_core.a and libxlb.a)
#   tests/bpf/test_*.c     -> build/tests/bpf/test_*    (other .c shared)
#   tests/bench/bench_*.c  -> build/tests/bench/bench_*
#   tests/bench/*.bpf.c    -> build/tests/bench/*.bpf.o  (bench_veth.sh)
#   tests/helpers/*.c      -> build/tests/helpers/*     (test servers, tools)
#   tests/fuzz/fuzz_*.c    -> build/fuzz/fuzz_*          (clang, libFuzzer)
#
# Quiet unless V=1. SAN=1 builds userspace with ASan+UBSan (make test does
# that in build/san). BUILD=dir puts everything elsewhere.

.DELETE_ON_ERROR:
.SUFFIXES:
.SECONDEXPANSION:

BUILD ?= build
SAN ?= 0
V ?= 0

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-7s %s\n' '$(1)' '$(2)';
endif

ifeq ($(origin CC),default)
CC := gcc
endif
CLANG ?= clang
BPFTOOL ?= bpftool
CLANG_FORMAT ?= clang-format
MULTIARCH := $(shell $(CC) -dumpmachine 2>/dev/null)

PKGS := libbpf libxdp libnl-route-3.0 libcurl libuv yaml-0.1 jansson \
	libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# One object for every configuration: load-time knobs (sizes,
# lb.outer_ttl) are const volatile .rodata the loader sets, never -D flags
BPF_CFLAGS := -target bpf -O2 -g -Wall -Wextra -Werror -mcpu=v3 \
	-I/usr/include/$(MULTIARCH) -I.

# One -I per part of the library (and the backend-host tool), so that
# #include "dp.h" works from anywhere (tests/check.sh has the same list)
LIB_INC := -Iuserspace/lib -Iuserspace/lib/dp -Iuserspace/lib/config \
	-Iuserspace/lib/health -Iuserspace/lib/bgp -Iuserspace/backend-host

CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
	-Wno-missing-field-initializers -fno-strict-aliasing \
	-I. $(LIB_INC) -I$(BUILD) $(PKG_CFLAGS) -MMD -MP
LDLIBS := $(PKG_LIBS) -lelf -lz -lm -lpthread
ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
CFLAGS += $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
endif

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
BPF_HDRS := $(wildcard bpf/*.h maps/*.h)

LIB_SRCS := $(wildcard userspace/lib/*.c userspace/lib/*/*.c)
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
LIB := $(BUILD)/libxlb.a

XLBD_SRCS := $(wildcard userspace/xlbd/*.c)
# xlbd's core as a library (userspace/xlbd/core.h): everything but main.c,
# so that tests/unit/test_core.c can drive it against a fake data path
XLBD_MAIN := userspace/xlbd/main.c
XLBD_CORE_SRCS := $(filter-out $(XLBD_MAIN),$(XLBD_SRCS))
XLBD_CORE_LIB := $(BUILD)/libxlbd_core.a
XLBCTL_SRCS := $(wildcard userspace/xlbctl/*.c userspace/backend-host/*.c)
BINS := $(if $(XLBD_SRCS),$(BUILD)/xlbd) $(if $(XLBCTL_SRCS),$(BUILD)/xlbctl)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
UNIT_COMMON := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
BPFT_SRCS := $(wildcard tests/bpf/test_*.c)
BPFT_BINS := $(patsubst tests/bpf/%.c,$(BUILD)/tests/bpf/%,$(BPFT_SRCS))
BPFT_COMMON := $(filter-out $(BPFT_SRCS),$(wildcard tests/bpf/*.c))
BENCH_SRCS := $(wildcard tests/bench/bench_*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/tests/bench/%,$(BENCH_SRCS))
BENCH_COMMON := $(filter-out $(BENCH_SRCS) %.bpf.c,$(wildcard tests/bench/*.c))
BENCH_BPF := $(patsubst tests/bench/%.bpf.c,$(BUILD)/tests/bench/%.bpf.o,\
	$(wildcard tests/bench/*.bpf.c))
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(HELPER_SRCS))

ALL_OBJS := $(LIB_OBJS) $(patsubst %.c,$(BUILD)/obj/%.o,$(XLBD_SRCS) \
	$(XLBCTL_SRCS) $(UNIT_SRCS) $(UNIT_COMMON) $(BPFT_SRCS) $(BPFT_COMMON) \
	$(BENCH_SRCS) $(BENCH_COMMON) $(HELPER_SRCS))

.PHONY: all bpf userspace tests deps test bench check demo clean san \
	install fuzz format

all: bpf userspace tests

bpf: $(BPF_OBJS) $(SKELS)
userspace: $(BINS)
tests: $(UNIT_BINS) $(BPFT_BINS) $(BENCH_BINS) $(HELPER_BINS) $(BENCH_BPF)

# --- BPF ---------------------------------------------------------------------
$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst .,_,$*)_bpf > $@

# --- userspace ---------------------------------------------------------------
$(BUILD)/obj/%.o: %.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(XLBD_CORE_LIB): $(patsubst %.c,$(BUILD)/obj/%.o,$(XLBD_CORE_SRCS))
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/xlbd: $(patsubst %.c,$(BUILD)/obj/%.o,$(XLBD_MAIN)) $(XLBD_CORE_LIB) \
		$(LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/xlbctl: $(patsubst %.c,$(BUILD)/obj/%.o,$(XLBCTL_SRCS)) $(LIB)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/unit/%: $(BUILD)/obj/tests/unit/%.o \
		$(patsubst %.c,$(BUILD)/obj/%.o,$(UNIT_COMMON)) $(XLBD_CORE_LIB) \
		$(LIB)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS) -lcmocka

$(BUILD)/tests/bpf/%: $(BUILD)/obj/tests/bpf/%.o \
		$(patsubst %.c,$(BUILD)/obj/%.o,$(BPFT_COMMON)) $(LIB)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/bench/%: $(BUILD)/obj/tests/bench/%.o \
		$(patsubst %.c,$(BUILD)/obj/%.o,$(BENCH_COMMON)) $(LIB)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/tests/helpers/%: $(BUILD)/obj/tests/helpers/%.o $(LIB)
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# BPF programs of the benchmarks (the veth pipeline's generator, sink and
# floor programs), not part of the product
$(BUILD)/tests/bench/%.bpf.o: tests/bench/%.bpf.c $(BPF_HDRS)
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD):
	$(Q)mkdir -p $@

-include $(ALL_OBJS:.o=.d)

# --- the two commands and friends --------------------------------------------
deps:
	$(Q)deploy/deps.sh

# Sanitizer build of userspace and tests, used by make test.
san:
	$(Q)$(MAKE) --no-print-directory SAN=1 BUILD=$(BUILD)/san userspace tests

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory san
	$(Q)$(MAKE) --no-print-directory fuzz-build
	$(Q)BUILD=$(BUILD) tests/run.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) tests/bench/run.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) tests/netns/demo.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) tests/check.sh

format:
	$(Q)$(CLANG_FORMAT) -i $$(git ls-files '*.c' '*.h')

install: all
	$(Q)deploy/install.sh $(BUILD)

# The Debian package (debian/), built by dpkg-buildpackage in a copy of the
# tree under $(BUILD)/deb, where the .deb lands: nothing is written outside.
.PHONY: deb
deb:
	$(Q)rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/xlb
	$(Q)git ls-files -co --exclude-standard -z | \
		xargs -0 tar -cf - --ignore-failed-read | tar -xf - -C $(BUILD)/deb/xlb
	$(Q)cd $(BUILD)/deb/xlb && dpkg-buildpackage -us -uc -b
	$(Q)ls $(BUILD)/deb/*.deb

# --- fuzzing (libFuzzer) -----------------------------------------------------
# tests/fuzz/fuzz_*.c -> $(BUILD)/fuzz/fuzz_*: clang with libFuzzer, ASan and
# UBSan, linked against a copy of the library built the same way in
# $(BUILD)/fuzz/obj (libFuzzer needs the code under test instrumented).
# make fuzz-build builds them (make test does, then tests/fuzz/suite_fuzz.sh
# runs each for 20 s); make fuzz builds and runs each for FUZZ_S seconds on
# its seeds in tests/fuzz/corpus/NAME/ (docs/fuzzing.md).
FUZZ_S ?= 60
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_LIB := $(BUILD)/fuzz/libxlb.a
FUZZ_LIB_OBJS := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(LIB_SRCS))
FUZZ_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
FUZZ_CFLAGS := $(filter-out -fsanitize=% -fno-sanitize-recover=% -O2,$(CFLAGS)) \
	-O1 -fsanitize=fuzzer-no-link $(FUZZ_SAN)

.PHONY: fuzz-build

$(BUILD)/fuzz/obj/%.o: %.c | $(SKELS)
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(call msg,LD,$@)
	$(Q)$(CLANG) -fsanitize=fuzzer $(FUZZ_SAN) $^ -o $@ $(LDLIBS)

-include $(patsubst %.c,$(BUILD)/fuzz/obj/%.d,$(LIB_SRCS) $(FUZZ_SRCS))

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	$(Q)BUILD=$(BUILD) FUZZ_S=$(FUZZ_S) tests/fuzz/suite_fuzz.sh

# --- the lab left running (docs/netns.md), charts of the benchmarks ---------
# make lab [LAB_CONFIG=your-xlb.yaml] [LAB_POPS=N] [LAB_BACKENDS=M]: client,
# router, PoP(s) and backends in namespaces, running until make lab-down.
# make bench-plot [BENCH_LOG=file]: PNG charts under docs/charts of the BENCH
# lines tests/bench/run.sh appended to $(BUILD)/bench.log (or of file).
.PHONY: lab lab-down bench-plot
lab: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) LAB_CONFIG='$(LAB_CONFIG)' tests/netns/xlb-lab.sh up

lab-down:
	$(Q)BUILD=$(BUILD) tests/netns/xlb-lab.sh down

bench-plot:
	$(Q)tests/bench/plot.py --out docs/charts \
		$(or $(BENCH_LOG),$(BUILD)/bench.log)

clean:
	$(Q)rm -rf $(BUILD)

# --- soak under faults (issue 15, docs/soak.md) ------------------------------
# make soak: the lab with traffic while faults come in turn (a backend
# killed, a link down, xlbd killed and upgraded, BIRD restarted, a BGP
# reset, a reload, the connection table filled); SOAK_S, SOAK_ROUNDS...
# (tests/soak/soak.sh). make test runs a short one (suite_soak.sh).
.PHONY: soak
soak: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) tests/soak/soak.sh
