// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Frames and the page lock
 *
 * Frames enter a segment's pages only by a first touch, a page-in or a
 * compaction move, and leave them by truncation, eviction, swap-out,
 * purging, compaction and a failed page-in.  Whoever maps a frame (the
 * fault handler, fault-around) or removes it holds the frame's page lock
 * and re-checks, under it, that the frame is still in the pages at that
 * index and inside the size: so a frame removed by truncation can never
 * be mapped after the truncation's final unmap_mapping_range(), the
 * protocol the page cache follows.  Frames are looked up under RCU and
 * pinned with a speculative reference (the pool keeps chunks it gives
 * back for an RCU grace period, so a looked-up frame is always a valid
 * page); a frame enters the pages with the inserter's reference already
 * taken, so that no one can freeze it before its first user holds it.
 *
 * A frame still referenced elsewhere when it leaves the segment (by a pipe
 * after vmsplice(), by a pin) is not reused: the pool hands it to the
 * kernel, which frees it when the last reference goes.
 */
#include <linux/fs.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>

#include <asm/set_memory.h>

#include "compat.h"
#include "pool.h"
#include "segment.h"
#include "seg_internal.h"
#include "swap.h"
#include "trace.h"

/* Cache modes: the kernel's linear mapping of a frame follows its segment. */

#ifdef CONFIG_X86
static int frame_set_cache(struct page *page, u32 cache)
{
	switch (cache) {
	case SHMPOOL_CACHE_WC:
		return set_pages_array_wc(&page, 1);
	case SHMPOOL_CACHE_UC:
		return set_pages_array_uc(&page, 1);
	default:
		return 0;
	}
}

/**
 * shmpool_seg_frame_reset_cache() - give a frame's linear mapping back
 * its write-back cache mode
 * @page: a frame leaving its segment
 * @cache: the segment's SHMPOOL_CACHE_*
 *
 * Context: process context.
 */
void shmpool_seg_frame_reset_cache(struct page *page, u32 cache)
{
	if (cache != SHMPOOL_CACHE_WB)
		set_pages_array_wb(&page, 1);
}

/**
 * shmpool_seg_cache_supported() - can frames have cache mode @cache here?
 * @cache: SHMPOOL_CACHE_*
 *
 * Context: any.
 * Return: whether the architecture can give the linear mapping of a frame
 * that mode (x86 all three; elsewhere write-back only).
 */
bool shmpool_seg_cache_supported(u32 cache)
{
	return cache <= SHMPOOL_CACHE_UC;
}
#else
static int frame_set_cache(struct page *page, u32 cache)
{
	return 0;
}

void shmpool_seg_frame_reset_cache(struct page *page, u32 cache)
{
}

bool shmpool_seg_cache_supported(u32 cache)
{
	return cache == SHMPOOL_CACHE_WB;
}
#endif

/* Frames */

/**
 * shmpool_seg_get_frame() - a zeroed frame for @seg
 * @seg: the segment
 * @may_reclaim: reclaim when the pool has none
 *
 * From the pool, or from reclaim when the pool has none and @may_reclaim.
 * Uncharged: see seg_alloc_frame().
 *
 * Context: process context; sleeps if @may_reclaim.
 * Return: the frame, uptodate, with the cache mode of @seg; NULL when
 * neither the pool nor reclaim has one.
 */
struct page *shmpool_seg_get_frame(struct shmpool_seg *seg, bool may_reclaim)
{
	struct page *page;

	/* Only what the pool (or the cgroup's account) holds already. */
	if (!may_reclaim) {
		page = shmpool_alloc_frames(seg->acct, 0, GFP_NOWAIT, seg->id);
		goto got;
	}

	/*
	 * Frames reclaim frees go to whoever allocates first, perhaps another
	 * faulting task; and frames come back by other ways while we wait
	 * for reclaim's lock: a segment closed while reclaim held it is
	 * evicted by reclaim, under that lock, thousands of frames at once,
	 * after which our own run may find nothing left to free.  So retry
	 * while reclaim frees frames or the pool has free ones, and give up
	 * (SIGBUS) only when neither: then none can be had.  Frees that
	 * leave the pool no richer (a cgroup's, a compaction's move) do not
	 * count, so that others' churn cannot keep us here.
	 */
	for (;;) {
		page = shmpool_alloc_frames(seg->acct, 0, GFP_KERNEL, seg->id);
		if (page || seg->acct || fatal_signal_pending(current))
			break;
		if (!shmpool_seg_reclaim(SHMPOOL_RECLAIM_BATCH) &&
		    !shmpool_pool_reserve_free())
			break;
	}
got:
	if (page && frame_set_cache(page, seg->cache)) {
		/* Nobody wrote it: it goes back without another clear. */
		shmpool_free_zeroed_frames(page, 0);
		page = NULL;
	}
	if (page)
		folio_mark_uptodate(page_folio(page));
	return page;
}

/**
 * shmpool_seg_put_clean_frame() - give back a frame nobody wrote
 * @seg: the segment it was got for
 * @page: from shmpool_seg_get_frame(), never visible in @seg's pages
 *
 * No second clear: it goes back zeroed as it came.
 *
 * Context: process context.
 */
void shmpool_seg_put_clean_frame(struct shmpool_seg *seg, struct page *page)
{
	shmpool_seg_frame_reset_cache(page, seg->cache);
	shmpool_free_zeroed_frames(page, 0);
}

/**
 * shmpool_seg_uncharge() - uncharge @nr pages of @seg's
 * @seg: the segment
 * @nr: pages
 * @swapped: swap slots dropped, not frames
 *
 * Frames freed (or never handed out), or, with @swapped, swap slots
 * dropped.
 *
 * Context: any; takes @seg's lock.
 */
void shmpool_seg_uncharge(struct shmpool_seg *seg, unsigned long nr,
			  bool swapped)
{
	spin_lock(&seg->lock);
	seg->nr_frames -= nr;
	if (swapped)
		seg->nr_swapped -= nr;
	atomic_long_sub(nr, &seg->user->frames);
	spin_unlock(&seg->lock);
}

/*
 * A zeroed frame for @seg, charged to its owner; NULL and @err on failure.
 * A frame nobody asked for yet (@ahead) is taken only if the pool has one
 * free and the owner's quota room: it never reclaims, and a refusal is
 * nobody's denial.
 */
static struct page *seg_alloc_frame(struct shmpool_seg *seg, int *err,
				    bool ahead)
{
	struct page *page;

	spin_lock(&seg->lock);
	if (!shmpool_seg_user_charge(seg->user, 1)) {
		spin_unlock(&seg->lock);
		*err = -EDQUOT;
		if (!ahead)
			trace_shmpool_denied(seg->id, SHMPOOL_DENIED_QUOTA,
					     EDQUOT);
		return NULL;
	}
	seg->nr_frames++;
	spin_unlock(&seg->lock);

	page = shmpool_seg_get_frame(seg, !ahead);
	if (page)
		return page;

	shmpool_seg_uncharge(seg, 1, false);
	*err = -ENOMEM;
	return NULL;
}

/* Give a frame that has left @pages back to the pool and uncharge it. */
static void seg_free_frame(struct shmpool_seg *seg, struct page *page)
{
	shmpool_seg_frame_reset_cache(page, seg->cache);
	shmpool_free_frames(page, 0);
	shmpool_seg_uncharge(seg, 1, false);
}

/**
 * shmpool_seg_swappable() - may reclaim take @seg's frames?
 * @seg: the segment
 *
 * See "Reclaim and swap" in seg_reclaim.c.
 *
 * Context: any.
 * Return: false for NOSWAP, WC and UC segments and those charged to a
 * memory cgroup.
 */
bool shmpool_seg_swappable(struct shmpool_seg *seg)
{
	return !(seg->flags & SHMPOOL_CREATE_NOSWAP) &&
	       seg->cache == SHMPOOL_CACHE_WB && !seg->acct;
}

/**
 * shmpool_seg_note_use() - tell the memory map what a frame is to reclaim
 * @seg: the segment
 * @idx: the frame's index
 * @page: the frame
 *
 * Purgeable in an unpinned range of a segment seg_purge() takes from (not
 * a charged one, not a write-sealed one), else swappable or pinned as the
 * segment is.
 *
 * Context: wherever a frame enters @pages, before it is visible there
 * unlocked, and wherever its mark or the seals change, with the
 * invalidate lock held exclusively: so the frame is still the segment's.
 */
void shmpool_seg_note_use(struct shmpool_seg *seg, pgoff_t idx,
			  struct page *page)
{
	enum shmpool_frame_use use = SHMPOOL_USE_PINNED;

	if (!seg->acct &&
	    !(READ_ONCE(seg->seals) & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) &&
	    xa_get_mark(&seg->pages, idx, SHMPOOL_PURGEABLE))
		use = SHMPOOL_USE_PURGEABLE;
	else if (shmpool_seg_swappable(seg))
		use = SHMPOOL_USE_SWAPPABLE;
	shmpool_frame_set_use(page, use);
}

/*
 * What @pages holds at @idx: the frame with a reference, a value entry
 * (the page is swapped out), or NULL for a hole.
 */
static void *seg_find_entry(struct shmpool_seg *seg, pgoff_t idx)
{
	struct page *page;
	void *entry;

	rcu_read_lock();
	do {
		entry = xa_load(&seg->pages, idx);
		page = seg_frame_of(seg, entry, idx);
		if (!page || xa_is_value(page))
			break;
		/* The pool's reference is there while the page is in @pages. */
		if (!get_page_unless_zero(page))
			continue;
		/*
		 * The entry itself, not only the frame it gives: a block entry
		 * still there has its first frame's index right, so @page is
		 * the one.
		 */
		if (likely(xa_load(&seg->pages, idx) == entry))
			break;
		put_page(page);
	} while (1);
	rcu_read_unlock();
	return page;
}

/**
 * shmpool_seg_get_page() - the frame at @idx, allocated if need be, locked
 * @seg: the segment
 * @idx: page index inside the segment
 * @major: set if the page was read back from the swap area (may be NULL)
 *
 * Context: process context; sleeps.
 * Return: the page, locked and with a reference for the caller; or
 * ERR_PTR(-ENXIO) when @idx is beyond the size, -EDQUOT when the owner is
 * at their quota, -ENOMEM when the pool has no frame.
 */
struct page *shmpool_seg_get_page(struct shmpool_seg *seg, pgoff_t idx,
				  bool *major)
{
	struct address_space *mapping = seg->inode->i_mapping;
	struct page *page = NULL, *new = NULL;
	int err = -ENXIO;

	/* Truncation holds it exclusively: the size and @pages stand still. */
	filemap_invalidate_lock_shared(mapping);
	if (idx >= seg_nr_pages(seg))
		goto out;
retry:
	for (;;) {
		void *old, *entry;

		entry = seg_find_entry(seg, idx);
		if (xa_is_value(entry) && entry != SHMPOOL_PURGED) {
			page = shmpool_seg_swap_in(seg, idx, entry);
			if (major && !IS_ERR_OR_NULL(page))
				*major = true;
			if (IS_ERR(page)) {
				err = PTR_ERR(page);
				page = NULL;
				goto out;
			}
			if (page)
				break;
			continue;
		}
		page = entry == SHMPOOL_PURGED ? NULL : entry;
		if (page)
			break;
		if (!new) {
			new = seg_alloc_frame(seg, &err, false);
			if (!new)
				goto out;
			continue;	/* allocating slept: look again */
		}
		/* Compaction finds a frame's place in @pages by its index. */
		page_folio(new)->index = idx;
		/*
		 * Our reference before it is visible: reclaim or compaction
		 * finding it must fail to freeze it.  A purged page is a hole
		 * that remembers: fill it alike.
		 */
		get_page(new);
		old = xa_cmpxchg(&seg->pages, idx, entry, new, GFP_KERNEL);
		if (old == entry) {
			shmpool_seg_note_use(seg, idx, new);
			page = new;
			new = NULL;
			break;
		}
		put_page(new);
		if (xa_is_err(old)) {
			err = xa_err(old);
			goto out;
		}
	}
	/* From here the page lock keeps truncation from taking it away. */
	lock_page(page);
	/* A page-in that failed took it out while we waited: look again. */
	if (unlikely(seg_frame_at(seg, idx) != page ||
		     !folio_test_uptodate(page_folio(page)))) {
		seg_unlock_put(page);
		page = NULL;
		goto retry;
	}
out:
	/* Under the lock: the auditor must never see it charged and unheld. */
	if (new)
		seg_free_frame(seg, new);
	filemap_invalidate_unlock_shared(mapping);
	return page ? page : ERR_PTR(err);
}

/**
 * shmpool_seg_fill_holes() - frames for the holes from @idx on, at once
 * @seg: the segment
 * @idx: the first index
 * @pages: filled with the frames, locked and with a reference each
 * @nr: at most this many
 *
 * For a fault that finds a program writing its way through fresh pages:
 * the faulting page and the holes that follow get their frames together,
 * so that the program does not take a fault for each (seg_vm_fault()).
 * Stops at the first index that is not a hole (a frame, a swapped-out or
 * purged page), at the end of the segment, or when a frame cannot be had
 * without reclaim or beyond the owner's quota.  The frames are in @pages
 * when this returns, locked, in index order.  Nothing at all (0) unless
 * there is plenty of room for @nr in the pool and twice that in the
 * quota: frames taken ahead must never be what another fault lacks.
 * Write-back segments only: WC and UC frames change their kernel mapping
 * one by one, which is no fast path.
 *
 * Context: process context; the caller holds @seg's invalidate lock
 * shared, which keeps truncation out while the frames are locked.
 * Return: how many frames @pages holds.
 */
unsigned long shmpool_seg_fill_holes(struct shmpool_seg *seg, pgoff_t idx,
				     struct page **pages, unsigned long nr)
{
	unsigned long n;
	int err;

	if (seg->cache != SHMPOOL_CACHE_WB || !shmpool_pool_plenty(nr) ||
	    !shmpool_seg_user_room(seg, 2 * nr))
		return 0;
	for (n = 0; n < nr && idx + n < seg_nr_pages(seg); n++) {
		struct page *page;
		void *old;

		if (xa_load(&seg->pages, idx + n))
			break;
		page = seg_alloc_frame(seg, &err, true);
		if (!page)
			break;
		page_folio(page)->index = idx + n;
		/*
		 * Locked and with our reference before it is visible, as in
		 * shmpool_seg_swap_in(); a reader of the frame's previous life may
		 * hold the lock for a moment, and then we stop here.  Only
		 * the faulting page (the first) may wait for xarray memory.
		 */
		get_page(page);
		if (folio_trylock(page_folio(page))) {
			old = xa_cmpxchg(&seg->pages, idx + n, NULL, page,
					 n ? GFP_NOWAIT : GFP_KERNEL);
			if (!old) {
				shmpool_seg_note_use(seg, idx + n, page);
				pages[n] = page;
				continue;
			}
			/* Someone filled it first, or no memory for a node. */
			folio_unlock(page_folio(page));
		}
		put_page(page);
		shmpool_seg_put_clean_frame(seg, page);
		shmpool_seg_uncharge(seg, 1, false);
		break;
	}
	return n;
}

/* Truncation, resizing, populating */

/**
 * shmpool_seg_truncate_frames() - remove every frame from @start on
 * @seg: the segment
 * @start: the first index to go
 *
 * Unmap, take each out of @pages under its page lock (a block entry under
 * all its frames' locks), unmap again (a fault-around that held the lock
 * may have mapped it meanwhile), then free.  Private copy-on-write copies
 * go too, as a file's do on truncation.  A block entry must not cover
 * @start but begin there, if at all: see shmpool_seg_resize().
 *
 * Context: the invalidate lock held exclusively, or the inode being
 * evicted (nobody else can reach it then).
 */
void shmpool_seg_truncate_frames(struct shmpool_seg *seg, pgoff_t start)
{
	struct address_space *mapping = seg->inode->i_mapping;
	loff_t holebegin = (loff_t)start << PAGE_SHIFT;
	struct page *page, *tmp;
	unsigned long idx, i, nr;
	LIST_HEAD(victims);

	unmap_mapping_range(mapping, holebegin, 0, 1);
	xa_for_each_range(&seg->pages, idx, page, start, ULONG_MAX) {
		if (xa_get_mark(&seg->pages, idx, SHMPOOL_WAS_PURGED)) {
			spin_lock(&seg->lock);
			seg->nr_purged--;
			spin_unlock(&seg->lock);
		}
		if (page == SHMPOOL_PURGED) {
			xa_erase(&seg->pages, idx);
			continue;
		}
		if (xa_is_value(page)) {
			xa_erase(&seg->pages, idx);
			shmpool_swap_free(xa_to_value(page));
			shmpool_seg_uncharge(seg, 1, true);
			continue;
		}
		nr = shmpool_seg_entry_pages(seg, idx, page);
		if (WARN_ON_ONCE(nr > 1 && !IS_ALIGNED(idx, SHMPOOL_BLOCK_NR)))
			continue;
		for (i = 0; i < nr; i++)
			lock_page(page + i);
		/* The whole entry, a block's too. */
		xa_erase(&seg->pages, idx);
		for (i = 0; i < nr; i++) {
			unlock_page(page + i);
			list_add(&page[i].lru, &victims);
		}
		cond_resched();
	}
	unmap_mapping_range(mapping, holebegin, 0, 1);

	list_for_each_entry_safe(page, tmp, &victims, lru) {
		list_del(&page->lru);
		seg_free_frame(seg, page);
	}
}

/**
 * shmpool_seg_resize() - ftruncate() of a segment
 * @seg: the segment
 * @size: the new size in bytes
 *
 * Context: process context; the caller holds the inode lock (setattr).
 * Return: 0; -EINVAL for a size that is not a page multiple, -EFBIG
 * beyond seg_max_kb, -EPERM against F_SEAL_GROW or F_SEAL_SHRINK,
 * -ENOMEM when the growth cannot be committed; an error of
 * shmpool_seg_split_block() when a block the new end cuts cannot be split.
 */
int shmpool_seg_resize(struct shmpool_seg *seg, loff_t size)
{
	loff_t old = i_size_read(seg->inode);
	u32 seals;
	int ret;

	if (size & ~PAGE_MASK)
		return -EINVAL;
	if (size > shmpool_seg_max_bytes())
		return -EFBIG;

	spin_lock(&seg->lock);
	seals = seg->seals;
	spin_unlock(&seg->lock);
	if ((size > old && (seals & F_SEAL_GROW)) ||
	    (size < old && (seals & F_SEAL_SHRINK))) {
		trace_shmpool_denied(seg->id, SHMPOOL_DENIED_WRITE, EPERM);
		return -EPERM;
	}
	if (size > old)
		shmpool_seg_wait_for_room(seg, (size - old) >> PAGE_SHIFT);

	filemap_invalidate_lock(seg->inode->i_mapping);
	/*
	 * Truncation takes whole entries: a block the new end cuts is split
	 * first, before anything changed (shrinking commits nothing that
	 * could fail).
	 */
	ret = 0;
	if (size < old && !IS_ALIGNED(size >> PAGE_SHIFT, SHMPOOL_BLOCK_NR))
		ret = shmpool_seg_split_block(seg, size >> PAGE_SHIFT, GFP_KERNEL, NULL);
	if (!ret) {
		ret = shmpool_seg_commit(seg, old >> PAGE_SHIFT, size >> PAGE_SHIFT);
		if (ret)
			shmpool_seg_count_fail(seg->id, 0, SHMPOOL_FAIL_RESIZE,
					       SHMPOOL_FAIL_COMMIT);
	}
	if (!ret) {
		i_size_write(seg->inode, size);
		if (size < old)
			shmpool_seg_truncate_frames(seg, size >> PAGE_SHIFT);
	}
	filemap_invalidate_unlock(seg->inode->i_mapping);
	return ret;
}

/**
 * shmpool_seg_populate() - SHMPOOL_CREATE_POPULATE: a frame for every page
 * @seg: the segment, new
 *
 * Context: process context; sleeps.
 * Return: 0; -EINTR when killed; the errors of shmpool_seg_get_page().
 */
int shmpool_seg_populate(struct shmpool_seg *seg)
{
	pgoff_t idx, nr = seg_nr_pages(seg);
	unsigned long nr_locked;
	struct page *page;

	for (idx = 0; idx < nr; idx++) {
		if (fatal_signal_pending(current))
			return -EINTR;
		/* A huge segment's, a block at a time where one fits. */
		if (seg->flags & SHMPOOL_CREATE_HUGE) {
			struct address_space *mapping = seg->inode->i_mapping;

			filemap_invalidate_lock_shared(mapping);
			page = shmpool_seg_get_block(seg, idx, &nr_locked);
			if (page)
				shmpool_seg_put_block(page, nr_locked);
			filemap_invalidate_unlock_shared(mapping);
			if (page) {
				idx += SHMPOOL_BLOCK_NR - 1;
				cond_resched();
				continue;
			}
		}
		page = shmpool_seg_get_page(seg, idx, NULL);
		if (IS_ERR(page)) {
			shmpool_seg_fail(seg, idx, SHMPOOL_FAIL_POPULATE,
					 PTR_ERR(page));
			return PTR_ERR(page);
		}
		seg_unlock_put(page);
		cond_resched();
	}
	return 0;
}

/* read() and write() */

/**
 * shmpool_seg_read_iter() - read() on a segment fd
 * @iocb: position and file
 * @to: destination
 *
 * Holes read as zeroes without allocating; swapped-out pages are paged in.
 * Context: process context.
 * Return: bytes read, 0 at the end, -EFAULT when nothing could be copied,
 * -ENOMEM when a swapped-out page could not be paged in.
 */
ssize_t shmpool_seg_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct shmpool_seg *seg = file_seg(iocb->ki_filp);
	loff_t pos = iocb->ki_pos, size = i_size_read(seg->inode);
	ssize_t done = 0;
	int err = -EFAULT;

	while (iov_iter_count(to) && pos < size) {
		size_t off = offset_in_page(pos), copied, n;
		struct page *page;

		n = min3((size_t)(PAGE_SIZE - off), (size_t)(size - pos),
			 iov_iter_count(to));
		page = seg_find_entry(seg, pos >> PAGE_SHIFT);
		if (page == SHMPOOL_PURGED) {
			page = NULL;
		} else if (xa_is_value(page)) {
			page = shmpool_seg_get_page(seg, pos >> PAGE_SHIFT, NULL);
			if (IS_ERR(page)) {
				/* -ENXIO: cut off meanwhile, the end now */
				err = PTR_ERR(page) == -ENXIO ? 0 : PTR_ERR(page);
				if (err && !done)
					shmpool_seg_fail(seg, pos >> PAGE_SHIFT,
							 SHMPOOL_FAIL_READ, err);
				break;
			}
			unlock_page(page);
		} else if (page && !folio_test_uptodate(page_folio(page))) {
			/* Being paged in: its lock is held until it is filled. */
			lock_page(page);
			unlock_page(page);
			if (!folio_test_uptodate(page_folio(page))) {
				/* The page-in failed and took it out: again. */
				put_page(page);
				continue;
			}
		}
		if (page) {
			copied = copy_page_to_iter(page, off, n, to);
			put_page(page);
		} else {
			copied = iov_iter_zero(n, to);
		}
		done += copied;
		pos += copied;
		if (copied < n || fatal_signal_pending(current))
			break;
		cond_resched();
	}
	iocb->ki_pos = pos;
	return done ? done : (iov_iter_count(to) && pos < size ? err : 0);
}

/**
 * shmpool_seg_write_iter() - write() on a segment fd
 * @iocb: position and file
 * @from: source
 *
 * Writes never grow a segment: they stop at its end, as on a block device.
 * Context: process context.
 * Return: bytes written; -EPERM against a write seal, -ENOSPC at or past
 * the end, -EDQUOT/-ENOMEM when no frame could be had, -EFAULT when
 * nothing could be copied.
 */
ssize_t shmpool_seg_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct shmpool_seg *seg = file_seg(iocb->ki_filp);
	loff_t pos = iocb->ki_pos, size;
	ssize_t done = 0;
	int err;

	if (!iov_iter_count(from))
		return 0;
	/*
	 * Sealing and resizing take the inode lock exclusively: a write that
	 * saw no seal finishes before a seal is set, and the size holds still
	 * under it.  Faults on the source buffer do not take it, even in this
	 * segment.
	 */
	inode_lock_shared(seg->inode);
	size = i_size_read(seg->inode);
	if (READ_ONCE(seg->seals) & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) {
		err = -EPERM;
		trace_shmpool_denied(seg->id, SHMPOOL_DENIED_WRITE, EPERM);
	} else {
		err = pos >= size ? -ENOSPC : 0;
	}

	while (!err && iov_iter_count(from) && pos < size) {
		size_t off = offset_in_page(pos), copied, n;
		struct page *page;

		n = min3((size_t)(PAGE_SIZE - off), (size_t)(size - pos),
			 iov_iter_count(from));
		page = shmpool_seg_get_page(seg, pos >> PAGE_SHIFT, NULL);
		if (IS_ERR(page)) {
			err = PTR_ERR(page) == -ENXIO ? -ENOSPC : PTR_ERR(page);
			if (err != -ENOSPC && !done)
				shmpool_seg_fail(seg, pos >> PAGE_SHIFT,
						 SHMPOOL_FAIL_WRITE, err);
			break;
		}
		/* No page lock while copying: the source may be this page. */
		unlock_page(page);
		copied = copy_page_from_iter(page, off, n, from);
		put_page(page);
		done += copied;
		pos += copied;
		if (copied < n) {
			err = -EFAULT;
			break;
		}
		if (fatal_signal_pending(current))
			break;
		cond_resched();
	}
	inode_unlock_shared(seg->inode);
	iocb->ki_pos = pos;
	return done ? done : err;
}
