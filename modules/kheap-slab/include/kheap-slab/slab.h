/*
 * kheap-slab/slab.h - the slab byte heap: size-class caches of objects in
 * page-sized slabs, with empty slabs returned to the page allocator.
 *
 * Small blocks. A block of up to SLAB_LARGEST_OBJECT bytes is an object of
 * one of SLAB_NR_CLASSES size classes, the powers of two and their
 * midpoints: 16 32 48 64 96 128 192 256 384 512 768 1024 1536. A slab is
 * one page: a 64-byte header at its start (the heap it belongs to, its
 * class, its free count and a bitmap of its free objects), then its
 * objects. Each object is aligned to the largest power of two dividing its
 * class size (48 to 16, 768 to 256, 1024 to 1024), so a request for
 * (size, align) takes the smallest class at least `size` large whose
 * objects are at least `align` aligned: kmemalign(512, 16) is a 512-byte
 * object.
 *
 * Large blocks. Any other request (more than 1536 bytes, or aligned to
 * 2048 or 4096 beyond what a class fits) gets a run of whole pages of its
 * own: a run header at the start of the first page and the block right
 * after it at the requested alignment. A 4096-aligned block therefore
 * starts on the run's second page and the header has the first page to
 * itself.
 *
 * Finding a block's header. Every block starts past a header in the same
 * page, or exactly one page past its run's header, so the header of the
 * block p is at the page holding byte p - 1: ALIGN_DOWN(p - 1, PAGE_SIZE).
 * Its first word (the heap's address xor a kind constant) says whether it
 * is a slab or a run of this heap: one load and a compare.
 *
 * Constant time. Each class keeps its partial slabs (some objects live,
 * some free) on a list, and its full ones on another; alloc takes the first
 * partial slab and its lowest free bit (at most 4 bitmap words), free sets
 * the bit back and moves the slab between lists when it turns partial or
 * empty. Nothing walks the slabs: alloc and free cost the same with one
 * slab or a million, in any order of frees.
 *
 * Pages kept. A slab whose last object is freed goes back to the page
 * source at once, except that the heap keeps ONE empty slab, the spare (of
 * whichever class), for the next new slab any class needs. A run's pages go
 * back when its block is freed, and a run shrunk in place gives back the
 * pages past its new end. So once every block is freed the heap holds at
 * most SLAB_KEPT_PAGES = 1 page. All bookkeeping is in the headers, inside
 * the pages held: meta_bytes is 0.
 *
 * Bad frees. kheap_free(p) reads the header page of p (above). When that
 * page is a slab or a run of this heap, every bad p is detected and the
 * heap is left unchanged:
 *   -EINVAL  p not 16-aligned; p in a slab but not at an object's start
 *            (inside the header, inside an object, in the tail past the
 *            last object); p in a run but not its block's start; p whose
 *            header page is no header of this heap (another heap's block,
 *            a page of a run's data: a page-aligned p inside a run).
 *   -ENOENT  p an object of a slab the heap holds (the spare included)
 *            that is already free.
 * Undefined: p whose header page the heap does not hold and that is not
 * readable (memory given back: a second free of a large block, or of an
 * object whose slab went back to the page source; a page-aligned p whose
 * page before is not the heap's); and a page whose first word happens to
 * equal this heap's header word (user data forging a header).
 *
 * The heap does no locking (the caller does, see kheap/kheap.h).
 */
#ifndef KHEAP_SLAB_SLAB_H
#define KHEAP_SLAB_SLAB_H

#include <kheap/kheap.h>
#include <klib/list.h>
#include <stdint.h>

/* The number of size classes and the largest one: larger blocks are runs. */
#define SLAB_NR_CLASSES	    13
#define SLAB_LARGEST_OBJECT 1536

/* The most pages the heap holds once every block is freed: the spare slab. */
#define SLAB_KEPT_PAGES 1

struct slab;

/* The state of one slab heap (slab_kheap_ops.state_size bytes). */
struct slab_kheap {
	struct kheap heap;
	struct list_head partial[SLAB_NR_CLASSES]; /* slabs with live and free objects */
	struct list_head full[SLAB_NR_CLASSES];	   /* slabs with no free object */
	struct list_head runs;			   /* the run of every large block */
	struct slab *spare;			   /* the one empty slab kept, or NULL */
	uint64_t pages;				   /* pages held from the page source */
	uint64_t live;				   /* live blocks */
	uint64_t used_bytes;			   /* their usable bytes */
};

/* The slab heap ("slab"): a struct slab_kheap behind the kheap contract. */
extern const struct kheap_ops slab_kheap_ops;

#endif
