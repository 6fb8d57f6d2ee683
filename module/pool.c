// SPDX-License-Identifier: GPL-2.0
/*
 * The page-frame pool.
 *
 * shmpool manages its own physical memory.  The pool takes memory from the
 * kernel in *chunks*: one alloc_pages() block of order SHMPOOL_MAX_ORDER
 * where the kernel has one, of a smaller order where it has not (a load
 * never fails for lack of contiguity).  Each chunk is split into order-0
 * pages at once (split_page()), so every frame is an independent page with
 * one reference, held by the pool; the pool's own buddy allocator then
 * hands out naturally aligned blocks of 2^order frames within a chunk,
 * splitting larger free blocks and coalescing freed ones with their buddy.
 *
 * The memory map.  Every frame has a struct shmpool_frame (8 bytes) in its
 * chunk's table: its state (free, in a per-CPU cache, used), the order of
 * the block it heads, and its owner.  A frame's page->private points at its
 * chunk, so freeing finds the table in O(1); free blocks are linked through
 * their head page's lru.  That is all the metadata the pool keeps per frame.
 *
 * The fast path.  Order-0 frames are cached per CPU (struct shmpool_pcp):
 * an allocation takes one from the top of the local stack under the local,
 * uncontended lock and touches no shared cache line, nor the page itself;
 * the stack is refilled from, and drained to, the buddy lists in batches of
 * SHMPOOL_PCP_BATCH.  A stack of pointers rather than a list through
 * page->lru, as page_pool's and SLUB's per-CPU caches are: a push or a pop
 * is a store and a load, where a list costs the neighbours' pointers (and,
 * with CONFIG_DEBUG_LIST, as Debian builds, a check of each).  Each cache
 * is under a local_lock, which outside PREEMPT_RT only disables preemption:
 * no atomic instruction and no call on the fast path, which is most of
 * what an allocate+free pair costs.  The price is that no other CPU may
 * touch a cache: shmpool_pool_drain() (the shrinker, compaction, the test
 * hooks) has a work item run on every online CPU and drain its own cache,
 * as SLUB's flush_all() and memcg's drain_all_stock() do, on a
 * WQ_MEM_RECLAIM queue since the shrinker waits for it from reclaim.  The
 * cache of a CPU that went offline is drained by the CPU-hotplug "dead"
 * callback, when no task can be running there, and at unload, when no one
 * allocates, every cache is drained directly.
 *
 * Frames still referenced.  A frame is normally freed with the pool's
 * reference the only one left.  A user of the frame may have let others
 * take references that outlive it (a pipe after vmsplice(), a pin); such a
 * frame is *lent* to the kernel: the pool marks the frame lent in the map
 * and no longer counts it, but keeps its reference until the others are
 * gone, since their holders may still read what the frame holds (the pipe
 * must) or write it (a pin).  Then, the count frozen at the pool's one so
 * that no speculative lookup can take another, the pool clears the frame
 * and drops its reference: the kernel's allocator never gets a frame with
 * data in it.  No callback says when the last other reference goes, so a
 * work item looks, a second apart, while any frame waits.  A frame still
 * held at unload is left to its holder and never freed: a page leaked,
 * rather than data.  Its chunk is never given back whole again; unload
 * frees the chunk's other frames one by one.
 *
 * Chunks given back wait for an RCU grace period before their pages go
 * back to the kernel, so that a frame a reader found under RCU (in a
 * segment's page table, say) is a valid page until rcu_read_unlock().
 *
 * Zeroing.  Frames are zeroed when they are freed, so every free frame, in
 * the buddy lists or in a per-CPU cache, holds zeroes: no new owner can see
 * an old owner's data, allocation (the page-fault path) pays nothing, and
 * "free" in the memory map means "zeroed".  Fresh chunks come zeroed from
 * the kernel (__GFP_ZERO).
 *
 * Accounting.  A frame stays charged to the memory cgroup that was charged
 * when the pool took it from the kernel, until it goes back; the kernel
 * exports no way to move a charge.  So frames for users in a memory cgroup
 * other than the root come from chunks of their own: a struct
 * shmpool_account per cgroup has its own buddy lists, filled with small
 * chunks (SHMPOOL_ACCOUNT_ORDER) allocated with __GFP_ACCOUNT while that
 * cgroup is the active one, and a charged chunk goes back to the kernel
 * (and off the cgroup's bill) as soon as it is wholly free again.  The
 * rest of the pool, its reserve, is charged to no one's cgroup but the
 * module's: frames taken with the root cgroup active, as any driver's.
 * Charged frames bypass the per-CPU caches; they are the pool's frames in
 * every other respect (the map, params.max, zeroing).
 *
 * Sizing.  The pool holds between params.min and params.max frames.  When
 * fewer than params.low are free it grows, from a work item (process
 * context), never inside an atomic section; an allocation that finds the
 * pool empty grows it synchronously when its gfp allows blocking.  When
 * more than params.high are free, wholly free chunks are given back.  Under
 * memory pressure the shrinker gives back wholly free chunks down to
 * params.min.  When fewer than params.low are free and the pool is at
 * params.max, where it cannot grow, it asks its owner's reclaim (the
 * segment layer's swap-out, registered with shmpool_pool_set_reclaim())
 * to free frames, from another work item, up to the middle watermark, as
 * growth does (both capped at half of params.max, beyond which reclaim
 * would empty the segments rather than keep a reserve): kswapd's part,
 * so that faults find free frames rather than reclaiming themselves.  A
 * run that frees nothing (every page pinned, the swap area full) holds
 * the next one off for a second, and tries again itself a few times, a
 * second apart, since no allocation may come to ask.
 *
 * No allocation of the pool can invoke the OOM killer or warn: growth
 * uses __GFP_NORETRY | __GFP_NOWARN, and a full pool is -ENOMEM.
 *
 * Locking, outermost first:
 *
 *   pool.grow_lock (mutex)  serialises growing and giving back chunks; the
 *                           shrinker only trylocks it, because growing
 *                           allocates and may enter reclaim, and so the
 *                           shrinker, while holding it.
 *   pcp->lock (local_lock)  one CPU's cache: its list and count, taken
 *                           only on that CPU (see "The fast path").
 *   pool.lock (spinlock)    every buddy area's free lists, the chunk
 *                           list, the account list and references, the
 *                           frame table entries of free frames, the
 *                           frame counters and the lent frames' list.
 *
 * No lock is taken from interrupt context: the pool is used from process
 * context only (allocations may sleep to grow; frees do not sleep).
 *
 * Compaction.  A high-order block needs a whole free, aligned run, and
 * frames in use scattered over every chunk leave none.  Compaction empties
 * one chunk: it picks the reserve chunk of the largest order with the
 * fewest frames in use (all of them movable: order-0 frames of an owner),
 * takes its free frames out of the lists (state "isolated", and any frame
 * freed into it meanwhile joins them, never a per-CPU cache), asks the
 * frames' owner (the segment layer, through the callback it registered) to
 * move each used frame to a new one elsewhere - unmap, copy, remap, with
 * the page locked and its count frozen so that no one sees it change -
 * and then gives the chunk's frames back, which coalesce into one block.
 * pool/compact in debugfs triggers it; a high-order allocation that fails
 * while the fragmentation index says "for lack of contiguity" (above 0.5)
 * runs it once too.  compact_lock serialises runs.  Such an allocation
 * comes from a huge segment's fault, which holds the faulting mm's
 * mmap_lock and the segment's invalidate lock: so compact_lock nests
 * inside those, and the callback only ever trylocks a segment's
 * invalidate lock and its pages.  It is never held by an allocation of
 * order 0, which is all that moving frames does.
 */
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/cpuhotplug.h>
#include <linux/error-injection.h>
#include <linux/highmem.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/local_lock.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "pool.h"
#include "trace.h"

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
 * Frames charged to one memory cgroup (see "Accounting" above).  Owned by
 * the pool, on pool.accounts while referenced: each segment charged to it
 * holds a reference (shmpool_account_get/put) and so does each of its
 * chunks; all under pool.lock.  @grow_lock serialises the account's growth
 * (which may reclaim inside its cgroup) without holding up anyone else's.
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
 * see "The fast path" above.
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

static struct shmpool_pool {
	spinlock_t lock;		/* see "Locking" at the top */
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

	struct mutex grow_lock;		/* see "Locking" at the top */
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
} pool;

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

static void area_init(struct shmpool_area *area)
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

/*
 * Put a block into the buddy lists, merging it with its buddy as long as
 * the buddy is a free block of the same order inside the same chunk.
 * The block's tails must already be marked free.
 */
static void __free_block(struct shmpool_chunk *c, unsigned long idx,
			 unsigned int order)
{
	struct shmpool_area *area = chunk_area(c);

	lockdep_assert_held(&pool.lock);

	/* Compaction is emptying this chunk: keep its frames out of use. */
	if (c->isolated) {
		block_set(c, idx, order, SHMPOOL_FRAME_ISOLATED, SHMPOOL_OWNER_NONE);
		return;
	}
	area->nr_free += 1UL << order;
	while (order < c->order) {
		unsigned long buddy = idx ^ (1UL << order);
		struct shmpool_frame *bf = &c->frames[buddy];

		if (bf->state != SHMPOOL_FRAME_FREE || bf->order != order)
			break;
		list_del(&chunk_page(c, buddy)->lru);
		area->nr_blocks[order]--;
		frame_set(bf, SHMPOOL_FRAME_FREE, SHMPOOL_ORDER_TAIL,
			  SHMPOOL_OWNER_NONE);
		frame_set(&c->frames[idx], SHMPOOL_FRAME_FREE,
			  SHMPOOL_ORDER_TAIL, SHMPOOL_OWNER_NONE);
		idx &= ~(1UL << order);
		order++;
	}
	frame_set(&c->frames[idx], SHMPOOL_FRAME_FREE, order, SHMPOOL_OWNER_NONE);
	list_add(&chunk_page(c, idx)->lru, &area->free_area[order]);
	area->nr_blocks[order]++;
}

/*
 * Take a block of @order from the buddy lists, splitting a larger one when
 * no block of that order is free.  The head is marked used here; the caller
 * marks the tails.
 */
static struct page *__rmqueue(struct shmpool_area *area, unsigned int order)
{
	struct shmpool_chunk *c;
	unsigned long idx;
	struct page *page;
	unsigned int o;

	lockdep_assert_held(&pool.lock);

	for (o = order; o <= SHMPOOL_MAX_ORDER; o++)
		if (!list_empty(&area->free_area[o]))
			break;
	if (o > SHMPOOL_MAX_ORDER)
		return NULL;

	page = list_first_entry(&area->free_area[o], struct page, lru);
	list_del(&page->lru);
	area->nr_blocks[o]--;
	c = frame_chunk(page);
	idx = page_to_pfn(page) - c->base_pfn;

	/* Give the upper halves back, largest first. */
	while (o > order) {
		unsigned long half;

		o--;
		half = idx + (1UL << o);
		frame_set(&c->frames[half], SHMPOOL_FRAME_FREE, o,
			  SHMPOOL_OWNER_NONE);
		list_add(&chunk_page(c, half)->lru, &area->free_area[o]);
		area->nr_blocks[o]++;
	}
	/*
	 * Mark the head used before the lock drops: a stale {free, o} head
	 * would let a concurrent free merge with it, or the shrinker take its
	 * chunk for wholly free.  The caller marks the tails.
	 */
	frame_set(&c->frames[idx], SHMPOOL_FRAME_USED, order, SHMPOOL_OWNER_NONE);
	area->nr_free -= 1UL << order;
	return page;
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

/* Called under pool.lock after the free count changed. */
static void pool_check_watermarks(void)
{
	lockdep_assert_held(&pool.lock);

	if ((pool.area.nr_free < pool.params.low && pool.nr_frames < pool.params.max) ||
	    (pool.area.nr_free > pool.params.high && reserve_frames() > pool.params.min))
		queue_work(system_unbound_wq, &pool.balance_work);
	/* Cannot grow: reclaim instead; see "Sizing" above. */
	if (pool.area.nr_free < pool_reclaim_low() &&
	    pool.nr_frames >= pool.params.max && READ_ONCE(pool.reclaim) &&
	    time_after_eq(jiffies, READ_ONCE(pool.reclaim_after)))
		queue_delayed_work(system_unbound_wq, &pool.reclaim_work, 0);
}

/*
 * Take one block from the kernel, charged to @acct's cgroup when there is
 * one: the cgroup is made the active one, and __GFP_ACCOUNT bills it (the
 * charge may reclaim inside the cgroup once).  The kernel tries once,
 * without reclaiming hard, for a block the pool would merely like
 * (__GFP_NORETRY); a block the reserve needs whole, @need (a huge
 * segment's 2 MiB, as for a THP of a MADV_HUGEPAGE mapping), is worth
 * reclaim and compaction (__GFP_RETRY_MAYFAIL).  Neither invokes the OOM
 * killer.
 */
static struct page *pool_take_pages(struct shmpool_account *acct,
				    unsigned int order, bool need)
{
	gfp_t gfp = GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN;
	struct mem_cgroup *old;
	struct page *page;

	/* A cgroup at its limit is reclaimed once, as documented: never more. */
	gfp |= need && !acct ? __GFP_RETRY_MAYFAIL : __GFP_NORETRY;
	if (order)
		gfp |= __GFP_NOMEMALLOC;
	if (!acct)
		return alloc_pages(gfp, order);
	old = set_active_memcg(acct->memcg);
	page = alloc_pages(gfp | __GFP_ACCOUNT, order);
	set_active_memcg(old);
	return page;
}

/*
 * Split a new chunk's single free block down to @order, the lower block for
 * the caller (its head marked used) and the upper halves into the lists.
 */
static struct page *__chunk_take(struct shmpool_chunk *c, unsigned int order)
{
	struct shmpool_area *area = chunk_area(c);
	unsigned int o = c->order;

	lockdep_assert_held(&pool.lock);

	while (o > order) {
		unsigned long half = 1UL << --o;

		frame_set(&c->frames[half], SHMPOOL_FRAME_FREE, o,
			  SHMPOOL_OWNER_NONE);
		list_add(&chunk_page(c, half)->lru, &area->free_area[o]);
		area->nr_blocks[o]++;
		area->nr_free += 1UL << o;
	}
	frame_set(&c->frames[0], SHMPOOL_FRAME_USED, order, SHMPOOL_OWNER_NONE);
	return chunk_page(c, 0);
}

/*
 * Take one chunk from the kernel for the reserve (@acct NULL) or for an
 * account: the largest order from @min_order up that fits under params.max
 * (and, charged, is at most SHMPOOL_ACCOUNT_ORDER unless @min_order is
 * larger) and that the kernel can give without retrying hard (save a
 * 2 MiB block asked for as such: see pool_take_pages()).  With @take, a
 * block of @min_order from it is the caller's (*@take), so that no other
 * free frame of the account is used instead and leaves the new chunk
 * wholly free and unnoticed; without, all of it goes into the free lists.
 * Context: process context, pool.grow_lock held, or for an account its
 * grow_lock.
 * Return: frames added, 0 when the pool is at its maximum, the kernel had
 * no memory or the cgroup no room.
 */
static unsigned long pool_grow_chunk(struct shmpool_account *acct,
				     unsigned int min_order, struct page **take)
{
	int top = acct ? max(SHMPOOL_ACCOUNT_ORDER, min_order) : SHMPOOL_MAX_ORDER;
	struct shmpool_chunk *c, *pos;
	struct page *page = NULL;
	unsigned long room, i;
	int order;

	if (acct)
		lockdep_assert_held(&acct->grow_lock);
	else
		lockdep_assert_held(&pool.grow_lock);

	spin_lock(&pool.lock);
	room = pool.params.max - pool.nr_frames;
	spin_unlock(&pool.lock);
	if (!room)
		return 0;

	for (order = min_t(int, top, ilog2(room)); order >= (int)min_order; order--) {
		page = pool_take_pages(acct, order,
				       order == SHMPOOL_MAX_ORDER && order == min_order);
		if (page)
			break;
	}
	if (!page)
		goto fail;

	c = kvzalloc(struct_size(c, frames, 1UL << order), GFP_KERNEL | __GFP_NOWARN);
	if (!c) {
		__free_pages(page, order);
		goto fail;
	}
	c->base_pfn = page_to_pfn(page);
	c->order = order;
	c->acct = acct;
	/* Each order-0 page keeps its share of a charge. */
	split_page(page, order);
	for (i = 0; i < (1UL << order); i++) {
		set_page_private(page + i, (unsigned long)c);
		frame_set(&c->frames[i], SHMPOOL_FRAME_FREE, SHMPOOL_ORDER_TAIL,
			  SHMPOOL_OWNER_NONE);
	}

	spin_lock(&pool.lock);
	/* Accounts and the reserve grow under different locks: check again. */
	if (pool.nr_frames + (1UL << order) > pool.params.max) {
		spin_unlock(&pool.lock);
		for (i = 0; i < (1UL << order); i++) {
			set_page_private(page + i, 0);
			__free_page(page + i);
		}
		kvfree(c);
		goto fail;
	}
	/* Keep the chunk list sorted by pfn: the memory map walks it in order. */
	list_for_each_entry(pos, &pool.chunks, node)
		if (pos->base_pfn > c->base_pfn)
			break;
	list_add_tail(&c->node, &pos->node);
	pool.nr_chunks++;
	pool.nr_frames += 1UL << order;
	if (acct) {
		acct->refs++;
		pool.nr_charged += 1UL << order;
	}
	if (take)
		*take = __chunk_take(c, min_order);
	else
		__free_block(c, 0, order);
	pool.events[SHMPOOL_STAT_GROWS]++;
	pool.events[SHMPOOL_STAT_FRAMES_GROWN] += 1UL << order;
	trace_shmpool_grow(c->base_pfn, order, 1UL << order, acct);
	spin_unlock(&pool.lock);
	return 1UL << order;

fail:
	spin_lock(&pool.lock);
	pool.events[SHMPOOL_STAT_GROW_FAILURES]++;
	spin_unlock(&pool.lock);
	return 0;
}

/*
 * Return a chunk no longer on any list to the kernel, frame by frame;
 * lent frames are the kernel's already.
 */
static void chunk_free(struct shmpool_chunk *c)
{
	unsigned long i;

	for (i = 0; i < (1UL << c->order); i++) {
		struct page *page = chunk_page(c, i);

		if (c->frames[i].state == SHMPOOL_FRAME_LENT)
			continue;
		set_page_private(page, 0);
		__free_page(page);
	}
	kvfree(c);
}

static void chunk_free_rcu(struct rcu_head *rcu)
{
	chunk_free(container_of(rcu, struct shmpool_chunk, rcu));
}

/* Drop a reference to @acct; true when it was the last (see account_free). */
static bool __account_put(struct shmpool_account *acct)
{
	lockdep_assert_held(&pool.lock);

	if (--acct->refs)
		return false;
	list_del(&acct->node);
	pool.nr_accounts--;
	return true;
}

static void account_free(struct shmpool_account *acct)
{
	mem_cgroup_put(acct->memcg);
	kfree(acct);
}

/*
 * The memory cgroup to charge current's frames to, with a reference; NULL
 * when that is the root cgroup (or there is none, or kmem accounting is
 * off), whose frames come from the reserve.
 */
static struct mem_cgroup *current_charged_memcg(void)
{
#ifdef CONFIG_MEMCG
	struct mem_cgroup *memcg;

	if (!shmpool_memcg_kmem_online())
		return NULL;
	memcg = get_mem_cgroup_from_mm(current->mm);
	if (memcg && !memcg->css.parent) {
		mem_cgroup_put(memcg);
		memcg = NULL;
	}
	return memcg;
#else
	return NULL;
#endif
}

/**
 * shmpool_account_get() - the account current's frames are charged to
 *
 * The account of current's memory cgroup, created on first use; frames
 * allocated with it are billed to that cgroup for as long as the pool
 * holds them (see "Accounting").
 *
 * Context: process context; may sleep.
 * Return: a reference to the account, NULL for the reserve (the root
 * cgroup, no memory cgroups), or ERR_PTR(-ENOMEM).
 */
struct shmpool_account *shmpool_account_get(void)
{
	struct shmpool_account *acct, *new;
	struct mem_cgroup *memcg;

	memcg = current_charged_memcg();
	if (!memcg)
		return NULL;
	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);

	spin_lock(&pool.lock);
	list_for_each_entry(acct, &pool.accounts, node) {
		if (acct->memcg == memcg) {
			acct->refs++;
			goto out;
		}
	}
	acct = new ? new : ERR_PTR(-ENOMEM);
	if (new) {
		area_init(&new->area);
		mutex_init(&new->grow_lock);
		new->memcg = memcg;
		new->refs = 1;
		list_add(&new->node, &pool.accounts);
		pool.nr_accounts++;
		new = NULL;
		memcg = NULL;
	}
out:
	spin_unlock(&pool.lock);
	kfree(new);
	mem_cgroup_put(memcg);
	return acct;
}

/**
 * shmpool_account_put() - drop a reference from shmpool_account_get()
 * @acct: the account, or NULL
 *
 * Its chunks hold references of their own, so an account outlives its last
 * user until its last frame has gone back to the kernel.
 *
 * Context: any process context; does not sleep.
 */
void shmpool_account_put(struct shmpool_account *acct)
{
	bool last;

	if (!acct)
		return;
	spin_lock(&pool.lock);
	last = __account_put(acct);
	spin_unlock(&pool.lock);
	if (last)
		account_free(acct);
}

/*
 * Does any frame of @c hold data for someone (used, or cached per CPU)?
 * Free and lent frames do not: a charged chunk without such a frame goes
 * back (its free frames do; its lent ones are the kernel's already).
 */
static bool chunk_in_use(struct shmpool_chunk *c)
{
	unsigned long i;

	for (i = 0; i < (1UL << c->order); i++)
		if (c->frames[i].state == SHMPOOL_FRAME_USED ||
		    c->frames[i].state == SHMPOOL_FRAME_PCP)
			return true;
	return false;
}

/*
 * Take a chunk that is not in use out of the pool, with every free block
 * of it (one, when it is wholly free); the caller gives it back with
 * call_rcu(), and frees the account when this returns true.
 */
static bool __chunk_unlink(struct shmpool_chunk *c)
{
	struct shmpool_area *area = chunk_area(c);
	unsigned long idx, size, freed = 0;

	lockdep_assert_held(&pool.lock);

	for (idx = 0; idx < (1UL << c->order); idx += size) {
		struct shmpool_frame *f = &c->frames[idx];

		size = 1;
		if (f->state != SHMPOOL_FRAME_FREE || f->order == SHMPOOL_ORDER_TAIL)
			continue;
		size = 1UL << f->order;
		list_del(&chunk_page(c, idx)->lru);
		area->nr_blocks[f->order]--;
		area->nr_free -= size;
		freed += size;
	}
	list_del(&c->node);
	pool.nr_frames -= freed;
	pool.nr_chunks--;
	pool.events[SHMPOOL_STAT_SHRINKS]++;
	pool.events[SHMPOOL_STAT_FRAMES_RETURNED] += freed;
	trace_shmpool_shrink(c->base_pfn, c->order, freed, c->acct);
	if (!c->acct)
		return false;
	pool.nr_charged -= freed;
	return __account_put(c->acct);
}

/*
 * A charged chunk no longer in use goes back to the kernel at once, off
 * its cgroup's bill.  Called under pool.lock, which it drops.
 */
static void __charged_chunk_check(struct shmpool_chunk *c)
	__releases(&pool.lock)
{
	struct shmpool_account *acct = c->acct;
	bool last;

	lockdep_assert_held(&pool.lock);

	if (chunk_in_use(c)) {
		spin_unlock(&pool.lock);
		return;
	}
	last = __chunk_unlink(c);
	spin_unlock(&pool.lock);
	call_rcu(&c->rcu, chunk_free_rcu);
	if (last)
		account_free(acct);
}

/*
 * Give wholly free chunks back to the kernel, at most @budget frames, while
 * more than @keep_free frames stay free and the pool stays at or above
 * params.min.
 * Context: process context, pool.grow_lock held.
 * Return: frames given back.
 */
static unsigned long pool_release_chunks(unsigned long budget,
					 unsigned long keep_free)
{
	struct shmpool_chunk *c, *tmp;
	unsigned long released = 0, size;
	LIST_HEAD(victims);

	lockdep_assert_held(&pool.grow_lock);

	spin_lock(&pool.lock);
	list_for_each_entry_safe(c, tmp, &pool.chunks, node) {
		size = 1UL << c->order;
		if (released >= budget)
			break;
		/* Charged chunks go back when they are free; see the free path. */
		if (c->acct || !chunk_wholly_free(c) ||
		    reserve_frames() - size < pool.params.min ||
		    pool.area.nr_free < keep_free + size)
			continue;
		__chunk_unlink(c);
		list_add(&c->node, &victims);
		released += size;
	}
	spin_unlock(&pool.lock);

	list_for_each_entry_safe(c, tmp, &victims, node)
		call_rcu(&c->rcu, chunk_free_rcu);
	return released;
}

/*
 * Move up to @nr frames from a CPU's cache to the buddy lists, the coldest
 * (bottom of the stack) first.  Called on that CPU under its lock, or for
 * a CPU that is dead (or at unload) where no one else can touch the cache.
 */
static void pcp_drain(struct shmpool_pcp *pcp, unsigned int nr)
{
	unsigned int i;

	nr = min(nr, pcp->count);
	spin_lock(&pool.lock);
	for (i = 0; i < nr; i++) {
		struct page *page = pcp->pages[i];
		struct shmpool_chunk *c = frame_chunk(page);

		__free_block(c, page_to_pfn(page) - c->base_pfn, 0);
	}
	pool_check_watermarks();
	spin_unlock(&pool.lock);
	pcp->count -= nr;
	memmove(pcp->pages, pcp->pages + nr, pcp->count * sizeof(pcp->pages[0]));
}

/* Empty a cache no one else can touch: a dead CPU's, or any at unload. */
static void pcp_drain_all(struct shmpool_pcp *pcp)
{
	if (pcp->count) {
		pcp_drain(pcp, pcp->count);
		pool_count(SHMPOOL_STAT_PCP_DRAINS, 1);
	}
}

/*
 * Drain the cache of the CPU the work was queued on.  A work item of a CPU
 * going offline may run on another one: that cache is then left to the
 * "dead" callback, which runs once no task can be using it.
 */
static void pcp_drain_work(struct work_struct *work)
{
	struct shmpool_pcp *pcp = container_of(work, struct shmpool_pcp,
					       drain_work);

	local_lock(&pool.pcp->lock);
	if (pcp == this_cpu_ptr(pool.pcp))
		pcp_drain_all(pcp);
	local_unlock(&pool.pcp->lock);
}

/**
 * shmpool_pool_drain() - empty every per-CPU cache into the buddy lists
 *
 * Lets freed frames coalesce; the shrinker, compaction, the test hooks and
 * an allocation that found the pool empty use it.  Each online CPU drains
 * its own cache from a work item, which this waits for.  A CPU that goes
 * offline meanwhile has its cache drained by the hotplug callback instead.
 *
 * Exported, as shmpool_alloc_frames(), shmpool_free_frames() and
 * shmpool_free_zeroed_frames() are, for the test module shmpool_test.ko
 * (namespace SHMPOOL) and the KUnit tests: nothing else outside shmpool.ko
 * uses them.
 *
 * Context: process context; sleeps.  The caller must not hold pool.lock.
 */
void shmpool_pool_drain(void)
{
	unsigned int cpu;

	for_each_online_cpu(cpu)
		queue_work_on(cpu, pool.drain_wq,
			      &per_cpu_ptr(pool.pcp, cpu)->drain_work);
	for_each_online_cpu(cpu)
		flush_work(&per_cpu_ptr(pool.pcp, cpu)->drain_work);
}
EXPORT_SYMBOL_NS_GPL(shmpool_pool_drain, SHMPOOL_NS);

/* Fill the local cache with a batch; false when the buddy lists are empty. */
static bool pcp_refill(struct shmpool_pcp *pcp)
{
	unsigned int n;

	lockdep_assert_held(&pcp->lock);

	spin_lock(&pool.lock);
	for (n = 0; n < SHMPOOL_PCP_BATCH; n++) {
		struct page *page = __rmqueue(&pool.area, 0);

		if (!page)
			break;
		frame_set(frame_of(page), SHMPOOL_FRAME_PCP, 0, SHMPOOL_OWNER_NONE);
		pcp->pages[pcp->count++] = page;
	}
	pool_check_watermarks();
	spin_unlock(&pool.lock);
	return n;
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

static struct page *alloc_order0(bool *hit)
{
	struct shmpool_pcp *pcp = pcp_lock();
	struct page *page = NULL;

	*hit = pcp->count;
	if (likely(pcp->count)) {
		pool_count(SHMPOOL_STAT_PCP_HITS, 1);
	} else {
		pool_count(SHMPOOL_STAT_PCP_MISSES, 1);
		if (!pcp_refill(pcp))
			goto out;
		pool_count(SHMPOOL_STAT_PCP_REFILLS, 1);
	}
	page = pcp->pages[--pcp->count];
out:
	pcp_unlock();
	return page;
}

static struct page *alloc_block(struct shmpool_account *acct, unsigned int order)
{
	struct page *page;

	spin_lock(&pool.lock);
	if (acct) {
		page = __rmqueue(&acct->area, order);
	} else {
		page = __rmqueue(&pool.area, order);
		pool_check_watermarks();
	}
	spin_unlock(&pool.lock);
	return page;
}

/*
 * A block from an account: its free lists, or a chunk grown for it under
 * the account's own lock (taking the block from the new chunk, so that the
 * chunk cannot sit unused and billed while older frames are taken).
 */
static struct page *alloc_charged(struct shmpool_account *acct,
				  unsigned int order, gfp_t gfp)
{
	struct page *page = alloc_block(acct, order);

	if (page || !gfpflags_allow_blocking(gfp) || fatal_signal_pending(current))
		return page;
	mutex_lock(&acct->grow_lock);
	/* Another task of the cgroup may have grown it meanwhile. */
	page = alloc_block(acct, order);
	if (!page)
		pool_grow_chunk(acct, order, &page);
	mutex_unlock(&acct->grow_lock);
	return page;
}

VISIBLE_IF_KUNIT int shmpool_frag_index(const unsigned long *nr_blocks,
				       unsigned int order);

/*
 * The fragmentation index (x1000) above which a failed allocation is for
 * lack of contiguity rather than of memory, so that compaction may help:
 * the kernel's own default, vm.extfrag_threshold (500), for the same index.
 */
#define SHMPOOL_COMPACT_FRAG_MIN	500

/*
 * Would compaction help an allocation of @order that failed?  Only when
 * the reserve lacks contiguity rather than memory (the fragmentation
 * index above SHMPOOL_COMPACT_FRAG_MIN), and someone can move frames.
 */
static bool pool_compact_would_help(unsigned int order)
{
	int frag;

	spin_lock(&pool.lock);
	frag = shmpool_frag_index(pool.area.nr_blocks, order);
	spin_unlock(&pool.lock);
	return READ_ONCE(pool.migrate) && frag > SHMPOOL_COMPACT_FRAG_MIN;
}

/* Record a block handed out: the memory map, the counters, the event. */
static __always_inline struct page *alloc_done(struct page *page,
					       unsigned int order, u32 owner,
					       bool cached)
{
	struct shmpool_chunk *c = frame_chunk(page);

	block_set(c, page_to_pfn(page) - c->base_pfn, order,
		  SHMPOOL_FRAME_USED, owner);
	pool_count(SHMPOOL_STAT_ALLOCS + order, 1);
	trace_shmpool_alloc(page_to_pfn(page), order, owner, cached);
	return page;
}

/*
 * Everything but a hit in the local cache, out of line so that the fast
 * path pays for none of its stack and registers.
 */
static noinline struct page *alloc_frames_slow(struct shmpool_account *acct,
					       unsigned int order, gfp_t gfp,
					       u32 owner)
{
	struct shmpool_compact_result res;
	bool cached = false;
	struct page *page;

	if (WARN_ON_ONCE(order > SHMPOOL_MAX_ORDER))
		goto fail;

	if (acct) {
		page = alloc_charged(acct, order, gfp);
		if (!page)
			goto fail;
		return alloc_done(page, order, owner, false);
	}
	for (;;) {
		page = order ? alloc_block(NULL, order) : alloc_order0(&cached);
		if (page)
			break;
		if (!gfpflags_allow_blocking(gfp) || fatal_signal_pending(current))
			goto fail;
		mutex_lock(&pool.grow_lock);
		if (!pool_grow_chunk(NULL, order, NULL)) {
			mutex_unlock(&pool.grow_lock);
			/*
			 * Other CPUs' caches may hold frames, which may also
			 * coalesce into the large block asked for.
			 */
			shmpool_pool_drain();
			page = order ? alloc_block(NULL, order) : alloc_order0(&cached);
			if (page || !order || !pool_compact_would_help(order))
				break;
			shmpool_pool_compact(&res);
			page = alloc_block(NULL, order);
			break;
		}
		mutex_unlock(&pool.grow_lock);
	}
	if (page)
		return alloc_done(page, order, owner, cached);
fail:
	pool_count(SHMPOOL_STAT_ALLOC_FAILURES, 1);
	return NULL;
}

/**
 * shmpool_alloc_frames() - allocate 2^@order contiguous, zeroed frames
 * @acct: the account to charge them to (shmpool_account_get()), or NULL
 *        for the pool's reserve
 * @order: 0 to SHMPOOL_MAX_ORDER
 * @gfp: GFP_KERNEL lets the pool grow synchronously when it is empty;
 *       without __GFP_DIRECT_RECLAIM it only takes what it has.
 * @owner: recorded in the memory map for every frame of the block (a
 *         segment id, or SHMPOOL_OWNER_NONE)
 *
 * The frames are order-0 pages with one reference each, held by the
 * caller until shmpool_free_frames(); their contents are zero.
 *
 * Context: process context; may sleep if @gfp allows.
 * Return: the first page of the block, or NULL when the pool is at its
 * maximum, the kernel has no memory to grow it or @acct's cgroup is at its
 * limit - never an OOM kill.
 */
struct page *shmpool_alloc_frames(struct shmpool_account *acct,
				  unsigned int order, gfp_t gfp, u32 owner)
{
	struct page *page;

	/* The fast path: an order-0 frame of the reserve from the local cache. */
	if (likely(!acct && !order)) {
		struct shmpool_pcp *pcp = pcp_lock();

		if (likely(pcp->count)) {
			page = pcp->pages[--pcp->count];
			pool_count(SHMPOOL_STAT_PCP_HITS, 1);
			pcp_unlock();
			return alloc_done(page, 0, owner, true);
		}
		pcp_unlock();
		/* The slow path counts the miss and refills the cache. */
		return alloc_frames_slow(NULL, 0, gfp, owner);
	}
	return alloc_frames_slow(acct, order, gfp, owner);
}
EXPORT_SYMBOL_NS_GPL(shmpool_alloc_frames, SHMPOOL_NS);
/* fail_function may make it fail: selftests/fault_test.c walks that. */
ALLOW_ERROR_INJECTION(shmpool_alloc_frames, NULL);

/**
 * shmpool_split_frames() - make a used block 2^@order used order-0 frames
 * @page: first page of a block from shmpool_alloc_frames()
 * @order: the order it was allocated with
 * @use: what each frame is now, as shmpool_frame_set_use() says it
 *
 * For a holder that wants a block's frames together (a huge segment maps
 * them with one PMD) but gives them back one by one (truncation, swap-out
 * and compaction take pages, not blocks).  Every frame keeps the block's
 * owner and becomes a block of order 0 of its own, freed with
 * shmpool_free_frames(page + i, 0), as split_page() does for the kernel's
 * pages.  The allocation stays counted at @order; the frees count at 0.
 * The use goes with it: one pass over the frames' entries instead of
 * two, in a fault that takes a block.
 *
 * Context: the block's holder, any context.  Only the holder writes a used
 * frame's entry; the buddy lists look only at free ones.
 */
void shmpool_split_frames(struct page *page, unsigned int order,
			  enum shmpool_frame_use use)
{
	struct shmpool_frame *f = frame_of(page);
	unsigned long i;

	if (WARN_ON_ONCE(f->state != SHMPOOL_FRAME_USED || f->order != order))
		return;
	for (i = 0; i < (1UL << order); i++) {
		WRITE_ONCE(f[i].order, 0);
		WRITE_ONCE(f[i].use, use);
	}
}
EXPORT_SYMBOL_IF_KUNIT(shmpool_split_frames);

/* How long a lent frame waits between looks at its count. */
#define SHMPOOL_LENT_WAIT	HZ

/*
 * Let a lent frame go if the pool's reference is the last: frozen at it,
 * so that no speculative lookup can take another meanwhile, the frame is
 * cleared - its last holder may have written it - and only then given to
 * the kernel.  Return: false when others still hold it.
 */
static bool lent_release(struct page *page)
{
	if (!page_ref_freeze(page, 1))
		return false;
	clear_highpage(page);
	pool_count(SHMPOOL_STAT_FRAMES_CLEARED, 1);
	page_ref_unfreeze(page, 1);
	put_page(page);
	return true;
}

/* Let go of the lent frames no one else holds any more; see the top. */
static void pool_lent_work(struct work_struct *work)
{
	unsigned long released = 0, seen = 0;
	struct page *page, *tmp;
	LIST_HEAD(held);
	bool more;

	spin_lock(&pool.lock);
	list_splice_init(&pool.lent, &held);
	spin_unlock(&pool.lock);
	list_for_each_entry_safe(page, tmp, &held, lru) {
		if (!(++seen % 64))
			cond_resched();
		if (page_ref_count(page) != 1)
			continue;
		list_del(&page->lru);
		if (lent_release(page)) {
			released++;
			cond_resched();
			continue;
		}
		/* Someone looked it up just now: next time. */
		list_add(&page->lru, &held);
	}
	spin_lock(&pool.lock);
	list_splice(&held, &pool.lent);
	pool.nr_lent_held -= released;
	more = pool.nr_lent_held;
	spin_unlock(&pool.lock);
	if (more)
		queue_delayed_work(system_unbound_wq, &pool.lent_work,
				   SHMPOOL_LENT_WAIT);
}

/*
 * Lend a block to the kernel: forget its frames, and let go of each as
 * soon as the pool's reference is its last (see "Frames still
 * referenced"); meanwhile the pool keeps them on its lent list.  The rest
 * of a charged chunk need not wait for them: if nothing else of it is in
 * use, it goes back now (its lent frames are no longer its own).
 */
static void pool_lend(struct shmpool_chunk *c, unsigned long idx,
		      unsigned int order)
{
	struct shmpool_account *acct = c->acct;
	struct page *first = chunk_page(c, idx);
	unsigned long i, nr = 1UL << order;
	bool release = false, last = false;

	spin_lock(&pool.lock);
	for (i = 0; i < nr; i++)
		frame_set(&c->frames[idx + i], SHMPOOL_FRAME_LENT, 0,
			  SHMPOOL_OWNER_NONE);
	pool.nr_frames -= nr;
	pool.events[SHMPOOL_STAT_FRAMES_LENT] += nr;
	if (acct) {
		pool.nr_charged -= nr;
		if (!chunk_in_use(c)) {
			last = __chunk_unlink(c);
			release = true;
		}
	}
	spin_unlock(&pool.lock);

	/* @c may be unlinked: touch only the pages from here on. */
	for (i = 0; i < nr; i++) {
		struct page *page = first + i;

		set_page_private(page, 0);
		if (lent_release(page))
			continue;
		spin_lock(&pool.lock);
		list_add_tail(&page->lru, &pool.lent);
		pool.nr_lent_held++;
		spin_unlock(&pool.lock);
		/* A speculative reference goes at once: look soon. */
		mod_delayed_work(system_unbound_wq, &pool.lent_work, 1);
	}
	if (release) {
		call_rcu(&c->rcu, chunk_free_rcu);
		if (last)
			account_free(acct);
	}
}

/*
 * Whether a block its holder vouches for really holds only zeroes.  A
 * debugging kernel checks, because a wrong word here hands one owner's
 * data to the next.
 */
static bool frames_zeroed(struct page *page, unsigned int order)
{
	unsigned long i;
	bool zeroed = true;

	if (!IS_ENABLED(CONFIG_DEBUG_VM))
		return true;
	for (i = 0; i < (1UL << order) && zeroed; i++) {
		void *addr = kmap_local_page(page + i);

		zeroed = !memchr_inv(addr, 0, PAGE_SIZE);
		kunmap_local(addr);
	}
	return zeroed;
}

/*
 * Zero a block being freed unless its holder vouches that it is (checked
 * by a debugging kernel), and count which.
 */
static __always_inline void free_clear(struct page *page, unsigned int order,
				       bool zeroed)
{
	unsigned long i;

	if (!zeroed || WARN_ONCE(!frames_zeroed(page, order),
				 "pfn %#lx order %u freed as zeroed holds data\n",
				 page_to_pfn(page), order)) {
		for (i = 0; i < (1UL << order); i++)
			clear_highpage(page + i);
		pool_count(SHMPOOL_STAT_FRAMES_CLEARED, 1UL << order);
	} else {
		pool_count(SHMPOOL_STAT_CLEARS_SAVED, 1UL << order);
	}
	pool_count(SHMPOOL_STAT_FREES + order, 1);
}

/* Push a zeroed, used order-0 frame of the reserve onto the local cache. */
static __always_inline void pcp_free(struct shmpool_chunk *c,
				     unsigned long idx, struct page *page)
{
	struct shmpool_pcp *pcp;

	trace_shmpool_free(page_to_pfn(page), 0, c->frames[idx].owner, true);
	WRITE_ONCE(c->frames[idx].state, SHMPOOL_FRAME_PCP);
	pcp = pcp_lock();
	pcp->pages[pcp->count] = page;
	if (unlikely(++pcp->count > SHMPOOL_PCP_HIGH)) {
		pcp_drain(pcp, SHMPOOL_PCP_BATCH);
		pool_count(SHMPOOL_STAT_PCP_DRAINS, 1);
	}
	pcp_unlock();
}

static noinline void free_frames_slow(struct page *page, unsigned int order,
				      bool zeroed)
{
	struct shmpool_chunk *c = frame_chunk(page);
	unsigned long idx, i;

	idx = page_to_pfn(page) - c->base_pfn;
	if (WARN_ONCE(c->frames[idx].state != SHMPOOL_FRAME_USED ||
		      c->frames[idx].order != order,
		      "freeing pfn %#lx order %u: state %u order %u\n",
		      page_to_pfn(page), order, c->frames[idx].state,
		      c->frames[idx].order))
		return;

	for (i = 0; i < (1UL << order); i++) {
		if (page_ref_count(page + i) != 1) {
			pool_lend(c, idx, order);
			return;
		}
	}

	free_clear(page, order, zeroed);
	/* A frame of a chunk being compacted must not stay in a cache. */
	if (!order && !c->acct && !READ_ONCE(c->isolated)) {
		pcp_free(c, idx, page);
		return;
	}

	trace_shmpool_free(page_to_pfn(page), order, c->frames[idx].owner,
			   false);
	for (i = 1; i < (1UL << order); i++)
		frame_set(&c->frames[idx + i], SHMPOOL_FRAME_FREE,
			  SHMPOOL_ORDER_TAIL, SHMPOOL_OWNER_NONE);
	spin_lock(&pool.lock);
	__free_block(c, idx, order);
	if (!c->acct) {
		pool_check_watermarks();
		spin_unlock(&pool.lock);
		return;
	}
	__charged_chunk_check(c);
}

/*
 * The fast path, inlined into both entry points: an order-0 frame of the
 * reserve that only its holder references goes onto the local cache;
 * anything else (a block, a charged or isolated chunk's frame, one still
 * referenced elsewhere, a bad free) takes the slow path, which checks it
 * all again.
 */
static __always_inline void __shmpool_free_frames(struct page *page,
						  unsigned int order,
						  bool zeroed)
{
	struct shmpool_chunk *c = frame_chunk(page);
	unsigned long idx = page_to_pfn(page) - c->base_pfn;
	struct shmpool_frame *f = &c->frames[idx];

	if (likely(!order && f->state == SHMPOOL_FRAME_USED && !f->order &&
		   !c->acct && !READ_ONCE(c->isolated) &&
		   page_ref_count(page) == 1)) {
		free_clear(page, 0, zeroed);
		pcp_free(c, idx, page);
		return;
	}
	free_frames_slow(page, order, zeroed);
}

/**
 * shmpool_free_frames() - give a block back to the pool
 * @page: first page of a block from shmpool_alloc_frames()
 * @order: the order it was allocated with
 *
 * The frames are zeroed here, before anyone else can get them.  No mapping
 * may still point at them; a block someone else still holds a reference
 * to is lent to the kernel instead (see "Frames still referenced").
 *
 * Context: process context; does not sleep.
 */
void shmpool_free_frames(struct page *page, unsigned int order)
{
	__shmpool_free_frames(page, order, false);
}
EXPORT_SYMBOL_NS_GPL(shmpool_free_frames, SHMPOOL_NS);

/**
 * shmpool_free_zeroed_frames() - give back a block that still holds zeroes
 * @page: first page of a block from shmpool_alloc_frames()
 * @order: the order it was allocated with
 *
 * As shmpool_free_frames(), for a holder that knows the block holds only
 * zeroes: it never wrote to it and never let anyone else map or write it,
 * or it cleared it itself.  The pool then skips the clear, which is most
 * of the cost of an allocate+free pair.  A kernel with CONFIG_DEBUG_VM
 * checks the claim and clears the block (with a warning) if it was wrong.
 *
 * Context: process context; does not sleep.
 */
void shmpool_free_zeroed_frames(struct page *page, unsigned int order)
{
	__shmpool_free_frames(page, order, true);
}
EXPORT_SYMBOL_NS_GPL(shmpool_free_zeroed_frames, SHMPOOL_NS);

/* Bring the free count between the watermarks; see "Sizing" above. */
static void pool_balance_work(struct work_struct *work)
{
	unsigned long free, mid = pool_mid_watermark();

	mutex_lock(&pool.grow_lock);
	for (;;) {
		spin_lock(&pool.lock);
		free = pool.area.nr_free;
		spin_unlock(&pool.lock);
		if (free >= pool.params.low && free >= mid)
			break;
		if (!pool_grow_chunk(NULL, 0, NULL))
			break;
	}
	if (free > pool.params.high)
		pool_release_chunks(ULONG_MAX, mid);
	mutex_unlock(&pool.grow_lock);
}

/* Free frames of the reserve, the per-CPU caches' included. */
static unsigned long pool_free_frames(void)
{
	unsigned long free = 0;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		free += READ_ONCE(per_cpu_ptr(pool.pcp, cpu)->count);
	spin_lock(&pool.lock);
	free += pool.area.nr_free;
	spin_unlock(&pool.lock);
	return free;
}

/*
 * Retries a run that freed nothing queues, a second apart: what held the
 * pages (a fault, a pin, a full swap area) may let go meanwhile, and no
 * allocation may come to ask again.  After those, it keeps trying every
 * SHMPOOL_RECLAIM_IDLE while the pool stays short: what held the pages may
 * hold them longer than the retries last (a segment being populated holds
 * its invalidate lock, which reclaim only tries, for as long as that
 * takes on a slow kernel), and giving up for good would leave the pool
 * short until some allocation happened to come.
 */
#define SHMPOOL_RECLAIM_RETRIES	5
#define SHMPOOL_RECLAIM_IDLE	(10 * HZ)

/* Bring the free count up to the middle watermark (capped) by reclaim. */
static void pool_reclaim_work(struct work_struct *work)
{
	unsigned long free, freed, target = pool_reclaim_target();
	shmpool_reclaim_t reclaim;

	/* Read again each time: unregistering waits for one pass only. */
	while ((reclaim = READ_ONCE(pool.reclaim)) &&
	       (free = pool_free_frames()) < target) {
		freed = reclaim(target - free);
		spin_lock(&pool.lock);
		pool.events[SHMPOOL_STAT_BG_RECLAIM_RUNS]++;
		pool.events[SHMPOOL_STAT_BG_RECLAIM_FRAMES] += freed;
		spin_unlock(&pool.lock);
		if (!freed) {
			WRITE_ONCE(pool.reclaim_after, jiffies + HZ);
			queue_delayed_work(system_unbound_wq, &pool.reclaim_work,
					   pool.reclaim_retries++ < SHMPOOL_RECLAIM_RETRIES ?
					   HZ : SHMPOOL_RECLAIM_IDLE);
			return;
		}
		pool.reclaim_retries = 0;
		cond_resched();
	}
	pool.reclaim_retries = 0;
}

/**
 * shmpool_pool_set_reclaim() - register who frees used frames
 * @reclaim: the callback, or NULL to unregister
 *
 * Context: process context; unregistering waits for a run under way.
 */
void shmpool_pool_set_reclaim(shmpool_reclaim_t reclaim)
{
	WRITE_ONCE(pool.reclaim, reclaim);
	/* It may queue itself again: this waits for that too. */
	if (!reclaim)
		cancel_delayed_work_sync(&pool.reclaim_work);
}

/* Frames the shrinker could give back now: wholly free chunks above min. */
static unsigned long pool_reclaimable(void)
{
	unsigned long n = 0, frames;
	struct shmpool_chunk *c;

	spin_lock(&pool.lock);
	frames = reserve_frames();
	list_for_each_entry(c, &pool.chunks, node) {
		if (!c->acct && chunk_wholly_free(c) &&
		    frames - (1UL << c->order) >= pool.params.min) {
			n += 1UL << c->order;
			frames -= 1UL << c->order;
		}
	}
	spin_unlock(&pool.lock);
	return n;
}

static unsigned long pool_shrink_count(struct shrinker *s,
				       struct shrink_control *sc)
{
	unsigned long n = pool_reclaimable();

	return n ? n : SHRINK_EMPTY;
}

static unsigned long pool_shrink_scan(struct shrinker *s,
				      struct shrink_control *sc)
{
	unsigned long freed;

	/* Whoever holds it may be growing the pool from inside reclaim. */
	if (!mutex_trylock(&pool.grow_lock))
		return SHRINK_STOP;
	shmpool_pool_drain();
	freed = pool_release_chunks(sc->nr_to_scan, 0);
	spin_lock(&pool.lock);
	pool.events[SHMPOOL_STAT_RECLAIM_SCANS]++;
	pool.events[SHMPOOL_STAT_RECLAIM_FRAMES] += freed;
	spin_unlock(&pool.lock);
	mutex_unlock(&pool.grow_lock);
	return freed ? freed : SHRINK_STOP;
}

/* A CPU that went away leaves its cache to the buddy lists. */
static int pool_cpu_dead(unsigned int cpu)
{
	pcp_drain_all(per_cpu_ptr(pool.pcp, cpu));
	return 0;
}

/*
 * The fragmentation index of @order, x1000, as the kernel's extfrag_index
 * computes it: -1000 when a block of @order is free; 0 when there is no
 * free memory at all (failure would be for lack of memory); towards 1000
 * the more the free memory is scattered in blocks too small for @order.
 */
VISIBLE_IF_KUNIT int shmpool_frag_index(const unsigned long *nr_blocks,
					unsigned int order)
{
	unsigned long total = 0, suitable = 0, free = 0;
	unsigned int o;

	for (o = 0; o <= SHMPOOL_MAX_ORDER; o++) {
		total += nr_blocks[o];
		free += nr_blocks[o] << o;
		if (o >= order)
			suitable += nr_blocks[o] << (o - order);
	}
	if (!total)
		return 0;
	if (suitable)
		return -1000;
	return 1000 - (int)div64_u64(1000 + div64_u64(free * 1000ULL, 1UL << order),
				     total);
}
EXPORT_SYMBOL_IF_KUNIT(shmpool_frag_index);

/**
 * shmpool_pool_set_migrate() - register who moves used frames
 * @migrate: the callback, or NULL to unregister
 *
 * Context: process context; waits for a compaction under way to finish.
 */
void shmpool_pool_set_migrate(shmpool_migrate_t migrate)
{
	mutex_lock(&pool.compact_lock);
	pool.migrate = migrate;
	mutex_unlock(&pool.compact_lock);
}

/*
 * The reserve chunk to empty: the one of the largest order with the
 * fewest frames in use, all of them movable, and at least one; NULL if
 * none.  @used: how many it has in use.
 */
static struct shmpool_chunk *__compact_target(unsigned long *used)
{
	struct shmpool_chunk *c, *best = NULL;
	unsigned long i, n, best_n = ULONG_MAX;

	lockdep_assert_held(&pool.lock);
	list_for_each_entry(c, &pool.chunks, node) {
		bool movable = true;

		if (c->acct || (best && c->order < best->order))
			continue;
		for (i = 0, n = 0; i < (1UL << c->order) && movable; i++) {
			struct shmpool_frame *f = &c->frames[i];

			if (f->state == SHMPOOL_FRAME_FREE)
				continue;
			movable = f->state == SHMPOOL_FRAME_USED && !f->order &&
				  f->owner != SHMPOOL_OWNER_NONE;
			n++;
		}
		if (!movable || !n)
			continue;
		if (!best || c->order > best->order || n < best_n) {
			best = c;
			best_n = n;
		}
	}
	*used = best_n;
	return best;
}

/* Take @c's free blocks out of the lists; frames freed into it stay out. */
static void __compact_isolate(struct shmpool_chunk *c)
{
	struct shmpool_area *area = chunk_area(c);
	unsigned long idx = 0;

	lockdep_assert_held(&pool.lock);
	WRITE_ONCE(c->isolated, true);
	while (idx < (1UL << c->order)) {
		struct shmpool_frame *f = &c->frames[idx];
		unsigned int order = f->order <= c->order ? f->order : 0;

		if (f->state == SHMPOOL_FRAME_FREE) {
			list_del(&chunk_page(c, idx)->lru);
			area->nr_blocks[order]--;
			area->nr_free -= 1UL << order;
			block_set(c, idx, order, SHMPOOL_FRAME_ISOLATED,
				  SHMPOOL_OWNER_NONE);
		}
		idx += 1UL << order;
	}
}

/* Give @c's isolated frames back: they coalesce as they go. */
static void __compact_release(struct shmpool_chunk *c)
{
	unsigned long idx;

	lockdep_assert_held(&pool.lock);
	WRITE_ONCE(c->isolated, false);
	for (idx = 0; idx < (1UL << c->order); idx++) {
		if (c->frames[idx].state != SHMPOOL_FRAME_ISOLATED)
			continue;
		frame_set(&c->frames[idx], SHMPOOL_FRAME_USED, 0,
			  SHMPOOL_OWNER_NONE);
		__free_block(c, idx, 0);
	}
}

/**
 * shmpool_pool_compact() - empty one chunk by moving its used frames
 * @res: filled in: the order-9 fragmentation index before and after, the
 *       frames moved and those that could not be (pinned, busy)
 *
 * See "Compaction" at the top.
 * Context: process context; sleeps.
 * Return: 0; -EAGAIN when no chunk could be emptied of anything (none
 * has only movable frames in use, or no one registered to move them).
 */
int shmpool_pool_compact(struct shmpool_compact_result *res)
{
	unsigned long idx, used;
	struct shmpool_chunk *c;
	u64 start = ktime_get_ns();
	int ret = 0;

	memset(res, 0, sizeof(*res));
	mutex_lock(&pool.compact_lock);
	shmpool_pool_drain();
	spin_lock(&pool.lock);
	res->frag_before = shmpool_frag_index(pool.area.nr_blocks, SHMPOOL_MAX_ORDER);
	c = pool.migrate ? __compact_target(&used) : NULL;
	if (c)
		__compact_isolate(c);
	spin_unlock(&pool.lock);
	if (!c) {
		ret = -EAGAIN;
		res->frag_after = res->frag_before;
		goto out;
	}
	/* Frames freed into caches just before it was isolated. */
	shmpool_pool_drain();

	for (idx = 0; idx < (1UL << c->order); idx++) {
		struct shmpool_frame *f = &c->frames[idx];
		u32 owner = READ_ONCE(f->owner);

		if (READ_ONCE(f->state) != SHMPOOL_FRAME_USED || READ_ONCE(f->order))
			continue;
		if (pool.migrate(chunk_page(c, idx), owner))
			res->failed++;
		else
			res->moved++;
		cond_resched();
	}

	spin_lock(&pool.lock);
	__compact_release(c);
	res->frag_after = shmpool_frag_index(pool.area.nr_blocks, SHMPOOL_MAX_ORDER);
	pool_check_watermarks();
	spin_unlock(&pool.lock);
out:
	res->ns = ktime_get_ns() - start;
	trace_shmpool_compact(res->frag_before, res->frag_after, res->moved,
			      res->failed, res->ns);
	spin_lock(&pool.lock);
	pool.events[SHMPOOL_STAT_COMPACT_RUNS]++;
	pool.events[SHMPOOL_STAT_COMPACT_MOVED] += res->moved;
	pool.events[SHMPOOL_STAT_COMPACT_FAILED] += res->failed;
	pool.events[SHMPOOL_STAT_COMPACT_NS] += res->ns;
	spin_unlock(&pool.lock);
	mutex_unlock(&pool.compact_lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(shmpool_pool_compact);

/*
 * The name of each enum shmpool_pool_stat, in its order: one table, as
 * mm/vmstat.c's vmstat_text, that pool/stats prints by.
 */
const char *const shmpool_pool_stat_names[] = {
	"frames",
	"frames_free",
	"frames_pcp",
	"frames_used",
	"chunks",
	"frames_charged",
	"frames_charged_free",
	"accounts",
	"limit_min",
	"limit_max",
	"watermark_low",
	"watermark_high",
	"pool_kb",
	"free_blocks_order0", "free_blocks_order1",
	"free_blocks_order2", "free_blocks_order3",
	"free_blocks_order4", "free_blocks_order5",
	"free_blocks_order6", "free_blocks_order7",
	"free_blocks_order8", "free_blocks_order9",
	"frag_index_order0", "frag_index_order1",
	"frag_index_order2", "frag_index_order3",
	"frag_index_order4", "frag_index_order5",
	"frag_index_order6", "frag_index_order7",
	"frag_index_order8", "frag_index_order9",
	"allocs_order0", "allocs_order1",
	"allocs_order2", "allocs_order3",
	"allocs_order4", "allocs_order5",
	"allocs_order6", "allocs_order7",
	"allocs_order8", "allocs_order9",
	"frees_order0", "frees_order1",
	"frees_order2", "frees_order3",
	"frees_order4", "frees_order5",
	"frees_order6", "frees_order7",
	"frees_order8", "frees_order9",
	"alloc_failures",
	"pcp_hits",
	"pcp_misses",
	"pcp_refills",
	"pcp_drains",
	"grows",
	"grow_failures",
	"frames_grown",
	"shrinks",
	"frames_returned",
	"reclaim_scans",
	"reclaim_frames",
	"bg_reclaim_runs",
	"bg_reclaim_frames",
	"frames_lent",
	"frames_lent_held",
	"frames_cleared",
	"clears_saved",
	"compact_runs",
	"compact_moved",
	"compact_failed",
	"compact_ns",
};

static_assert(ARRAY_SIZE(shmpool_pool_stat_names) == SHMPOOL_STAT_NR);

/**
 * shmpool_pool_get_stats() - snapshot the pool's state and counters
 * @st: filled in
 *
 * Context: any process context; holds pool.lock only to copy the shared
 * counters, and sums the per-CPU ones without locks.
 */
void shmpool_pool_get_stats(struct shmpool_pool_stats *st)
{
	unsigned long blocks[SHMPOOL_NR_ORDERS];
	u64 *val = st->val;
	struct shmpool_account *acct;
	unsigned int cpu, i, o;

	memset(st, 0, sizeof(*st));
	val[SHMPOOL_STAT_LIMIT_MIN] = pool.params.min;
	val[SHMPOOL_STAT_LIMIT_MAX] = pool.params.max;
	val[SHMPOOL_STAT_WATERMARK_LOW] = pool.params.low;
	val[SHMPOOL_STAT_WATERMARK_HIGH] = pool.params.high;

	spin_lock(&pool.lock);
	val[SHMPOOL_STAT_FRAMES] = pool.nr_frames;
	val[SHMPOOL_STAT_FREE] = pool.area.nr_free;
	val[SHMPOOL_STAT_CHUNKS] = pool.nr_chunks;
	val[SHMPOOL_STAT_CHARGED] = pool.nr_charged;
	val[SHMPOOL_STAT_ACCOUNTS] = pool.nr_accounts;
	list_for_each_entry(acct, &pool.accounts, node)
		val[SHMPOOL_STAT_CHARGED_FREE] += acct->area.nr_free;
	memcpy(blocks, pool.area.nr_blocks, sizeof(blocks));
	val[SHMPOOL_STAT_LENT_HELD] = pool.nr_lent_held;
	for (i = 0; i < SHMPOOL_STAT_NR; i++)
		val[i] += pool.events[i];
	spin_unlock(&pool.lock);

	val[SHMPOOL_STAT_POOL_KB] = val[SHMPOOL_STAT_FRAMES] * (PAGE_SIZE / 1024);
	for (o = 0; o <= SHMPOOL_MAX_ORDER; o++) {
		val[SHMPOOL_STAT_FREE_BLOCKS + o] = blocks[o];
		val[SHMPOOL_STAT_FRAG_INDEX + o] = (s64)shmpool_frag_index(blocks, o);
	}

	for_each_possible_cpu(cpu) {
		struct shmpool_pcp_stats *s = per_cpu_ptr(pool.stats, cpu);

		val[SHMPOOL_STAT_PCP] += READ_ONCE(per_cpu_ptr(pool.pcp, cpu)->count);
		for (i = 0; i < SHMPOOL_STAT_NR; i++)
			val[i] += READ_ONCE(s->ev[i]);
	}
	/* The per-CPU counts are read after the lock: clamp the difference. */
	val[SHMPOOL_STAT_USED] = val[SHMPOOL_STAT_FRAMES] -
		min(val[SHMPOOL_STAT_FRAMES], val[SHMPOOL_STAT_FREE] +
		    val[SHMPOOL_STAT_PCP] + val[SHMPOOL_STAT_CHARGED_FREE]);
}
EXPORT_SYMBOL_IF_KUNIT(shmpool_pool_get_stats);

/**
 * shmpool_pool_pcp_count() - frames in one CPU's cache
 * @cpu: a possible CPU
 *
 * Context: any; a racy read, for statistics.
 * Return: the count.
 */
unsigned int shmpool_pool_pcp_count(unsigned int cpu)
{
	return READ_ONCE(per_cpu_ptr(pool.pcp, cpu)->count);
}

/**
 * shmpool_pool_cpu_stats() - one CPU's allocation counters
 * @cpu: a possible CPU
 * @allocs: out: blocks of any order it allocated
 * @hits: out: order-0 allocations its cache served
 * @misses: out: order-0 allocations that found its cache empty
 *
 * Context: any; racy reads of counters only that CPU writes.
 */
void shmpool_pool_cpu_stats(unsigned int cpu, u64 *allocs, u64 *hits,
			    u64 *misses)
{
	const struct shmpool_pcp_stats *s = per_cpu_ptr(pool.stats, cpu);
	unsigned int o;

	*allocs = 0;
	for (o = 0; o < SHMPOOL_NR_ORDERS; o++)
		*allocs += READ_ONCE(s->ev[SHMPOOL_STAT_ALLOCS + o]);
	*hits = READ_ONCE(s->ev[SHMPOOL_STAT_PCP_HITS]);
	*misses = READ_ONCE(s->ev[SHMPOOL_STAT_PCP_MISSES]);
}

/**
 * shmpool_pool_reserve_free() - free frames of the reserve, cached or not
 *
 * For a caller whose allocation from the reserve failed and whose
 * reclaim freed nothing: frames may have come back meanwhile by other
 * ways (a segment evicted by someone else's reclaim), and if any are
 * free now another try may succeed; if none are, none can be had.  A
 * cgroup's account's frames are not the reserve's and do not count.
 *
 * Context: any process context; racy, as any count of free frames is.
 * Return: the count.
 */
unsigned long shmpool_pool_reserve_free(void)
{
	unsigned long free = 0;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		free += READ_ONCE(per_cpu_ptr(pool.pcp, cpu)->count);
	return free + READ_ONCE(pool.area.nr_free);
}

/**
 * shmpool_pool_available() - frames the pool could still hand out
 *
 * Its free frames (cached or not, charged or not) and what it may still
 * take from the kernel below its maximum: the "free pool" a segment
 * without SHMPOOL_CREATE_OVERCOMMIT must fit in.  Not a reservation.
 *
 * Context: any process context; a racy sum, as the kernel's own
 * overcommit heuristic is.
 * Return: the count.
 */
unsigned long shmpool_pool_available(void)
{
	unsigned long used, held, free = 0;
	struct shmpool_account *acct;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		free += READ_ONCE(per_cpu_ptr(pool.pcp, cpu)->count);
	spin_lock(&pool.lock);
	held = pool.nr_frames;
	free += pool.area.nr_free;
	list_for_each_entry(acct, &pool.accounts, node)
		free += acct->area.nr_free;
	spin_unlock(&pool.lock);
	used = held - min(held, free);
	return pool.params.max - min(pool.params.max, used);
}

/**
 * shmpool_pool_plenty() - whether @nr frames can go without any pressure
 * @nr: frames a caller would take for what nobody has asked for yet
 *
 * True while the buddy lists hold @nr frames, a per-CPU refill and the
 * low watermark: taking them then makes the pool neither grow nor reclaim,
 * so speculative allocations (fault-ahead) never cost another segment its
 * pages.  The per-CPU caches are not counted: a hint may be conservative.
 *
 * Context: any; a racy read, as a hint's is.
 * Return: true if there is room to spare.
 */
bool shmpool_pool_plenty(unsigned long nr)
{
	return READ_ONCE(pool.area.nr_free) >=
	       nr + SHMPOOL_PCP_BATCH + max(pool.params.low, pool_reclaim_low());
}

/**
 * shmpool_frame_set_use() - say what a used frame is to reclaim
 * @page: an order-0 frame from shmpool_alloc_frames()
 * @use: what it is now
 *
 * Only the memory map reads it; allocation resets it to SHMPOOL_USE_NONE.
 *
 * Context: the frame's holder, any context.
 */
void shmpool_frame_set_use(struct page *page, enum shmpool_frame_use use)
{
	WRITE_ONCE(frame_of(page)->use, use);
}

/**
 * shmpool_frame_get() - what the frame table says of one frame
 * @page: a frame of the pool
 * @state: out: enum shmpool_frame_state
 * @owner: out: its owner
 *
 * For the auditor, which checks the table against the segments.
 *
 * Context: any; a racy read unless the frame's holder keeps it still.
 */
void shmpool_frame_get(struct page *page, u8 *state, u32 *owner)
{
	struct shmpool_frame *f = frame_of(page);

	*state = READ_ONCE(f->state);
	*owner = READ_ONCE(f->owner);
}

static long pcp_count_mapped(struct shmpool_pcp *pcp)
{
	unsigned int i;
	long n = 0;

	for (i = 0; i < pcp->count; i++)
		n += folio_mapped(page_folio(pcp->pages[i]));
	return n;
}

/* The local cache's mapped frames, run on each CPU by work_on_cpu(). */
static long pcp_mapped(void *unused)
{
	long n = pcp_count_mapped(pcp_lock());

	pcp_unlock();
	return n;
}

/**
 * shmpool_pool_free_mapped() - free frames that are mapped somewhere
 *
 * For the auditor: a free frame in a page table would let its next owner's
 * data be seen by a stranger.  Each frame is checked where it is free,
 * under the lock that keeps it so: the buddy lists' under pool.lock, each
 * online CPU's cache on that CPU under its lock, an offline CPU's with CPU
 * hotplug held off.
 *
 * Context: process context; sleeps.
 * Return: the number of such frames (0).
 */
unsigned long shmpool_pool_free_mapped(void)
{
	unsigned long n = 0, i;
	struct shmpool_chunk *c;
	unsigned int cpu, o;
	struct page *page;

	cpus_read_lock();
	for_each_possible_cpu(cpu) {
		if (cpu_online(cpu))
			n += work_on_cpu(cpu, pcp_mapped, NULL);
		else
			n += pcp_count_mapped(per_cpu_ptr(pool.pcp, cpu));
	}
	cpus_read_unlock();
	spin_lock(&pool.lock);
	for (o = 0; o < SHMPOOL_NR_ORDERS; o++)
		list_for_each_entry(page, &pool.area.free_area[o], lru)
			for (i = 0; i < (1UL << o); i++)
				n += folio_mapped(page_folio(page + i));
	/* Frames held out by compaction are free too. */
	list_for_each_entry(c, &pool.chunks, node) {
		if (!READ_ONCE(c->isolated))
			continue;
		for (i = 0; i < (1UL << c->order); i++)
			if (c->frames[i].state == SHMPOOL_FRAME_ISOLATED)
				n += folio_mapped(page_folio(chunk_page(c, i)));
	}
	spin_unlock(&pool.lock);
	return n;
}

#if IS_ENABLED(CONFIG_FAULT_INJECTION)
/**
 * shmpool_frame_set_owner() - corrupt the frame table, for the auditor's test
 * @page: a used frame
 * @owner: the owner to record
 *
 * The auditor's "plant" command uses it to prove the audit finds a frame
 * recorded under the wrong owner.  Only on kernels built for fault
 * injection.
 *
 * Context: the frame's holder.
 */
void shmpool_frame_set_owner(struct page *page, u32 owner)
{
	WRITE_ONCE(frame_of(page)->owner, owner);
}
#endif

/*
 * What frame @idx of @c is to reclaim, as the map shows it: what its
 * holder said, unless a DMA pin keeps it in place whatever that was.
 */
static u8 frame_use(struct shmpool_chunk *c, unsigned long idx)
{
	u8 use = READ_ONCE(c->frames[idx].use);

	if (use != SHMPOOL_USE_NONE &&
	    folio_maybe_dma_pinned(page_folio(chunk_page(c, idx))))
		use = SHMPOOL_USE_PINNED;
	return use;
}

/* Longest extent one call returns, so that pool.lock is held briefly. */
#define SHMPOOL_MAP_MAX_SCAN	4096

/**
 * shmpool_pool_map_next() - the next run of alike frames in the memory map
 * @pos: where to continue: a pfn; start at 0, updated past the extent
 * @ext: filled in
 *
 * A run is a sequence of blocks with the same state, order and owner, and
 * for used frames the same use (per-CPU cached frames are order-0
 * blocks).  Each call holds pool.lock for at most SHMPOOL_MAP_MAX_SCAN
 * frames, so reading the map never stalls the pool, and @pos makes the
 * walk resumable across read() calls; a pool that changes between calls
 * shows its new state from @pos on.
 *
 * Context: process context.
 * Return: 1 when @ext was filled, 0 at the end of the map.
 */
int shmpool_pool_map_next(unsigned long *pos, struct shmpool_extent *ext)
{
	struct shmpool_chunk *c;
	unsigned long idx, end, scanned = 0;
	int found = 0;

	spin_lock(&pool.lock);
	list_for_each_entry(c, &pool.chunks, node) {
		if (c->base_pfn + (1UL << c->order) > *pos)
			goto found;
	}
	goto out;
found:
	idx = *pos > c->base_pfn ? *pos - c->base_pfn : 0;
	/* A position inside a block (the map changed) starts at its head. */
	while (idx && READ_ONCE(c->frames[idx].order) == SHMPOOL_ORDER_TAIL)
		idx--;
	end = 1UL << c->order;
	ext->pfn = c->base_pfn + idx;
	ext->state = READ_ONCE(c->frames[idx].state);
	ext->order = READ_ONCE(c->frames[idx].order);
	ext->owner = READ_ONCE(c->frames[idx].owner);
	ext->use = ext->state == SHMPOOL_FRAME_USED ? frame_use(c, idx) :
						       SHMPOOL_USE_NONE;
	if (ext->order > c->order)	/* mid-transition: show one frame */
		ext->order = 0;
	/* The first block always counts, so the walk always advances. */
	do {
		scanned += 1UL << ext->order;
		idx = min(idx + (1UL << ext->order), end);
	} while (idx < end && scanned < SHMPOOL_MAP_MAX_SCAN &&
		 READ_ONCE(c->frames[idx].state) == ext->state &&
		 READ_ONCE(c->frames[idx].order) == ext->order &&
		 READ_ONCE(c->frames[idx].owner) == ext->owner &&
		 (ext->state != SHMPOOL_FRAME_USED ||
		  frame_use(c, idx) == ext->use));
	ext->nr = c->base_pfn + idx - ext->pfn;
	*pos = c->base_pfn + idx;
	found = 1;
out:
	spin_unlock(&pool.lock);
	return found;
}
EXPORT_SYMBOL_IF_KUNIT(shmpool_pool_map_next);

/**
 * shmpool_pool_owned() - how many frames the pool records as used by @owner
 * @owner: an owner id, as shmpool_alloc_frames() was given it
 *
 * Every chunk's table, frame by frame, in one hold of pool.lock (a
 * root-only check, as long as the table: some 50 us for 40000 frames
 * under TCG), not by the memory map's walk by pfn: chunks can overlap.
 * A frame lent to the kernel stays LENT in its chunk, whose other frames
 * keep it from ever going back whole; when the kernel frees the page, a
 * growing pool may get it back as a chunk of its own, which then covers
 * a pfn its old chunk covers too, and a walk that resumes by pfn passes
 * over the new one.  (The map view still does; only the auditor counts.)
 *
 * Context: process context.
 * Return: the count.
 */
unsigned long shmpool_pool_owned(u32 owner)
{
	unsigned long n = 0, i;
	struct shmpool_chunk *c;

	spin_lock(&pool.lock);
	list_for_each_entry(c, &pool.chunks, node)
		for (i = 0; i < (1UL << c->order); i++)
			n += READ_ONCE(c->frames[i].state) == SHMPOOL_FRAME_USED &&
			     READ_ONCE(c->frames[i].owner) == owner;
	spin_unlock(&pool.lock);
	return n;
}

/* Does @c hold a frame that is neither free nor lent? */
static bool chunk_has_users(struct shmpool_chunk *c)
{
	unsigned long i;

	for (i = 0; i < (1UL << c->order); i++)
		if (c->frames[i].state != SHMPOOL_FRAME_FREE &&
		    c->frames[i].state != SHMPOOL_FRAME_LENT)
			return true;
	return false;
}

static void pool_free_all_chunks(void)
{
	struct shmpool_account *acct, *atmp;
	struct shmpool_chunk *c, *tmp;

	list_for_each_entry_safe(c, tmp, &pool.chunks, node) {
		list_del(&c->node);
		/* A frame still held is leaked, never freed under its holder. */
		if (WARN(chunk_has_users(c),
			 "chunk at pfn %#lx still has frames in use\n", c->base_pfn))
			continue;
		chunk_free(c);
	}
	/*
	 * Every charged chunk went back when its last frame in use did, and
	 * every segment dropped its account: one left is a leak to report.
	 */
	WARN_ON_ONCE(!list_empty(&pool.accounts));
	list_for_each_entry_safe(acct, atmp, &pool.accounts, node) {
		list_del(&acct->node);
		account_free(acct);
	}
	pool.nr_frames = 0;
	pool.nr_chunks = 0;
	pool.nr_charged = 0;
	pool.nr_accounts = 0;
	memset(&pool.area, 0, sizeof(pool.area));
	area_init(&pool.area);
}

/**
 * shmpool_pool_init() - set the pool up and take its initial frames
 * @params: the limits, in frames; min <= max, init <= max, low <= high
 *          (an init below min is raised to min)
 *
 * Context: process context, module load.
 * Return: 0; -EINVAL for inconsistent limits; -ENOMEM when the kernel
 * cannot give even the minimum.
 */
int shmpool_pool_init(const struct shmpool_pool_params *params)
{
	unsigned int cpu;
	int ret;

	if (params->min > params->max || params->init > params->max ||
	    params->low > params->high)
		return -EINVAL;

	spin_lock_init(&pool.lock);
	mutex_init(&pool.grow_lock);
	mutex_init(&pool.compact_lock);
	area_init(&pool.area);
	INIT_LIST_HEAD(&pool.chunks);
	INIT_LIST_HEAD(&pool.accounts);
	INIT_WORK(&pool.balance_work, pool_balance_work);
	INIT_DELAYED_WORK(&pool.reclaim_work, pool_reclaim_work);
	INIT_LIST_HEAD(&pool.lent);
	INIT_DELAYED_WORK(&pool.lent_work, pool_lent_work);
	pool.reclaim_after = jiffies;
	pool.params = *params;

	pool.pcp = alloc_percpu(struct shmpool_pcp);
	pool.stats = alloc_percpu(struct shmpool_pcp_stats);
	if (!pool.pcp || !pool.stats) {
		ret = -ENOMEM;
		goto err_percpu;
	}
	for_each_possible_cpu(cpu) {
		struct shmpool_pcp *pcp = per_cpu_ptr(pool.pcp, cpu);

		local_lock_init(&pcp->lock);
		INIT_WORK(&pcp->drain_work, pcp_drain_work);
	}
	pool.drain_wq = alloc_workqueue("shmpool_drain",
					WQ_MEM_RECLAIM | SHMPOOL_WQ_PERCPU, 0);
	if (!pool.drain_wq) {
		ret = -ENOMEM;
		goto err_percpu;
	}

	mutex_lock(&pool.grow_lock);
	while (pool.nr_frames < max(params->init, params->min)) {
		if (!pool_grow_chunk(NULL, 0, NULL))
			break;
	}
	mutex_unlock(&pool.grow_lock);
	if (pool.nr_frames < params->min) {
		ret = -ENOMEM;
		goto err_chunks;
	}

	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "shmpool:dead",
					NULL, pool_cpu_dead);
	if (ret < 0)
		goto err_chunks;
	pool.cpuhp_state = ret;

	pool.shrinker = shmpool_shrinker_create("shmpool-pool", pool_shrink_count,
						pool_shrink_scan);
	if (!pool.shrinker) {
		ret = -ENOMEM;
		goto err_cpuhp;
	}
	return 0;

err_cpuhp:
	cpuhp_remove_state_nocalls(pool.cpuhp_state);
err_chunks:
	pool_free_all_chunks();
err_percpu:
	if (pool.drain_wq)
		destroy_workqueue(pool.drain_wq);
	free_percpu(pool.stats);
	free_percpu(pool.pcp);
	return ret;
}

/*
 * At unload, the lent frames one last time: those no one holds any more
 * are cleared and go; the others stay with their holders, the pool's
 * reference never dropped, since what they hold is theirs to read.
 */
static void pool_lent_exit(void)
{
	struct page *page, *tmp;
	int tries;

	/*
	 * A few looks, a little apart: a reference taken only for a moment
	 * (a lookup, a scanner of page frames) should not leak its frame.
	 */
	for (tries = 0; tries < 5; tries++) {
		cancel_delayed_work_sync(&pool.lent_work);
		pool_lent_work(&pool.lent_work.work);
		cancel_delayed_work_sync(&pool.lent_work);
		if (!pool.nr_lent_held)
			break;
		msleep(20);
	}
	/* Their lru must not point into the module's memory once it is gone. */
	list_for_each_entry_safe(page, tmp, &pool.lent, lru)
		list_del_init(&page->lru);
	if (pool.nr_lent_held)
		pr_info("%lu lent frames still held at unload: left to their holders, never freed\n",
			pool.nr_lent_held);
}

/**
 * shmpool_pool_exit() - give every frame back to the kernel
 *
 * Context: process context, module unload: no frame may be in use.
 */
void shmpool_pool_exit(void)
{
	unsigned int cpu;

	shmpool_shrinker_destroy(pool.shrinker);
	cpuhp_remove_state_nocalls(pool.cpuhp_state);
	/*
	 * No one allocates or frees any more: every cache, of a CPU online
	 * or not, can be drained from here.  Draining may queue the balance
	 * work: cancel it only afterwards.
	 */
	for_each_possible_cpu(cpu)
		pcp_drain_all(per_cpu_ptr(pool.pcp, cpu));
	cancel_work_sync(&pool.balance_work);
	/* Queued after its callback went, it has nothing to do: not run. */
	cancel_delayed_work_sync(&pool.reclaim_work);
	pool_lent_exit();
	destroy_workqueue(pool.drain_wq);
	pool_free_all_chunks();
	/* Chunks given back earlier may still wait for their grace period. */
	rcu_barrier();
	free_percpu(pool.stats);
	free_percpu(pool.pcp);
}
