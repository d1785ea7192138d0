# kheap-tlsf: the TLSF byte heap, with pages of small objects.
obj-$(CONFIG_KHEAP_TLSF) += src/tlsf.o src/tlsf_small.o
