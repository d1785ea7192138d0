# axalloc-bitmap: hierarchical bitmap page allocator.
obj-$(CONFIG_AXALLOC_BITMAP) += src/bitmap.o src/bitmap_stats.o src/bitmap_check.o
