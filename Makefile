# Top-level Makefile: a thin entry point; the rules live in scripts/make/*.mk.
# `make help` lists the targets.

O ?= build
BUILD := build
V ?= 0
ifeq ($(V),1)
Q :=
else
Q := @
endif

.DEFAULT_GOAL := all
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
