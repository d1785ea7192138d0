/*
 * mmap_demo.h - printing helpers of the mmap-demo app.
 */
#ifndef APPS_MMAP_DEMO_MMAP_DEMO_H
#define APPS_MMAP_DEMO_MMAP_DEMO_H

#include <klib/errname.h>
#include <mm-addrspace/aspace.h>

/* Prints every area of `as`: range, size, permissions, backend, page size. */
void demo_show_areas(const struct aspace *as);

/* Prints the space's statistics on one line. */
void demo_show_stats(const struct aspace *as);

/* Prints what aspace_query says about va (mapped to pa with flags, or the error). */
void demo_show_query(const struct aspace *as, vaddr_t va);

/* Writes "rwx"-style permissions of MAPF_READ/WRITE/EXEC into buf and returns it. */
const char *demo_perm(unsigned flags, char buf[4]);

/* "4K", "2M" or "1G". */
const char *demo_pgsize_name(uint64_t pgsize);


/* Area count of `as`. */
int demo_nr_areas(const struct aspace *as);

#endif
