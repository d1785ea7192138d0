# kheap-tlsf: the TLSF byte heap.
obj-$(CONFIG_KHEAP_TLSF) += src/tlsf.o
