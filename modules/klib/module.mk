# klib: string/memory functions, printf, stdio on the console.
obj-$(CONFIG_KLIB) += src/string.o src/printf.o src/stdio.o
