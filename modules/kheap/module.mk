# kheap: the byte-heap contract (include/kheap/kheap.h) and the malloc family's argument checks.
obj-$(CONFIG_KHEAP) += src/kheap.o
