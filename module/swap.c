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
 * With swapfile=PATH (a module parameter) the area is that file instead,
 * opened (created, mode 0600) at load and written with kernel file I/O:
 * slot N at offset (N - 1) * PAGE_SIZE, so the file grows to the highest
 * slot used, sparsely.  A page is copied first into a kernel page, as for
 * the memory area, because the copy is taken while the segment page is
 * frozen and nothing may sleep then; shmpool_swap_writeback(), called once
 * the page is free to go, writes that copy to the file and frees it.  A
 * page-in that comes first takes the copy itself.  The file is emptied at
 * load and at unload, so nothing of a segment outlives the module in it.
 *
 * A slot is an index in @slots, allocated lowest first, never 0 (so that a
 * slot number is never confused with "none" by a reader of the map) and
 * below 2^31 (so that it fits an xarray value entry on 32-bit kernels too).
 * A slot is owned by whoever reserved it (shmpool_swap_reserve()) until it
 * is stored (shmpool_swap_store()), then by the one segment entry that
 * names it, until it is read back (shmpool_swap_read()) or dropped
 * (shmpool_swap_free()), each exactly once.
 *
 * Locking: the xarray's own lock protects @slots; @io_lock serialises the
 * file's I/O with the entries' change from copy to SWAP_IN_FILE, so that a
 * write for a slot freed and reused meanwhile never lands after the new
 * owner's; the counters are atomic.  Nothing here sleeps but the
 * allocation in shmpool_swap_reserve() and the file I/O.
 */
#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/xarray.h>

#include "swap.h"

/* A slot whose page is in the swap file. */
#define SWAP_IN_FILE	xa_mk_value(1)

static struct shmpool_swap {
	/* slot -> struct page * of its copy, or SWAP_IN_FILE */
	struct xarray slots;
	unsigned long *max_kb;		/* the parameter, owned by main.c */
	struct file *file;		/* the swap file, or NULL; ours */
	struct mutex io_lock;		/* see "Locking" above */
	atomic_long_t nr, in_file;
	atomic64_t outs, ins, full, nomem, io_errors;
} swap;

static loff_t slot_pos(u32 slot)
{
	return (loff_t)(slot - 1) << PAGE_SHIFT;
}

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
		put_page(copy);
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
 * Context: process context; sleeps for the swap file's I/O.
 * Return: 0; the errno of a failed read of the swap file (the slot is
 * freed all the same: its contents are lost).
 */
int shmpool_swap_read(u32 slot, struct page *page)
{
	struct page *copy;
	ssize_t n = PAGE_SIZE;
	loff_t pos;
	void *addr;

	mutex_lock(&swap.io_lock);
	copy = xa_erase(&swap.slots, slot);
	if (copy == SWAP_IN_FILE) {
		pos = slot_pos(slot);
		addr = kmap_local_page(page);
		n = kernel_read(swap.file, addr, PAGE_SIZE, &pos);
		kunmap_local(addr);
		atomic_long_dec(&swap.in_file);
	}
	mutex_unlock(&swap.io_lock);

	atomic_long_dec(&swap.nr);
	if (WARN_ON_ONCE(!copy))
		return -EIO;
	if (copy == SWAP_IN_FILE) {
		if (n != PAGE_SIZE) {
			atomic64_inc(&swap.io_errors);
			return n < 0 ? n : -EIO;
		}
	} else {
		copy_highpage(page, copy);
		put_page(copy);
	}
	atomic64_inc(&swap.ins);
	return 0;
}

/**
 * shmpool_swap_writeback() - put a stored slot's copy in the swap file
 * @slot: stored with shmpool_swap_store()
 *
 * Without a swap file, the copy stays where it is.  A write that fails
 * leaves the copy in memory, where the page is just as safe.
 *
 * Context: process context; sleeps for the file's I/O.
 */
void shmpool_swap_writeback(u32 slot)
{
	struct page *copy;
	loff_t pos = slot_pos(slot);
	ssize_t n;
	void *addr;

	if (!swap.file)
		return;
	mutex_lock(&swap.io_lock);
	copy = xa_load(&swap.slots, slot);
	/* Read back and freed meanwhile (and perhaps reused): not ours. */
	if (!copy || xa_is_value(copy)) {
		mutex_unlock(&swap.io_lock);
		return;
	}
	addr = kmap_local_page(copy);
	n = kernel_write(swap.file, addr, PAGE_SIZE, &pos);
	kunmap_local(addr);
	if (n == PAGE_SIZE) {
		xa_store(&swap.slots, slot, SWAP_IN_FILE, GFP_NOWAIT);
		atomic_long_inc(&swap.in_file);
	} else {
		atomic64_inc(&swap.io_errors);
		copy = NULL;
	}
	mutex_unlock(&swap.io_lock);
	if (copy)
		put_page(copy);
}

/**
 * shmpool_swap_free() - drop a slot whose page nobody will read again
 * @slot: a stored slot
 *
 * Context: process context; takes the swap file's I/O lock.
 */
void shmpool_swap_free(u32 slot)
{
	struct page *copy;

	mutex_lock(&swap.io_lock);
	copy = xa_erase(&swap.slots, slot);
	if (copy == SWAP_IN_FILE)
		atomic_long_dec(&swap.in_file);
	mutex_unlock(&swap.io_lock);
	if (WARN_ON_ONCE(!copy))
		return;
	if (!xa_is_value(copy))
		put_page(copy);
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
	st->in_file = atomic_long_read(&swap.in_file);
	st->io_errors = atomic64_read(&swap.io_errors);
	st->file = !!swap.file;
}

/* Empty the swap file: nothing of a segment is left in it. */
static int swap_file_empty(void)
{
	return vfs_truncate(&swap.file->f_path, 0);
}

/**
 * shmpool_swap_init() - set the area up
 * @max_kb: the swap_max_kb parameter, read at every reservation
 * @path: the swapfile parameter: a file to swap to, or NULL or "" for the
 *        memory area
 *
 * Context: process context, module load.
 * Return: 0, or the errno of opening or emptying the file (-EINVAL if it
 * is not a regular file).
 */
int shmpool_swap_init(unsigned long *max_kb, const char *path)
{
	struct file *file;
	int ret;

	xa_init_flags(&swap.slots, XA_FLAGS_ALLOC1);
	mutex_init(&swap.io_lock);
	swap.max_kb = max_kb;
	if (!path || !*path)
		return 0;
	file = filp_open(path, O_RDWR | O_CREAT | O_LARGEFILE | O_NOATIME, 0600);
	if (IS_ERR(file))
		return PTR_ERR(file);
	swap.file = file;
	ret = S_ISREG(file_inode(file)->i_mode) ? swap_file_empty() : -EINVAL;
	if (ret) {
		fput(file);
		swap.file = NULL;
	}
	return ret;
}

/* Every slot belongs to a segment, and every segment is gone by now. */
void shmpool_swap_exit(void)
{
	WARN(!xa_empty(&swap.slots), "%ld swap slots left at unload\n",
	     atomic_long_read(&swap.nr));
	xa_destroy(&swap.slots);
	if (swap.file) {
		swap_file_empty();
		fput(swap.file);
		swap.file = NULL;
	}
}
