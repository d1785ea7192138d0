# QEMU virt (riscv64): board code and linker script.
obj-y += board.o
LDSCRIPT := $(PLAT_DIR)/linker.ld
