// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: The page-frame pool
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
 * The pool's files: this one holds the buddy allocator, the per-CPU
 * caches, allocation and free, set-up and teardown; pool_grow.c how the
 * pool grows and gives memory back (and lends frames still referenced);
 * pool_account.c the frames charged to memory cgroups; pool_compact.c
 * compaction; pool_stats.c the statistics and the memory map's readers.
 * pool_internal.h is what they share; the other layers see only pool.h.
 */

/**
 * DOC: Pool fast path
 *
 * Order-0 frames are cached per CPU (struct shmpool_pcp): an allocation
 * takes one from the top of the local stack under the local, uncontended
 * lock and touches no shared cache line, nor the page itself; the stack is
 * refilled from, and drained to, the buddy lists in batches of
 * SHMPOOL_PCP_BATCH.  A stack of pointers rather than a list through
 * page->lru, as page_pool's and SLUB's per-CPU caches are: a push or a pop
 * is a store and a load, where a list costs the neighbours' pointers (and,
 * with CONFIG_DEBUG_LIST, as Debian builds, a check of each).  Each cache
 * is under a local_lock, which outside PREEMPT_RT only disables preemption:
 * no atomic instruction and no call on the fast path, which is most of
 * what an allocate+free pair costs.  The price is that no other CPU may
 * touch a cache: shmpool_pool_drain() (the shrinker, compaction, the test
 * module) has a work item run on every online CPU and drain its own cache,
 * as SLUB's flush_all() and memcg's drain_all_stock() do, on a
 * WQ_MEM_RECLAIM queue since the shrinker waits for it from reclaim.  The
 * cache of a CPU that went offline is drained by the CPU-hotplug "dead"
 * callback, when no task can be running there, and at unload, when no one
 * allocates, every cache is drained directly.
 *
 * The caches stay in this file with the allocation and free paths, not in
 * one of their own: the fast paths inline them (pcp_lock(), pcp_free()),
 * which a call into another file would undo.
 */

/**
 * DOC: Pool zeroing
 *
 * Frames are zeroed when they are freed, so every free frame, in the buddy
 * lists or in a per-CPU cache, holds zeroes: no new owner can see an old
 * owner's data, allocation (the page-fault path) pays nothing, and "free"
 * in the memory map means "zeroed".  Fresh chunks come zeroed from the
 * kernel (__GFP_ZERO).  A holder that knows a block still holds zeroes
 * frees it with shmpool_free_zeroed_frames(), which a kernel with
 * CONFIG_DEBUG_VM checks.
 */

/**
 * DOC: Pool locks
 *
 * What each of the pool's locks protects (where each sits among the
 * module's locks is the lock hierarchy in main.c):
 *
 * - pool.grow_lock (a mutex) serialises growing and giving back chunks of
 *   the reserve.  The shrinker only trylocks it, because growing allocates
 *   and may enter reclaim, and so the shrinker, while holding it.  An
 *   account's grow_lock does the same for that account's chunks.
 * - pcp->lock (a local_lock) protects one CPU's cache, its stack and
 *   count, and is taken only on that CPU (see "Pool fast path").
 * - pool.lock (a spinlock) protects every buddy area's free lists, the
 *   chunk list, the account list and references, the frame table entries
 *   of free frames, the frame counters, the counters of rare events and
 *   the lent frames' list.
 * - pool.compact_lock (a mutex) serialises compactions and protects the
 *   callback that moves frames (see "Pool compaction" in pool_compact.c).
 *
 * No lock is taken from interrupt context: the pool is used from process
 * context only (allocations may sleep to grow; frees do not sleep).
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/error-injection.h>
#include <linux/highmem.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "compat.h"
#include "pool_internal.h"
#include "trace.h"

struct shmpool_pool pool;

/*
 * Put a block into the buddy lists, merging it with its buddy as long as
 * the buddy is a free block of the same order inside the same chunk.
 * The block's tails must already be marked free.
 */
void __free_block(struct shmpool_chunk *c, unsigned long idx,
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
 * Lets freed frames coalesce; the shrinker, compaction, the test module and
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

struct page *alloc_block(struct shmpool_account *acct, unsigned int order)
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
 * to is lent to the kernel instead (see "Lent frames" in pool_grow.c).
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

/* A CPU that went away leaves its cache to the buddy lists. */
static int pool_cpu_dead(unsigned int cpu)
{
	pcp_drain_all(per_cpu_ptr(pool.pcp, cpu));
	return 0;
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
