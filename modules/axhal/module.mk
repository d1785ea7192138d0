# axhal: riscv64 boot, traps, SBI, console, timer, TLB; portable FDT reader.
obj-$(CONFIG_AXHAL) += src/riscv64/entry.o src/riscv64/boot.o src/riscv64/trap.o \
	src/riscv64/trap_entry.o src/riscv64/sbi.o src/riscv64/console.o src/riscv64/time.o \
	src/riscv64/mem.o src/riscv64/panic.o src/riscv64/backtrace.o src/fdt.o
