# axalloc-buddy: buddy page allocator.
obj-$(CONFIG_AXALLOC_BUDDY) += src/buddy_alloc.o src/buddy_free.o src/buddy_range.o src/buddy_search.o src/buddy_check.o
