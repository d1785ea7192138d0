# build.mk - the kernel image: every enabled module, the platform and the app,
# compiled with clang for riscv64 and linked with ld.lld.
#
# A module/platform/app directory has a makefile fragment (module.mk,
# platform.mk, app.mk) that adds objects Linux-style, relative to itself:
#     obj-$(CONFIG_FOO) += src/foo.o
# and may add CFLAGS to `cflags-y`.

ARCH := riscv64
PLATFORM := $(patsubst "%",%,$(CONFIG_PLATFORM))
PLAT_DIR := platforms/$(PLATFORM)
ifeq ($(wildcard $(PLAT_DIR)/platform.mk),)
$(error PLATFORM=$(PLATFORM) ($(if $(filter command line,$(origin PLATFORM)),command line,CONFIG_PLATFORM in $(CONFIG))): unknown platform; the platforms are: $(notdir $(wildcard platforms/*)))
endif

CC := clang
LD := ld.lld
OBJCOPY := llvm-objcopy
MARCH := rv64gc$(if $(CONFIG_RISCV_ZBB),_zbb)

# A module's headers are on the path only when the module is enabled:
# CONFIG_<MOD> (its directory name upper-cased, '-' as '_') is y, which
# scripts/check-includes checks every module has. axlog's are there always:
# without CONFIG_AXLOG its log.h compiles every call away.
KMODULES := $(patsubst modules/%/include,%,$(wildcard modules/*/include))
kmodule-on = $(or $(filter axlog,$(1)),$(filter y,$(CONFIG_$(2))))
kmodule-include = $(if $(call kmodule-on,$(word 1,$(1)),$(word 2,$(1))),-Imodules/$(word 1,$(1))/include)
KINCLUDES := -Imodules/klib/libc \
	$(foreach m,$(join $(KMODULES:=:),$(shell echo $(KMODULES) | tr a-z- A-Z_)),$(call kmodule-include,$(subst :, ,$(m)))) \
	-I$(O)/include
KCFLAGS := --target=riscv64-unknown-elf -march=$(MARCH) -mabi=lp64d -mcmodel=medany -mno-relax \
	-ffreestanding -fno-builtin -nostdinc -isystem $(shell $(CC) -print-resource-dir)/include \
	-fno-stack-protector -fno-common -fno-pic -ffunction-sections -fdata-sections \
	-fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-std=gnu11 -O2 -g -Wall -Wextra -Werror -include $(AUTOCONF) $(KINCLUDES)

# Collect objects: $(call collect,dir,makefile) includes dir/makefile with a
# fresh obj-y and prefixes what it added with the output directory.
KOBJS :=
define collect
obj-y :=
cflags-y :=
include $(1)/$(2)
KOBJS += $$(addprefix $(O)/obj/$(1)/,$$(obj-y))
KCFLAGS += $$(cflags-y)
endef
$(foreach m,$(wildcard modules/*/module.mk),$(eval $(call collect,$(patsubst %/,%,$(dir $(m))),module.mk)))
$(eval $(call collect,$(PLAT_DIR),platform.mk))
$(eval $(call collect,apps/$(APP_NAME),app.mk))

ELF := $(O)/$(APP_NAME).elf
BIN := $(O)/$(APP_NAME).bin
OBJLIST := $(O)/objs.list

# Options that change the compiler flags of every object.
# (this file holds the flags themselves: editing it rebuilds every object)
FLAG_SYMBOLS := $(O)/include/config/CONFIG_RISCV_ZBB scripts/make/build.mk

$(O)/obj/%.o: %.c $(FLAG_SYMBOLS)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@
	$(Q)scripts/fixdep $(@:.o=.d) $(O)/include/config

$(O)/obj/%.o: %.S $(FLAG_SYMBOLS)
	@mkdir -p $(@D)
	@echo "  AS      $<"
	$(Q)$(CC) $(KCFLAGS) -D__ASSEMBLY__ -MMD -MP -c $< -o $@
	$(Q)scripts/fixdep $(@:.o=.d) $(O)/include/config

-include $(KOBJS:.o=.d)

# The platform's linker script $(LDS) (set by platform.mk) goes through the C
# preprocessor with the configuration, so it uses the platform's constants
# (CONFIG_PHYS_VIRT_OFFSET, CONFIG_KERNEL_LOAD_PA) rather than copies of them.
# Like an object, it depends on the stamps of the CONFIG_ symbols it names
# (scripts/fixdep), so it is remade only when one of them changes.
LDSCRIPT := $(O)/linker.ld

$(LDSCRIPT): $(LDS) scripts/make/build.mk
	@mkdir -p $(@D)
	@echo "  CPP     $@"
	$(Q)$(CC) -E -P -undef -x assembler-with-cpp -include $(AUTOCONF) -MMD -MP -MT $@ -MF $@.d $< -o $@
	$(Q)scripts/fixdep $@.d $(O)/include/config

-include $(LDSCRIPT).d

# The link depends on the object list, so removing a module relinks.
$(OBJLIST): FORCE
	@mkdir -p $(@D)
	$(Q)echo "$(KOBJS)" | cmp -s - $@ || echo "$(KOBJS)" >$@

$(ELF): $(KOBJS) $(LDSCRIPT) $(OBJLIST)
	@echo "  LD      $@"
	$(Q)$(LD) -T $(LDSCRIPT) --gc-sections --discard-locals -o $@ $(KOBJS)

$(BIN): $(ELF)
	@echo "  OBJCOPY $@"
	$(Q)$(OBJCOPY) -O binary $< $@

.PHONY: build size
build: $(BIN)

# Loaded sections: size in bytes, address in hex (llvm-size -A -x prints both
# in hex; awk turns the sizes back to decimal), then the text/data/bss totals.
size: $(ELF)
	$(Q)llvm-size -A -x $(ELF) | awk ' \
		function dec(h, i, v) { \
			for (i = 3; i <= length(h); i++) \
				v = v * 16 + index("0123456789abcdef", tolower(substr(h, i, 1))) - 1; \
			return v \
		} \
		NR == 1 { print; printf "%-12s %12s  %s\n", "section", "size (bytes)", "address" } \
		$$3 ~ /^0x/ { printf "%-12s %12d  %s\n", $$1, dec($$2), $$3 }'
	$(Q)llvm-size $(ELF)
