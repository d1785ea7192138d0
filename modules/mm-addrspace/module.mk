# mm-addrspace: address spaces of Linear/Alloc areas, lazy faults, huge pages,
# clone (eager copy, or copy-on-write with MM_COW), transparent huge pages (MM_THP).
obj-$(CONFIG_MM_ADDRSPACE) += src/aspace.o src/backend.o src/clone.o src/map.o \
	src/page_log.o src/populate.o src/rmap.o
obj-$(CONFIG_MM_COW) += src/cow.o
obj-$(CONFIG_MM_THP) += src/thp.o
