# kheap-buddy: the buddy byte heap (include/kheap-buddy/buddy.h).
obj-$(CONFIG_KHEAP_BUDDY) += src/buddy.o src/buddy_block.o src/buddy_arena.o src/buddy_run.o \
	src/buddy_check.o
