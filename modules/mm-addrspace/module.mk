# mm-addrspace: address spaces of Linear/Alloc areas, lazy faults, huge pages.
obj-$(CONFIG_MM_ADDRSPACE) += src/area_tree.o src/aspace.o src/backend.o src/map.o src/populate.o
