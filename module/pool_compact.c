// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Pool compaction
 *
 * A high-order block needs a whole free, aligned run, and frames in use
 * scattered over every chunk leave none.  Compaction empties one chunk: it
 * picks the reserve chunk of the largest order with the fewest frames in
 * use (all of them movable: order-0 frames of an owner), takes its free
 * frames out of the lists (state "isolated", and any frame freed into it
 * meanwhile joins them, never a per-CPU cache), asks the frames' owner
 * (the segment layer, through the callback it registered) to move each
 * used frame to a new one elsewhere - unmap, copy, remap, with the page
 * locked and its count frozen so that no one sees it change - and then
 * gives the chunk's frames back, which coalesce into one block.
 * pool/compact in debugfs triggers it; a high-order allocation that fails
 * while the fragmentation index says "for lack of contiguity" (above
 * SHMPOOL_COMPACT_FRAG_MIN) runs it once too.
 *
 * pool.compact_lock serialises runs.  Such an allocation comes from a huge
 * segment's fault, which holds the faulting mm's mmap_lock and the
 * segment's invalidate lock: so compact_lock is taken inside those (see
 * the lock hierarchy in main.c), and the callback only ever trylocks a
 * segment's invalidate lock and its pages.  It is never held by an
 * allocation of order 0, which is all that moving frames does.
 */
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/sched.h>

#include "compat.h"
#include "pool_internal.h"
#include "trace.h"

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
bool pool_compact_would_help(unsigned int order)
{
	int frag;

	spin_lock(&pool.lock);
	frag = shmpool_frag_index(pool.area.nr_blocks, order);
	spin_unlock(&pool.lock);
	return READ_ONCE(pool.migrate) && frag > SHMPOOL_COMPACT_FRAG_MIN;
}

/*
 * The fragmentation index of @order, x1000, as the kernel's extfrag_index
 * computes it: -1000 when a block of @order is free; 0 when there is no
 * free memory at all (failure would be for lack of memory); towards 1000
 * the more the free memory is scattered in blocks too small for @order.
 */
int shmpool_frag_index(const unsigned long *nr_blocks, unsigned int order)
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
 * See "Pool compaction".
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
