# axruntime: init order, banner, main().
obj-$(CONFIG_AXRUNTIME) += src/runtime.o src/init_memory.o
obj-$(CONFIG_PAGE_TABLE) += src/kernel_space.o
