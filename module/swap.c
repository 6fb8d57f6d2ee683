// SPDX-License-Identifier: GPL-2.0
/*
 * The swap area.
 *
 * When the pool has no frame left for a segment, the segment layer takes
 * frames from cold pages of other segments (see "Reclaim" in segment.c)
 * and keeps their contents here until they are touched again.  The area is
 * in memory, as zram and zswap are: each stored page is a page of the
 * kernel's, outside the pool and not counted by it, so what it buys is room
 * beyond the pool's maximum, not memory the machine does not have.  It is
 * bounded by swap_max_kb (a module parameter, writable at runtime); taking
 * a slot in a full area fails with -ENOSPC, and a lowered limit only refuses
 * new slots.
 *
 * A slot is an index in @slots, allocated lowest first, never 0 (so that a
 * slot number is never confused with "none" by a reader of the map) and
 * below 2^31 (so that it fits an xarray value entry on 32-bit kernels too).
 * A slot is owned by whoever reserved it (shmpool_swap_reserve()) until it
 * is stored (shmpool_swap_store()), then by the one segment entry that
 * names it, until it is read back (shmpool_swap_read()) or dropped
 * (shmpool_swap_free()), each exactly once.
 *
 * Locking: the xarray's own lock protects @slots; the counters are atomic.
 * Nothing here sleeps except the allocation in shmpool_swap_reserve().
 */
#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/xarray.h>

#include "swap.h"

static struct shmpool_swap {
	struct xarray slots;		/* slot -> struct page * of its copy */
	unsigned long *max_kb;		/* the parameter, owned by main.c */
	atomic_long_t nr;
	atomic64_t outs, ins, full, nomem;
} swap;

static unsigned long swap_max_slots(void)
{
	return READ_ONCE(*swap.max_kb) / (PAGE_SIZE / 1024);
}

/**
 * shmpool_swap_reserve() - take a slot, with the memory to store a page
 * @slot: out: the slot, for shmpool_swap_store() or shmpool_swap_free()
 *
 * Everything that may sleep or fail happens here, before the caller
 * freezes the page it means to store: the store itself cannot fail.
 *
 * Context: process context; may sleep to allocate, but does not try hard
 * (the caller is itself reclaiming).
 * Return: 0; -ENOSPC when the area is full, -ENOMEM when the kernel has no
 * page for the copy.
 */
int shmpool_swap_reserve(u32 *slot)
{
	struct page *copy;
	u32 id;
	int ret;

	if (atomic_long_inc_return(&swap.nr) > swap_max_slots()) {
		ret = -ENOSPC;
		goto err;
	}
	copy = alloc_page(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
	if (!copy) {
		ret = -ENOMEM;
		goto err;
	}
	ret = xa_alloc(&swap.slots, &id, copy, XA_LIMIT(1, S32_MAX),
		       GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
	if (ret) {
		__free_page(copy);
		ret = ret == -EBUSY ? -ENOSPC : ret;
		goto err;
	}
	*slot = id;
	return 0;
err:
	atomic_long_dec(&swap.nr);
	atomic64_inc(ret == -ENOSPC ? &swap.full : &swap.nomem);
	return ret;
}

/**
 * shmpool_swap_store() - store a page's contents in a reserved slot
 * @slot: from shmpool_swap_reserve()
 * @page: the page; the caller keeps it from changing meanwhile
 *
 * Context: any process context; does not sleep.
 */
void shmpool_swap_store(u32 slot, struct page *page)
{
	struct page *copy = xa_load(&swap.slots, slot);

	copy_highpage(copy, page);
	atomic64_inc(&swap.outs);
}

/**
 * shmpool_swap_read() - copy a slot back into a page and free the slot
 * @slot: a stored slot
 * @page: where its contents go
 *
 * Context: any process context; does not sleep.
 */
void shmpool_swap_read(u32 slot, struct page *page)
{
	struct page *copy = xa_erase(&swap.slots, slot);

	if (WARN_ON_ONCE(!copy)) {
		clear_highpage(page);
		return;
	}
	copy_highpage(page, copy);
	__free_page(copy);
	atomic_long_dec(&swap.nr);
	atomic64_inc(&swap.ins);
}

/**
 * shmpool_swap_free() - drop a slot whose page nobody will read again
 * @slot: a stored slot
 *
 * Context: any process context; does not sleep.
 */
void shmpool_swap_free(u32 slot)
{
	struct page *copy = xa_erase(&swap.slots, slot);

	if (WARN_ON_ONCE(!copy))
		return;
	__free_page(copy);
	atomic_long_dec(&swap.nr);
}

void shmpool_swap_get_stats(struct shmpool_swap_stats *st)
{
	st->slots = atomic_long_read(&swap.nr);
	st->max_slots = swap_max_slots();
	st->bytes = st->slots * PAGE_SIZE;
	st->outs = atomic64_read(&swap.outs);
	st->ins = atomic64_read(&swap.ins);
	st->full = atomic64_read(&swap.full);
	st->nomem = atomic64_read(&swap.nomem);
}

/**
 * shmpool_swap_init() - set the area up
 * @max_kb: the swap_max_kb parameter, read at every reservation
 */
void shmpool_swap_init(unsigned long *max_kb)
{
	xa_init_flags(&swap.slots, XA_FLAGS_ALLOC1);
	swap.max_kb = max_kb;
}

/* Every slot belongs to a segment, and every segment is gone by now. */
void shmpool_swap_exit(void)
{
	WARN(!xa_empty(&swap.slots), "%ld swap slots left at unload\n",
	     atomic_long_read(&swap.nr));
	xa_destroy(&swap.slots);
}
