# klib: string/memory functions, printf, stdio on the console, measurement spreads.
obj-$(CONFIG_KLIB) += src/string.o src/printf.o src/stdio.o src/spread.o
