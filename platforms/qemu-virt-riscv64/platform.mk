# QEMU virt (riscv64): board code and linker script (preprocessed by build.mk).
obj-y += board.o
LDS := $(PLAT_DIR)/linker.ld.S
