# config.mk - Kconfig (kconfig-frontends) targets and the A=apps/<x> shortcut.
#
# The configuration lives in $(O)/.config; autoconf.h and per-symbol stamps
# are generated from it in $(O)/include. `make A=apps/x <target>` uses app x:
# when the current .config has another app (or none), it is regenerated with
# `defconfig` for x first.

KCONFIG_GEN := build/kconfig
CONFIG := $(O)/.config
AUTOCONF := $(O)/include/autoconf.h
AUTOMK := $(O)/include/auto.mk
KCONF := KCONFIG_CONFIG=$(CONFIG) kconfig-conf
CONFIG_TARGETS := menuconfig defconfig olddefconfig savedefconfig randconfig allnoconfig alldefconfig
APPS := $(sort $(notdir $(patsubst %/Kconfig,%,$(wildcard apps/*/Kconfig))))

# The generated Kconfig lists must exist before kconfig reads ./Kconfig.
$(shell scripts/gen-kconfig $(KCONFIG_GEN))

ifneq ($(A),)
APP_DIR := $(patsubst %/,%,$(A))
ifeq ($(wildcard $(APP_DIR)/Kconfig),)
$(error unknown app '$(A)'; the apps are: $(addprefix apps/,$(APPS)))
endif
APP_NAME := $(notdir $(APP_DIR))
endif

# The app of the current .config, if any (CONFIG_APP="name").
CONFIG_APP_NOW := $(patsubst "%",%,$(shell sed -n 's/^CONFIG_APP=//p' $(CONFIG) 2>/dev/null))
ifeq ($(APP_NAME),)
APP_NAME := $(or $(CONFIG_APP_NOW),hello)
endif
APP_SYM := CONFIG_APP_$(shell echo $(APP_NAME) | tr 'a-z-' 'A-Z_')

# defconfig = configs/defconfig + apps/<app>/defconfig + the app choice + $(FRAGMENT)
# (FRAGMENT: extra config fragments, used by the test runner). Every value the
# app's defconfig or FRAGMENT asks for must survive kconfig, or it fails.
.PHONY: $(CONFIG_TARGETS)
defconfig:
	$(Q)mkdir -p $(O)
	$(Q)cat configs/defconfig $(wildcard apps/$(APP_NAME)/defconfig) $(FRAGMENT) >$(O)/defconfig.merged
	$(Q)echo "$(APP_SYM)=y" >>$(O)/defconfig.merged
	$(Q)$(KCONF) --defconfig=$(O)/defconfig.merged Kconfig >$(O)/kconfig.log 2>&1 || { cat $(O)/kconfig.log; exit 1; }
	$(Q)cat $(wildcard apps/$(APP_NAME)/defconfig) $(FRAGMENT) >$(O)/defconfig.requested
	$(Q)scripts/check-config $(O)/defconfig.requested $(CONFIG)
	@echo "config: $(CONFIG) for app $(APP_NAME)"

olddefconfig allnoconfig alldefconfig:
	$(Q)mkdir -p $(O)
	$(Q)$(KCONF) --$@ Kconfig
	@echo "config: $(CONFIG) ($@)"

# SEED picks the random configuration; the same seed gives the same .config.
randconfig:
	$(Q)mkdir -p $(O)
	$(Q)KCONFIG_SEED=$(or $(SEED),$$RANDOM) $(KCONF) --randconfig Kconfig | sed -n 's/^KCONFIG_SEED=/config: randconfig seed /p'

savedefconfig: $(CONFIG)
	$(Q)$(KCONF) --savedefconfig=$(O)/defconfig Kconfig
	@echo "config: minimal configuration written to $(O)/defconfig"

menuconfig: deps
	$(Q)[ -f $(CONFIG) ] || $(MAKE) --no-print-directory defconfig
	$(Q)KCONFIG_CONFIG=$(CONFIG) kconfig-mconf Kconfig

# A missing .config, or one for another app than A=, is made by defconfig.
ifneq ($(CONFIG_APP_NOW),$(APP_NAME))
$(CONFIG): FORCE
endif
$(CONFIG):
	$(Q)$(MAKE) --no-print-directory defconfig

# auto.mk (the configuration as make variables) and autoconf.h follow .config;
# olddefconfig first corrects invalid values, reporting each. auto.mk is
# included by the Makefile, so make regenerates it and restarts before it
# looks at any object: the per-symbol stamps are fresh when it does.
$(AUTOMK): $(CONFIG)
	$(Q)$(KCONF) --olddefconfig Kconfig >$(O)/kconfig.log 2>&1 || { cat $(O)/kconfig.log; exit 1; }
	$(Q)grep -i -e warning -e error $(O)/kconfig.log | sed 's/^/config: /' || true
	$(Q)scripts/gen-autoconf $(CONFIG) $(O)/include
	$(Q)cp $(CONFIG) $@

.PHONY: FORCE
FORCE:
