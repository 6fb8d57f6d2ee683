// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Reclaim and swap
 *
 * When a fault (or write(), or POPULATE) finds the pool
 * empty, it swaps cold pages of segments out to the swap area (swap.c) and
 * takes the frames that frees; and when the pool, unable to grow, falls
 * below its low watermark, its background work has the same reclaim free
 * frames up to the middle one (see "Pool sizing" in pool_grow.c), so that faults
 * mostly find a frame waiting.  Cold is decided by a CLOCK, second-chance
 * sweep over the segments' pages, one hand per segment, the segments taken
 * in turn.  Its reference bit is the page's PG_referenced, set by our fault
 * handler, and the page tables of our own mappings: a page the hand finds
 * mapped gets its second chance and is unmapped (unmap_mapping_range(),
 * which carries the ptes' young bits into PG_referenced as it zaps them),
 * so that the next touch faults and says it is in use.  That is the
 * reference bit made of faults that systems without one in hardware used;
 * it costs a minor fault per touched page per sweep, and only while
 * reclaim runs.  A page the hand finds neither referenced nor mapped is
 * swapped out:
 *
 * 1. reserve a swap slot (this may sleep, so it comes first);
 * 2. lock the page, unmap it, and freeze its count at the references of
 *    the pool and of reclaim: a page someone else holds (a pin from
 *    get_user_pages(), a read() or write() copying, a fault about to map
 *    it) fails to freeze and is skipped, and no one can take a new
 *    reference while it is frozen;
 * 3. copy it into the slot, and replace it in @pages with the slot
 *    number (an xarray value entry, as shmem keeps swap entries);
 * 4. unfreeze, unlock, and give the frame back to the pool.
 *
 * Nothing can write to the page between 2 and 3 (no mapping, no reference),
 * so no write is ever lost.  Page-in is the fault path finding a value
 * entry: it allocates a frame, locks it and puts it in @pages in the value
 * entry's place (xa_cmpxchg(), so only one of several faulting tasks
 * does), reads the slot into it and unlocks it.  The others find the
 * frame, wait for its lock, and map it: one read, however many faults.
 * A frame that is not yet filled is !PageUptodate; read() and fault-around
 * wait for or skip it.
 *
 * A run for a caller who waits for a frame (a fault, write(), POPULATE)
 * that finds no cold page but pages in use (referenced again since the
 * hand last passed, or in a block a fault holds, as a huge block a thread
 * keeps touching is: each fault after the hand's unmap maps all 512 pages
 * again and marks them) makes one more sweep, the last resort, that takes
 * a page whether referenced or mapped: the caller must not fail while the
 * pool is full of swappable pages.
 *
 * Segments that are not swapped: SHMPOOL_CREATE_NOSWAP ones (their frames
 * are pinned to memory as mlock() pins), WC and UC ones (their frames
 * carry a cache mode), and those charged to a memory cgroup (the cgroup's
 * limit is what bounds them; see "Pool accounting" in
 * pool_account.c).  Reclaim takes
 * a segment's invalidate lock shared with a trylock, which keeps
 * truncation away, and never waits for anything a fault may hold.
 */
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>

#include "compat.h"
#include "pool.h"
#include "segment.h"
#include "seg_internal.h"
#include "swap.h"
#include "trace.h"

/* Pages the hand looks at in one segment before taking the next. */
#define SHMPOOL_CLOCK_STEP	64

/*
 * A frame's references when no one else holds it: the one it entered
 * @pages with (the pool's, as the comments call it) and that of whoever
 * took it with seg_grab().  Its count freezes at this or not at all.
 */
#define SHMPOOL_GRABBED_REFS	2

/*
 * Reclaim's state; see "Reclaim and swap" above.  @lock serialises
 * reclaim runs, and protects every segment's clock hand and the counters
 * but the swap-in ones, which faults update concurrently.
 */
static struct shmpool_reclaim {
	struct mutex lock;		/* see above */
	u64 runs, scanned, referenced, busy, failed, forced, purged;
	u64 swap_outs, swap_out_ns;
	atomic64_t swap_ins, swap_in_ns;
} reclaim;

/* Page-in */

/**
 * shmpool_seg_swap_in() - page in a swapped-out page
 * @seg: the segment
 * @idx: the page's index
 * @entry: the value entry @idx holds: the swap slot
 *
 * A frame for the page, locked and not uptodate, takes the value entry's
 * place, so that other faults find it and wait for its lock while the
 * slot is read.
 *
 * Context: process context; the invalidate lock held shared.
 * Return: the frame with a reference, unlocked and filled; NULL when
 * someone else paged it in first (look again); ERR_PTR(-ENOMEM), or
 * ERR_PTR(-EIO) when the swap area lost the page.
 */
struct page *shmpool_seg_swap_in(struct shmpool_seg *seg, pgoff_t idx,
				 void *entry)
{
	u64 start = ktime_get_ns();
	struct page *page;
	void *old;

	page = shmpool_seg_get_frame(seg, true);
	if (!page)
		return ERR_PTR(-ENOMEM);
	/*
	 * Not a plain __folio_set_locked(): a reader that looked the frame up
	 * in its previous life may still try its lock (seg_grab()).  Then
	 * give it back and look again.
	 */
	if (!folio_trylock(page_folio(page))) {
		shmpool_seg_put_clean_frame(seg, page);
		return NULL;
	}
	folio_clear_uptodate(page_folio(page));
	page_folio(page)->index = idx;
	get_page(page);
	old = xa_cmpxchg(&seg->pages, idx, entry, page, GFP_KERNEL);
	if (old != entry) {
		seg_unlock_put(page);
		shmpool_seg_put_clean_frame(seg, page);
		return xa_is_err(old) ? ERR_PTR(xa_err(old)) : NULL;
	}
	shmpool_seg_note_use(seg, idx, page);
	if (shmpool_swap_read(xa_to_value(entry), page)) {
		/*
		 * The swap file lost it: SIGBUS now, a fresh page next time.
		 * Those waiting for the lock find it gone and look again.
		 */
		bool was_purged = xa_get_mark(&seg->pages, idx, SHMPOOL_WAS_PURGED);

		xa_cmpxchg(&seg->pages, idx, page, NULL, GFP_NOWAIT);
		seg_unlock_put(page);
		shmpool_seg_uncharge(seg, 1, true);
		if (was_purged) {
			spin_lock(&seg->lock);
			seg->nr_purged--;
			spin_unlock(&seg->lock);
		}
		shmpool_free_frames(page, 0);
		return ERR_PTR(-EIO);
	}
	folio_mark_uptodate(page_folio(page));
	unlock_page(page);

	spin_lock(&seg->lock);
	seg->nr_swapped--;
	spin_unlock(&seg->lock);
	start = ktime_get_ns() - start;
	trace_shmpool_swap_in(seg->id, idx, xa_to_value(entry), start);
	atomic64_inc(&reclaim.swap_ins);
	atomic64_add(start, &reclaim.swap_in_ns);
	return page;
}

/* Reclaim */

/*
 * The frame at @idx, with a reference and its lock, for reclaim, purging
 * and compaction, which take pages others are using: NULL if @idx holds
 * no frame, ERR_PTR(-EBUSY) if it is locked or frozen.  As
 * filemap_map_pages() does: a reference first, under RCU (the frame may be
 * leaving @pages and the pool), then the lock, then whether it is still
 * the one at @idx.
 */
static struct page *seg_grab(struct shmpool_seg *seg, pgoff_t idx)
{
	struct page *page;
	void *entry;

	rcu_read_lock();
	entry = xa_load(&seg->pages, idx);
	page = seg_frame_of(seg, entry, idx);
	if (xa_is_value(page))
		page = NULL;
	else if (page && !get_page_unless_zero(page))
		page = ERR_PTR(-EBUSY);
	rcu_read_unlock();
	if (IS_ERR_OR_NULL(page))
		return page;
	/* As in seg_find_entry(): the entry itself is still there. */
	if (xa_load(&seg->pages, idx) != entry) {
		put_page(page);
		return ERR_PTR(-EBUSY);
	}
	/*
	 * Still the segment's before its lock is tried: a frame freed and
	 * handed out again since the lookup is being set up by its new
	 * holder, who locks it with a trylock and must not find it taken.
	 */
	if (seg_frame_at(seg, idx) == page && trylock_page(page)) {
		if (seg_frame_at(seg, idx) == page)
			return page;
		unlock_page(page);
	}
	put_page(page);
	return ERR_PTR(-EBUSY);
}

/**
 * seg_remove_frame() - take a grabbed frame out of @pages
 * @seg: the segment
 * @idx: the frame's index
 * @page: the frame at @idx, from seg_grab(): locked, with our reference
 * @entry: what takes its place in @pages
 * @frozen: what to do while no one else can hold @page, before @entry
 *          replaces it (NULL: nothing): what must be in place before
 *          anyone can find @entry, such as the copy a swap slot or a new
 *          frame holds
 *
 * The steps swap-out, purging and the compaction move share, as
 * mm/migrate.c's folio_migrate_mapping() is for migration: unmap @page;
 * refuse it when it is mapped again or someone else holds it (a pin
 * from get_user_pages(), a read() or write() copying, a fault about to
 * map it); freeze its count, so that no one can take a new reference;
 * call @frozen; replace it in @pages with @entry; unfreeze.  Nothing can
 * write to the page while it is frozen (no mapping, no reference), so
 * what @frozen copies is all there is.  A block entry that covers @idx
 * must have been split first (see "Block entries" in seg_block.c).
 *
 * Context: process context; the invalidate lock held shared.
 * Return: 0, @entry in @page's place (still locked, with our reference);
 * -EBUSY when it is mapped or held; -ENOENT when @idx no longer held
 * @page, which then stays out of @pages (what @frozen did is not undone:
 * the move clears its new frame; purging, which needs nothing undone,
 * lets it go).
 */
static int seg_remove_frame(struct shmpool_seg *seg, pgoff_t idx,
			    struct page *page, void *entry,
			    void (*frozen)(struct shmpool_seg *seg, pgoff_t idx,
					   struct page *page, void *entry))
{
	void *old;

	unmap_mapping_range(seg->inode->i_mapping, (loff_t)idx << PAGE_SHIFT,
			    PAGE_SIZE, 0);
	/* The pool's reference and ours, no mapping: nobody else has it. */
	if (folio_mapped(page_folio(page)) ||
	    !page_ref_freeze(page, SHMPOOL_GRABBED_REFS))
		return -EBUSY;
	if (frozen)
		frozen(seg, idx, page, entry);
	/*
	 * Replacing an entry allocates nothing, and keeps its marks; it is
	 * ours while we hold the lock.
	 */
	old = xa_cmpxchg(&seg->pages, idx, page, entry, GFP_NOWAIT);
	page_ref_unfreeze(page, SHMPOOL_GRABBED_REFS);
	return old == page ? 0 : -ENOENT;
}

/* seg_remove_frame()'s @frozen for swap-out: the page into its slot. */
static void seg_store_to_slot(struct shmpool_seg *seg, pgoff_t idx,
			      struct page *page, void *entry)
{
	shmpool_swap_store(xa_to_value(entry), page);
}

/*
 * Swap out @page, at @idx in @seg, locked and with reclaim's reference, as
 * steps 2-4 of "Reclaim and swap" say.  @slot is reserved for it and
 * becomes the page's on success.
 * Return: 0, the page out of @pages (free it); -EAGAIN when its block
 * could not be split (someone holds the block's lock, or no memory);
 * -EBUSY when someone holds the page.
 */
static int seg_swap_out(struct shmpool_seg *seg, pgoff_t idx,
			struct page *page, u32 slot)
{
	int ret;

	/*
	 * The block split first (not while frozen: the split may sleep, and
	 * lookups would spin): until then, a fault holding the block's lock
	 * may map all of it again.  From then on only one holding this
	 * page's lock can.
	 */
	if (shmpool_seg_split_block(seg, idx, GFP_KERNEL, page))
		return -EAGAIN;
	ret = seg_remove_frame(seg, idx, page, xa_mk_value(slot),
			       seg_store_to_slot);
	if (WARN_ON_ONCE(ret == -ENOENT) || ret)
		return -EBUSY;

	spin_lock(&seg->lock);
	seg->nr_swapped++;
	spin_unlock(&seg->lock);
	return 0;
}

/*
 * One reclaim run, as the clock steps see it: what it wants and has
 * freed, and what stopped it.
 */
struct reclaim_run {
	unsigned long want, freed;
	/*
	 * Pages passed over for being in use: referenced, or in a block
	 * whose lock a fault held.  Not those someone holds a reference to
	 * (a pin, a copy): no sweep can take those.
	 */
	unsigned long in_use;
	bool force;		/* take pages in use too: the last resort */
	bool full;		/* the swap area has no room */
};

/*
 * Move @seg's clock hand over at most SHMPOOL_CLOCK_STEP pages, swapping
 * out those neither referenced nor mapped since it last passed (with
 * @run->force, those too), until @run wants no more or the swap area is
 * full.
 */
static void seg_clock_step(struct shmpool_seg *seg, struct reclaim_run *run)
{
	struct address_space *mapping = seg->inode->i_mapping;
	pgoff_t nr, idx;
	unsigned long n;
	u32 slot = 0;
	int ret;

	lockdep_assert_held(&reclaim.lock);
	if (!shmpool_seg_swappable(seg) || !down_read_trylock(&mapping->invalidate_lock))
		return;
	nr = seg_nr_pages(seg);
	idx = seg->clock < nr ? seg->clock : 0;
	for (n = 0; n < min_t(pgoff_t, nr, SHMPOOL_CLOCK_STEP) &&
	     run->freed < run->want;
	     n++, idx = idx + 1 < nr ? idx + 1 : 0) {
		u64 start = ktime_get_ns();
		struct page *page;

		page = xa_load(&seg->pages, idx);
		if (!page || xa_is_value(page))
			continue;
		reclaim.scanned++;
		/* The slot first: reserving it may sleep, and may fail. */
		if (!slot && shmpool_swap_reserve(&slot)) {
			run->full = true;
			break;
		}
		page = seg_grab(seg, idx);
		if (IS_ERR_OR_NULL(page)) {
			reclaim.busy++;
			continue;
		}
		/*
		 * Not so in the last resort: seg_remove_frame() unmaps the
		 * page itself, and the next touch pages it in again.
		 */
		if (!run->force &&
		    (folio_test_clear_referenced(page_folio(page)) ||
		     folio_mapped(page_folio(page)))) {
			/* Second chance; the next touch faults and tells us. */
			unmap_mapping_range(mapping, (loff_t)idx << PAGE_SHIFT,
					    PAGE_SIZE, 0);
			folio_clear_referenced(page_folio(page));
			reclaim.referenced++;
			run->in_use++;
			seg_unlock_put(page);
			continue;
		}
		/* Whatever it was, it is not to be a second chance now. */
		if (run->force)
			folio_clear_referenced(page_folio(page));
		ret = seg_swap_out(seg, idx, page, slot);
		if (ret) {
			reclaim.busy++;
			run->in_use += ret == -EAGAIN;
			seg_unlock_put(page);
			continue;
		}
		seg_unlock_put(page);
		shmpool_free_frames(page, 0);
		shmpool_swap_writeback(slot);
		start = ktime_get_ns() - start;
		trace_shmpool_swap_out(seg->id, idx, slot, start);
		slot = 0;
		run->freed++;
		reclaim.swap_outs++;
		reclaim.swap_out_ns += start;
		cond_resched();
	}
	seg->clock = idx;
	up_read(&mapping->invalidate_lock);
	if (slot)
		shmpool_swap_free(slot);
}

/*
 * Sweep the segments in turn, each at most @sweeps times (less if @run
 * wants no more first), from where each one's hand stopped.
 */
static void seg_clock_sweep(struct reclaim_run *run, unsigned int sweeps)
{
	unsigned long visits, steps, nr_segs = shmpool_seg_count();
	struct shmpool_seg *seg;
	struct inode *inode;

	for (visits = 0; visits < nr_segs && run->freed < run->want &&
	     !run->full; visits++) {
		inode = shmpool_seg_reclaim_next();
		if (!inode)
			continue;
		seg = inode->i_private;
		steps = sweeps * (seg_nr_pages(seg) / SHMPOOL_CLOCK_STEP + 1);
		while (steps-- && run->freed < run->want && !run->full &&
		       !fatal_signal_pending(current))
			seg_clock_step(seg, run);
		shmpool_seg_iput(inode);
		if (fatal_signal_pending(current))
			break;
	}
}

/*
 * Drop up to @want of @seg's unpinned pages: frames, which is what @want
 * counts, and swap slots, which free room in the swap area.  A purged
 * page's entry becomes SHMPOOL_PURGED, and pollers hear of it.
 * Return: frames freed.
 */
static unsigned long seg_purge(struct shmpool_seg *seg, unsigned long want)
{
	struct address_space *mapping = seg->inode->i_mapping;
	unsigned long idx, freed = 0, purged = 0;
	void *entry;

	lockdep_assert_held(&reclaim.lock);
	/* Frames of a cgroup's account would not help the reserve. */
	if (seg->acct || !down_read_trylock(&mapping->invalidate_lock))
		return 0;
	/*
	 * Under the lock write seals are published under (exclusively): a
	 * seal a reader has seen is one this walk sees, and a seal published
	 * after this check waits for the walk to end, so no page goes from
	 * under a reader who trusts a write seal.
	 */
	if (READ_ONCE(seg->seals) & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) {
		up_read(&mapping->invalidate_lock);
		return 0;
	}
	xa_for_each_marked(&seg->pages, idx, entry, SHMPOOL_PURGEABLE) {
		struct page *page = NULL;
		bool swapped = xa_is_value(entry), was_purged;
		int ret;

		if (freed >= want)
			break;
		/*
		 * Unpinning and pinning take the invalidate lock exclusively,
		 * so the marks hold still.
		 */
		if (!swapped) {
			page = seg_grab(seg, idx);
			if (IS_ERR_OR_NULL(page)) {
				reclaim.busy++;
				continue;
			}
			ret = seg_remove_frame(seg, idx, page, SHMPOOL_PURGED,
					       NULL);
			if (ret) {
				if (ret == -EBUSY)
					reclaim.busy++;
				seg_unlock_put(page);
				continue;
			}
		} else if (xa_cmpxchg(&seg->pages, idx, entry, SHMPOOL_PURGED,
				      GFP_NOWAIT) != entry) {
			/*
			 * A swapped page may be paging in meanwhile (the entry
			 * is a frame by now): then it stays.
			 */
			continue;
		}
		xa_clear_mark(&seg->pages, idx, SHMPOOL_PURGEABLE);
		was_purged = xa_get_mark(&seg->pages, idx, SHMPOOL_WAS_PURGED);
		xa_set_mark(&seg->pages, idx, SHMPOOL_WAS_PURGED);
		if (swapped) {
			shmpool_swap_free(xa_to_value(entry));
		} else {
			seg_unlock_put(page);
			shmpool_seg_frame_reset_cache(page, seg->cache);
			shmpool_free_frames(page, 0);
			freed++;
		}
		spin_lock(&seg->lock);
		seg->nr_frames--;
		seg->nr_swapped -= swapped;
		seg->nr_purged += !was_purged;
		atomic_long_dec(&seg->user->frames);
		spin_unlock(&seg->lock);
		trace_shmpool_purge(seg->id, idx, swapped);
		purged++;
	}
	up_read(&mapping->invalidate_lock);
	reclaim.purged += purged;
	if (purged)
		wake_up_interruptible_poll(&seg->purge_wait, EPOLLPRI);
	return freed;
}

/*
 * Free up to @want frames: first by purging unpinned pages of every
 * segment, then by swapping cold pages out, taking the segments in turn.
 * The sweep ends when enough are free, when the swap area is full, or
 * after every swappable page has been passed twice (once to clear its
 * reference, once to take it), or, when that freed nothing for a caller
 * who waits, three times (the last resort, below).  @background: the
 * pool's work runs it, not an allocation.
 * Return: frames freed.
 */
static unsigned long __seg_reclaim(unsigned long want, bool background)
{
	struct reclaim_run run = { .want = want };
	unsigned long visits, nr_segs;
	struct inode *inode;
	u64 start, scanned;

	if (mutex_lock_killable(&reclaim.lock))
		return 0;
	start = ktime_get_ns();
	scanned = reclaim.scanned;
	reclaim.runs++;
	nr_segs = shmpool_seg_count();

	for (visits = 0; visits < nr_segs && run.freed < want; visits++) {
		inode = shmpool_seg_reclaim_next();
		if (!inode)
			continue;
		run.freed += seg_purge(inode->i_private, want - run.freed);
		shmpool_seg_iput(inode);
	}

	/*
	 * The clock needs two sweeps of a segment to be sure of it: a first
	 * that gives every referenced or mapped page its second chance, a
	 * second that takes those not touched since.  So each segment in
	 * turn gets its two sweeps (less if enough is freed first), not a
	 * share of a budget summed over all: shared out a step at a time, a
	 * budget left a large segment half swept, and a fault that found the
	 * pool full of its just-unmapped pages failed (swap_test's
	 * allocate_after_swap_and_purge).  A run costs two sweeps of every
	 * segment (three in the last resort), whose pages the next run's
	 * hands go on from.
	 */
	seg_clock_sweep(&run, 2);
	/*
	 * Nothing cold, but pages in use: a working set hotter than the
	 * second chance.  A huge segment's block a thread keeps touching is
	 * one: the hand's visit unmaps the whole block, the thread's next
	 * touch maps all 512 pages again and marks each referenced, and its
	 * fault holds the block's lock, which a swap-out needs to split the
	 * block (swap_test's fault_beside_a_hot_working_set).  A fault,
	 * write() or POPULATE waiting for a frame must not fail for that
	 * while the pool is full of swappable pages, so one more sweep takes
	 * pages whether referenced or mapped, as few as the waiter needs:
	 * one, not a batch of someone's hot pages.  Pages someone holds a
	 * reference to stay, and if only those were passed over there is
	 * nothing to force.  The background work has no one waiting.
	 */
	if (!run.freed && run.in_use && !run.full && !background &&
	    !fatal_signal_pending(current)) {
		reclaim.forced++;
		run.force = true;
		run.want = 1;
		seg_clock_sweep(&run, 1);
	}
	if (!run.freed)
		reclaim.failed++;
	trace_shmpool_reclaim(want, run.freed, reclaim.scanned - scanned,
			      ktime_get_ns() - start, background);
	mutex_unlock(&reclaim.lock);
	return run.freed;
}

/**
 * shmpool_seg_reclaim() - reclaim for an allocation that found the pool
 * empty
 * @want: frames wanted
 *
 * Context: process context; sleeps, waits for a run under way.
 * Return: frames freed.
 */
unsigned long shmpool_seg_reclaim(unsigned long want)
{
	return __seg_reclaim(want, false);
}

/*
 * Reclaim for the pool, which fell below its low watermark and cannot
 * grow: registered with shmpool_pool_set_reclaim().
 */
static unsigned long seg_reclaim_background(unsigned long want)
{
	return __seg_reclaim(want, true);
}

/**
 * shmpool_seg_wait_for_room() - wait for reclaim's run if the pool looks
 * short of a new size
 * @seg: the segment
 * @pages: the pages it is to grow by
 *
 * Before a size is committed without OVERCOMMIT: a segment closed just now
 * may still hold its frames, when reclaim held it at the close and evicts
 * it, under its lock.  If the pool looks short of @pages, wait for the
 * run under way.
 *
 * Context: process context, with no lock held that a fault or reclaim may
 * want.
 */
void shmpool_seg_wait_for_room(struct shmpool_seg *seg, pgoff_t pages)
{
	if ((seg->flags & SHMPOOL_CREATE_OVERCOMMIT) ||
	    pages <= shmpool_pool_available())
		return;
	if (!mutex_lock_killable(&reclaim.lock))
		mutex_unlock(&reclaim.lock);
}

/* Compaction */

/*
 * seg_remove_frame()'s @frozen for the compaction move: @old's contents
 * and state into the new frame, @entry.
 */
static void seg_copy_frame(struct shmpool_seg *seg, pgoff_t idx,
			   struct page *old, void *entry)
{
	struct page *new = entry;

	copy_highpage(new, old);
	page_folio(new)->index = idx;
	folio_mark_uptodate(page_folio(new));
	if (folio_test_referenced(page_folio(old)))
		folio_set_referenced(page_folio(new));
	/* Before reclaim can find it: the marks hold still meanwhile. */
	shmpool_seg_note_use(seg, idx, new);
}

/*
 * The pool's migrate callback: move @old, a frame of segment @owner, to a
 * new frame, as a swap-out would take it (locked, unmapped, its count
 * frozen, so nothing reads a half copy or writes to the old frame) and a
 * page-in would put it back (the xarray entry replaced in place, keeping
 * its marks).  Every mapping faults the new frame in on its next touch.
 * Context: process context; pool.compact_lock held.
 * Return: 0, -ENOENT (not a segment's frame any more), -EBUSY (held,
 * locked, or a cache mode), -ENOMEM.
 */
static int seg_migrate_frame(struct page *old, u32 owner)
{
	struct inode *inode = shmpool_seg_by_id(owner);
	u64 start = ktime_get_ns();
	struct address_space *mapping;
	struct shmpool_seg *seg;
	struct page *new, *page;
	pgoff_t idx;
	int ret = -EBUSY;

	if (!inode)
		return -ENOENT;
	seg = inode->i_private;
	mapping = inode->i_mapping;
	/* Its linear map carries the cache mode: not worth moving. */
	if (seg->cache != SHMPOOL_CACHE_WB)
		goto out_iput;
	if (!down_read_trylock(&mapping->invalidate_lock))
		goto out_iput;
	/* Where it was put; if it has left since, the check below says so. */
	idx = READ_ONCE(page_folio(old)->index);
	ret = -ENOMEM;
	new = shmpool_alloc_frames(seg->acct, 0, GFP_KERNEL, seg->id);
	if (!new)
		goto out_unlock;

	page = seg_grab(seg, idx);
	if (page != old) {
		ret = IS_ERR(page) ? -EBUSY : -ENOENT;
		if (!IS_ERR_OR_NULL(page))
			seg_unlock_put(page);
		goto out_free;
	}
	ret = shmpool_seg_split_block(seg, idx, GFP_KERNEL, old);
	if (ret)
		goto out_put;
	ret = seg_remove_frame(seg, idx, old, new, seg_copy_frame);
	if (WARN_ON_ONCE(ret == -ENOENT))
		clear_highpage(new);	/* it holds the copy: back zeroed */
	if (ret) {
		ret = -EBUSY;
		goto out_put;
	}
	seg_unlock_put(old);
	trace_shmpool_compact_move(seg->id, idx, page_to_pfn(old),
				   page_to_pfn(new), ktime_get_ns() - start);
	/* Under the lock, as every frame leaving a segment is freed. */
	shmpool_free_frames(old, 0);
	up_read(&mapping->invalidate_lock);
	shmpool_seg_iput(inode);
	return 0;

out_put:
	seg_unlock_put(old);
out_free:
	shmpool_free_zeroed_frames(new, 0);
out_unlock:
	up_read(&mapping->invalidate_lock);
out_iput:
	shmpool_seg_iput(inode);
	return ret;
}

/* Purgeable ranges */

/* The pages of [@offset, @offset + @len), checked against @seg's size. */
static int seg_range(struct shmpool_seg *seg, u64 offset, u64 len,
		     pgoff_t *first, pgoff_t *last)
{
	u64 end;

	if (!len || ((offset | len) & ~PAGE_MASK) ||
	    check_add_overflow(offset, len, &end) ||
	    end > (u64)i_size_read(seg->inode))
		return -EINVAL;
	*first = offset >> PAGE_SHIFT;
	*last = (end >> PAGE_SHIFT) - 1;
	return 0;
}

/**
 * shmpool_seg_unpin() - make the pages a range holds purgeable
 * @seg: the segment
 * @offset: bytes, page-aligned
 * @len: bytes, page-aligned
 *
 * Context: process context; takes the invalidate lock exclusively, so that
 * reclaim, which takes it shared, sees a range unpinned whole or not at all.
 * Return: 0; -EINVAL for a bad range, -EPERM on a write-sealed segment,
 * -ENOMEM when a huge segment's block in the range could not be split.
 */
int shmpool_seg_unpin(struct shmpool_seg *seg, u64 offset, u64 len)
{
	struct address_space *mapping = seg->inode->i_mapping;
	pgoff_t first, last;
	unsigned long idx;
	void *entry;
	int ret;

	filemap_invalidate_lock(mapping);
	ret = seg_range(seg, offset, len, &first, &last);
	if (!ret && (READ_ONCE(seg->seals) & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
		ret = -EPERM;
	/* Marks go on pages, and block entries carry none. */
	if (!ret)
		ret = shmpool_seg_split_range(seg, first, last);
	if (!ret) {
		xa_for_each_range(&seg->pages, idx, entry, first, last) {
			if (entry == SHMPOOL_PURGED)
				continue;
			xa_set_mark(&seg->pages, idx, SHMPOOL_PURGEABLE);
			if (!xa_is_value(entry))
				shmpool_seg_note_use(seg, idx, entry);
		}
	}
	filemap_invalidate_unlock(mapping);
	return ret;
}

/**
 * shmpool_seg_pin() - make a range ordinary again
 * @seg: the segment
 * @offset: bytes, page-aligned
 * @len: bytes, page-aligned
 * @result: SHMPOOL_RANGE_PURGED if a page of it was purged meanwhile
 *
 * Purged pages not touched since become holes again (they read as zeroes
 * either way), and the next unpin of the range starts afresh.
 * Context: process context; the invalidate lock exclusively.
 * Return: 0 or -EINVAL.
 */
int shmpool_seg_pin(struct shmpool_seg *seg, u64 offset, u64 len, u32 *result)
{
	struct address_space *mapping = seg->inode->i_mapping;
	unsigned long idx, purged = 0;
	pgoff_t first, last;
	void *entry;
	int ret;

	filemap_invalidate_lock(mapping);
	ret = seg_range(seg, offset, len, &first, &last);
	if (!ret) {
		xa_for_each_range(&seg->pages, idx, entry, first, last) {
			if (xa_get_mark(&seg->pages, idx, SHMPOOL_WAS_PURGED)) {
				xa_clear_mark(&seg->pages, idx, SHMPOOL_WAS_PURGED);
				purged++;
			}
			if (entry == SHMPOOL_PURGED) {
				xa_erase(&seg->pages, idx);
				continue;
			}
			xa_clear_mark(&seg->pages, idx, SHMPOOL_PURGEABLE);
			/* Of a block entry, which has no mark, one frame. */
			if (!xa_is_value(entry))
				shmpool_seg_note_use(seg, idx, shmpool_entry_frame(entry, idx));
		}
		spin_lock(&seg->lock);
		seg->nr_purged -= purged;
		spin_unlock(&seg->lock);
	}
	filemap_invalidate_unlock(mapping);
	*result = purged ? SHMPOOL_RANGE_PURGED : 0;
	return ret;
}

/**
 * shmpool_seg_poll() - ->poll of a segment fd
 * @file: the segment file
 * @wait: the poll table
 *
 * A segment fd is always readable (and writable, if it allows writing),
 * as a regular file is; EPOLLPRI says the segment holds pages purged while
 * unpinned that no SHMPOOL_SEG_IOC_PIN has taken back yet.
 *
 * Context: process context.
 * Return: the event mask.
 */
__poll_t shmpool_seg_poll(struct file *file, struct poll_table_struct *wait)
{
	struct shmpool_seg *seg = file_seg(file);
	__poll_t mask = EPOLLIN | EPOLLRDNORM;

	if (file->f_mode & FMODE_WRITE)
		mask |= EPOLLOUT | EPOLLWRNORM;
	poll_wait(file, &seg->purge_wait, wait);
	if (READ_ONCE(seg->nr_purged))
		mask |= EPOLLPRI;
	return mask;
}

/**
 * shmpool_seg_reclaim_get_stats() - what reclaim and swapping have done
 * @st: its reclaim and swap fields are filled in
 *
 * Context: process context; waits for a reclaim run under way to finish.
 */
void shmpool_seg_reclaim_get_stats(struct shmpool_seg_stats *st)
{
	mutex_lock(&reclaim.lock);
	st->swap_outs = reclaim.swap_outs;
	st->swap_out_ns = reclaim.swap_out_ns;
	st->reclaim_runs = reclaim.runs;
	st->reclaim_scanned = reclaim.scanned;
	st->reclaim_referenced = reclaim.referenced;
	st->reclaim_busy = reclaim.busy;
	st->reclaim_forced = reclaim.forced;
	st->reclaim_failed = reclaim.failed;
	st->purged = reclaim.purged;
	mutex_unlock(&reclaim.lock);
	st->swap_ins = atomic64_read(&reclaim.swap_ins);
	st->swap_in_ns = atomic64_read(&reclaim.swap_in_ns);
}

/**
 * shmpool_seg_reclaim_init() - register reclaim and the compaction move
 * with the pool
 *
 * Context: process context, module load, before any segment exists.
 */
void shmpool_seg_reclaim_init(void)
{
	mutex_init(&reclaim.lock);
	shmpool_pool_set_migrate(seg_migrate_frame);
	shmpool_pool_set_reclaim(seg_reclaim_background);
}

/**
 * shmpool_seg_reclaim_exit() - the counterpart of shmpool_seg_reclaim_init()
 *
 * Context: process context, module unload; waits for a run under way.
 */
void shmpool_seg_reclaim_exit(void)
{
	shmpool_pool_set_reclaim(NULL);
	shmpool_pool_set_migrate(NULL);
}
