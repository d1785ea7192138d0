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
 * Large blocks. Any other request (more than 1536 bytes, or more aligned
 * than every class large enough for it: 1100 bytes aligned to 1024, any
 * 2048- or 4096-aligned one) gets a run of whole pages of its own: a run
 * header at the start of the first page and the block right after it at
 * the requested alignment. A 4096-aligned block therefore starts on the
 * run's second page: the header costs it a page of its own.
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
 * Bad frees. kheap_free(p) reads the first word of p's header page (see
 * above) and, when that is a slab or a run of this heap, its header. It
 * detects these, leaving the heap unchanged:
 *   -EINVAL  p not 16-aligned; p's header page no slab or run of this heap
 *            (another heap's block, p inside a run's data past its first
 *            page, any other readable memory); p in a slab but not at an
 *            object's start (in the header, inside an object, in the tail
 *            past the last object, the page start of the next page); p in
 *            a run but not its block's start.
 *   -ENOENT  p an object, already free, of a slab the heap holds (the
 *            spare included).
 * kheap_live_size(p) makes the same checks without freeing: 0 for these.
 * Undefined: a second free of a block whose page has gone back to the page
 * source (any large block's; an object's whose slab was given back): that
 * page may be unreadable, or the heap's again and the free then hits what
 * lives there now. Also a p whose header page is not readable memory (a
 * page-aligned p after an unmapped page), and one whose header page's
 * first word happens to equal this heap's header word (user data forging
 * a header).
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
