// SPDX-License-Identifier: GPL-2.0
/*
 * shmpool: a small, observable memory manager.
 *
 * The module's entry points and parameters, and what holds for the whole
 * module rather than one layer of it.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>

#include "internal.h"
#include "pool.h"
#include "segment.h"
#include "swap.h"

/**
 * DOC: Initialisation and teardown
 *
 * main.c only orders initialisation and teardown and holds the module
 * parameters; every concern lives in a file of its own.  Setup goes from
 * the bottom layer up: the pool, the swap area, the segments, debugfs and
 * last the device, so that no program reaches a layer before those it
 * uses are there.  Teardown runs in exactly the reverse order, so that
 * nothing is used after the layer beneath it is gone.  Failing to create
 * the debugfs files fails nothing: they are windows.
 */

/**
 * DOC: Lock hierarchy
 *
 * Every lock of the module and every lock of the kernel's it takes itself,
 * outermost first: one is taken only with locks above it held, never one
 * above it, except by a trylock, which does not wait.  This is the one
 * place the order is written; each file says what its locks protect in
 * more detail next to them.  The kernel's calls take their own locks
 * inside ours (``unmap_mapping_range()`` the ``i_mmap_rwsem``, page table
 * locks), as for any filesystem.
 *
 * a debugfs file's own mutex (debugfs.c, pool_test.c)
 *   One open file's result or state: ``pool/compact``'s, a test client's,
 *   the benchmark's.  Held across the call into the pool it serves (a
 *   compaction, allocations, a benchmark), with nothing else held:
 *   nothing below takes it.
 * ``audit.lock`` (mutex, audit.c)
 *   One auditor run, plant or heal at a time, and the report.  Under it,
 *   the auditor takes ``segs.lock`` to find each segment, the segment's
 *   invalidate lock exclusively, ``seg->lock`` and ``pool.lock``.
 * ``inode_lock`` (the inode's ``i_rwsem``)
 *   A segment's size, mode, owner, group and offer, and adding seals.  The
 *   VFS takes it around ``setattr`` (``ftruncate()``, ``fchmod()``);
 *   ``write()`` holds it shared, so that a write that saw no seal ends
 *   before a seal is set and the size stands still under it.
 * ``mmap_lock`` or the per-VMA lock (the kernel's)
 *   The faulting task's address space: the kernel holds one of them
 *   around ``->mmap``, ``->fault``, ``->map_pages`` and the VMA's
 *   ``->open`` and ``->close``.  A ``write()`` whose source buffer faults
 *   takes it under ``inode_lock``.
 * ``mapping->invalidate_lock`` (rwsem, one per segment)
 *   The size and the segment's pages against truncation.  Shared by
 *   faults, ``write()``, populating and page-in, and by reclaim, purging
 *   and compaction's moves with a trylock (they may run from another
 *   segment's fault, which holds its own); exclusive for truncation,
 *   UNPIN, PIN, publishing seals and the auditor's check of a segment.
 * ``pool.compact_lock`` (mutex, pool_compact.c)
 *   One compaction at a time and its callback (its counters are under
 *   ``pool.lock``).  Taken from
 *   debugfs, or by a huge segment's block allocation under the fault's
 *   ``mmap_lock`` or VMA lock and the segment's invalidate lock; its
 *   callback (seg_reclaim.c's move of a frame) takes ``segs.lock``, only
 *   trylocks a segment's invalidate lock and its pages, and allocates
 *   order-0 frames.
 * ``reclaim.lock`` (mutex, seg_reclaim.c)
 *   One reclaim run at a time: every segment's clock hand and reclaim's
 *   counters.  Taken by a fault, ``write()`` or populate that finds the
 *   pool empty (under its own segment's invalidate lock), by a resize
 *   waiting for room (under ``inode_lock``, before the invalidate lock),
 *   and with nothing held by a create waiting for room, by the pool's
 *   background work and by debugfs.  A segment whose last reference
 *   reclaim drops is evicted under it.
 * ``segs.lock`` (mutex, segment.c)
 *   The list of segments, the name table, the user table with every
 *   user's segment count, and each segment's name and persistence.
 *   Eviction takes it, so no inode reference is dropped under it.
 * page lock (the kernel's ``PG_locked``)
 *   One frame's presence in its segment's pages: whoever maps a frame or
 *   removes it holds it.  For a block entry, the first frame's lock stands
 *   for the whole block, and is taken after the lock of another frame of
 *   the block only with a trylock.
 * ``swap.io_lock`` (mutex, swap.c)
 *   The swap file's I/O and the compressor, with the change of a slot's
 *   entry from a copy to a place in the file or a compressed buffer.
 *   Page-in takes it under the page lock.
 * an account's ``grow_lock`` (mutex, pool_account.c)
 *   One memory cgroup's growth.  Growing allocates with ``GFP_KERNEL``
 *   charged to the cgroup and may enter reclaim, whose shrinker only
 *   trylocks ``pool.grow_lock``.
 * ``pool.grow_lock`` (mutex, pool_grow.c)
 *   Growing the pool's reserve and giving its chunks back.  Growth may
 *   enter reclaim while holding it, so the shrinker only trylocks it.
 * ``pcp->lock`` (``local_lock``, one per CPU, pool.c)
 *   One CPU's cache of frames, taken only on that CPU.
 * ``pool.lock`` (spinlock, pool.c)
 *   The buddy free lists of the reserve and of every account, the chunk
 *   list, the accounts and their references, the memory map's entries of
 *   free frames, the frame counters and the lent frames.
 *
 * Leaves, taken last with nothing taken under them, are two spinlocks,
 * ``seg->lock`` (one per segment: its seals, the charged user, the frame,
 * swapped, purged and writable-mapping counts, the list of its mappings
 * and the offer) and ``segs.mnt_lock`` (the mount segments live on and
 * its count), and the xarrays' own locks (a segment's pages, the swap
 * slots).
 *
 * No lock of the pool is held when it calls up into the segment layer:
 * background reclaim runs from a work item with nothing held, and
 * compaction's callback under ``pool.compact_lock`` alone, and never waits
 * for a lock a fault may hold above it.  No lock is taken in interrupt
 * context: the module runs in process context only (allocations may sleep
 * to grow the pool; frees never sleep).  The debugfs readers hold each
 * lock for a short section, never across a whole walk.  Lockdep checks
 * this order on every run of the debug kernel (``make check-debug``).
 */

/*
 * Mode of the device node, which the kernel creates as root:root.  0660
 * keeps shmpool to root until the administrator gives the node a group (a
 * udev rule or chgrp); 0666 opens it to everyone.  Read-only
 * once loaded: the node is created with it.  Shown and parsed in octal, the
 * way people write modes.
 */
static ushort dev_mode = 0660;

static int dev_mode_set(const char *val, const struct kernel_param *kp)
{
	u16 mode;
	int ret = kstrtou16(val, 0, &mode);

	if (ret)
		return ret;
	if (mode & ~0777)
		return -EINVAL;
	*(ushort *)kp->arg = mode;
	return 0;
}

static int dev_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%#o\n", *(ushort *)kp->arg);
}

static const struct kernel_param_ops dev_mode_ops = {
	.set = dev_mode_set,
	.get = dev_mode_get,
};
module_param_cb(dev_mode, &dev_mode_ops, &dev_mode, 0444);
MODULE_PARM_DESC(dev_mode, "Permission bits of /dev/shmpool, octal (default 0660)");

/*
 * The pool's limits, in KiB (rounded down to whole frames).  Each is a
 * resource limit an administrator sets at load; Documentation/admin-guide.rst
 * explains how they interact.  Read-only once loaded.
 */
static unsigned long pool_init_kb = 8192;
module_param(pool_init_kb, ulong, 0444);
MODULE_PARM_DESC(pool_init_kb, "Memory the pool takes from the kernel at load, KiB (default 8192)");

static unsigned long pool_min_kb = 2048;
module_param(pool_min_kb, ulong, 0444);
MODULE_PARM_DESC(pool_min_kb, "The pool never shrinks below this, KiB; load fails without it (default 2048)");

static unsigned long pool_max_kb = 262144;
module_param(pool_max_kb, ulong, 0444);
MODULE_PARM_DESC(pool_max_kb, "The pool never grows beyond this; allocations then fail with ENOMEM, KiB (default 262144)");

static unsigned long pool_low_kb = 1024;
module_param(pool_low_kb, ulong, 0444);
MODULE_PARM_DESC(pool_low_kb, "Low watermark: less free than this grows the pool in the background, KiB (default 1024)");

static unsigned long pool_high_kb = 32768;
module_param(pool_high_kb, ulong, 0444);
MODULE_PARM_DESC(pool_high_kb, "High watermark: more free than this is given back to the kernel, KiB (default 32768)");

/*
 * Segment limits.  Writable at runtime by root: a new value applies to the
 * next check and never takes anything away from segments that exist.
 */
static struct shmpool_seg_limits seg_limits = {
	.seg_max_kb = 1048576,
	.user_max_kb = 131072,
	.user_max_segments = 256,
	.overcommit_max_kb = 4194304,
};
module_param_named(seg_max_kb, seg_limits.seg_max_kb, ulong, 0644);
MODULE_PARM_DESC(seg_max_kb, "Largest segment; larger ones fail with EFBIG, KiB (default 1048576)");
module_param_named(user_max_kb, seg_limits.user_max_kb, ulong, 0644);
MODULE_PARM_DESC(user_max_kb, "Frames one user's segments may hold together; beyond: EDQUOT or SIGBUS, KiB (default 131072)");
module_param_named(user_max_segments, seg_limits.user_max_segments, uint, 0644);
MODULE_PARM_DESC(user_max_segments, "Segments one user may own; beyond: EDQUOT (default 256)");
module_param_named(overcommit_max_kb, seg_limits.overcommit_max_kb, ulong, 0644);
MODULE_PARM_DESC(overcommit_max_kb, "All segments created with OVERCOMMIT together; beyond: ENOMEM, KiB (default 4194304)");

/*
 * The swap area's size.  Writable at runtime: a smaller value refuses new
 * pages and never drops stored ones; 0 turns swapping off.
 */
static unsigned long swap_max_kb = 262144;
module_param(swap_max_kb, ulong, 0644);
MODULE_PARM_DESC(swap_max_kb, "Pages of segments swapped out when the pool is full, at most, KiB; 0: no swapping (default 262144)");

/* A file to swap to instead of memory; emptied at load and at unload. */
static char *swapfile;
module_param(swapfile, charp, 0444);
MODULE_PARM_DESC(swapfile, "Swap to this file (created 0600, emptied at load and unload) rather than to memory (default: memory)");

/* Compress the memory area's pages with this crypto API compressor. */
static char *swap_compressor;
module_param(swap_compressor, charp, 0444);
MODULE_PARM_DESC(swap_compressor, "Compress pages in the memory swap area with this compressor, lz4 or zstd say (default: none)");

static int __init shmpool_init(void)
{
	struct shmpool_pool_params params = {
		.init = shmpool_kb_to_frames(pool_init_kb),
		.min = shmpool_kb_to_frames(pool_min_kb),
		.max = shmpool_kb_to_frames(pool_max_kb),
		.low = shmpool_kb_to_frames(pool_low_kb),
		.high = shmpool_kb_to_frames(pool_high_kb),
	};
	int ret;

	ret = shmpool_pool_init(&params);
	if (ret) {
		pr_err("cannot set the pool up (init %lu min %lu max %lu low %lu high %lu KiB): %d\n",
		       pool_init_kb, pool_min_kb, pool_max_kb, pool_low_kb,
		       pool_high_kb, ret);
		return ret;
	}

	ret = shmpool_swap_init(&swap_max_kb, swapfile, swap_compressor);
	if (ret) {
		pr_err("cannot set the swap area up (swapfile %s, swap_compressor %s): %d\n",
		       swapfile ?: "none", swap_compressor ?: "none", ret);
		goto err_pool;
	}

	ret = shmpool_segs_init(&seg_limits);
	if (ret)
		goto err_swap;

	/* Failing to create debugfs files is not fatal: they are windows. */
	shmpool_debugfs_init();

	ret = shmpool_device_init(dev_mode);
	if (ret)
		goto err_debugfs;

	pr_info("loaded\n");
	return 0;

err_debugfs:
	shmpool_debugfs_exit();
	shmpool_segs_exit();
err_swap:
	shmpool_swap_exit();
err_pool:
	shmpool_pool_exit();
	return ret;
}

static void __exit shmpool_exit(void)
{
	shmpool_device_exit();
	shmpool_debugfs_exit();
	shmpool_segs_exit();
	shmpool_swap_exit();
	shmpool_pool_exit();
	pr_info("unloaded\n");
}

module_init(shmpool_init);
module_exit(shmpool_exit);

MODULE_DESCRIPTION("Page-frame pool and shared-memory device with a visible memory map");
MODULE_AUTHOR("The shmpool developers");
MODULE_LICENSE("GPL");
