# host.mk - host unit tests, fuzz targets and benchmarks.
#
# A test directory is modules/<mod>/tests or tests/<suite> (not tests/host).
# In it:
#   test_*.c   cmocka programs, built with ASan + UBSan, run by `make test-host`
#   fuzz_*.c   libFuzzer targets, run by `make fuzz` (and briefly by `make test`)
#   bench_*.c  benchmark programs (-O2, no sanitizers), run by `make bench`
#   deps       optional: names of modules whose src/*.c are linked too
#   cflags     optional: extra compiler flags (e.g. -DCONFIG_MM_COW=1)
# Every program links the owning module's src/*.c (not subdirectories, which
# hold architecture code), its deps' src/*.c and tests/host/*.c.

HOST_CC ?= clang
HOST_BUILD := $(BUILD)/host
HOST_INCLUDES := $(addprefix -I,$(wildcard modules/*/include)) -Itests/host
HOST_BASE_CFLAGS := -std=gnu11 -g -Wall -Wextra -Werror -DHOST_TEST $(HOST_INCLUDES)
HOST_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
HOST_TEST_CFLAGS := $(HOST_BASE_CFLAGS) -O1 $(HOST_SAN)
HOST_FUZZ_CFLAGS := $(HOST_BASE_CFLAGS) -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
HOST_BENCH_CFLAGS := $(HOST_BASE_CFLAGS) -O2 -DNDEBUG

HOST_HEADERS := $(wildcard modules/*/include/*/*.h modules/*/libc/*.h modules/*/src/*.h tests/host/*.h modules/*/tests/*.h tests/*/*.h)
HOST_TEST_DIRS := $(wildcard modules/*/tests) $(filter-out tests/host,$(patsubst %/,%,$(wildcard tests/*/)))
HOST_HELPERS := $(wildcard tests/host/*.c)

# $(call host-srcs,dir): the sources every program of a test directory links.
host-owner = $(if $(filter modules/%,$(1)),$(patsubst %/tests,%,$(1)))
host-deps = $(if $(wildcard $(1)/deps),$(file <$(1)/deps))
host-srcs = $(sort $(wildcard $(call host-owner,$(1))/src/*.c) \
	$(foreach m,$(call host-deps,$(1)),$(wildcard modules/$(m)/src/*.c)) $(HOST_HELPERS))
host-extra = $(if $(wildcard $(1)/cflags),$(file <$(1)/cflags))

HOST_TESTS :=
HOST_FUZZERS :=
HOST_BENCHES :=

# Directories whose cflags are the same share the objects of their common
# sources: $(call host-canon,dir) is the first directory with dir's cflags,
# the one whose obj/ holds them.
HOST_SPACE := $(subst ,, )
host-key = x$(subst $(HOST_SPACE),|,$(strip $(call host-extra,$(1))))
$(foreach d,$(HOST_TEST_DIRS),$(eval HOST_KEY_$(d) := $(call host-key,$(d))))
$(foreach d,$(HOST_TEST_DIRS),$(eval HOST_CANON_$(d) := $(firstword \
	$(foreach e,$(HOST_TEST_DIRS),$(if $(filter $(HOST_KEY_$(e)),$(HOST_KEY_$(d))),$(e))))))
host-canon = $(HOST_CANON_$(1))

# $(call host-objs,dir,kind): the objects every program of a test directory links.
host-objs = $(patsubst %.c,$(HOST_BUILD)/$(2)/$(call host-canon,$(1))/obj/%.o,$(call host-srcs,$(1)))

# $(call host-kind,dir,prefix,flags-var,kind,list-var) defines the programs of
# one kind: each source is compiled once per set of cflags and kind, then
# every program links its own object with the shared ones.
define host-kind
$(HOST_BUILD)/$(4)/$(1)/obj/%.o: %.c $$(HOST_HEADERS) $(wildcard $(1)/deps $(1)/cflags)
	@mkdir -p $$(@D)
	$$(Q)$(HOST_CC) $$($(3)) $(call host-extra,$(1)) -c -o $$@ $$<
$(foreach p,$(basename $(notdir $(wildcard $(1)/$(2)_*.c))),
$(5) += $(HOST_BUILD)/$(4)/$(1)/$(p)
$(HOST_BUILD)/$(4)/$(1)/$(p): $(HOST_BUILD)/$(4)/$(1)/obj/$(1)/$(p).o $(call host-objs,$(1),$(4))
	@echo "  HOSTLD  $$@"
	$$(Q)$(HOST_CC) $$($(3)) -o $$@ $$^ -lcmocka -lm
)
endef

$(foreach d,$(HOST_TEST_DIRS),$(eval $(call host-kind,$(d),test,HOST_TEST_CFLAGS,test,HOST_TESTS)))
$(foreach d,$(HOST_TEST_DIRS),$(eval $(call host-kind,$(d),fuzz,HOST_FUZZ_CFLAGS,fuzz,HOST_FUZZERS)))
$(foreach d,$(HOST_TEST_DIRS),$(eval $(call host-kind,$(d),bench,HOST_BENCH_CFLAGS,bench,HOST_BENCHES)))

.PHONY: host-build fuzz-build bench-build
host-build: $(HOST_TESTS)
fuzz-build: $(HOST_FUZZERS)
bench-build: $(HOST_BENCHES)
