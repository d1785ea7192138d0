# axalloc: global page allocator front end, TLSF heap, frame refcounts, malloc names.
obj-$(CONFIG_AXALLOC) += src/axalloc.o src/memmap.o src/heap.o src/frame_ref.o src/malloc.o
