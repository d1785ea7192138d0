# axalloc-bitmap: hierarchical bitmap page allocator (bitmap_check.c is for tests).
obj-$(CONFIG_AXALLOC_BITMAP) += src/bitmap.o src/bitmap_stats.o
obj-test += src/bitmap_check.o
