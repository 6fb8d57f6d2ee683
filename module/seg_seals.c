// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Seals
 *
 * A segment takes memfd's seals, with memfd's meaning: F_SEAL_SEAL,
 * F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE and F_SEAL_FUTURE_WRITE, added
 * all or nothing and for good (shmpool_seg_add_seals()).  A write seal is
 * published under the invalidate lock held exclusively, and purging, which
 * holds that lock shared, checks the seals under it: so no page of a
 * segment whose write seal a reader has seen is ever purged, and the
 * frames of its unpinned ranges stop being purgeable.
 */
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/pagemap.h>

#include "compat.h"
#include "pool.h"
#include "segment.h"
#include "seg_internal.h"
#include "trace.h"

#define SHMPOOL_SEALS	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | \
			 F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)

/*
 * How long seg_has_pins() waits for short-lived references to go: it looks
 * SHMPOOL_PIN_ROUNDS times, sleeping SHMPOOL_PIN_WAIT_MS << round before
 * each look but the first (20, 40 and 80 ms: 140 ms in all, and a
 * jiffy more for each msleep()).  A read()
 * copying a page or fault-around looking at one holds it for microseconds,
 * longer only when its task is preempted meanwhile, which the doubling
 * sleeps give time to run again; a pin (get_user_pages(), a vmsplice()
 * pipe) lasts as long as its holder wants, and no wait would do.  So the
 * wait is bounded: the sealer holds the inode lock meanwhile, and new
 * shared mappings that may become writable are refused, so F_SEAL_WRITE
 * fails with -EBUSY after about 140 ms, as memfd_wait_for_pins() gives up
 * after about 150.
 */
#define SHMPOOL_PIN_ROUNDS	4
#define SHMPOOL_PIN_WAIT_MS	10

/*
 * Does any frame have references beyond the pool's and its mappings'?
 * Short-lived ones (a read() copying, fault-around looking) are waited out
 * for a few rounds, as memfd_wait_for_pins() does, before saying yes.
 */
static bool seg_has_pins(struct shmpool_seg *seg)
{
	struct page *page;
	unsigned long idx;
	int round;

	for (round = 0; round < SHMPOOL_PIN_ROUNDS; round++) {
		bool pinned = false;

		if (round)
			msleep(SHMPOOL_PIN_WAIT_MS << round);
		xa_for_each(&seg->pages, idx, page) {
			unsigned long i, nr;

			if (xa_is_value(page))
				continue;
			nr = shmpool_seg_entry_pages(seg, idx, page);
			for (i = 0; i < nr && !pinned; i++) {
				/* A split may be under way: look each up. */
				struct page *f = seg_frame_of(seg, page, idx + i);

				pinned = page_ref_count(f) > 1 + shmpool_page_mapcount(f);
			}
			if (pinned)
				break;
		}
		if (!pinned)
			return false;
	}
	return true;
}

/*
 * Publish @seals (which the caller checked) at once.  Under the invalidate
 * lock held exclusively, so that purging, which holds it shared and checks
 * the seals under it, never takes a page of a segment whose write seal a
 * reader has already seen (see seg_purge()).
 */
static void seg_publish_seals(struct shmpool_seg *seg, u32 seals)
{
	struct address_space *mapping = seg->inode->i_mapping;
	unsigned long idx;
	void *entry;

	filemap_invalidate_lock(mapping);
	spin_lock(&seg->lock);
	WRITE_ONCE(seg->seals, seg->seals | seals);
	seg->write_sealing = false;
	spin_unlock(&seg->lock);
	/* Unpinned frames of a write-sealed segment are not purged now. */
	if (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) {
		xa_for_each_marked(&seg->pages, idx, entry, SHMPOOL_PURGEABLE) {
			if (!xa_is_value(entry))
				shmpool_seg_note_use(seg, idx, entry);
		}
	}
	filemap_invalidate_unlock(mapping);
}

/**
 * shmpool_seg_add_seals() - add F_SEAL_* bits
 * @seg: the segment
 * @seals: bits to add
 *
 * All or nothing, and for good: every check comes first, and only when all
 * pass are the bits published, together, as memfd_add_seals() does.  While
 * an F_SEAL_WRITE waits for pins to go, @seg->write_sealing refuses new
 * shared mappings that may become writable (see shmpool_seg_mmap()), and
 * the inode lock keeps write() and other sealers out; so what the wait
 * found is still true when the seal appears, and a refused seal was never
 * visible.
 *
 * Context: process context.
 * Return: 0; -EINVAL for unknown bits, -EPERM when sealed against seals,
 * -EBUSY for F_SEAL_WRITE while a writable shared mapping exists or a
 * frame is still referenced from outside (a pin); nothing is added then.
 */
int shmpool_seg_add_seals(struct shmpool_seg *seg, u32 seals)
{
	bool new_write;
	int ret = 0;

	if (seals & ~SHMPOOL_SEALS)
		return -EINVAL;

	inode_lock(seg->inode);
	spin_lock(&seg->lock);
	new_write = (seals & F_SEAL_WRITE) && !(seg->seals & F_SEAL_WRITE);
	if (seg->seals & F_SEAL_SEAL)
		ret = -EPERM;
	else if (new_write && seg->nr_wmaps)
		ret = -EBUSY;
	else if (new_write)
		seg->write_sealing = true;
	spin_unlock(&seg->lock);
	if (ret == -EPERM)
		trace_shmpool_denied(seg->id, SHMPOOL_DENIED_SEAL, EPERM);

	/*
	 * What may still write now is a reference taken through a writable
	 * mapping since unmapped.  Refuse, as memfd does.
	 */
	if (!ret && new_write && seg_has_pins(seg)) {
		spin_lock(&seg->lock);
		seg->write_sealing = false;
		spin_unlock(&seg->lock);
		ret = -EBUSY;
	}
	if (!ret)
		seg_publish_seals(seg, seals);
	inode_unlock(seg->inode);
	return ret;
}

/**
 * shmpool_seg_get_seals() - the F_SEAL_* bits a segment has
 * @seg: the segment
 *
 * Context: any; a snapshot.
 * Return: the seals.
 */
u32 shmpool_seg_get_seals(struct shmpool_seg *seg)
{
	return READ_ONCE(seg->seals);
}
