# qemu.mk - boot the image in qemu-system-riscv64 on OpenSBI.
# MEM, SMP override the configured RAM size and hart count: make run MEM=4G SMP=2

OPENSBI := /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin
MEM ?= $(patsubst "%",%,$(CONFIG_QEMU_MEM))
SMP ?= $(CONFIG_QEMU_SMP)
comma := ,
QEMU_CPU := rv64$(if $(CONFIG_RISCV_ZBB),$(comma)zbb=true)$(if $(CONFIG_RISCV_SVPBMT),$(comma)svpbmt=true)
QEMU_ARGS = -machine virt -nographic -bios $(OPENSBI) -m $(MEM) -smp $(SMP) -cpu $(QEMU_CPU) \
	-kernel $(BIN) $(QEMU_EXTRA)

.PHONY: run debug deps
deps:
	$(Q)scripts/deps

run: deps $(BIN)
	@echo "  QEMU    $(BIN) (-m $(MEM) -smp $(SMP) -cpu $(QEMU_CPU))"
	$(Q)qemu-system-riscv64 $(QEMU_ARGS)

# QEMU waits for gdb on :1234; gdb-multiarch attaches and stops at the entry.
debug: deps $(BIN)
	$(Q)command -v gdb-multiarch >/dev/null || { echo "debug: gdb-multiarch is missing: apt-get install gdb-multiarch"; exit 1; }
	$(Q)qemu-system-riscv64 $(QEMU_ARGS) -s -S & \
	gdb-multiarch -q $(ELF) -ex 'target remote :1234' -ex 'break *0x80200000' -ex continue; \
	kill %1 2>/dev/null || true
