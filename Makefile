# ward — top-level GNU Makefile. Everything generated goes under build/.
# make            build build/ward (and the BPF skeletons)
# make deps       install build and test dependencies with apt-get (idempotent)
# make check      unit + integration + end-to-end tests (root)
# make demo       run the example model inside the sandbox and show its events
# make install    PREFIX=/usr/local DESTDIR=
# make SANITIZE=1 ASan/UBSan build;  V=1 verbose
# make fuzz       libFuzzer targets (tests/fuzz/), FUZZ_SECONDS=N each; make fuzz-smoke: 3 s each

.DELETE_ON_ERROR:
# Keep the generated vmlinux.h, BPF object and skeleton between builds.
.SECONDARY:
.SUFFIXES:

PREFIX     ?= /usr/local
DESTDIR    ?=
VERSION    := 0.1.0
BUILD      := build
CC         ?= cc
CLANG      ?= clang
BPFTOOL    ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
ARCH       := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

PKGS := libseccomp libcap yaml-0.1 jansson libbpf
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Wformat=2 \
	  -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE \
	  -DWARD_VERSION=\"$(VERSION)\" -DWARD_PREFIX=\"$(PREFIX)\" \
	  -I. -Iinclude -I$(BUILD) $(PKG_CFLAGS)
# Header dependencies come from the compiler (-MMD -MP), so one edit rebuilds what includes it.
DEPFLAGS := -MMD -MP
LDFLAGS += -pie -Wl,-z,relro,-z,now
# Our libraries are linked statically (glibc stays shared): with -z now, resolving every
# symbol of seven shared libraries at each start was a measurable part of a 5 ms launch.
# STATIC_LIBS=0 links them dynamically.
STATIC_LIBS ?= 1
ifeq ($(STATIC_LIBS),1)
LDLIBS  += -Wl,-Bstatic -lbpf -lseccomp -lcap -lyaml -ljansson -lelf -lz -Wl,-Bdynamic
else
LDLIBS  += $(PKG_LIBS) -lelf -lz
endif

ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -U_FORTIFY_SOURCE
LDFLAGS += -fsanitize=address,undefined
endif

# Subsystems, bottom up: common/ (shared helpers), profile/, events/, monitor/, collector/,
# launcher/ (the sandbox phases and the orchestrator), learn/ (`ward learn`, which runs `ward run`
# as a child), selftest/ (`ward selftest`, on top of ward_run). Dependencies run one way
# (docs/design.md).
SUBDIRS       := common profile events monitor collector launcher learn selftest
WARD_SRCS     := $(foreach d,$(SUBDIRS),$(wildcard $(d)/*.c))
WARD_OBJS     := $(patsubst %.c,$(BUILD)/obj/%.o,$(WARD_SRCS))
# The built-in profiles: every profiles/*.yaml compiled in, the last lookup entry (profile/load.c).
BUILTIN_YAMLS := $(sort $(wildcard profiles/*.yaml))
BUILTIN_OBJ   := $(BUILD)/obj/builtin_profiles.o
WARD_OBJS     += $(BUILTIN_OBJ)
# The minimal BTF the monitors relocate against on the build host's kernel (monitor/load.c).
MINBTF_OBJ    := $(BUILD)/obj/monitor_btf.o
WARD_OBJS     += $(MINBTF_OBJ)
LIB_OBJS      := $(filter-out $(BUILD)/obj/launcher/main.o,$(WARD_OBJS))
BPF_SRCS      := bpf/monitor.bpf.c
BPF_OBJS      := $(BUILD)/bpf/monitor.bpf.o
BPF_SKELS     := $(BUILD)/monitor.skel.h $(BUILD)/monitor.tag.h
UNIT_SRCS     := $(wildcard tests/unit/test_*.c)
UNIT_BINS     := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
# Only the objects that include the skeleton wait for it (libbpf-tools).
SKEL_USERS    := $(BUILD)/obj/monitor/load.o $(BUILD)/obj/monitor/pin.o
TEST_HELPERS  := $(BUILD)/tests/collector_client $(BUILD)/tests/monitor_probe

all: $(BUILD)/ward $(BUILD)/ward-probe $(BUILD)/probe $(TEST_HELPERS)

$(BUILD)/ward: $(WARD_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Everything is rebuilt when the compile flags change (PREFIX, VERSION, SANITIZE, CFLAGS): a
# `make install PREFIX=/usr` after a plain `make` must not install a binary that looks for its
# profiles under /usr/local. The stamp is rewritten only when its content differs.
$(BUILD)/cflags.stamp: FORCE | $(BUILD)
	$(Q)echo '$(CC) $(CFLAGS) $(LDFLAGS) $(LDLIBS)' | cmp -s - $@ || \
		echo '$(CC) $(CFLAGS) $(LDFLAGS) $(LDLIBS)' >$@
FORCE:

$(BUILD)/obj/%.o: %.c $(BUILD)/cflags.stamp | $(BUILD)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(filter $(WARD_OBJS),$(SKEL_USERS)): $(BPF_SKELS)

# The list of embedded files is rewritten only when it changes, so that removing a profile
# regenerates the table too (an added or edited one is newer than the generated file).
$(BUILD)/builtin_profiles.list: FORCE | $(BUILD)
	$(Q)echo '$(BUILTIN_YAMLS)' | cmp -s - $@ || echo '$(BUILTIN_YAMLS)' >$@

$(BUILD)/builtin_profiles.c: tools/embed-profiles.sh $(BUILTIN_YAMLS) $(BUILD)/builtin_profiles.list
	$(call msg,GEN,$@)
	$(Q)$(SHELL) tools/embed-profiles.sh $(BUILTIN_YAMLS) >$@

$(BUILTIN_OBJ): $(BUILD)/builtin_profiles.c $(BUILD)/cflags.stamp
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

-include $(WARD_OBJS:.o=.d) $(UNIT_BINS:=.d) $(TEST_HELPERS:=.d) $(BUILD)/probe.d \
	$(BUILD)/ward-probe.d

# BPF: CO-RE objects against a vmlinux.h generated from this kernel's BTF (see docs/design.md).
$(BUILD)/vmlinux.h: | $(BUILD)
	$(call msg,BTF,$@)
	$(Q)if [ -r /sys/kernel/btf/vmlinux ]; then \
		$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@; \
	else echo "ward: /sys/kernel/btf/vmlinux missing: the kernel needs CONFIG_DEBUG_INFO_BTF" >&2; exit 1; fi

# bpf/monitor.bpf.c includes the other bpf/*.bpf.c (one object), so it depends on all of them.
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h $(wildcard bpf/*.c bpf/*.h) include/ward/events.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -Iinclude -Ibpf \
		-Wall -Werror -c $< -o $@
	$(Q)llvm-strip -g $@ 2>/dev/null || true

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# CO-RE relocation against only the kernel types the object uses (BTFgen): libbpf's candidate
# search over the 5.5 MB vmlinux BTF was a third of a fresh load. Cut from this host's kernel,
# used where the running kernel has the same build ID (/sys/kernel/notes); elsewhere, or when
# bpftool cannot cut it, ward relocates against /sys/kernel/btf/vmlinux as libbpf does.
$(BUILD)/monitor.min.btf: $(BUILD)/bpf/monitor.bpf.o
	$(call msg,BTFGEN,$@)
	$(Q)$(BPFTOOL) gen min_core_btf /sys/kernel/btf/vmlinux $@ $< >/dev/null 2>&1 || : >$@

$(BUILD)/monitor_btf.c: $(BUILD)/monitor.min.btf tools/embed-btf.sh
	$(call msg,GEN,$@)
	$(Q)cat /sys/kernel/notes >$(BUILD)/kernel.notes 2>/dev/null || : >$(BUILD)/kernel.notes
	$(Q)$(SHELL) tools/embed-btf.sh $< $(BUILD)/kernel.notes \
		"$$($(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux 2>/dev/null | \
		   sed -n "s/^\[\([0-9]*\)\] FUNC 'bpf_lsm_bprm_check_security' .*/\1/p")" >$@

$(MINBTF_OBJ): $(BUILD)/monitor_btf.c $(BUILD)/cflags.stamp
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# The pinned set's directory name (monitor/pin.c): a hash of the object, taken here once
# rather than at each launch (hashing the 190 KB object cost 0.3 ms a call).
$(BUILD)/%.tag.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN,$@)
	$(Q)printf '#define WARD_BPF_TAG "%s"\n' "$$(sha256sum $< | cut -c1-16)" > $@

# ward selftest's probe: static, so it never loads a library from the sandbox's view of the
# host; installed beside ward ($(PREFIX)/libexec/ward/ward-probe).
$(BUILD)/ward-probe: selftest/probe/probe.c $(BUILD)/cflags.stamp | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I. $(DEPFLAGS) -static -o $@ $<

# The in-sandbox probe is static so it runs in the smallest views.
$(BUILD)/probe: tests/probe.c $(BUILD)/cflags.stamp | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I. -Iinclude $(DEPFLAGS) -static -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) $(BUILD)/cflags.stamp | $(BUILD)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -Wno-error=unused-function $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS) -lcmocka

# Helpers the integration tests run, built with the project's flags.
# The collector's test client sends through the real sink: it links common/ and events/ only.
CLIENT_OBJS := $(filter $(BUILD)/obj/common/% $(BUILD)/obj/events/%,$(WARD_OBJS))
$(BUILD)/tests/collector_client: tests/integration/collector_client.c $(CLIENT_OBJS) $(BUILD)/cflags.stamp | $(BUILD)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ $< $(CLIENT_OBJS) $(LDLIBS)

$(BUILD)/tests/monitor_probe: tests/integration/monitor_probe.c $(BUILD)/cflags.stamp | $(BUILD)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I. -Iinclude $(DEPFLAGS) -static -o $@ $<

$(BUILD):
	$(Q)mkdir -p $@

# ---- tests --------------------------------------------------------------------------------
unit: $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do echo "# $$t"; $$t; done

integration: all examples engines
	$(Q)tests/integration/run.sh

# Both user-facing targets install what is missing first (apt-get, as root), then rebuild.
check:
	$(Q)tools/deps.sh --quiet
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory format-check events-doc unit fuzz-smoke integration

deps:
	$(Q)tools/deps.sh

# ---- example model -----------------------------------------------------------------------
examples: $(BUILD)/model/weights.npz

$(BUILD)/model/weights.npz: examples/make_weights.py | $(BUILD)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)python3 examples/make_weights.py $(dir $@)

demo:
	$(Q)tools/deps.sh --quiet
	$(Q)$(MAKE) --no-print-directory all examples
	$(Q)examples/demo.sh

# ---- coverage-guided fuzzing (libFuzzer) ---------------------------------------------------
# tests/fuzz/fuzz_<target>.c, linked with clang-built, sanitized copies of the tree's objects
# (build/fuzz/obj/: the project's own objects are gcc's). Seeds: tests/fuzz/corpus/<target>/
# (read only); what a run finds goes to build/fuzz/corpus/<target>/. Every input under
# tests/fuzz/regressions/<target>/ is replayed first: each is a fixed finding.
# make fuzz FUZZ_SECONDS=N   each target for N seconds (default 60)
# make fuzz-smoke            each target for 3 s (part of make check)
FUZZ_TARGETS  := profile oci collector event parsers
FUZZ_SECONDS  ?= 60
FUZZ_JOBS     ?= 1
FUZZ_CC       ?= clang
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   := -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) -fsanitize=fuzzer-no-link \
		 -std=gnu11 -Wall -Wno-unused-parameter -D_GNU_SOURCE \
		 -DWARD_VERSION=\"$(VERSION)\" -DWARD_PREFIX=\"$(PREFIX)\" \
		 -I. -Iinclude -I$(BUILD) $(PKG_CFLAGS)
FUZZ_OBJS     := $(patsubst $(BUILD)/obj/%,$(BUILD)/fuzz/obj/%,$(LIB_OBJS))
FUZZ_BINS     := $(patsubst %,$(BUILD)/fuzz/fuzz_%,$(FUZZ_TARGETS))

$(BUILD)/fuzz/obj/%.o: %.c | $(BUILD)
	$(call msg,FUZZCC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(BUILD)/fuzz/obj/builtin_profiles.o $(BUILD)/fuzz/obj/monitor_btf.o: $(BUILD)/fuzz/obj/%.o: $(BUILD)/%.c
	$(call msg,FUZZCC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(filter $(FUZZ_OBJS),$(patsubst $(BUILD)/obj/%,$(BUILD)/fuzz/obj/%,$(SKEL_USERS))): $(BPF_SKELS)

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(call msg,FUZZLD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(DEPFLAGS) -o $@ $< $(FUZZ_OBJS) $(LDLIBS)

-include $(FUZZ_OBJS:.o=.d) $(FUZZ_BINS:=.d)

fuzz-build: $(FUZZ_BINS)

# One target: the regressions once, then FUZZ_SECONDS of fuzzing from the seeds and what
# earlier runs found (a random seed; make check's smoke run uses seed 1, so that what it
# explores does not change from run to run); libFuzzer's last status line (execs, exec/s, cov) goes to build/fuzz/.
define fuzz_run
	mkdir -p $(BUILD)/fuzz/corpus/$(1) $(BUILD)/fuzz/artifacts/$(1); \
	if [ -n "$$(ls tests/fuzz/regressions/$(1) 2>/dev/null)" ]; then \
		$(BUILD)/fuzz/fuzz_$(1) tests/fuzz/regressions/$(1)/* >$(BUILD)/fuzz/$(1).regress.log 2>&1 || \
			{ tail -n 30 $(BUILD)/fuzz/$(1).regress.log; exit 1; }; fi; \
	nice -n 10 $(BUILD)/fuzz/fuzz_$(1) -max_total_time=$(2) -seed=$(3) -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz/artifacts/$(1)/ \
		-dict=tests/fuzz/$(if $(filter profile,$(1)),profile,json).dict \
		$(BUILD)/fuzz/corpus/$(1) tests/fuzz/corpus/$(1) >$(BUILD)/fuzz/$(1).log 2>&1 || \
		{ tail -n 40 $(BUILD)/fuzz/$(1).log; exit 1; }; \
	printf '  %-10s %s\n' $(1) "$$(grep -E '^#[0-9]+' $(BUILD)/fuzz/$(1).log | tail -n 1)";
endef

fuzz: $(FUZZ_BINS)
	$(Q)set -e; $(foreach t,$(FUZZ_TARGETS),$(call fuzz_run,$(t),$(FUZZ_SECONDS),0))

fuzz-smoke: $(FUZZ_BINS)
	$(Q)set -e; $(foreach t,$(FUZZ_TARGETS),$(call fuzz_run,$(t),3,1))

# ---- misc ---------------------------------------------------------------------------------
install: all
	install -D -m 0755 $(BUILD)/ward $(DESTDIR)$(PREFIX)/bin/ward
	install -D -m 0755 $(BUILD)/ward-probe $(DESTDIR)$(PREFIX)/libexec/ward/ward-probe
	install -d $(DESTDIR)$(PREFIX)/share/ward/profiles
	install -m 0644 profiles/*.yaml $(DESTDIR)$(PREFIX)/share/ward/profiles/
	install -D -m 0644 docs/ward.1 $(DESTDIR)$(PREFIX)/share/man/man1/ward.1
	for u in ward-collector ward-monitor; do \
		install -d $(DESTDIR)$(PREFIX)/lib/systemd/system; \
		sed 's|/usr/local/bin/ward|$(PREFIX)/bin/ward|g' docs/$$u.service \
			>$(DESTDIR)$(PREFIX)/lib/systemd/system/$$u.service; \
		chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/$$u.service; \
	done

FORMAT_SRCS = $(wildcard $(addsuffix /*.[ch],$(SUBDIRS)) include/ward/*.h bpf/*.c bpf/*.h \
	      selftest/probe/*.c tests/*.c tests/unit/*.c tests/integration/*.c tests/fuzz/*.c)
format:
	$(Q)clang-format -i $(FORMAT_SRCS)

# docs/events.md against docs/events.schema.json (every event of the integration suite is
# checked against the schema by tests/integration/run.sh).
events-doc:
	$(Q)python3 tools/events_schema.py check-doc docs/events.schema.json docs/events.md

format-check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRCS)

clean:
	rm -rf $(BUILD)

.PHONY: fuzz fuzz-build fuzz-smoke engines all unit integration check deps demo examples install format format-check events-doc clean FORCE

# ---- engines: llama.cpp and ONNX Runtime (tests/integration/engine_*.sh, bench/engines.sh) -
# Test models generated here from fixed seeds, never downloaded; the npm packages pinned by
# engines/package-lock.json (tools/engines.sh: a quick no-op when installed). Debian's
# python3 on purpose: python3-onnx is installed for it.
ENGINES_PY ?= /usr/bin/python3

engines: $(BUILD)/engines/tiny.gguf $(BUILD)/engines/tiny.onnx
	$(Q)tools/engines.sh

$(BUILD)/engines/tiny.gguf: engines/make_gguf.py | $(BUILD)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(ENGINES_PY) engines/make_gguf.py $@ >/dev/null

$(BUILD)/engines/tiny.onnx: engines/make_onnx.py | $(BUILD)
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(ENGINES_PY) engines/make_onnx.py $@ >/dev/null

