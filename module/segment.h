/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Segments: the middle layer of shmpool.  A segment is a variable-size
 * region of memory (segmentation) whose pages are pool frames allocated on
 * first touch (paging).  The design and the locking are in the DOC
 * sections of segment.c and its seg_*.c siblings; seg_internal.h says
 * which file holds what.
 */
#ifndef _SHMPOOL_SEGMENT_H
#define _SHMPOOL_SEGMENT_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/list.h>
#include <linux/percpu_counter.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/poll.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include <linux/shmpool.h>

#include "pool.h"

struct ipc_namespace;
struct shmpool_user;

/**
 * struct shmpool_seg_limits - resource limits, module parameters
 * @seg_max_kb: largest segment
 * @user_max_kb: frames one user's segments may hold together
 * @user_max_segments: segments one user may own
 * @overcommit_max_kb: all SHMPOOL_CREATE_OVERCOMMIT segments together
 *
 * Owned by main.c, writable at runtime through sysfs; read with READ_ONCE()
 * each time they are checked, so a new value applies to the next check.
 */
struct shmpool_seg_limits {
	unsigned long seg_max_kb;
	unsigned long user_max_kb;
	unsigned int user_max_segments;
	unsigned long overcommit_max_kb;
};

/*
 * Where a failure was returned to user space (the shmpool_fail event): a
 * fault (SIGBUS), read(), write(), SHMPOOL_CREATE_POPULATE, a CREATE's or
 * an ftruncate()'s size check.
 */
enum shmpool_fail_op {
	SHMPOOL_FAIL_FAULT,
	SHMPOOL_FAIL_READ,
	SHMPOOL_FAIL_WRITE,
	SHMPOOL_FAIL_POPULATE,
	SHMPOOL_FAIL_CREATE,
	SHMPOOL_FAIL_RESIZE,
};

/*
 * Why: every SIGBUS, -ENOMEM and -EDQUOT a segment's memory gave, by cause.
 * Only SHMPOOL_FAIL_POOL means "no frame to be had", and it must not
 * happen while the pool has, or can get, one.
 */
enum shmpool_fail_reason {
	SHMPOOL_FAIL_EOF,	/* beyond the size: SIGBUS, as for a file */
	SHMPOOL_FAIL_QUOTA,	/* the owner at user_max_kb */
	SHMPOOL_FAIL_CGROUP,	/* the creator's memory cgroup at its limit */
	SHMPOOL_FAIL_POOL,	/* no frame: pool at its maximum, nothing to reclaim */
	SHMPOOL_FAIL_COMMIT,	/* a size beyond the free pool or overcommit_max_kb */
	SHMPOOL_FAIL_IO,	/* the swap area could not give a page back */
	SHMPOOL_FAIL_SIGNAL,	/* the task is being killed */
	SHMPOOL_FAIL_NR
};

/**
 * struct shmpool_seg_stats - what reclaim and swapping have done
 * @swap_outs: pages swapped out
 * @swap_ins: pages read back in by a touch
 * @swap_out_ns: time spent swapping out, from freezing to freeing
 * @swap_in_ns: time faults spent paging in, from allocating to mapped
 * @reclaim_runs: times a fault found the pool empty and reclaimed
 * @reclaim_scanned: pages the clock hand passed
 * @reclaim_referenced: pages given a second chance (touched since the
 *                      hand last passed, or mapped)
 * @reclaim_busy: pages skipped because something held them (a pin, a
 *                read() copying, a fault under way)
 * @reclaim_forced: reclaim runs that found nothing cold, only pages in
 *                  use, and made the last-resort sweep
 * @reclaim_failed: reclaim runs that freed nothing
 * @purged: unpinned pages dropped by reclaim (frames and swap slots)
 * @segments: segments that exist
 * @overcommit_kb: sizes of the SHMPOOL_CREATE_OVERCOMMIT segments, summed
 * @fails: failures returned to user space, by enum shmpool_fail_reason
 */
struct shmpool_seg_stats {
	u64 swap_outs;
	u64 swap_ins;
	u64 swap_out_ns;
	u64 swap_in_ns;
	u64 reclaim_runs;
	u64 reclaim_scanned;
	u64 reclaim_referenced;
	u64 reclaim_busy;
	u64 reclaim_forced;
	u64 reclaim_failed;
	u64 purged;
	unsigned long overcommit_kb;
	unsigned long segments;
	u64 fails[SHMPOOL_FAIL_NR];
};

extern const char *const shmpool_fail_names[SHMPOOL_FAIL_NR];

/**
 * struct shmpool_seg - one segment
 * @id: unique while the segment lives; the owner its frames carry in the map
 * @prot: maximum protections, SHMPOOL_PROT_*; fixed at creation
 * @cache: SHMPOOL_CACHE_*; fixed at creation
 * @inode: the inode of our pseudo filesystem that carries the segment: its
 *         i_size is the size, i_mode/i_uid/i_gid the permissions, and its
 *         lifetime is the segment's (every fd's file and every mapping's
 *         vm_file hold it).  The segment is freed when the inode is evicted.
 * @pages: page index -> struct page * of the frames it holds, or an
 *         xa_mk_value() of the swap slot that holds the page's contents,
 *         or SHMPOOL_PURGED for a page purged while unpinned; entries of
 *         unpinned pages carry SHMPOOL_PURGEABLE.  A huge segment's block
 *         may be one entry for its 512 frames (see "Block entries" in
 *         seg_block.c): shmpool_entry_frame() finds an index's own.
 * @lock: protects @seals, @write_sealing, @user, @nr_frames, @nr_swapped,
 *        @nr_wmaps, @maps and the offer
 * @seals: F_SEAL_* bits; write seals are also published under the
 *         invalidate lock held exclusively (see shmpool_seg_add_seals())
 * @write_sealing: an F_SEAL_WRITE is waiting for pins to go; new shared
 *                 mappings that may become writable are refused meanwhile
 * @user: who is charged for the frames (the owner)
 * @acct: the pool account its frames are charged to: the memory cgroup of
 *        the task that created it, for the segment's life (a charge cannot
 *        move); NULL for the pool's reserve.  A reference, fixed.
 * @flags: SHMPOOL_CREATE_OVERCOMMIT, _NOSWAP and _HUGE; fixed
 * @nr_frames: pages charged to @user: frames in @pages and pages swapped out
 * @nr_swapped: pages in the swap area (value entries in @pages)
 * @nr_purged: pages purged since their range was unpinned, not pinned
 *             again (see SHMPOOL_WAS_PURGED in seg_internal.h)
 * @purge_wait: pollers waiting for @nr_purged to become non-zero
 * @clock: where reclaim's clock hand is in @pages (under the reclaim lock)
 * @nr_wmaps: shared mappings that are or may become writable
 * @nr_maps: all mappings
 * @maps: the struct shmpool_map of every mapping (mapping.c keeps it)
 * @nr_files: open files (struct file, each any number of fds)
 * @faults: page faults on its mappings (mapping.c counts them)
 * @offered: @offered_uid may accept the segment
 * @offered_uid: see SHMPOOL_SEG_IOC_GIVE
 * @offered_gid: the group the segment gets on acceptance
 * @ipc_ns: the IPC namespace of the task that created it, which @name
 *          belongs to, as a SysV key does: a reference, fixed
 * @persist: the name holds a reference on the inode (under the segs lock)
 * @node: on the list of all segments (under the segs lock)
 * @name_node: in the name table while named (under the segs lock)
 * @name: "" when anonymous or unlinked
 */
struct shmpool_seg {
	u32 id;
	u32 prot;
	u32 cache;
	u32 flags;
	struct inode *inode;
	struct xarray pages;

	spinlock_t lock;		/* see @lock above */
	u32 seals;
	bool write_sealing;
	struct shmpool_user *user;
	struct shmpool_account *acct;
	unsigned long nr_frames;
	unsigned long nr_swapped;
	unsigned long nr_purged;
	wait_queue_head_t purge_wait;
	pgoff_t clock;
	unsigned int nr_wmaps;
	atomic_t nr_maps;
	struct list_head maps;
	atomic_t nr_files;
	struct percpu_counter faults;
	bool offered;
	kuid_t offered_uid;
	kgid_t offered_gid;

	struct ipc_namespace *ipc_ns;
	bool persist;
	struct list_head node;
	struct hlist_node name_node;
	char name[SHMPOOL_NAME_MAX];
};

/**
 * struct shmpool_map - one mapping of a segment, as debugfs and the
 * auditor see it
 * @node: on the segment's @maps, under its @lock
 * @vma: the mapping; valid while the record is on the list, since the
 *       VMA's ->close takes it off before the VMA is freed.  NULL in a
 *       walk's cursor (struct shmpool_map_walk), which walks skip.
 *
 * Owned by its VMA (vm_private_data): made by ->mmap and ->open, freed by
 * ->close.
 */
struct shmpool_map {
	struct list_head node;
	struct vm_area_struct *vma;
};

/**
 * struct shmpool_map_snap - one mapping, as a walk of its segment's list
 * saw it
 * @start: its first user address
 * @end: the address after its last
 * @pgoff: the page of the segment it starts at
 * @flags: its vm_flags
 * @page_prot: its page tables' protections, the cache attribute with them
 * @fd_prot: SHMPOOL_PROT_* of the fd it was made through
 * @seals: the segment's seals, read under the same hold of its lock
 * @pid: the process whose address space it is in, 0 if unknown
 * @comm: that process's command, "-" if unknown
 *
 * The VMA's fields are read without its mmap_lock: one look each, which a
 * mapping being changed may show half changed.
 */
struct shmpool_map_snap {
	unsigned long start, end, pgoff;
	vm_flags_t flags;
	pgprot_t page_prot;
	u32 fd_prot;
	u32 seals;
	pid_t pid;
	char comm[TASK_COMM_LEN];
};

/**
 * struct shmpool_map_walk - a walk of a segment's mappings that lets go of
 * the segment's lock between steps
 * @seg: the segment; the walker holds a reference
 * @cursor: where the walk is: on @seg's list, just before the next
 *          mapping to look at, between steps; off it once the walk is done
 *
 * A record on the list stays valid only while the lock is held, so the
 * walk keeps its place with a record of its own, which mappings coming
 * and going around it do not disturb.  See shmpool_map_walk_next().
 */
struct shmpool_map_walk {
	struct shmpool_seg *seg;
	struct shmpool_map cursor;
};

/**
 * struct shmpool_seg_handle - what one open file of a segment carries
 * @seg: the segment; the file's inode reference keeps it alive
 * @prot: this fd's maximum protections, a subset of the segment's
 *
 * Owned by the file (file->private_data), freed on its release.
 */
struct shmpool_seg_handle {
	struct shmpool_seg *seg;
	u32 prot;
};

static inline struct shmpool_seg_handle *file_handle(struct file *file)
{
	return file->private_data;
}

static inline struct shmpool_seg *file_seg(struct file *file)
{
	return file_handle(file)->seg;
}

static inline pgoff_t seg_nr_pages(struct shmpool_seg *seg)
{
	return i_size_read(seg->inode) >> PAGE_SHIFT;
}

/**
 * shmpool_entry_frame() - the frame an entry of a segment's pages holds
 * for @idx
 * @entry: what a lookup of @idx found
 * @idx: the index looked up
 *
 * Most entries hold their own index's frame.  A block entry (see "Block
 * entries" in seg_block.c) holds its block's first frame, whose index is
 * the block's first: the frame for @idx is the one @idx - index after it.
 * A walk finds a block entry once: shmpool_seg_entry_pages() says how many
 * pages it covers.
 *
 * Context: any; under RCU, the result may be stale, as the entry may be.
 * Return: the frame for @idx.  A frame's index is set before it enters
 * the pages and stays while it is there, so a frame whose index is
 * neither @idx nor the first of @idx's block (a looked-up frame that left
 * since) is returned as it is, for the caller's check under a reference
 * or the page lock to reject.  An entry that is not a frame (NULL, a
 * value) is returned unchanged.
 */
static inline struct page *shmpool_entry_frame(void *entry, pgoff_t idx)
{
	struct page *first = entry;
	pgoff_t base;

	if (!entry || xa_is_value(entry))
		return entry;
	base = READ_ONCE(page_folio(first)->index);
	/* Aligned: the block's frames are in the same memory section. */
	if (base == idx || base != round_down(idx, SHMPOOL_BLOCK_NR) ||
	    !IS_ALIGNED(page_to_pfn(first), SHMPOOL_BLOCK_NR))
		return first;
	return first + (idx - base);
}

int shmpool_segs_init(const struct shmpool_seg_limits *limits);
void shmpool_segs_exit(void);

int shmpool_seg_name_check(const char *name);
struct shmpool_seg *shmpool_seg_create(const struct shmpool_create *args);
struct shmpool_seg *shmpool_seg_lookup(const char *name, u32 flags, u32 *prot);
void shmpool_seg_put(struct shmpool_seg *seg);
struct shmpool_seg *shmpool_seg_next(u32 *pos);
void shmpool_seg_abort(struct shmpool_seg *seg);
struct file *shmpool_seg_new_file(struct shmpool_seg *seg, u32 prot,
				  const struct file_operations *fops);
void shmpool_seg_release_file(struct file *file);
int shmpool_seg_unlink(const char *name);
int shmpool_seg_list_next(u32 pos, bool all, struct shmpool_info *info);
void shmpool_seg_info(struct shmpool_seg *seg, u32 fd_prot,
		      struct shmpool_info *info);
void shmpool_seg_get_stats(struct shmpool_seg_stats *st);
int shmpool_seg_user_next(s64 *uid, unsigned int *segments,
			  unsigned long *frames);

int shmpool_seg_unpin(struct shmpool_seg *seg, u64 offset, u64 len);
int shmpool_seg_pin(struct shmpool_seg *seg, u64 offset, u64 len, u32 *result);
__poll_t shmpool_seg_poll(struct file *file, struct poll_table_struct *wait);

int shmpool_seg_add_seals(struct shmpool_seg *seg, u32 seals);
u32 shmpool_seg_get_seals(struct shmpool_seg *seg);
int shmpool_seg_give(struct shmpool_seg *seg, u32 uid, u32 gid);
int shmpool_seg_accept(struct shmpool_seg *seg);

unsigned long shmpool_seg_entry_pages(struct shmpool_seg *seg, pgoff_t idx,
				      void *entry);
struct page *shmpool_seg_get_page(struct shmpool_seg *seg, pgoff_t idx,
				  bool *major);
unsigned long shmpool_seg_fill_holes(struct shmpool_seg *seg, pgoff_t idx,
				     struct page **pages, unsigned long nr);
struct page *shmpool_seg_get_block(struct shmpool_seg *seg, pgoff_t idx,
				   unsigned long *nr_locked);
void shmpool_seg_put_block(struct page *first, unsigned long nr_locked);
struct page *shmpool_seg_lock_block_of(struct shmpool_seg *seg, pgoff_t idx,
				       struct page *page);
void shmpool_seg_fail(struct shmpool_seg *seg, pgoff_t idx,
		      enum shmpool_fail_op op, int err);
ssize_t shmpool_seg_read_iter(struct kiocb *iocb, struct iov_iter *to);
ssize_t shmpool_seg_write_iter(struct kiocb *iocb, struct iov_iter *from);

/**
 * struct shmpool_fault_stats - the fault path's counters, summed over CPUs
 * @faults: page faults on segment mappings
 * @major: those that paged in from the swap area
 * @sigbus: those that failed (SIGBUS: quota, no frame, lost page)
 * @around: pages fault-around mapped with them, saving faults
 * @ahead: of those, pages given their frames ahead of a writer's faults
 * @huge: 2 MiB blocks mapped with one PMD entry each, by faults of huge
 *        segments' mappings (counted in @faults too)
 */
struct shmpool_fault_stats {
	u64 faults;
	u64 major;
	u64 sigbus;
	u64 around;
	u64 ahead;
	u64 huge;
};

/* mapping.c */
int shmpool_seg_mmap(struct file *file, struct vm_area_struct *vma);
void shmpool_fault_get_stats(struct shmpool_fault_stats *st);
long shmpool_maps_untracked(void);

#endif /* _SHMPOOL_SEGMENT_H */
