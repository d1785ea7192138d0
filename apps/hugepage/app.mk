obj-y += main.o measure.o report.o
obj-$(CONFIG_HUGEPAGE_WARM_UP) += warmup.o
