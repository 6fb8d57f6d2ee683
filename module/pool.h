/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: Pool interface
 *
 * The page-frame pool: the bottom layer of shmpool, and what the layers
 * above it use of it - frames by order, the accounts they are charged to,
 * the callbacks that let the pool ask for frames back (reclaim) or moved
 * (compaction), and the windows on its state.  See "The page-frame pool"
 * in pool.c for the design and Documentation/design.rst for the picture;
 * pool_internal.h holds what only the pool's own files share.
 */
#ifndef _SHMPOOL_POOL_H
#define _SHMPOOL_POOL_H

#include <linux/bits.h>
#include <linux/gfp.h>
#include <linux/mm_types.h>
#include <linux/types.h>

/* Largest buddy order the pool hands out: 2^9 frames, 2 MiB with 4 KiB pages. */
#define SHMPOOL_MAX_ORDER	9
#define SHMPOOL_NR_ORDERS	(SHMPOOL_MAX_ORDER + 1)
/* Frames in a block of that order: what a huge segment maps by one PMD. */
#define SHMPOOL_BLOCK_NR	BIT(SHMPOOL_MAX_ORDER)

/* KiB, as module parameters give sizes, in whole frames (rounded down). */
static inline unsigned long shmpool_kb_to_frames(unsigned long kb)
{
	return kb / (PAGE_SIZE / 1024);
}

/**
 * struct shmpool_pool_params - the pool's limits, in frames
 * @init: frames taken from the kernel at load
 * @min: the pool never gives back memory below this many frames
 * @max: the pool never holds more than this many frames
 * @low: fewer free frames than this make the pool grow (in the background)
 * @high: more free frames than this make the pool give memory back
 */
struct shmpool_pool_params {
	unsigned long init;
	unsigned long min;
	unsigned long max;
	unsigned long low;
	unsigned long high;
};

/* The state of one frame as the memory map shows it. */
enum shmpool_frame_state {
	SHMPOOL_FRAME_FREE,	/* in a buddy free list, zeroed */
	SHMPOOL_FRAME_PCP,	/* in a per-CPU cache, zeroed */
	SHMPOOL_FRAME_USED,	/* handed out */
	SHMPOOL_FRAME_LENT,	/* still referenced when freed: the kernel's now */
	SHMPOOL_FRAME_ISOLATED,	/* free, held out of the lists by compaction */
	SHMPOOL_FRAME_NR_STATES,
};

/* The name the memory map and the auditor give a frame state. */
static inline const char *shmpool_frame_state_name(u8 state)
{
	static const char *const names[SHMPOOL_FRAME_NR_STATES] = {
		[SHMPOOL_FRAME_FREE] = "free",
		[SHMPOOL_FRAME_PCP] = "pcp",
		[SHMPOOL_FRAME_USED] = "used",
		[SHMPOOL_FRAME_LENT] = "lent",
		[SHMPOOL_FRAME_ISOLATED] = "isolated",
	};

	return state < SHMPOOL_FRAME_NR_STATES ? names[state] : "?";
}

/*
 * What a used frame is to reclaim, as its holder says (and the memory map
 * shows): every used frame of a segment is swappable, purgeable or pinned.
 */
enum shmpool_frame_use {
	SHMPOOL_USE_NONE,	/* nothing said: not a segment's frame */
	SHMPOOL_USE_SWAPPABLE,	/* reclaim may swap it out */
	SHMPOOL_USE_PURGEABLE,	/* reclaim may drop it: its range is unpinned */
	SHMPOOL_USE_PINNED,	/* stays: never swapped, or pinned for DMA */
	SHMPOOL_USE_NR,
};

/* Owner recorded for frames the pool hands out without a segment. */
#define SHMPOOL_OWNER_NONE	0

/*
 * The pool's statistics, in the order debugfs's pool/stats lists them, as
 * mm/vmstat.c's items are: one index per line, each named by
 * shmpool_pool_stat_names[] and described in Documentation/debugfs.rst.
 * The first ones are states (what the pool holds now), then one entry per
 * order for the free blocks, the fragmentation index and the allocations
 * and frees of each order, then event counters since load (and the lent
 * frames still held, after the frames lent).
 */
enum shmpool_pool_stat {
	SHMPOOL_STAT_FRAMES,
	SHMPOOL_STAT_FREE,
	SHMPOOL_STAT_PCP,
	SHMPOOL_STAT_USED,
	SHMPOOL_STAT_CHUNKS,
	SHMPOOL_STAT_CHARGED,
	SHMPOOL_STAT_CHARGED_FREE,
	SHMPOOL_STAT_ACCOUNTS,
	SHMPOOL_STAT_LIMIT_MIN,
	SHMPOOL_STAT_LIMIT_MAX,
	SHMPOOL_STAT_WATERMARK_LOW,
	SHMPOOL_STAT_WATERMARK_HIGH,
	SHMPOOL_STAT_POOL_KB,
	/* Each of these four is SHMPOOL_NR_ORDERS entries, order 0 first. */
	SHMPOOL_STAT_FREE_BLOCKS,
	/* x1000, signed: read with shmpool_stat_frag_index() */
	SHMPOOL_STAT_FRAG_INDEX = SHMPOOL_STAT_FREE_BLOCKS + SHMPOOL_NR_ORDERS,
	SHMPOOL_STAT_ALLOCS = SHMPOOL_STAT_FRAG_INDEX + SHMPOOL_NR_ORDERS,
	SHMPOOL_STAT_FREES = SHMPOOL_STAT_ALLOCS + SHMPOOL_NR_ORDERS,
	SHMPOOL_STAT_ALLOC_FAILURES = SHMPOOL_STAT_FREES + SHMPOOL_NR_ORDERS,
	SHMPOOL_STAT_PCP_HITS,
	SHMPOOL_STAT_PCP_MISSES,
	SHMPOOL_STAT_PCP_REFILLS,
	SHMPOOL_STAT_PCP_DRAINS,
	SHMPOOL_STAT_GROWS,
	SHMPOOL_STAT_GROW_FAILURES,
	SHMPOOL_STAT_FRAMES_GROWN,
	SHMPOOL_STAT_SHRINKS,
	SHMPOOL_STAT_FRAMES_RETURNED,
	SHMPOOL_STAT_RECLAIM_SCANS,
	SHMPOOL_STAT_RECLAIM_FRAMES,
	SHMPOOL_STAT_BG_RECLAIM_RUNS,
	SHMPOOL_STAT_BG_RECLAIM_FRAMES,
	SHMPOOL_STAT_FRAMES_LENT,
	SHMPOOL_STAT_LENT_HELD,
	SHMPOOL_STAT_FRAMES_CLEARED,
	SHMPOOL_STAT_CLEARS_SAVED,
	SHMPOOL_STAT_COMPACT_RUNS,
	SHMPOOL_STAT_COMPACT_MOVED,
	SHMPOOL_STAT_COMPACT_FAILED,
	SHMPOOL_STAT_COMPACT_NS,
	SHMPOOL_STAT_NR,
};

/* The name of each enum shmpool_pool_stat, as pool/stats shows it. */
extern const char *const shmpool_pool_stat_names[SHMPOOL_STAT_NR];

/**
 * struct shmpool_pool_stats - a snapshot of the pool's counters
 * @val: the value of each enum shmpool_pool_stat
 *
 * Gathered by shmpool_pool_get_stats() from the pool's lock-protected state
 * and the per-CPU counters.
 */
struct shmpool_pool_stats {
	u64 val[SHMPOOL_STAT_NR];
};

/* Is @item one of the fragmentation indices (shmpool_stat_frag_index())? */
static inline bool shmpool_stat_is_frag_index(unsigned int item)
{
	return item >= SHMPOOL_STAT_FRAG_INDEX &&
	       item < SHMPOOL_STAT_FRAG_INDEX + SHMPOOL_NR_ORDERS;
}

/* The fragmentation index of @order, x1000; -1000: a block is free. */
static inline int shmpool_stat_frag_index(const struct shmpool_pool_stats *st,
					  unsigned int order)
{
	return (int)(s64)st->val[SHMPOOL_STAT_FRAG_INDEX + order];
}

/**
 * struct shmpool_compact_result - what one compaction did
 * @frag_before: order-9 fragmentation index before, x1000 (-1000: a free
 *               order-9 block existed)
 * @frag_after: the same after
 * @moved: frames moved
 * @failed: frames that could not be moved (pinned, busy, not found)
 * @ns: how long it took
 */
struct shmpool_compact_result {
	int frag_before;
	int frag_after;
	unsigned long moved;
	unsigned long failed;
	u64 ns;
};

/*
 * Move the used order-0 frame @page, owned by @owner, to a new frame and
 * free it.  Registered by the segment layer; 0 or a negative errno.
 */
typedef int (*shmpool_migrate_t)(struct page *page, u32 owner);

/*
 * Free up to @want used frames (by swapping their contents out), for the
 * pool's background reclaim; returns the frames freed.  Registered by the
 * segment layer; called from a work item.
 */
typedef unsigned long (*shmpool_reclaim_t)(unsigned long want);

int shmpool_pool_init(const struct shmpool_pool_params *params);
void shmpool_pool_exit(void);

struct shmpool_account;

struct shmpool_account *shmpool_account_get(void);
void shmpool_account_put(struct shmpool_account *acct);

struct page *shmpool_alloc_frames(struct shmpool_account *acct,
				  unsigned int order, gfp_t gfp, u32 owner);
void shmpool_free_frames(struct page *page, unsigned int order);
void shmpool_free_zeroed_frames(struct page *page, unsigned int order);
void shmpool_split_frames(struct page *page, unsigned int order,
			  enum shmpool_frame_use use);
void shmpool_pool_drain(void);
void shmpool_frame_set_use(struct page *page, enum shmpool_frame_use use);
void shmpool_pool_set_migrate(shmpool_migrate_t migrate);
void shmpool_pool_set_reclaim(shmpool_reclaim_t reclaim);
int shmpool_pool_compact(struct shmpool_compact_result *res);

void shmpool_pool_get_stats(struct shmpool_pool_stats *st);
unsigned long shmpool_pool_available(void);
unsigned long shmpool_pool_reserve_free(void);
bool shmpool_pool_plenty(unsigned long nr);
unsigned int shmpool_pool_pcp_count(unsigned int cpu);
void shmpool_pool_cpu_stats(unsigned int cpu, u64 *allocs, u64 *hits,
			    u64 *misses);

/**
 * struct shmpool_extent - one run of frames in the memory map
 * @pfn: first frame of the run
 * @nr: number of frames in the run
 * @state: enum shmpool_frame_state of every frame in it
 * @order: order of the block the run starts (free and used runs)
 * @owner: owner of every frame in it
 * @use: enum shmpool_frame_use of every frame in it (used runs)
 */
struct shmpool_extent {
	unsigned long pfn;
	unsigned long nr;
	u8 state;
	u8 order;
	u8 use;
	u32 owner;
};

int shmpool_pool_map_next(unsigned long *pos, struct shmpool_extent *ext);
unsigned long shmpool_pool_owned(u32 owner);
void shmpool_frame_get(struct page *page, u8 *state, u32 *owner);
unsigned long shmpool_pool_free_mapped(void);
#if IS_ENABLED(CONFIG_FAULT_INJECTION)
void shmpool_frame_set_owner(struct page *page, u32 owner);
#endif

#if IS_ENABLED(CONFIG_KUNIT)
int shmpool_frag_index(const unsigned long *nr_blocks, unsigned int order);
#endif

#endif /* _SHMPOOL_POOL_H */
