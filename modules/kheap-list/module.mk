# kheap-list: the first-fit and best-fit list heaps (include/kheap-list/list.h).
obj-$(CONFIG_KHEAP_LIST) += src/list.o src/list_fit.o src/list_block.o src/list_chunk.o \
	src/list_free.o src/list_resize.o src/list_stats.o src/list_check.o
