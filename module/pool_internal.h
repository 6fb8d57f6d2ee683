/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the pool's files share, and nothing outside them sees: the frame
 * table, chunks, buddy areas, accounts, per-CPU caches and the pool itself,
 * with the helpers every one of them uses.  The other layers use pool.h.
 *
 *   pool.c          the buddy allocator, per-CPU caches, allocation and
 *                   free, set-up and teardown
 *   pool_grow.c     growth, give-back, the shrinker, background reclaim
 *                   and lent frames
 *   pool_account.c  accounts: frames charged to memory cgroups
 *   pool_compact.c  compaction and the fragmentation index
 *   pool_stats.c    statistics and the memory map's readers
 */
#ifndef _SHMPOOL_POOL_INTERNAL_H
#define _SHMPOOL_POOL_INTERNAL_H

#include <linux/list.h>
#include <linux/local_lock.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/shrinker.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "pool.h"

/* Frames moved between a per-CPU cache and the buddy lists at a time. */
#define SHMPOOL_PCP_BATCH	32
/* A per-CPU cache holding more than this is drained by one batch. */
#define SHMPOOL_PCP_HIGH	(4 * SHMPOOL_PCP_BATCH)

/*
 * Order of the chunks charged to a cgroup: small, because a partly used
 * chunk bills its cgroup for all of it (at most 60 KiB too much per
 * chunk), and large enough that growing is not per fault.
 */
#define SHMPOOL_ACCOUNT_ORDER	4

/* shmpool_frame.order of a frame that does not head a block. */
#define SHMPOOL_ORDER_TAIL	0xff

/*
 * One frame of the memory map: 8 bytes per 4 KiB frame.
 * @owner (4 bytes): who holds the frame (a segment id once segments exist).
 * @state (1 byte): enum shmpool_frame_state.
 * @order (1 byte): order of the block this frame heads, or
 *                  SHMPOOL_ORDER_TAIL inside a block.
 * @__pad (2 bytes): keeps the entry 8 bytes and naturally aligned.
 *
 * Written under pool.lock for free frames, under the per-CPU lock for
 * cached ones, and by the holder for used ones; the map reader reads them
 * with READ_ONCE() and may see a frame mid-transition, never a torn field.
 */
struct shmpool_frame {
	u32 owner;
	u8 state;
	u8 order;
	u8 use;		/* enum shmpool_frame_use: the holder's to set */
	u8 __pad;
};

/*
 * A buddy allocator's free lists: the pool's reserve has one, and so has
 * every account.  Under pool.lock.
 */
struct shmpool_area {
	struct list_head free_area[SHMPOOL_NR_ORDERS];
	unsigned long nr_blocks[SHMPOOL_NR_ORDERS];
	unsigned long nr_free;		/* frames in the lists */
};

/*
 * Frames charged to one memory cgroup (see "Pool accounting" in
 * pool_account.c).  Owned by the pool, on pool.accounts while referenced:
 * each segment charged to it holds a reference (shmpool_account_get/put)
 * and so does each of its chunks; all under pool.lock.  @grow_lock
 * serialises the account's growth (which may reclaim inside its cgroup)
 * without holding up anyone else's.
 */
struct shmpool_account {
	struct list_head node;
	struct shmpool_area area;
	struct mem_cgroup *memcg;	/* a css reference */
	unsigned long refs;
	struct mutex grow_lock;		/* see above */
};

/*
 * A chunk: one block the pool took from the kernel.  Owned by the pool; on
 * pool.chunks (sorted by pfn, under pool.lock) from the moment its frames
 * enter the free lists until it is given back whole.  @acct is the account
 * it is charged to, NULL for the reserve; fixed for the chunk's life.
 */
struct shmpool_chunk {
	struct list_head node;
	struct rcu_head rcu;
	unsigned long base_pfn;
	unsigned int order;
	bool isolated;			/* being compacted; under pool.lock */
	struct shmpool_account *acct;
	struct shmpool_frame frames[];
};

/*
 * One CPU's cache of zeroed order-0 frames, most recently freed on top;
 * see "Pool fast path" in pool.c.
 */
struct shmpool_pcp {
	local_lock_t lock;		/* protects pages and count */
	unsigned int count;
	/* Queued on this CPU by shmpool_pool_drain() to drain this cache. */
	struct work_struct drain_work;
	/* A free may push one past HIGH before the drain. */
	struct page *pages[SHMPOOL_PCP_HIGH + 1];
};

/*
 * Per-CPU event counters, bumped with this_cpu_inc(): no shared line.  Only
 * the fast paths' events are counted here (allocations and frees by order,
 * the caches' hits, misses, refills and drains, clears); the others are
 * pool.events'.
 */
struct shmpool_pcp_stats {
	u64 ev[SHMPOOL_STAT_NR];
};

/*
 * The pool: one, defined in pool.c, shared by its files.  What each lock
 * protects is in "Pool locks" (pool.c).
 */
struct shmpool_pool {
	spinlock_t lock;		/* see "Pool locks" in pool.c */
	struct shmpool_area area;	/* the reserve's buddy lists */
	struct list_head chunks;
	unsigned long nr_chunks;
	unsigned long nr_frames;	/* frames the pool holds, charged or not */
	struct list_head accounts;
	unsigned long nr_accounts;
	unsigned long nr_charged;	/* frames in charged chunks */

	/*
	 * Counters of rare events, under @lock: growth, give-back, reclaim,
	 * lending and compaction (enum shmpool_pool_stat).
	 */
	u64 events[SHMPOOL_STAT_NR];
	/*
	 * Lent frames others still hold, linked through page->lru (nothing
	 * else uses it: they are on no list of the kernel's), and how many;
	 * under @lock.  @lent_work clears and lets go those no longer held.
	 */
	struct list_head lent;
	unsigned long nr_lent_held;
	struct delayed_work lent_work;

	struct mutex grow_lock;		/* see "Pool locks" in pool.c */
	/* One compaction at a time; protects @migrate. */
	struct mutex compact_lock;
	shmpool_migrate_t migrate;
	/*
	 * Background reclaim: the callback, set and cleared (which waits
	 * for @reclaim_work) by the segment layer; @reclaim_after, in
	 * jiffies, holds the watermark check's runs off after one that
	 * freed nothing, and @reclaim_retries (the work's own) counts the
	 * retries the work queued itself since.
	 */
	shmpool_reclaim_t reclaim;
	struct delayed_work reclaim_work;
	unsigned long reclaim_after;
	unsigned int reclaim_retries;
	struct shmpool_pool_params params;	/* fixed after init */
	struct shmpool_pcp __percpu *pcp;
	struct shmpool_pcp_stats __percpu *stats;
	struct work_struct balance_work;
	/* Runs the per-CPU drains; may be waited for from reclaim. */
	struct workqueue_struct *drain_wq;
	struct shrinker *shrinker;
	int cpuhp_state;
};

extern struct shmpool_pool pool;

/* Count @n events of @item on this CPU (struct shmpool_pcp_stats). */
#define pool_count(item, n)	this_cpu_add(pool.stats->ev[item], n)

static inline struct shmpool_chunk *frame_chunk(struct page *page)
{
	return (struct shmpool_chunk *)page_private(page);
}

static inline struct shmpool_frame *frame_of(struct page *page)
{
	struct shmpool_chunk *c = frame_chunk(page);

	return &c->frames[page_to_pfn(page) - c->base_pfn];
}

static inline struct page *chunk_page(struct shmpool_chunk *c, unsigned long idx)
{
	return pfn_to_page(c->base_pfn + idx);
}

static inline struct shmpool_area *chunk_area(struct shmpool_chunk *c)
{
	return c->acct ? &c->acct->area : &pool.area;
}

static inline void area_init(struct shmpool_area *area)
{
	unsigned int o;

	for (o = 0; o <= SHMPOOL_MAX_ORDER; o++)
		INIT_LIST_HEAD(&area->free_area[o]);
}

static inline void frame_set(struct shmpool_frame *f, u8 state, u8 order,
			     u32 owner)
{
	WRITE_ONCE(f->state, state);
	WRITE_ONCE(f->order, order);
	WRITE_ONCE(f->owner, owner);
	WRITE_ONCE(f->use, SHMPOOL_USE_NONE);
}

/* Mark a block's frames: the head carries the order, the rest are tails. */
static __always_inline void block_set(struct shmpool_chunk *c,
				      unsigned long idx, unsigned int order,
				      u8 state, u32 owner)
{
	unsigned long i;

	frame_set(&c->frames[idx], state, order, owner);
	for (i = 1; i < (1UL << order); i++)
		frame_set(&c->frames[idx + i], state, SHMPOOL_ORDER_TAIL, owner);
}

static inline bool chunk_wholly_free(struct shmpool_chunk *c)
{
	return c->frames[0].state == SHMPOOL_FRAME_FREE &&
	       c->frames[0].order == c->order;
}

/* Frames of the reserve: what params.min and the watermarks are about. */
static inline unsigned long reserve_frames(void)
{
	return pool.nr_frames - pool.nr_charged;
}

static inline unsigned long pool_mid_watermark(void)
{
	return pool.params.low + (pool.params.high - pool.params.low) / 2;
}

/*
 * Background reclaim's watermarks: the pool's, but never above half its
 * maximum, which reclaim could not free without emptying the segments.
 */
static inline unsigned long pool_reclaim_low(void)
{
	return min(pool.params.low, pool.params.max / 2);
}

static inline unsigned long pool_reclaim_target(void)
{
	return min(pool_mid_watermark(), pool.params.max / 2);
}

/*
 * The local cache: taken under its local_lock, which pins the task to the
 * CPU (preemption off, or migration off on PREEMPT_RT) until the unlock.
 */
static __always_inline struct shmpool_pcp *pcp_lock(void)
{
	local_lock(&pool.pcp->lock);
	return this_cpu_ptr(pool.pcp);
}

static __always_inline void pcp_unlock(void)
{
	local_unlock(&pool.pcp->lock);
}

/* pool.c: the buddy lists and the allocator. */
void __free_block(struct shmpool_chunk *c, unsigned long idx,
		  unsigned int order);
struct page *alloc_block(struct shmpool_account *acct, unsigned int order);

/* pool_grow.c: growth, give-back, the shrinker, reclaim and lending. */
void pool_check_watermarks(void);
unsigned long pool_grow_chunk(struct shmpool_account *acct,
			      unsigned int min_order, struct page **take);
void chunk_free(struct shmpool_chunk *c);
void chunk_free_rcu(struct rcu_head *rcu);
bool chunk_in_use(struct shmpool_chunk *c);
bool __chunk_unlink(struct shmpool_chunk *c);
void pool_lend(struct shmpool_chunk *c, unsigned long idx, unsigned int order);
void pool_balance_work(struct work_struct *work);
void pool_reclaim_work(struct work_struct *work);
void pool_lent_work(struct work_struct *work);
unsigned long pool_shrink_count(struct shrinker *s, struct shrink_control *sc);
unsigned long pool_shrink_scan(struct shrinker *s, struct shrink_control *sc);
void pool_lent_exit(void);

/* pool_account.c: frames charged to memory cgroups. */
bool __account_put(struct shmpool_account *acct);
void account_free(struct shmpool_account *acct);
void __charged_chunk_check(struct shmpool_chunk *c) __releases(&pool.lock);
struct page *alloc_charged(struct shmpool_account *acct, unsigned int order,
			   gfp_t gfp);

/* pool_compact.c: compaction. */
int shmpool_frag_index(const unsigned long *nr_blocks, unsigned int order);
bool pool_compact_would_help(unsigned int order);

#endif /* _SHMPOOL_POOL_INTERNAL_H */
