# axalloc: global page allocator front end, TLSF heap, frame refcounts, malloc names.
obj-$(CONFIG_AXALLOC) += src/axalloc.o src/memmap.o src/heap.o src/malloc.o
obj-$(CONFIG_AXALLOC_FRAME_REFS) += src/frame_ref.o
