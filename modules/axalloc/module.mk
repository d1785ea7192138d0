# axalloc: global page allocator front end, compaction, memory-map picture, TLSF heap, frame refcounts, malloc names.
obj-$(CONFIG_AXALLOC) += src/axalloc.o src/block_map.o src/compact.o src/memmap.o src/heap.o src/heap_front.o src/malloc.o src/touch_pages.o
obj-$(CONFIG_AXALLOC_FRAME_REFS) += src/frame_ref.o
