# Top-level Makefile: a thin entry point; the rules live in scripts/make/*.mk.
# `make help` lists the targets.

O ?= build
BUILD := $(O)
export BUILD
V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif

.DEFAULT_GOAL := all

# Before anything else, the host gets what the goals need (scripts/deps
# installs missing Debian packages): the configuration is made while make
# reads this file, so a prerequisite would come too late.
ifeq ($(DEPS_CHECKED),)
$(shell scripts/deps $(or $(MAKECMDGOALS),all) >&2)
ifneq ($(.SHELLSTATUS),0)
$(error the host is missing tools (above))
endif
export DEPS_CHECKED := 1
endif

.PHONY: all
all: build

# Goals that need a configuration (and the image's rules).
BUILD_GOALS := all build run debug size compile_commands.json qemu-cmd
# Config goals mixed with build goals (make A=apps/x defconfig run) run one
# after the other, each in its own make.
ifneq ($(filter menuconfig defconfig olddefconfig savedefconfig randconfig allnoconfig alldefconfig,$(MAKECMDGOALS)),)
ifneq ($(filter $(BUILD_GOALS),$(MAKECMDGOALS)),)
SEQUENTIAL := 1
endif
endif

ifeq ($(SEQUENTIAL),1)
$(MAKECMDGOALS): sequential ; @:
.PHONY: sequential
sequential:
	$(Q)for goal in $(MAKECMDGOALS); do $(MAKE) --no-print-directory $$goal || exit; done
else
include scripts/make/config.mk
ifneq ($(filter $(BUILD_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(AUTOMK)
# (on the first pass auto.mk does not exist yet: make creates it and restarts)
ifneq ($(wildcard $(AUTOMK)),)
include scripts/make/build.mk
endif
endif
include scripts/make/qemu.mk
include scripts/make/host.mk
include scripts/make/test.mk
include scripts/make/bench.mk
include scripts/make/misc.mk
endif
