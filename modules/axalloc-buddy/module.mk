# axalloc-buddy: buddy page allocator (buddy_check.c is for tests).
obj-$(CONFIG_AXALLOC_BUDDY) += src/buddy_alloc.o src/buddy_free.o src/buddy_range.o src/buddy_search.o
obj-test += src/buddy_check.o
