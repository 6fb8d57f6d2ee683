// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Pool sizing
 *
 * The pool holds between params.min and params.max frames.  When fewer
 * than params.low are free it grows, from a work item (process context),
 * never inside an atomic section; an allocation that finds the pool empty
 * grows it synchronously when its gfp allows blocking.  When more than
 * params.high are free, wholly free chunks are given back.  Under memory
 * pressure the shrinker gives back wholly free chunks down to params.min.
 * When fewer than params.low are free and the pool is at params.max,
 * where it cannot grow, it asks its owner's reclaim (the segment layer's
 * swap-out, registered with shmpool_pool_set_reclaim()) to free frames,
 * from another work item, up to the middle watermark, as growth does (both
 * capped at half of params.max, beyond which reclaim would empty the
 * segments rather than keep a reserve): kswapd's part, so that faults find
 * free frames rather than reclaiming themselves.  A run that frees nothing
 * (every page pinned, the swap area full) holds the next one off for a
 * second, and tries again itself, a second apart, five times and then
 * every ten seconds while the pool stays short, since no allocation may
 * come to ask.
 *
 * No allocation of the pool can invoke the OOM killer or warn: growth
 * uses __GFP_NORETRY | __GFP_NOWARN, and a full pool is -ENOMEM.
 *
 * Chunks given back wait for an RCU grace period before their pages go
 * back to the kernel, so that a frame a reader found under RCU (in a
 * segment's page table, say) is a valid page until rcu_read_unlock().
 */

/**
 * DOC: Lent frames
 *
 * A frame is normally freed with the pool's reference the only one left.
 * A user of the frame may have let others take references that outlive it
 * (a pipe after vmsplice(), a pin); such a frame is *lent* to the kernel:
 * the pool marks the frame lent in the map and no longer counts it, but
 * keeps its reference until the others are gone, since their holders may
 * still read what the frame holds (the pipe must) or write it (a pin).
 * Then, the count frozen at the pool's one so that no speculative lookup
 * can take another, the pool clears the frame and drops its reference: the
 * kernel's allocator never gets a frame with data in it.  No callback says
 * when the last other reference goes, so a work item looks, a second
 * apart, while any frame waits.  A frame still held at unload is left to
 * its holder and never freed: a page leaked, rather than data.  Its chunk
 * is never given back whole again; unload frees the chunk's other frames
 * one by one.
 */
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "compat.h"
#include "pool_internal.h"
#include "trace.h"

/* Called under pool.lock after the free count changed. */
void pool_check_watermarks(void)
{
	lockdep_assert_held(&pool.lock);

	if ((pool.area.nr_free < pool.params.low && pool.nr_frames < pool.params.max) ||
	    (pool.area.nr_free > pool.params.high && reserve_frames() > pool.params.min))
		queue_work(system_unbound_wq, &pool.balance_work);
	/* Cannot grow: reclaim instead; see "Pool sizing". */
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
unsigned long pool_grow_chunk(struct shmpool_account *acct,
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
void chunk_free(struct shmpool_chunk *c)
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

void chunk_free_rcu(struct rcu_head *rcu)
{
	chunk_free(container_of(rcu, struct shmpool_chunk, rcu));
}

/*
 * Does any frame of @c hold data for someone (used, or cached per CPU)?
 * Free and lent frames do not: a charged chunk without such a frame goes
 * back (its free frames do; its lent ones are the kernel's already).
 */
bool chunk_in_use(struct shmpool_chunk *c)
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
bool __chunk_unlink(struct shmpool_chunk *c)
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

/* Let go of the lent frames no one else holds any more ("Lent frames"). */
void pool_lent_work(struct work_struct *work)
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
 * soon as the pool's reference is its last (see "Lent frames");
 * meanwhile the pool keeps them on its lent list.  The rest of a charged
 * chunk need not wait for them: if nothing else of it is in use, it goes
 * back now (its lent frames are no longer its own).
 */
void pool_lend(struct shmpool_chunk *c, unsigned long idx, unsigned int order)
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

/* Bring the free count between the watermarks; see "Pool sizing". */
void pool_balance_work(struct work_struct *work)
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
void pool_reclaim_work(struct work_struct *work)
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

unsigned long pool_shrink_count(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long n = pool_reclaimable();

	return n ? n : SHRINK_EMPTY;
}

unsigned long pool_shrink_scan(struct shrinker *s, struct shrink_control *sc)
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

/*
 * At unload, the lent frames one last time: those no one holds any more
 * are cleared and go; the others stay with their holders, the pool's
 * reference never dropped, since what they hold is theirs to read.
 */
void pool_lent_exit(void)
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
