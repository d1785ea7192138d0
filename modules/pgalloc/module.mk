# pgalloc: the page-allocator contract (include/pgalloc/pgalloc.h) and the
# grouping by mobility every allocator shares.
obj-$(CONFIG_PGALLOC) += src/grouping.o
