// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Block entries
 *
 * A 2 MiB block a huge segment takes at once (see
 * shmpool_seg_get_block()) goes into @pages as one entry of order
 * SHMPOOL_MAX_ORDER holding its first frame, not as 512 entries: one store
 * instead of 512 is most of what makes a huge fault cheap.  A lookup of
 * any index of the block finds the first frame, and shmpool_entry_frame()
 * turns it into the index's own, by the frames' indexes; a walk finds the
 * entry once, and shmpool_seg_entry_pages() says how many pages it covers.
 * The frames are still order-0 frames, each with its own index, lock and
 * reference.  A block entry never holds anything but its 512 frames and
 * never carries a mark: whatever changes one page's entry (swap-out,
 * compaction, unpinning, truncation inside the block) first splits it into
 * 512 entries of one frame each (shmpool_seg_split_block()), and nothing joins
 * them again; purging takes marked pages only, never a block's.  A split
 * changes no index's frame, so a lookup racing with it finds the same
 * frame either way.
 *
 * While the entry is whole, its first frame's lock is also the block's
 * lock, as a large folio's is: a split takes it (or the invalidate lock
 * exclusively), so whoever holds it sees the entry stay whole, and with
 * it all 512 frames stay, since none leaves without a split first.  That
 * is what a fault that maps the block by one PMD entry holds, one lock
 * instead of 512; a fault that maps one page of a block entry by a PTE
 * holds it as well as the page's own, so that a page table and a leaf
 * entry never race for one PMD.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>

#include "compat.h"
#include "pool.h"
#include "segment.h"
#include "seg_internal.h"

/**
 * shmpool_seg_entry_pages() - how many pages an entry a walk found covers
 * @seg: the segment
 * @idx: where the walk (xa_for_each() and the like) found it
 * @entry: what it found
 *
 * Return: 1, or for a block entry the pages of the block from @idx on (a
 * walk that starts inside a block finds its entry at the start index).
 * Context: any; the caller keeps @entry from changing or rechecks it.
 */
unsigned long shmpool_seg_entry_pages(struct shmpool_seg *seg, pgoff_t idx,
				      void *entry)
{
	unsigned long nr;

	if (!(seg->flags & SHMPOOL_CREATE_HUGE) || !entry || xa_is_value(entry))
		return 1;
	nr = 1UL << xa_get_order(&seg->pages, idx);
	return nr - (idx & (nr - 1));
}

/* The block entry at @xas (an aligned index), or NULL. */
static struct page *seg_block_entry(struct xa_state *xas)
{
	struct page *first = xas_load(xas);

	if (!first || xa_is_internal(first) || xa_is_value(first) ||
	    xas_get_order(xas) != SHMPOOL_MAX_ORDER)
		return NULL;
	return first;
}

/**
 * shmpool_seg_split_block() - make a block entry 512 entries of one frame
 * @seg: the segment
 * @idx: an index the block entry covers, if there is one
 * @gfp: for the new xarray nodes
 * @locked: a frame of the block the caller holds locked, or NULL
 *
 * Makes the block entry that covers @idx, if there is one, 512 entries of
 * one frame each; see "Block entries" above.  xas_split() gives each new
 * entry the block's first frame, which shmpool_entry_frame() reads as the
 * block entry was read; then each gets its own.
 *
 * Under the block's lock, its first frame's (see "Block entries"): a
 * caller that holds a frame of the block locked (@locked) has it tried
 * for it; one that holds the invalidate lock exclusively needs none
 * (@locked NULL), as every holder of a block's lock holds that lock
 * shared or a frame of the block.
 *
 * Context: process context if @gfp may sleep; the invalidate lock held
 * (shared is enough with @locked), which keeps truncation from taking the
 * block away.
 * Return: 0; -EBUSY when someone holds the block's lock, -ENOMEM when
 * there is no memory for the new nodes.
 */
int shmpool_seg_split_block(struct shmpool_seg *seg, pgoff_t idx, gfp_t gfp,
			    struct page *locked)
{
	XA_STATE(xas, &seg->pages, round_down(idx, SHMPOOL_BLOCK_NR));
	struct page *first;
	unsigned long i;
	int ret = 0;

	if (!(seg->flags & SHMPOOL_CREATE_HUGE))
		return 0;
	if (!locked)
		lockdep_assert_held_write(&seg->inode->i_mapping->invalidate_lock);
	rcu_read_lock();
	first = seg_block_entry(&xas);
	/* A reference first: the frame may be leaving, as in seg_grab(). */
	if (first && first != locked && !get_page_unless_zero(first))
		ret = -EBUSY;
	rcu_read_unlock();
	if (!first || ret)
		return ret;
	/* As in seg_grab(): still the block's before its lock is tried. */
	if (first != locked && locked &&
	    (xa_load(&seg->pages, idx) != first || !trylock_page(first))) {
		put_page(first);
		return -EBUSY;
	}

	xas_split_alloc(&xas, first, SHMPOOL_MAX_ORDER, gfp);
	ret = xas_error(&xas);
	if (ret)
		goto out;
	xas_lock(&xas);
	xas_reset(&xas);
	/* Split by someone else meanwhile: the nodes go back below. */
	if (seg_block_entry(&xas) == first) {
		xas_split(&xas, first, SHMPOOL_MAX_ORDER);
		/* Replacing entries allocates nothing. */
		for (i = 1; i < SHMPOOL_BLOCK_NR; i++) {
			xas_next(&xas);
			xas_store(&xas, first + i);
		}
	}
	xas_unlock(&xas);
	xas_nomem(&xas, gfp);
out:
	if (first != locked) {
		if (locked)
			unlock_page(first);
		put_page(first);
	}
	return ret;
}

/**
 * shmpool_seg_split_range() - split every block entry that covers a page
 * of [@first, @last]
 * @seg: the segment
 * @first: the first index
 * @last: the last index
 *
 * Context: process context; the invalidate lock held exclusively.
 * Return: 0, or the error of the shmpool_seg_split_block() that failed.
 */
int shmpool_seg_split_range(struct shmpool_seg *seg, pgoff_t first,
			    pgoff_t last)
{
	pgoff_t idx;
	int err = 0;

	if (!(seg->flags & SHMPOOL_CREATE_HUGE))
		return 0;
	for (idx = round_down(first, SHMPOOL_BLOCK_NR); idx <= last && !err;
	     idx += SHMPOOL_BLOCK_NR)
		err = shmpool_seg_split_block(seg, idx, GFP_KERNEL, NULL);
	return err;
}

/* Unlock the first @nr frames of the block at @first. */
static void seg_unlock_block(struct page *first, unsigned long nr)
{
	while (nr--)
		unlock_page(first + nr);
}

/*
 * Lock @page, which @xas's entry holds (@entry), as seg_vm_map_pages()
 * takes a frame: a reference, the lock, and whether the entry is still
 * there and the frame filled.  The reference goes again once the lock is
 * held: from then on the lock keeps the frame in @pages, and @pages keeps
 * the frame.
 */
static bool seg_lock_frame(struct xa_state *xas, void *entry,
			   struct page *page)
{
	if (!get_page_unless_zero(page))
		return false;
	if (xas_reload(xas) != entry || !trylock_page(page)) {
		put_page(page);
		return false;
	}
	if (xas_reload(xas) != entry || !folio_test_uptodate(page_folio(page))) {
		seg_unlock_put(page);
		return false;
	}
	put_page(page);
	return true;
}

/*
 * Lock the frames at @idx.. if they are one block of the pool, as
 * shmpool_seg_get_block() says; NULL otherwise.  Usually they are one
 * block entry: then its lock, its first frame's, is all it takes, and the
 * entry is looked up once.  A block split since (reclaim passed it, say)
 * may still be whole, 512 entries in order: then each frame's lock.
 * *@nr_locked says how many frames are locked from the first.
 */
static struct page *seg_lock_block(struct shmpool_seg *seg, pgoff_t idx,
				   unsigned long *nr_locked)
{
	XA_STATE(xas, &seg->pages, idx);
	struct page *first;
	unsigned long i = 0;

	rcu_read_lock();
	first = xas_load(&xas);
	if (!first || xa_is_internal(first) || xa_is_value(first) ||
	    !IS_ALIGNED(page_to_pfn(first), SHMPOOL_BLOCK_NR))
		goto out;
	if (xas_get_order(&xas) == SHMPOOL_MAX_ORDER) {
		/* Still one entry once locked: no split passed meanwhile. */
		if (seg_lock_frame(&xas, first, first)) {
			if (seg_block_entry(&xas) == first) {
				rcu_read_unlock();
				*nr_locked = 1;
				return first;
			}
			unlock_page(first);
		}
		goto out;
	}
	/* An aligned block never crosses a memory section: first + i is fine. */
	for (; i < SHMPOOL_BLOCK_NR; i++) {
		struct page *page = first + i;

		if ((i && xas_next(&xas) != page) || !seg_lock_frame(&xas, page, page))
			break;
	}
out:
	rcu_read_unlock();
	if (i == SHMPOOL_BLOCK_NR) {
		*nr_locked = i;
		return first;
	}
	seg_unlock_block(first, i);
	return NULL;
}

/*
 * Put the block of frames at @first into @pages at @idx.. as one block
 * entry, if every index there is still a hole.  Return: whether it went
 * in; not when someone filled an index first or there is no memory for
 * a node.
 */
static bool seg_store_block(struct shmpool_seg *seg, pgoff_t idx,
			    struct page *first)
{
	XA_STATE_ORDER(xas, &seg->pages, idx, SHMPOOL_MAX_ORDER);

	do {
		xas_lock(&xas);
		if (xas_find_conflict(&xas))
			xas_set_err(&xas, -EEXIST);
		else
			xas_store(&xas, first);
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_KERNEL));
	return !xas_error(&xas);
}

/*
 * Fill the holes at @idx.. with one new block of the pool, if all of them
 * are holes and the owner's quota has room for the whole block; NULL
 * otherwise.  The frames are split into order-0 ones at once, so that the
 * rest of the segment layer - truncation, swap-out, purging, compaction -
 * can take them one by one, as any other frame, once the block entry
 * they go in as is split.  Returned with the block's lock.
 */
static struct page *seg_fill_block(struct shmpool_seg *seg, pgoff_t idx)
{
	/* A hole has no mark: no page of the block is unpinned yet. */
	enum shmpool_frame_use use = shmpool_seg_swappable(seg) ?
		SHMPOOL_USE_SWAPPABLE : SHMPOOL_USE_PINNED;
	unsigned long i, index = idx;
	struct page *first;

	/* A purged page is not a plain hole: it remembers, page by page. */
	if (xa_find(&seg->pages, &index, idx + SHMPOOL_BLOCK_NR - 1, XA_PRESENT))
		return NULL;
	spin_lock(&seg->lock);
	if (!shmpool_seg_user_charge(seg->user, SHMPOOL_BLOCK_NR)) {
		spin_unlock(&seg->lock);
		return NULL;
	}
	seg->nr_frames += SHMPOOL_BLOCK_NR;
	spin_unlock(&seg->lock);

	first = shmpool_alloc_frames(seg->acct, SHMPOOL_MAX_ORDER, GFP_KERNEL,
				     seg->id);
	if (!first) {
		shmpool_seg_uncharge(seg, SHMPOOL_BLOCK_NR, false);
		return NULL;
	}
	shmpool_split_frames(first, SHMPOOL_MAX_ORDER, use);
	/*
	 * Set up as shmpool_seg_get_frame() sets up one.  A frame keeps PG_uptodate
	 * from its last life but for a failed page-in: an atomic operation
	 * saved for each of 512 is much of what the fault costs.
	 */
	for (i = 0; i < SHMPOOL_BLOCK_NR; i++) {
		struct folio *folio = page_folio(first + i);

		if (!folio_test_uptodate(folio))
			folio_mark_uptodate(folio);
		folio->index = idx + i;
	}
	/*
	 * The block's lock before it is visible, as in shmpool_seg_swap_in(): a
	 * reader of the first frame's previous life may hold it for a
	 * moment, and then the block goes back.  No reference of ours: the
	 * lock keeps reclaim and compaction away, as they split the entry
	 * before they take a frame.
	 */
	if (folio_trylock(page_folio(first))) {
		if (seg_store_block(seg, idx, first))
			return first;
		folio_unlock(page_folio(first));
	}
	/* Never visible, never written: back as they came. */
	for (i = 0; i < SHMPOOL_BLOCK_NR; i++)
		shmpool_free_zeroed_frames(first + i, 0);
	shmpool_seg_uncharge(seg, SHMPOOL_BLOCK_NR, false);
	return NULL;
}

/**
 * shmpool_seg_put_block() - unlock what shmpool_seg_get_block() gave
 * @first: the block's first frame
 * @nr_locked: what shmpool_seg_get_block() said
 *
 * Context: any; does not sleep.
 */
void shmpool_seg_put_block(struct page *first, unsigned long nr_locked)
{
	seg_unlock_block(first, nr_locked);
}

/**
 * shmpool_seg_get_block() - the 2 MiB block of frames at @idx, locked
 * @seg: a huge segment (SHMPOOL_CREATE_HUGE)
 * @idx: the first index, a multiple of 2^SHMPOOL_MAX_ORDER
 * @nr_locked: out: how many frames from the first are locked
 *
 * For a fault that maps 2 MiB with one PMD entry (mapping.c): the frames
 * at @idx and the 511 after it, if they are one naturally aligned block of
 * the pool, each filled, and locked: a block entry by its first frame's
 * lock, which stands for all of them (see "Block entries" above), the
 * frames of a block split since each by its own.  The locks are what
 * keeps them: no frame leaves @pages without its lock and a split, which
 * takes the block's (nor while the caller's invalidate lock keeps
 * truncation out), and @pages holds a reference on each.  When all 512
 * pages are holes, one new block of the pool fills them first.  Anything
 * else - the end of the segment, a hole beside a frame, a page swapped
 * out or purged, frames of different blocks (one was paged in or moved
 * since), a frame someone holds, no free block in the pool, no room in
 * the quota for all of it - is NULL, and the fault maps the page it is
 * for alone.
 *
 * Context: process context; sleeps.  The caller holds @seg's invalidate
 * lock shared, which keeps truncation out while the frames are locked.
 * Return: the block's first frame, or NULL.
 */
struct page *shmpool_seg_get_block(struct shmpool_seg *seg, pgoff_t idx,
				   unsigned long *nr_locked)
{
	struct page *first;

	/* Block entries are multi-index ones. */
	if (!IS_ENABLED(CONFIG_XARRAY_MULTI) ||
	    !(seg->flags & SHMPOOL_CREATE_HUGE) ||
	    !IS_ALIGNED(idx, SHMPOOL_BLOCK_NR) ||
	    idx + SHMPOOL_BLOCK_NR > seg_nr_pages(seg))
		return NULL;
	first = seg_lock_block(seg, idx, nr_locked);
	if (!first) {
		first = seg_fill_block(seg, idx);
		*nr_locked = 1;
	}
	return first;
}

/**
 * shmpool_seg_lock_block_of() - for a PTE of @page: its block's lock too
 * @seg: a huge segment
 * @idx: @page's index
 * @page: the frame at @idx, locked, with the caller's reference
 *
 * A fault that maps a page of a huge segment by itself must keep
 * shmpool_seg_get_block() from mapping its block by a PMD meanwhile: a
 * page table and a leaf entry cannot both be there.  Where the page is of
 * a split block, its own lock does that; where it is of a block entry, the
 * block's lock, its first frame's, does.  That lock is only tried here:
 * lower frames' locks come first (truncation takes them in order).  When
 * someone holds it, @page is unlocked and released, and this waits for it
 * before the caller lets the access fault again: usually the holder is
 * another fault mapping the whole block.
 *
 * Context: process context; sleeps.
 * Return: NULL when @page's lock is enough; the block's first frame,
 * locked, for the caller to unlock and put_page(); ERR_PTR(-EAGAIN) when
 * @page is gone.
 */
struct page *shmpool_seg_lock_block_of(struct shmpool_seg *seg, pgoff_t idx,
				       struct page *page)
{
	XA_STATE(xas, &seg->pages, round_down(idx, SHMPOOL_BLOCK_NR));
	struct page *first;

	rcu_read_lock();
	first = seg_block_entry(&xas);
	if (first == page || (first && !get_page_unless_zero(first)))
		first = NULL;
	rcu_read_unlock();
	if (!first)
		return NULL;
	/*
	 * As in seg_grab(): still the block's before its lock is tried, and
	 * still one entry once it is held.  Else a split came in between,
	 * and @page's own lock is enough now.
	 */
	if (xa_load(&seg->pages, idx) != first) {
		put_page(first);
		return NULL;
	}
	if (trylock_page(first)) {
		bool whole;

		rcu_read_lock();
		xas_reset(&xas);
		whole = seg_block_entry(&xas) == first;
		rcu_read_unlock();
		if (whole)
			return first;
		seg_unlock_put(first);
		return NULL;
	}
	seg_unlock_put(page);
	folio_wait_locked(page_folio(first));
	put_page(first);
	return ERR_PTR(-EAGAIN);
}
