# kheap-slab: the slab byte heap (include/kheap-slab/slab.h).
obj-$(CONFIG_KHEAP_SLAB) += src/slab.o src/slab_object.o src/slab_run.o src/slab_check.o
