obj-y += main.o bound.o report.o
# The workloads, shared with the host benchmark tests/kheap-bench (its HOST_SHARED).
obj-y += $(patsubst apps/heaptest/%.c,%.o,$(wildcard apps/heaptest/workloads/*.c))
