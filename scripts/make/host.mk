# host.mk - host unit tests, fuzz targets and benchmarks.
#
# A test directory is modules/<mod>/tests or tests/<suite> (not tests/host).
# In it:
#   test_*.c     cmocka programs, built with ASan + UBSan, run by `make test-host`
#   fuzz_*.c     libFuzzer targets, run by `make fuzz` (and briefly by `make test`)
#   bench_*.c    benchmark programs (-O2, no sanitizers), run by `make bench`
#   other *.c    shared test sources (helpers, models, case lists), linked into
#                every program of the directory
#   *.h          their declarations: prototypes, types, constants, and only
#                the tiny static inline helpers that must be inline; no test
#                case or function body that is not inline
#   host.config  optional: the configuration, one item a line ('#' comments):
#                  CONFIG_X=y / CONFIG_X=<value>  Kconfig symbols (-DCONFIG_X=1/value)
#                  HOST_CFLAGS=<flags>            extra compiler flags
#                  HOST_SHARED=<test dir>...      link those directories' shared
#                                                 sources too (rerun their cases
#                                                 under this configuration)
#
# The configuration is host.config's symbols, plus CONFIG_<MOD>=y in
# modules/<mod>/tests, closed over the modules' Kconfig `select` and `depends
# on` (scripts/host-test-config). Every program links:
#   - the modules whose CONFIG_<MOD> is set: the objects their module.mk
#     adds with `obj-$(CONFIG_X) += src/a.o` when CONFIG_X is set, except
#     those in a subdirectory of src/ (architecture code);
#   - the shared sources of its directory and of its HOST_SHARED directories;
#   - tests/host/*.c (host HAL, the seed and the generator of random tests).
# Every source is compiled once per directory and kind, with that directory's
# configuration (a HOST_SHARED directory's sources too). Include path:
# tests/host, the directory and its HOST_SHARED directories, the include
# directories of the linked modules, and those of klib, axhal and axlog (which
# every unit may use, as scripts/check-includes says). A test includes another
# test directory's header only through HOST_SHARED, never by a relative path;
# a white-box test of a module may include that module's private headers
# (../src/, ../libc/).

# The programs are defined only for the goals that build or run them (the
# configuration costs a scripts/host-test-config run per directory).
HOST_GOALS := test-host host-build fuzz-build bench-build fuzz bench
ifneq ($(filter $(HOST_GOALS),$(MAKECMDGOALS)),)

HOST_CC ?= clang
HOST_BUILD := $(BUILD)/host
HOST_BASE_CFLAGS := -std=gnu11 -g -Wall -Wextra -Werror -DHOST_TEST -MMD -MP
HOST_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
HOST_TEST_CFLAGS := $(HOST_BASE_CFLAGS) -O1 $(HOST_SAN)
HOST_FUZZ_CFLAGS := $(HOST_BASE_CFLAGS) -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
HOST_BENCH_CFLAGS := $(HOST_BASE_CFLAGS) -O2 -DNDEBUG

HOST_TEST_DIRS := $(wildcard modules/*/tests) $(filter-out tests/host,$(patsubst %/,%,$(wildcard tests/*/)))
HOST_HELPERS := $(wildcard tests/host/*.c)
HOST_BASE_INCLUDES := -Itests/host $(foreach m,klib axhal axlog,-Imodules/$(m)/include)

# HOST_CONFIG_<dir>: the words scripts/host-test-config prints for <dir>.
define host-config
HOST_CONFIG_$(1) := $$(shell scripts/host-test-config $(1))
ifneq ($$(.SHELLSTATUS),0)
$$(error $(1)/host.config: scripts/host-test-config failed)
endif
endef
$(foreach d,$(HOST_TEST_DIRS),$(eval $(call host-config,$(d))))
host-words = $(patsubst +$(2):%,%,$(filter +$(2):%,$(HOST_CONFIG_$(1))))
host-shared-dirs = $(call host-words,$(1),shared)
# $(call host-shared,dir): the shared test sources of one directory.
host-shared = $(filter-out $(1)/test_% $(1)/fuzz_% $(1)/bench_%,$(wildcard $(1)/*.c))
# $(call host-srcs,dir): the sources every program of a test directory links.
host-srcs = $(call host-words,$(1),src) \
	$(foreach s,$(1) $(call host-shared-dirs,$(1)),$(call host-shared,$(s))) $(HOST_HELPERS)
host-flags = $(filter-out +%,$(HOST_CONFIG_$(1))) $(HOST_BASE_INCLUDES) \
	$(addprefix -I,$(1) $(call host-shared-dirs,$(1)) $(call host-words,$(1),inc))

HOST_TESTS :=
HOST_FUZZERS :=
HOST_BENCHES :=
HOST_OBJS :=

# $(call host-kind,dir,prefix,flags-var,kind,list-var) defines the programs of
# one kind: every source is compiled once per directory and kind, then every
# program links its own object with the shared ones. Objects depend on the
# headers they include (-MMD dependency files) and on the file `flags`,
# rewritten only when the compiler flags or the sources to link change (a
# host.config, Kconfig, module.mk or this file edited), so that they are
# rebuilt and the programs relinked then, and only then.
define host-kind
$(HOST_BUILD)/$(4)/$(1)/flags: FORCE
	@mkdir -p $$(@D)
	$$(Q)echo '$$($(3)) $(call host-flags,$(1)) $(call host-srcs,$(1))' | cmp -s - $$@ || \
		echo '$$($(3)) $(call host-flags,$(1)) $(call host-srcs,$(1))' >$$@
$(HOST_BUILD)/$(4)/$(1)/obj/%.o: %.c $(HOST_BUILD)/$(4)/$(1)/flags
	@mkdir -p $$(@D)
	$$(Q)$(HOST_CC) $$($(3)) $(call host-flags,$(1)) -c -o $$@ $$<
HOST_OBJS += $(patsubst %.c,$(HOST_BUILD)/$(4)/$(1)/obj/%.o,$(call host-srcs,$(1)) $(wildcard $(1)/$(2)_*.c))
$(foreach p,$(basename $(notdir $(wildcard $(1)/$(2)_*.c))),
$(5) += $(HOST_BUILD)/$(4)/$(1)/$(p)
$(HOST_BUILD)/$(4)/$(1)/$(p): $(HOST_BUILD)/$(4)/$(1)/obj/$(1)/$(p).o \
		$(patsubst %.c,$(HOST_BUILD)/$(4)/$(1)/obj/%.o,$(call host-srcs,$(1))) \
		$(HOST_BUILD)/$(4)/$(1)/flags
	@echo "  HOSTLD  $$@"
	$$(Q)$(HOST_CC) $$($(3)) -o $$@ $$(filter %.o,$$^) -lcmocka -lm
)
endef

$(foreach d,$(HOST_TEST_DIRS),$(eval $(call host-kind,$(d),test,HOST_TEST_CFLAGS,test,HOST_TESTS)))
$(foreach d,$(HOST_TEST_DIRS),$(eval $(call host-kind,$(d),fuzz,HOST_FUZZ_CFLAGS,fuzz,HOST_FUZZERS)))
$(foreach d,$(HOST_TEST_DIRS),$(eval $(call host-kind,$(d),bench,HOST_BENCH_CFLAGS,bench,HOST_BENCHES)))

-include $(HOST_OBJS:.o=.d)

.PHONY: host-build fuzz-build bench-build
host-build: $(HOST_TESTS)
fuzz-build: $(HOST_FUZZERS)
bench-build: $(HOST_BENCHES)

endif
