# qemu.mk - boot the image in qemu-system-riscv64 on OpenSBI.
# MEM, SMP override the configured RAM size and hart count: make run MEM=4G SMP=2

OPENSBI := /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
comma := ,
QEMU_CPU := rv64$(if $(CONFIG_RISCV_ZBB),$(comma)zbb=true)$(if $(CONFIG_RISCV_SVPBMT),$(comma)svpbmt=true)

# The machine (scripts/qemu-machine): MEM= and SMP= from the command line or
# the configuration, checked against what the app declares it needs; a bad
# value stops make here, in one line, before anything is built or booted.
# (Checked once auto.mk is fresh: a stale one is remade and make restarts.)
MACHINE_GOALS := run debug qemu-cmd
ifneq ($(filter $(MACHINE_GOALS),$(MAKECMDGOALS)),)
ifeq ($(CONFIG_APP_NOW),$(APP_NAME))
ifneq ($(shell for f in $(CONFIG) Kconfig $(KCONFIG_INPUTS); do [ $(AUTOMK) -nt $$f ] || exit; done; echo fresh),)
MACHINE := $(shell scripts/qemu-machine $(AUTOMK) \
	'$(if $(filter command line,$(origin MEM)),$(MEM),$(patsubst "%",%,$(CONFIG_QEMU_MEM)))' \
	'$(if $(filter command line,$(origin MEM)),command line,CONFIG_QEMU_MEM in $(CONFIG))' \
	'$(if $(filter command line,$(origin SMP)),$(SMP),$(CONFIG_QEMU_SMP))' \
	'$(if $(filter command line,$(origin SMP)),command line,CONFIG_QEMU_SMP in $(CONFIG))')
ifneq ($(.SHELLSTATUS),0)
$(error $(MACHINE))
endif
endif
endif
endif
# (MEM and SMP as the user gave them; these are what QEMU gets)
MACHINE_MEM := $(word 1,$(MACHINE))
MACHINE_SMP := $(word 2,$(MACHINE))
# RAM comes from a backend without reservation: a guest larger than the
# host's free memory boots, and only the pages it touches cost host RAM.
QEMU_ARGS = -machine virt,memory-backend=ram -nographic -bios $(OPENSBI) \
	-object memory-backend-ram,id=ram,size=$(MACHINE_MEM),reserve=off \
	-m $(MACHINE_MEM) -smp $(MACHINE_SMP) \
	-cpu $(QEMU_CPU) -kernel $(BIN) $(QEMU_EXTRA)

.PHONY: run debug deps
# The Makefile has already installed what every goal needs (scripts/deps).
deps: ; @:

# The console output goes through scripts/symbolize (function and file:line
# on backtrace lines); make's status is QEMU's.
run: $(BIN)
	@echo "  QEMU    $(BIN) (-m $(MACHINE_MEM) -smp $(MACHINE_SMP) -cpu $(QEMU_CPU))"
	$(Q)bash -o pipefail -c 'qemu-system-riscv64 $(QEMU_ARGS) | scripts/symbolize $(ELF)'

# gdb-multiarch attaches to the halted QEMU, loads scripts/gdb/kernel.py and
# stops at main (scripts/debug: Ctrl-C interrupts the guest, quitting gdb
# ends QEMU).
debug: $(BIN)
	$(Q)scripts/debug $(ELF) -- qemu-system-riscv64 $(QEMU_ARGS)
