# page-table: Sv39 page tables with 4K/2M/1G leaves.
obj-$(CONFIG_PAGE_TABLE) += src/pt_args.o src/pt_map.o src/pt_op.o src/pt_protect.o src/pt_resize.o src/pt_table.o src/pt_unmap.o src/pt_walk.o
