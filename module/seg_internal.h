/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of the segment layer share, and nothing else includes:
 * segment.h is the layer's interface to the others.
 *
 *   segment.c      the object and its lifetime: creation, the pseudo
 *                  filesystem and eviction, names, users and quotas,
 *                  GIVE/ACCEPT, failure counts
 *   seg_seals.c    seals
 *   seg_pages.c    frames and entries: get_page, fill-ahead, truncation,
 *                  resize and populate, read() and write()
 *   seg_block.c    2 MiB block entries of huge segments
 *   seg_reclaim.c  the clock, swap-out and page-in, purging, the
 *                  compaction move, PIN/UNPIN
 */
#ifndef _SHMPOOL_SEG_INTERNAL_H
#define _SHMPOOL_SEG_INTERNAL_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/atomic.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

#include "segment.h"

/*
 * One user who owns segments.  Owned by the user table: created with the
 * user's first segment, freed with the last (under segs.lock, in
 * segment.c).
 * @frames is charged and uncharged under the lock of the segment whose
 * frames they are, and read without a lock for the quota check.
 */
struct shmpool_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int segments;
	atomic_long_t frames;
};

/*
 * Pages swapped out for one reclaim run: enough that a run of faults does
 * not reclaim one page at a time, few enough that the run is short.
 */
#define SHMPOOL_RECLAIM_BATCH	32

/*
 * An entry of @pages for a page purged while unpinned: value 0, which is
 * never a swap slot.  It reads as zeroes, as a hole does.
 */
#define SHMPOOL_PURGED		xa_mk_value(0)
/* The mark of @pages entries of unpinned pages. */
#define SHMPOOL_PURGEABLE	XA_MARK_0
/*
 * The mark of entries purged since their range was unpinned: a purged
 * page touched again keeps it (replacing an entry keeps its marks), so
 * that SHMPOOL_SEG_IOC_PIN still says the data went.  @nr_purged counts
 * the entries that carry it.
 */
#define SHMPOOL_WAS_PURGED	XA_MARK_1

/*
 * What @pages holds for @idx: its frame, a value entry or NULL.  Only a
 * huge segment has block entries to look into.
 */
static inline struct page *seg_frame_of(struct shmpool_seg *seg, void *entry,
					pgoff_t idx)
{
	if (!(seg->flags & SHMPOOL_CREATE_HUGE))
		return entry;
	return shmpool_entry_frame(entry, idx);
}

static inline struct page *seg_frame_at(struct shmpool_seg *seg, pgoff_t idx)
{
	return seg_frame_of(seg, xa_load(&seg->pages, idx), idx);
}

/*
 * Let go of a frame the caller locked and holds a reference on: the lock
 * first, while the reference still keeps the frame the caller's.
 */
static inline void seg_unlock_put(struct page *page)
{
	unlock_page(page);
	put_page(page);
}

/* segment.c */
void shmpool_seg_count_fail(u32 id, pgoff_t idx, enum shmpool_fail_op op,
			    enum shmpool_fail_reason why);
loff_t shmpool_seg_max_bytes(void);
void shmpool_seg_iput(struct inode *inode);
bool shmpool_seg_user_room(struct shmpool_seg *seg, unsigned long nr);
bool shmpool_seg_user_charge(struct shmpool_user *u, unsigned long nr);
int shmpool_seg_commit(struct shmpool_seg *seg, pgoff_t old_pages,
		       pgoff_t pages);
unsigned long shmpool_seg_count(void);
struct inode *shmpool_seg_reclaim_next(void);
struct inode *shmpool_seg_by_id(u32 id);

/* seg_pages.c */
void shmpool_seg_frame_reset_cache(struct page *page, u32 cache);
bool shmpool_seg_cache_supported(u32 cache);
struct page *shmpool_seg_get_frame(struct shmpool_seg *seg, bool may_reclaim);
void shmpool_seg_put_clean_frame(struct shmpool_seg *seg, struct page *page);
void shmpool_seg_uncharge(struct shmpool_seg *seg, unsigned long nr,
			  bool swapped);
bool shmpool_seg_swappable(struct shmpool_seg *seg);
void shmpool_seg_note_use(struct shmpool_seg *seg, pgoff_t idx,
			  struct page *page);
void shmpool_seg_truncate_frames(struct shmpool_seg *seg, pgoff_t start);
int shmpool_seg_resize(struct shmpool_seg *seg, loff_t size);
int shmpool_seg_populate(struct shmpool_seg *seg);

/* seg_block.c */
int shmpool_seg_split_block(struct shmpool_seg *seg, pgoff_t idx, gfp_t gfp,
			    struct page *locked);
int shmpool_seg_split_range(struct shmpool_seg *seg, pgoff_t first,
			    pgoff_t last);

/* seg_reclaim.c */
unsigned long shmpool_seg_reclaim(unsigned long want);
void shmpool_seg_wait_for_room(struct shmpool_seg *seg, pgoff_t pages);
struct page *shmpool_seg_swap_in(struct shmpool_seg *seg, pgoff_t idx,
				 void *entry);
void shmpool_seg_reclaim_get_stats(struct shmpool_seg_stats *st);
void shmpool_seg_reclaim_init(void);
void shmpool_seg_reclaim_exit(void);

#endif /* _SHMPOOL_SEG_INTERNAL_H */
