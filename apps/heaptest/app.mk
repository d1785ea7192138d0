obj-y += main.o kalloc.o bound.o report.o
obj-$(CONFIG_HEAPTEST_WARM_UP) += warmup.o
# The workloads, shared with the host benchmark tests/kheap-bench (its HOST_SHARED).
obj-y += $(patsubst apps/heaptest/%.c,%.o,$(wildcard apps/heaptest/workloads/*.c))
