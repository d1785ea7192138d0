# config.mk - Kconfig (kconfig-frontends) targets and the A=apps/<x> shortcut.
#
# The configuration lives in $(O)/.config; autoconf.h and per-symbol stamps
# are generated from it in $(O)/include. `make A=apps/x <target>` uses app x:
# with no .config, `defconfig` for x makes one; a .config for another app is
# switched to x, keeping the user's other settings (scripts/switch-app).

KCONFIG_GEN := $(O)/kconfig
CONFIG := $(O)/.config
AUTOCONF := $(O)/include/autoconf.h
AUTOMK := $(O)/include/auto.mk
KCONF := KCONFIG_CONFIG=$(CONFIG) KCONFIG_GEN=$(KCONFIG_GEN) kconfig-conf
CONFIG_TARGETS := menuconfig defconfig olddefconfig savedefconfig randconfig allnoconfig alldefconfig
APPS := $(sort $(notdir $(patsubst %/Kconfig,%,$(wildcard apps/*/Kconfig))))
upper = $(shell echo '$(1)' | tr 'a-z-' 'A-Z_')

# The generated Kconfig lists follow the set of platform, app and module
# Kconfig files and the generator: KCONFIG_LISTS is remade only when one of
# them changes, so a no-op make does not run the generator.
KCONFIG_INPUTS := $(wildcard platforms/*/Kconfig platforms/*/options.Kconfig \
	apps/*/Kconfig apps/*/options.Kconfig modules/*/Kconfig)
KCONFIG_LISTS := $(KCONFIG_GEN)/lists
ifneq ($(file <$(KCONFIG_LISTS)),$(KCONFIG_INPUTS))
$(KCONFIG_LISTS): FORCE
endif
$(KCONFIG_LISTS): scripts/gen-kconfig
	$(Q)scripts/gen-kconfig $(KCONFIG_GEN)
	$(Q)echo '$(KCONFIG_INPUTS)' >$@

# The app: A=apps/<x> on the command line, else the one in .config, else hello.
ifneq ($(A),)
APP_DIR := $(patsubst %/,%,$(A))
ifeq ($(wildcard $(APP_DIR)/Kconfig),)
$(error unknown app '$(A)'; the apps are: $(addprefix apps/,$(APPS)))
endif
APP_NAME := $(notdir $(APP_DIR))
endif
CONFIG_APP_NOW := $(patsubst CONFIG_APP="%",%,$(filter CONFIG_APP="%",$(file <$(CONFIG))))
ifeq ($(APP_NAME),)
APP_NAME := $(or $(CONFIG_APP_NOW),hello)
endif

# defconfig = configs/defconfig + apps/<app>/defconfig + the app choice + $(FRAGMENT)
# (FRAGMENT: extra config fragments, used by the test runner). Every value the
# app's defconfig or FRAGMENT asks for must survive kconfig, or it fails.
.PHONY: $(CONFIG_TARGETS)
defconfig: $(KCONFIG_LISTS)
	$(Q)cat configs/defconfig $(wildcard apps/$(APP_NAME)/defconfig) $(FRAGMENT) >$(O)/defconfig.merged
	$(Q)echo "CONFIG_APP_$(call upper,$(APP_NAME))=y" >>$(O)/defconfig.merged
	$(Q)$(KCONF) --defconfig=$(O)/defconfig.merged Kconfig >$(O)/kconfig.log 2>&1 || { cat $(O)/kconfig.log; exit 1; }
	$(Q)cat $(wildcard apps/$(APP_NAME)/defconfig) $(FRAGMENT) >$(O)/defconfig.requested
	$(Q)scripts/check-config $(O)/defconfig.requested $(CONFIG)
	@echo "config: $(CONFIG) for app $(APP_NAME)"

olddefconfig allnoconfig alldefconfig: $(KCONFIG_LISTS)
	$(Q)$(KCONF) --$@ Kconfig
	@echo "config: $(CONFIG) ($@)"

# SEED picks the random configuration; the same seed gives the same .config.
# Without SEED a new one is drawn each time; it is printed either way.
randconfig: $(KCONFIG_LISTS)
	$(Q)seed=$(or $(SEED),$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')); \
	KCONFIG_SEED=$$seed $(KCONF) --randconfig Kconfig >$(O)/kconfig.log 2>&1 || { cat $(O)/kconfig.log; exit 1; }; \
	echo "config: $(CONFIG) (randconfig SEED=$$seed, app $$(sed -n 's/^CONFIG_APP="\(.*\)"/\1/p' $(CONFIG)))"

savedefconfig: $(CONFIG)
	$(Q)$(KCONF) --savedefconfig=$(O)/defconfig Kconfig
	@echo "config: minimal configuration written to $(O)/defconfig"

menuconfig: $(KCONFIG_LISTS)
	$(Q)[ -f $(CONFIG) ] || $(MAKE) --no-print-directory defconfig
	$(Q)KCONFIG_CONFIG=$(CONFIG) KCONFIG_GEN=$(KCONFIG_GEN) kconfig-mconf Kconfig

# A missing .config is made by defconfig; one for another app than A= is
# switched to it, keeping the other settings and saying what changed.
ifneq ($(CONFIG_APP_NOW),$(APP_NAME))
$(CONFIG): FORCE
endif
$(CONFIG): | $(KCONFIG_LISTS)
	$(Q)if [ -f $@ ]; then \
		KCONFIG_GEN=$(KCONFIG_GEN) scripts/switch-app $@ $(APP_NAME); \
	else \
		$(MAKE) --no-print-directory defconfig; \
	fi

# auto.mk (the configuration as make variables) and autoconf.h follow .config,
# the Kconfig files and LOG=. olddefconfig first corrects invalid values; every value it changed
# is reported on one line. auto.mk is included by the Makefile, so make
# regenerates it and restarts before it looks at any object: the per-symbol
# stamps are fresh when it does.
$(AUTOMK): $(CONFIG) $(KCONFIG_LISTS) Kconfig $(KCONFIG_INPUTS) $(O)/include/log-override
	$(Q)cp $(CONFIG) $(O)/.config.before
	$(Q)$(KCONF) --olddefconfig Kconfig >$(O)/kconfig.log 2>&1 || { cat $(O)/kconfig.log; exit 1; }
	$(Q)grep -i -e warning -e error $(O)/kconfig.log | grep -v "invalid for" | sed 's/^/config: /' || true
	$(Q)scripts/check-config --warn $(O)/.config.before $(CONFIG)
	$(Q)scripts/gen-autoconf $(CONFIG) $(O)/include $(O)/include/log-override
	$(Q)cp $(CONFIG) $@

# LOG=error|warn|info|debug|trace sets CONFIG_AXLOG_LEVEL for this build only
# (.config keeps its value); the stamp changes when LOG does.
log-level-off := 0
log-level-error := 1
log-level-warn := 2
log-level-info := 3
log-level-debug := 4
log-level-trace := 5
ifneq ($(LOG),)
ifeq ($(log-level-$(LOG)),)
$(error LOG=$(LOG) (command line): unknown log level; use one of off, error, warn, info, debug, trace)
endif
LOG_OVERRIDE := CONFIG_AXLOG_LEVEL=$(log-level-$(LOG))
endif
ifneq ($(file <$(O)/include/log-override),$(LOG_OVERRIDE))
$(O)/include/log-override: FORCE
endif
$(O)/include/log-override:
	@mkdir -p $(@D)
	$(Q)echo '$(LOG_OVERRIDE)' >$@

.PHONY: FORCE
FORCE:
