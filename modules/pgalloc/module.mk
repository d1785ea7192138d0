# pgalloc: the page-allocator contract, header only (include/pgalloc/pgalloc.h).
