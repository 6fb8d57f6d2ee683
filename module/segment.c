// SPDX-License-Identifier: GPL-2.0
/*
 * Segments.
 *
 * A segment is a region of memory of any page-multiple size whose pages
 * are pool frames, allocated when first touched (by a fault, a write() or
 * SHMPOOL_CREATE_POPULATE) and recorded in the segment's xarray.  Each
 * segment is carried by an inode of a small pseudo filesystem of ours, as
 * secretmem and memfd carry theirs: the inode gives the segment a size
 * (i_size, changed by ftruncate()), permissions (i_mode, i_uid, i_gid, as
 * fstat() shows them), an address_space through which every mapping of it
 * can be found and zapped, and - above all - a lifetime: every open file of
 * the segment and every mapping's vm_file hold the inode, and a persistent
 * segment's name holds it too.  When the last of them goes, the inode is
 * evicted and the segment gives every frame back to the pool.
 *
 * Frames and the page lock.  Frames enter @pages only here (a first
 * touch, a page-in, a compaction move) and leave it by truncation,
 * eviction, swap-out, purging, compaction and a failed page-in.  Whoever
 * maps a frame (the fault handler, fault-around) or removes it holds the
 * frame's page lock and re-checks, under it, that the frame is still in
 * @pages at that index and inside the size: so a frame removed by
 * truncation can never be mapped after the truncation's final
 * unmap_mapping_range(), the protocol the page cache follows.  Frames are
 * looked up under RCU and pinned with a speculative reference (the pool
 * keeps chunks it gives back for an RCU grace period, so a looked-up frame
 * is always a valid page); a frame enters @pages with the inserter's
 * reference already taken, so that no one can freeze it before its first
 * user holds it.
 *
 * A frame still referenced elsewhere when it leaves the segment (by a pipe
 * after vmsplice(), by a pin) is not reused: the pool hands it to the
 * kernel, which frees it when the last reference goes.
 *
 * Reclaim and swap.  When a fault (or write(), or POPULATE) finds the pool
 * empty, it swaps cold pages of segments out to the swap area (swap.c) and
 * takes the frames that frees; and when the pool, unable to grow, falls
 * below its low watermark, its background work has the same reclaim free
 * frames up to the middle one (see "Sizing" in pool.c), so that faults
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
 *   1. reserve a swap slot (this may sleep, so it comes first);
 *   2. lock the page, unmap it, and freeze its count at the references of
 *      the pool and of reclaim: a page someone else holds (a pin from
 *      get_user_pages(), a read() or write() copying, a fault about to map
 *      it) fails to freeze and is skipped, and no one can take a new
 *      reference while it is frozen;
 *   3. copy it into the slot, and replace it in @pages with the slot
 *      number (an xarray value entry, as shmem keeps swap entries);
 *   4. unfreeze, unlock, and give the frame back to the pool.
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
 * Segments that are not swapped: SHMPOOL_CREATE_NOSWAP ones (their frames
 * are pinned to memory as mlock() pins), WC and UC ones (their frames
 * carry a cache mode), and those charged to a memory cgroup (the cgroup's
 * limit is what bounds them; see "Accounting" in pool.c).  Reclaim takes
 * a segment's invalidate lock shared with a trylock, which keeps
 * truncation away, and never waits for anything a fault may hold.
 *
 * Block entries.  A 2 MiB block a huge segment takes at once (see
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
 * 512 entries of one frame each (seg_split_block()), and nothing joins
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
 *
 * Users.  Each segment is charged to its owner's struct shmpool_user: the
 * number of segments they own and the frames those hold, bounded by the
 * limits in struct shmpool_seg_limits.  Ownership moves with GIVE/ACCEPT,
 * and with it this charge (not the memory cgroup charge of its frames,
 * which the kernel cannot move; see "Accounting" in pool.c).
 *
 * Locking, outermost first:
 *
 *   inode_lock (i_rwsem)  the size (ftruncate), the mode, the owner and
 *                         group, the offer, adding seals; the VFS takes
 *                         it for setattr
 *   invalidate_lock       the size and @pages against truncation: shared by
 *                         faults, write(), page-in and reclaim (trylock);
 *                         exclusive to publish a write seal
 *   pool.compact_lock     a huge fault's block allocation may compact
 *                         (see pool.c), whose callback here only trylocks
 *   reclaim.lock (mutex)  one reclaimer at a time; every segment's @clock
 *   segs.lock (mutex)     the list of segments, the name table, the user
 *                         table and every user's segment count, each
 *                         segment's @name and @persist
 *   segs.mnt_lock (spin)  the mount segments live on and its count
 *   seg->lock (spinlock)  the seals, the charged user, the frame and
 *                         writable-mapping counts, the offer
 *   page lock             one frame's presence in @pages (see above);
 *                         a block entry's first frame's, the entry's
 *                         staying whole ("Block entries"), taken after
 *                         the lock of another frame of the block only
 *                         with a trylock
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/idr.h>
#include <linux/ktime.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/nsproxy.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include <asm/set_memory.h>

#include "compat.h"
#include "pool.h"
#include "segment.h"
#include "swap.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/* "shmp": the magic of our pseudo filesystem, as statfs() reports it. */
#define SHMPOOL_FS_MAGIC	0x73686d70

#define SHMPOOL_SEALS	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | \
			 F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)

/*
 * One user who owns segments.  Owned by the user table: created with the
 * user's first segment, freed with the last (under segs.lock).
 * @frames is charged and uncharged under the lock of the segment whose
 * frames they are, and read without a lock for the quota check.
 */
struct shmpool_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int segments;
	atomic_long_t frames;
};

static struct shmpool_segs {
	struct mutex lock;		/* see "Locking" at the top */
	struct list_head list;
	DECLARE_HASHTABLE(names, 6);
	DECLARE_HASHTABLE(users, 6);
	struct ida ids;
	spinlock_t mnt_lock;		/* @mnt and @mnt_users */
	struct vfsmount *mnt;		/* see seg_fs_pin() */
	unsigned long mnt_users;	/* segments on @mnt */
	const struct shmpool_seg_limits *limits;
	atomic_long_t overcommit_pages;	/* sizes of OVERCOMMIT segments */
} segs;

/*
 * Pages swapped out for one reclaim run: enough that a run of faults does
 * not reclaim one page at a time, few enough that the run is short.
 */
#define SHMPOOL_RECLAIM_BATCH	32
/* Pages the hand looks at in one segment before taking the next. */
#define SHMPOOL_CLOCK_STEP	64

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
 * Reclaim's state; see "Reclaim and swap" above.  @lock serialises
 * reclaim runs, and protects every segment's clock hand and the counters
 * but the swap-in ones, which faults update concurrently.
 */
static struct shmpool_reclaim {
	struct mutex lock;		/* see above */
	u64 runs, scanned, referenced, busy, failed, purged;
	u64 swap_outs, swap_out_ns;
	atomic64_t swap_ins, swap_in_ns;
} reclaim;

/* Failures given back to user space, by reason; see shmpool_seg_fail(). */
static atomic64_t seg_fails[SHMPOOL_FAIL_NR];

const char *const shmpool_fail_names[SHMPOOL_FAIL_NR] = {
	[SHMPOOL_FAIL_EOF] = "eof",
	[SHMPOOL_FAIL_QUOTA] = "quota",
	[SHMPOOL_FAIL_CGROUP] = "cgroup",
	[SHMPOOL_FAIL_POOL] = "pool",
	[SHMPOOL_FAIL_COMMIT] = "commit",
	[SHMPOOL_FAIL_IO] = "io",
	[SHMPOOL_FAIL_SIGNAL] = "signal",
};

static void seg_count_fail(u32 id, pgoff_t idx, enum shmpool_fail_op op,
			   enum shmpool_fail_reason why)
{
	atomic64_inc(&seg_fails[why]);
	trace_shmpool_fail(id, idx, op, why);
}

/**
 * shmpool_seg_fail() - count a failure of shmpool_seg_get_page() that goes
 * back to user space
 * @seg: the segment
 * @idx: the page asked for
 * @op: what asked
 * @err: the error shmpool_seg_get_page() gave
 *
 * So that every SIGBUS and -ENOMEM has a reason in the statistics and a
 * tracepoint: a frame that could not be had while the pool had one is a
 * bug, and SHMPOOL_FAIL_POOL is what shows it.
 *
 * Context: process context, the task the failure goes back to.
 */
void shmpool_seg_fail(struct shmpool_seg *seg, pgoff_t idx,
		      enum shmpool_fail_op op, int err)
{
	enum shmpool_fail_reason why;

	if (err == -ENXIO)
		why = SHMPOOL_FAIL_EOF;
	else if (err == -EDQUOT)
		why = SHMPOOL_FAIL_QUOTA;
	else if (err == -EIO)
		why = SHMPOOL_FAIL_IO;
	else if (fatal_signal_pending(current))
		why = SHMPOOL_FAIL_SIGNAL;
	else if (seg->acct)
		why = SHMPOOL_FAIL_CGROUP;
	else
		why = SHMPOOL_FAIL_POOL;
	seg_count_fail(seg->id, idx, op, why);
}

/* seg_max_kb in bytes, no more than a file can be. */
static loff_t seg_max_bytes(void)
{
	unsigned long kb = READ_ONCE(segs.limits->seg_max_kb);

	return kb > MAX_LFS_FILESIZE / SZ_1K ? MAX_LFS_FILESIZE : (loff_t)kb * SZ_1K;
}

/*
 * Drop an inode reference of the module's own (not a file's): a lookup's,
 * reclaim's, compaction's, a name's.  It may be the last, and eviction
 * then unpins the segments' mount; whatever the VFS does with the inode
 * after ->evict_inode() still reads its superblock, which the mount's
 * last mntput() may free on another CPU meanwhile (a task's return to
 * user space, a work item).  So hold the mount across the iput(), as a
 * file holds it across its dentry's.  The caller's reference keeps
 * segs.mnt the inode's mount (see seg_fs_pin()).
 */
static void seg_iput(struct inode *inode)
{
	struct vfsmount *mnt;

	spin_lock(&segs.mnt_lock);
	mnt = mntget(segs.mnt);
	spin_unlock(&segs.mnt_lock);
	iput(inode);
	mntput(mnt);
}

/* User table */

/*
 * Count one more segment for @uid, within the limit: its user, created with
 * the first segment, or ERR_PTR(-EDQUOT / -ENOMEM).
 */
static struct shmpool_user *user_add_segment(kuid_t uid)
{
	unsigned int max = READ_ONCE(segs.limits->user_max_segments);
	struct shmpool_user *u;

	lockdep_assert_held(&segs.lock);

	hash_for_each_possible(segs.users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			goto found;
	if (!max)
		return ERR_PTR(-EDQUOT);
	u = kzalloc(sizeof(*u), GFP_KERNEL);
	if (!u)
		return ERR_PTR(-ENOMEM);
	u->uid = uid;
	hash_add(segs.users, &u->node, __kuid_val(uid));
found:
	if (u->segments >= max)
		return ERR_PTR(-EDQUOT);
	u->segments++;
	return u;
}

/* Take one segment off @u's count; the last one frees it. */
static void user_put_segment(struct shmpool_user *u)
{
	lockdep_assert_held(&segs.lock);

	if (--u->segments)
		return;
	WARN_ON_ONCE(atomic_long_read(&u->frames));
	hash_del(&u->node);
	kfree(u);
}

/*
 * Whether @seg's owner could be charged @nr frames more; a hint, racy.
 * The owner is read under @seg's lock: ACCEPT may switch it and free the
 * old one meanwhile.
 */
static bool seg_user_room(struct shmpool_seg *seg, unsigned long nr)
{
	unsigned long max = shmpool_kb_to_frames(READ_ONCE(segs.limits->user_max_kb));
	bool room;

	spin_lock(&seg->lock);
	room = atomic_long_read(&seg->user->frames) + nr <= max;
	spin_unlock(&seg->lock);
	return room;
}

/* Charge @nr frames to @u unless that takes it past its quota. */
static bool user_charge(struct shmpool_user *u, unsigned long nr)
{
	unsigned long max = shmpool_kb_to_frames(READ_ONCE(segs.limits->user_max_kb));

	if (atomic_long_add_return(nr, &u->frames) <= max)
		return true;
	atomic_long_sub(nr, &u->frames);
	return false;
}

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

static void frame_reset_cache(struct page *page, u32 cache)
{
	if (cache != SHMPOOL_CACHE_WB)
		set_pages_array_wb(&page, 1);
}

static bool cache_supported(u32 cache)
{
	return cache <= SHMPOOL_CACHE_UC;
}
#else
static int frame_set_cache(struct page *page, u32 cache)
{
	return 0;
}

static void frame_reset_cache(struct page *page, u32 cache)
{
}

static bool cache_supported(u32 cache)
{
	return cache == SHMPOOL_CACHE_WB;
}
#endif

/* Frames */

static unsigned long seg_reclaim(unsigned long want);

/*
 * A zeroed frame for @seg, from the pool, or from reclaim when the pool
 * has none and @may_reclaim; NULL when neither has one.  Uncharged: see
 * seg_alloc_frame().
 */
static struct page *seg_get_frame(struct shmpool_seg *seg, bool may_reclaim)
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
		if (!seg_reclaim(SHMPOOL_RECLAIM_BATCH) &&
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

/* Give back a frame of seg_get_frame() nobody wrote: no second clear. */
static void seg_put_clean_frame(struct shmpool_seg *seg, struct page *page)
{
	frame_reset_cache(page, seg->cache);
	shmpool_free_zeroed_frames(page, 0);
}

/*
 * Uncharge @nr pages of @seg's: frames freed (or never handed out), or,
 * with @swapped, swap slots dropped.
 */
static void seg_uncharge(struct shmpool_seg *seg, unsigned long nr,
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
	if (!user_charge(seg->user, 1)) {
		spin_unlock(&seg->lock);
		*err = -EDQUOT;
		if (!ahead)
			trace_shmpool_denied(seg->id, SHMPOOL_DENIED_QUOTA,
					     EDQUOT);
		return NULL;
	}
	seg->nr_frames++;
	spin_unlock(&seg->lock);

	page = seg_get_frame(seg, !ahead);
	if (page)
		return page;

	seg_uncharge(seg, 1, false);
	*err = -ENOMEM;
	return NULL;
}

/* Give a frame that has left @pages back to the pool and uncharge it. */
static void seg_free_frame(struct shmpool_seg *seg, struct page *page)
{
	frame_reset_cache(page, seg->cache);
	shmpool_free_frames(page, 0);
	seg_uncharge(seg, 1, false);
}

/* Whether reclaim may take @seg's frames; see "Reclaim and swap" above. */
static bool seg_swappable(struct shmpool_seg *seg)
{
	return !(seg->flags & SHMPOOL_CREATE_NOSWAP) &&
	       seg->cache == SHMPOOL_CACHE_WB && !seg->acct;
}

/*
 * Tell the memory map what @page, at @idx, is to reclaim: purgeable in an
 * unpinned range of a segment seg_purge() takes from (not a charged one,
 * not a write-sealed one), else swappable or pinned as the segment is.
 * Called wherever a frame enters @pages, before it is visible there
 * unlocked, and wherever its mark or the seals change, with the
 * invalidate lock held exclusively: so the frame is still the segment's.
 */
static void seg_note_use(struct shmpool_seg *seg, pgoff_t idx,
			 struct page *page)
{
	enum shmpool_frame_use use = SHMPOOL_USE_PINNED;

	if (!seg->acct &&
	    !(READ_ONCE(seg->seals) & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) &&
	    xa_get_mark(&seg->pages, idx, SHMPOOL_PURGEABLE))
		use = SHMPOOL_USE_PURGEABLE;
	else if (seg_swappable(seg))
		use = SHMPOOL_USE_SWAPPABLE;
	shmpool_frame_set_use(page, use);
}

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

/*
 * Make the block entry that covers @idx, if there is one, 512 entries of
 * one frame each; see "Block entries" above.  xas_split() gives each new
 * entry the block's first frame, which shmpool_entry_frame() reads as the
 * block entry was read; then each gets its own.
 *
 * Under the block's lock, its first frame's (see "Block entries"): a
 * caller that holds a frame of the block locked (@locked) has it tried
 * for it; one that holds the invalidate lock exclusively needs none
 * (@locked NULL), as every holder of a block's lock holds that lock
 * shared or a frame of the block.
 * Return: 0; -EBUSY when someone holds the block's lock, -ENOMEM when
 * there is no memory for the new nodes.
 * Context: process context if @gfp may sleep; the invalidate lock held
 * (shared is enough with @locked), which keeps truncation from taking the
 * block away.
 */
static int seg_split_block(struct shmpool_seg *seg, pgoff_t idx, gfp_t gfp,
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

/* Split every block entry that covers a page of [@first, @last]. */
static int seg_split_range(struct shmpool_seg *seg, pgoff_t first,
			   pgoff_t last)
{
	pgoff_t idx;
	int err = 0;

	if (!(seg->flags & SHMPOOL_CREATE_HUGE))
		return 0;
	for (idx = round_down(first, SHMPOOL_BLOCK_NR); idx <= last && !err;
	     idx += SHMPOOL_BLOCK_NR)
		err = seg_split_block(seg, idx, GFP_KERNEL, NULL);
	return err;
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

/*
 * Page in the page at @idx, swapped out to the slot in @entry: a frame for
 * it, locked and not uptodate, takes the value entry's place, so that
 * other faults find it and wait for its lock while the slot is read.
 * Return: the frame with a reference, unlocked and filled; NULL when
 * someone else paged it in first (look again); ERR_PTR(-ENOMEM).
 * Context: the invalidate lock held shared.
 */
static struct page *seg_swap_in(struct shmpool_seg *seg, pgoff_t idx,
				void *entry)
{
	u64 start = ktime_get_ns();
	struct page *page;
	void *old;

	page = seg_get_frame(seg, true);
	if (!page)
		return ERR_PTR(-ENOMEM);
	/*
	 * Not a plain __folio_set_locked(): a reader that looked the frame up
	 * in its previous life may still try its lock (seg_grab()).  Then
	 * give it back and look again.
	 */
	if (!folio_trylock(page_folio(page))) {
		seg_put_clean_frame(seg, page);
		return NULL;
	}
	folio_clear_uptodate(page_folio(page));
	page_folio(page)->index = idx;
	get_page(page);
	old = xa_cmpxchg(&seg->pages, idx, entry, page, GFP_KERNEL);
	if (old != entry) {
		folio_unlock(page_folio(page));
		put_page(page);
		seg_put_clean_frame(seg, page);
		return xa_is_err(old) ? ERR_PTR(xa_err(old)) : NULL;
	}
	seg_note_use(seg, idx, page);
	if (shmpool_swap_read(xa_to_value(entry), page)) {
		/*
		 * The swap file lost it: SIGBUS now, a fresh page next time.
		 * Those waiting for the lock find it gone and look again.
		 */
		bool was_purged = xa_get_mark(&seg->pages, idx, SHMPOOL_WAS_PURGED);

		xa_cmpxchg(&seg->pages, idx, page, NULL, GFP_NOWAIT);
		unlock_page(page);
		put_page(page);
		seg_uncharge(seg, 1, true);
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
			page = seg_swap_in(seg, idx, entry);
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
			seg_note_use(seg, idx, new);
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
		unlock_page(page);
		put_page(page);
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
	    !seg_user_room(seg, 2 * nr))
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
		 * seg_swap_in(); a reader of the frame's previous life may
		 * hold the lock for a moment, and then we stop here.  Only
		 * the faulting page (the first) may wait for xarray memory.
		 */
		get_page(page);
		if (folio_trylock(page_folio(page))) {
			old = xa_cmpxchg(&seg->pages, idx + n, NULL, page,
					 n ? GFP_NOWAIT : GFP_KERNEL);
			if (!old) {
				seg_note_use(seg, idx + n, page);
				pages[n] = page;
				continue;
			}
			/* Someone filled it first, or no memory for a node. */
			folio_unlock(page_folio(page));
		}
		put_page(page);
		seg_put_clean_frame(seg, page);
		seg_uncharge(seg, 1, false);
		break;
	}
	return n;
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
		unlock_page(page);
		put_page(page);
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
	enum shmpool_frame_use use = seg_swappable(seg) ?
		SHMPOOL_USE_SWAPPABLE : SHMPOOL_USE_PINNED;
	unsigned long i, index = idx;
	struct page *first;

	/* A purged page is not a plain hole: it remembers, page by page. */
	if (xa_find(&seg->pages, &index, idx + SHMPOOL_BLOCK_NR - 1, XA_PRESENT))
		return NULL;
	spin_lock(&seg->lock);
	if (!user_charge(seg->user, SHMPOOL_BLOCK_NR)) {
		spin_unlock(&seg->lock);
		return NULL;
	}
	seg->nr_frames += SHMPOOL_BLOCK_NR;
	spin_unlock(&seg->lock);

	first = shmpool_alloc_frames(seg->acct, SHMPOOL_MAX_ORDER, GFP_KERNEL,
				     seg->id);
	if (!first) {
		seg_uncharge(seg, SHMPOOL_BLOCK_NR, false);
		return NULL;
	}
	shmpool_split_frames(first, SHMPOOL_MAX_ORDER, use);
	/*
	 * Set up as seg_get_frame() sets up one.  A frame keeps PG_uptodate
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
	 * The block's lock before it is visible, as in seg_swap_in(): a
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
	seg_uncharge(seg, SHMPOOL_BLOCK_NR, false);
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
		unlock_page(first);
		put_page(first);
		return NULL;
	}
	unlock_page(page);
	put_page(page);
	folio_wait_locked(page_folio(first));
	put_page(first);
	return ERR_PTR(-EAGAIN);
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

/*
 * Swap out @page, at @idx in @seg, locked and with reclaim's reference, as
 * steps 2-4 of "Reclaim and swap" say.  @slot is reserved for it and
 * becomes the page's on success.
 * Return: 0, the page out of @pages (free it); -EBUSY when someone holds it
 * or there is no memory to split its block.
 */
static int seg_swap_out(struct shmpool_seg *seg, pgoff_t idx,
			struct page *page, u32 slot)
{
	void *old;

	/*
	 * The block split first (not while frozen: the split may sleep, and
	 * lookups would spin): until then, a fault holding the block's lock
	 * may map all of it again.  From then on only one holding this
	 * page's lock can.
	 */
	if (seg_split_block(seg, idx, GFP_KERNEL, page))
		return -EBUSY;
	unmap_mapping_range(seg->inode->i_mapping, (loff_t)idx << PAGE_SHIFT,
			    PAGE_SIZE, 0);
	if (folio_mapped(page_folio(page)))
		return -EBUSY;
	/* The pool's reference and ours, no mapping: nobody else has it. */
	if (!page_ref_freeze(page, 2))
		return -EBUSY;
	shmpool_swap_store(slot, page);
	/* Replacing an entry allocates nothing; it is ours while we hold the lock. */
	old = xa_cmpxchg(&seg->pages, idx, page, xa_mk_value(slot), GFP_NOWAIT);
	page_ref_unfreeze(page, 2);
	if (WARN_ON_ONCE(old != page))
		return -EBUSY;

	spin_lock(&seg->lock);
	seg->nr_swapped++;
	spin_unlock(&seg->lock);
	return 0;
}

/*
 * Move @seg's clock hand over at most SHMPOOL_CLOCK_STEP pages, swapping
 * out those neither referenced nor mapped since it last passed, until
 * @want are freed.  *@full is set when the swap area has no room.
 * Return: pages freed.
 */
static unsigned long seg_clock_step(struct shmpool_seg *seg,
				    unsigned long want, bool *full)
{
	struct address_space *mapping = seg->inode->i_mapping;
	unsigned long n, freed = 0;
	pgoff_t nr, idx;
	u32 slot = 0;

	lockdep_assert_held(&reclaim.lock);
	if (!seg_swappable(seg) || !down_read_trylock(&mapping->invalidate_lock))
		return 0;
	nr = seg_nr_pages(seg);
	idx = seg->clock < nr ? seg->clock : 0;
	for (n = 0; n < min_t(pgoff_t, nr, SHMPOOL_CLOCK_STEP) && freed < want;
	     n++, idx = idx + 1 < nr ? idx + 1 : 0) {
		u64 start = ktime_get_ns();
		struct page *page;

		page = xa_load(&seg->pages, idx);
		if (!page || xa_is_value(page))
			continue;
		reclaim.scanned++;
		/* The slot first: reserving it may sleep, and may fail. */
		if (!slot && shmpool_swap_reserve(&slot)) {
			*full = true;
			break;
		}
		page = seg_grab(seg, idx);
		if (IS_ERR_OR_NULL(page)) {
			reclaim.busy++;
			continue;
		}
		if (folio_test_clear_referenced(page_folio(page)) ||
		    folio_mapped(page_folio(page))) {
			/* Second chance; the next touch faults and tells us. */
			unmap_mapping_range(mapping, (loff_t)idx << PAGE_SHIFT,
					    PAGE_SIZE, 0);
			folio_clear_referenced(page_folio(page));
			reclaim.referenced++;
			unlock_page(page);
			put_page(page);
			continue;
		}
		if (seg_swap_out(seg, idx, page, slot)) {
			reclaim.busy++;
			unlock_page(page);
			put_page(page);
			continue;
		}
		unlock_page(page);
		put_page(page);
		shmpool_free_frames(page, 0);
		shmpool_swap_writeback(slot);
		start = ktime_get_ns() - start;
		trace_shmpool_swap_out(seg->id, idx, slot, start);
		slot = 0;
		freed++;
		reclaim.swap_outs++;
		reclaim.swap_out_ns += start;
		cond_resched();
	}
	seg->clock = idx;
	up_read(&mapping->invalidate_lock);
	if (slot)
		shmpool_swap_free(slot);
	return freed;
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
		void *old;

		if (freed >= want)
			break;
		if (!swapped) {
			page = seg_grab(seg, idx);
			if (IS_ERR_OR_NULL(page)) {
				reclaim.busy++;
				continue;
			}
			entry = page;
			unmap_mapping_range(mapping, (loff_t)idx << PAGE_SHIFT,
					    PAGE_SIZE, 0);
			if (folio_mapped(page_folio(page)) ||
			    !page_ref_freeze(page, 2)) {
				reclaim.busy++;
				unlock_page(page);
				put_page(page);
				continue;
			}
		}
		/*
		 * A swapped page may be paging in meanwhile (the entry is a
		 * frame by now): then it stays.  Unpinning and pinning take
		 * the invalidate lock exclusively, so the marks hold still.
		 */
		old = xa_cmpxchg(&seg->pages, idx, entry, SHMPOOL_PURGED, GFP_NOWAIT);
		if (old != entry) {
			if (page) {
				page_ref_unfreeze(page, 2);
				unlock_page(page);
				put_page(page);
			}
			continue;
		}
		xa_clear_mark(&seg->pages, idx, SHMPOOL_PURGEABLE);
		was_purged = xa_get_mark(&seg->pages, idx, SHMPOOL_WAS_PURGED);
		xa_set_mark(&seg->pages, idx, SHMPOOL_WAS_PURGED);
		if (swapped) {
			shmpool_swap_free(xa_to_value(entry));
		} else {
			page_ref_unfreeze(page, 2);
			unlock_page(page);
			put_page(page);
			frame_reset_cache(page, seg->cache);
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
 * The next segment for reclaim to look at, with an inode reference, or
 * NULL when there is none.  The list turns: this one goes to the back.
 */
static struct inode *seg_reclaim_next(void)
{
	struct shmpool_seg *seg;
	struct inode *inode = NULL;

	mutex_lock(&segs.lock);
	if (!list_empty(&segs.list)) {
		seg = list_first_entry(&segs.list, struct shmpool_seg, node);
		list_move_tail(&seg->node, &segs.list);
		/* igrab() fails for a segment on its way to eviction. */
		inode = igrab(seg->inode);
	}
	mutex_unlock(&segs.lock);
	return inode;
}

/*
 * Free up to @want frames: first by purging unpinned pages of every
 * segment, then by swapping cold pages out, taking the segments in turn.
 * The sweep ends when enough are free, when the swap area is full, or
 * after every swappable page has been passed twice (once to clear its
 * reference, once to take it).  @background: the pool's work runs it,
 * not an allocation.
 * Return: frames freed.
 */
static unsigned long __seg_reclaim(unsigned long want, bool background)
{
	unsigned long freed = 0, visits, steps, nr_segs = 0;
	struct shmpool_seg *seg;
	struct inode *inode;
	u64 start, scanned;
	bool full = false;

	if (mutex_lock_killable(&reclaim.lock))
		return 0;
	start = ktime_get_ns();
	scanned = reclaim.scanned;
	reclaim.runs++;
	mutex_lock(&segs.lock);
	nr_segs = list_count_nodes(&segs.list);
	mutex_unlock(&segs.lock);

	for (visits = 0; visits < nr_segs && freed < want; visits++) {
		inode = seg_reclaim_next();
		if (!inode)
			continue;
		freed += seg_purge(inode->i_private, want - freed);
		seg_iput(inode);
	}

	/*
	 * The clock needs two sweeps of a segment to be sure of it: a first
	 * that gives every referenced or mapped page its second chance, a
	 * second that takes those not touched since.  So each segment in
	 * turn gets its two sweeps (less if enough is freed first), not a
	 * share of a budget summed over all: shared out a step at a time, a
	 * budget left a large segment half swept, and a fault that found the
	 * pool full of its just-unmapped pages failed (swap_test's
	 * allocate_after_swap_and_purge).  A run costs at most two sweeps of
	 * every segment, whose pages the next run's hands go on from.
	 */
	for (visits = 0; visits < nr_segs && freed < want && !full; visits++) {
		inode = seg_reclaim_next();
		if (!inode)
			continue;
		seg = inode->i_private;
		steps = 2 * (seg_nr_pages(seg) / SHMPOOL_CLOCK_STEP + 1);
		while (steps-- && freed < want && !full &&
		       !fatal_signal_pending(current))
			freed += seg_clock_step(seg, want - freed, &full);
		seg_iput(inode);
		if (fatal_signal_pending(current))
			break;
	}
	if (!freed)
		reclaim.failed++;
	trace_shmpool_reclaim(want, freed, reclaim.scanned - scanned,
			      ktime_get_ns() - start, background);
	mutex_unlock(&reclaim.lock);
	return freed;
}

/* Reclaim for an allocation that found the pool empty. */
static unsigned long seg_reclaim(unsigned long want)
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

/*
 * Remove every frame from @start on: unmap, take each out of @pages under
 * its page lock (a block entry under all its frames' locks), unmap again
 * (a fault-around that held the lock may have mapped it meanwhile), then
 * free.  Private copy-on-write copies go too, as a file's do on truncation.
 * A block entry must not cover @start but begin there, if at all: see
 * seg_resize().
 * Context: the invalidate lock held exclusively, or the inode being
 * evicted (nobody else can reach it then).
 */
static void seg_truncate_frames(struct shmpool_seg *seg, pgoff_t start)
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
			seg_uncharge(seg, 1, true);
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

/*
 * May @seg grow from @old_pages to @pages?  Without OVERCOMMIT the growth
 * must fit in the free pool; with it, the sum of overcommitted sizes must
 * stay within overcommit_max_kb, and is counted here (shrinking too).
 * Return: 0 or -ENOMEM.
 */
static int seg_commit(struct shmpool_seg *seg, pgoff_t old_pages, pgoff_t pages)
{
	unsigned long max;

	if (!(seg->flags & SHMPOOL_CREATE_OVERCOMMIT))
		return pages <= old_pages ||
		       pages - old_pages <= shmpool_pool_available() ? 0 : -ENOMEM;

	max = shmpool_kb_to_frames(READ_ONCE(segs.limits->overcommit_max_kb));
	if (atomic_long_add_return(pages - old_pages, &segs.overcommit_pages) >
	    max && pages > old_pages) {
		atomic_long_sub(pages - old_pages, &segs.overcommit_pages);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Before a size is committed without OVERCOMMIT: a segment closed just now
 * may still hold its frames, when reclaim held it at the close and evicts
 * it, under its lock.  If the pool looks short of @pages, wait for the
 * run under way.  With no lock held that a fault or reclaim may want.
 */
static void seg_wait_for_room(struct shmpool_seg *seg, pgoff_t pages)
{
	if ((seg->flags & SHMPOOL_CREATE_OVERCOMMIT) ||
	    pages <= shmpool_pool_available())
		return;
	if (!mutex_lock_killable(&reclaim.lock))
		mutex_unlock(&reclaim.lock);
}

static int seg_resize(struct shmpool_seg *seg, loff_t size)
{
	loff_t old = i_size_read(seg->inode);
	u32 seals;
	int ret;

	if (size & ~PAGE_MASK)
		return -EINVAL;
	if (size > seg_max_bytes())
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
		seg_wait_for_room(seg, (size - old) >> PAGE_SHIFT);

	filemap_invalidate_lock(seg->inode->i_mapping);
	/*
	 * Truncation takes whole entries: a block the new end cuts is split
	 * first, before anything changed (shrinking commits nothing that
	 * could fail).
	 */
	ret = 0;
	if (size < old && !IS_ALIGNED(size >> PAGE_SHIFT, SHMPOOL_BLOCK_NR))
		ret = seg_split_block(seg, size >> PAGE_SHIFT, GFP_KERNEL, NULL);
	if (!ret) {
		ret = seg_commit(seg, old >> PAGE_SHIFT, size >> PAGE_SHIFT);
		if (ret)
			seg_count_fail(seg->id, 0, SHMPOOL_FAIL_RESIZE,
				       SHMPOOL_FAIL_COMMIT);
	}
	if (!ret) {
		i_size_write(seg->inode, size);
		if (size < old)
			seg_truncate_frames(seg, size >> PAGE_SHIFT);
	}
	filemap_invalidate_unlock(seg->inode->i_mapping);
	return ret;
}

static int seg_populate(struct shmpool_seg *seg)
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
		unlock_page(page);
		put_page(page);
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

/* Seals, ownership */

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

	for (round = 0; round < 4; round++) {
		bool pinned = false;

		if (round)
			msleep(10 << round);
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
				seg_note_use(seg, idx, entry);
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

u32 shmpool_seg_get_seals(struct shmpool_seg *seg)
{
	return READ_ONCE(seg->seals);
}

/**
 * shmpool_seg_give() - offer a segment to another user
 * @seg: the segment
 * @uid: the user, in the caller's namespace; (u32)-1 withdraws the offer
 * @gid: the group the segment gets on acceptance
 *
 * The group is one the owner could chown(2) the segment to: its own, or
 * one they are in (by the effective ids, as OPEN checks them), unless
 * they have CAP_CHOWN over it (in their user namespace, when
 * it maps the segment's owner and group, as chown(2) asks); else an
 * offer, even to themselves, would hand the segment to a group that
 * never agreed to have it.
 *
 * Context: process context.
 * Return: 0; -EPERM for a caller who is not the owner or a group they may
 * not give to, -EINVAL for ids that do not map.
 */
int shmpool_seg_give(struct shmpool_seg *seg, u32 uid, u32 gid)
{
	kuid_t kuid = make_kuid(current_user_ns(), uid);
	kgid_t kgid = make_kgid(current_user_ns(), gid);
	bool withdraw = uid == (u32)-1;
	int ret = 0;

	if (!withdraw && (!uid_valid(kuid) || !gid_valid(kgid)))
		return -EINVAL;

	inode_lock(seg->inode);
	if (!uid_eq(current_euid(), seg->inode->i_uid) ||
	    (!withdraw && !gid_eq(kgid, seg->inode->i_gid) && !in_egroup_p(kgid) &&
	     !capable_wrt_inode_uidgid(SHMPOOL_NOP_IDMAP, seg->inode, CAP_CHOWN))) {
		ret = -EPERM;
		trace_shmpool_denied(seg->id, SHMPOOL_DENIED_GIVE, EPERM);
	} else {
		spin_lock(&seg->lock);
		seg->offered = !withdraw;
		seg->offered_uid = kuid;
		seg->offered_gid = kgid;
		spin_unlock(&seg->lock);
	}
	inode_unlock(seg->inode);
	return ret;
}

/**
 * shmpool_seg_accept() - take over a segment offered to the caller
 * @seg: the segment
 *
 * The owner, group and frame charge move to the caller.  The memory
 * cgroup charge does not: the kernel exports no way for a module to move
 * one (see Documentation/design.rst).
 *
 * Context: process context.
 * Return: 0; -EPERM when not offered to the caller, -EDQUOT when the
 * caller's quotas cannot take it, -ENOMEM.
 */
int shmpool_seg_accept(struct shmpool_seg *seg)
{
	kuid_t euid = current_euid();
	struct shmpool_user *new, *old;
	unsigned long nr;
	int ret;

	inode_lock(seg->inode);
	mutex_lock(&segs.lock);
	spin_lock(&seg->lock);
	ret = seg->offered && uid_eq(seg->offered_uid, euid) ? 0 : -EPERM;
	spin_unlock(&seg->lock);
	if (ret) {
		trace_shmpool_denied(seg->id, SHMPOOL_DENIED_ACCEPT, EPERM);
		goto out;
	}
	if (uid_eq(euid, seg->inode->i_uid)) {	/* offered to its owner */
		spin_lock(&seg->lock);
		seg->offered = false;
		seg->inode->i_gid = seg->offered_gid;
		spin_unlock(&seg->lock);
		goto out;
	}

	new = user_add_segment(euid);
	if (IS_ERR(new)) {
		ret = PTR_ERR(new);
		if (ret == -EDQUOT)
			trace_shmpool_denied(seg->id, SHMPOOL_DENIED_QUOTA, EDQUOT);
		goto out;
	}

	spin_lock(&seg->lock);
	nr = seg->nr_frames;
	if (!user_charge(new, nr)) {
		spin_unlock(&seg->lock);
		user_put_segment(new);
		ret = -EDQUOT;
		trace_shmpool_denied(seg->id, SHMPOOL_DENIED_QUOTA, EDQUOT);
		goto out;
	}
	old = seg->user;
	atomic_long_sub(nr, &old->frames);
	seg->user = new;
	seg->offered = false;
	seg->inode->i_uid = euid;
	seg->inode->i_gid = seg->offered_gid;
	spin_unlock(&seg->lock);
	user_put_segment(old);
	ret = 0;
out:
	mutex_unlock(&segs.lock);
	inode_unlock(seg->inode);
	return ret;
}

/* The pseudo filesystem */

static int seg_setattr(struct shmpool_idmap *idmap, struct dentry *dentry,
		       struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	struct shmpool_seg *seg = inode->i_private;
	int ret;

	/* Ownership moves only with GIVE and ACCEPT, which move the charge. */
	if (attr->ia_valid & (ATTR_UID | ATTR_GID))
		return -EPERM;
	/*
	 * Only through a writable fd: truncate() on /proc/self/fd/N would
	 * let a restricted, read-only fd cut the segment short.
	 */
	if ((attr->ia_valid & ATTR_SIZE) &&
	    (!(attr->ia_valid & ATTR_FILE) || !(attr->ia_file->f_mode & FMODE_WRITE)))
		return -EPERM;
	ret = setattr_prepare(idmap, dentry, attr);
	if (ret)
		return ret;
	if (attr->ia_valid & ATTR_SIZE) {
		ret = seg_resize(seg, attr->ia_size);
		if (ret)
			return ret;
	}
	setattr_copy(idmap, inode, attr);
	return 0;
}

static const struct inode_operations seg_iops = {
	.setattr = seg_setattr,
};

static void seg_destroy(struct shmpool_seg *seg)
{
	trace_shmpool_seg_destroy(seg->id, i_size_read(seg->inode),
				  from_kuid(&init_user_ns, seg->inode->i_uid),
				  seg->flags);
	mutex_lock(&segs.lock);
	list_del(&seg->node);
	if (seg->name[0])
		hash_del(&seg->name_node);
	mutex_unlock(&segs.lock);

	seg_truncate_frames(seg, 0);
	WARN_ON_ONCE(seg->nr_frames || seg->nr_swapped || seg->nr_purged);
	seg_commit(seg, seg_nr_pages(seg), 0);
	xa_destroy(&seg->pages);
	shmpool_account_put(seg->acct);
	shmpool_put_ipc_ns(seg->ipc_ns);

	mutex_lock(&segs.lock);
	user_put_segment(seg->user);
	mutex_unlock(&segs.lock);
	ida_free(&segs.ids, seg->id);
	percpu_counter_destroy(&seg->faults);
	kfree(seg);
}

static void seg_fs_unpin(void);

static void seg_evict_inode(struct inode *inode)
{
	struct shmpool_seg *seg = inode->i_private;

	truncate_inode_pages_final(&inode->i_data);
	if (seg)
		seg_destroy(seg);
	clear_inode(inode);
	if (seg)
		seg_fs_unpin();
}

static const struct super_operations seg_sops = {
	.statfs = simple_statfs,
	.drop_inode = shmpool_inode_drop,
	.evict_inode = seg_evict_inode,
};

static int seg_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx = init_pseudo(fc, SHMPOOL_FS_MAGIC);

	if (!ctx)
		return -ENOMEM;
	ctx->ops = &seg_sops;
	fc->s_iflags |= SB_I_NODEV;
	/*
	 * Newer kernels make pseudo filesystems noexec, which would refuse
	 * every PROT_EXEC mapping; a segment's exec maximum (and an fd's) is
	 * what decides here.  Segments have no path, so execve() never
	 * reaches them.
	 */
	fc->s_iflags &= ~SB_I_NOEXEC;
	return 0;
}

/*
 * The superblock holds a reference on the module (.owner), dropped by the
 * VFS after kill_sb: so the module outlives the eviction of its last
 * segment, whose file's fput() drops the file's own module reference
 * before the inode goes (see seg_fs_pin()).
 */
static struct file_system_type seg_fs_type = {
	.owner = THIS_MODULE,
	.name = "shmpool",
	.init_fs_context = seg_init_fs_context,
	.kill_sb = kill_anon_super,
};

/**
 * DOC: the mount and the module's lifetime
 *
 * Segments live on a mount of our pseudo filesystem that exists only
 * while segments do: the first segment mounts it, each one holds it (a
 * count under segs.mnt_lock) and the eviction of the last one lets it go.
 * Its superblock holds the module, so the module cannot go while a
 * segment is being evicted, even after the fput() of its last file has
 * dropped the file's module reference.  The mount is not an internal
 * one (MNT_INTERNAL): its last mntput() is never synchronous but left to
 * the task's return to user space or to a work item, and the module
 * reference goes with the superblock, dropped by the VFS after kill_sb,
 * not by module code.  Whoever drops an inode reference holds the mount
 * across it, so that the superblock outlives the whole eviction: a file
 * does, and the module's own references go through seg_iput().  The cost:
 * a mount outside every namespace takes the mntput() slow path (the
 * global mount lock) when a segment file is closed for the last time.
 */
static int seg_fs_pin(void)
{
	struct vfsmount *mnt = NULL;

	spin_lock(&segs.mnt_lock);
	if (!segs.mnt) {
		/* No lock held over the mount, which takes the VFS's. */
		spin_unlock(&segs.mnt_lock);
		mnt = vfs_kern_mount(&seg_fs_type, 0, seg_fs_type.name, NULL);
		if (IS_ERR(mnt))
			return PTR_ERR(mnt);
		spin_lock(&segs.mnt_lock);
		if (!segs.mnt) {
			segs.mnt = mnt;
			mnt = NULL;
		}
	}
	segs.mnt_users++;
	spin_unlock(&segs.mnt_lock);
	mntput(mnt);	/* another task's mount came first */
	return 0;
}

static void seg_fs_unpin(void)
{
	struct vfsmount *mnt = NULL;

	spin_lock(&segs.mnt_lock);
	if (!--segs.mnt_users) {
		mnt = segs.mnt;
		segs.mnt = NULL;
	}
	spin_unlock(&segs.mnt_lock);
	mntput(mnt);
}

/* Names */

/**
 * shmpool_seg_name_check() - is @name a well-formed segment name?
 * @name: SHMPOOL_NAME_MAX bytes from user space
 *
 * Context: any.
 * Return: 0 (the empty name included); -ENAMETOOLONG without a NUL inside
 * SHMPOOL_NAME_MAX; -EINVAL for a character outside printable ASCII, a
 * blank or a '/'.
 */
int shmpool_seg_name_check(const char *name)
{
	size_t i, len = strnlen(name, SHMPOOL_NAME_MAX);

	if (len == SHMPOOL_NAME_MAX)
		return -ENAMETOOLONG;
	for (i = 0; i < len; i++)
		if (name[i] <= ' ' || name[i] > '~' || name[i] == '/')
			return -EINVAL;
	return 0;
}

/*
 * Names belong to IPC namespaces, as SysV keys do and as POSIX names do
 * to a container's /dev/shm: the same name in two namespaces is two
 * segments, and a segment is found by name only from its own.
 */
static struct ipc_namespace *current_ipc_ns(void)
{
	return current->nsproxy->ipc_ns;
}

static u32 name_hash(struct ipc_namespace *ns, const char *name)
{
	return full_name_hash(ns, name, strlen(name));
}

static struct shmpool_seg *name_find(struct ipc_namespace *ns, const char *name)
{
	struct shmpool_seg *seg;

	lockdep_assert_held(&segs.lock);

	hash_for_each_possible(segs.names, seg, name_node, name_hash(ns, name))
		if (seg->ipc_ns == ns && !strcmp(seg->name, name))
			return seg;
	return NULL;
}

/*
 * Take @seg's name away.  Return: whether it was persistent; the caller
 * then drops the name's references with seg_put_persist() once segs.lock
 * is released (the last iput() evicts, and eviction takes segs.lock).
 */
static bool seg_unname(struct shmpool_seg *seg)
{
	bool persist = seg->persist;

	lockdep_assert_held(&segs.lock);

	hash_del(&seg->name_node);
	seg->name[0] = '\0';
	seg->persist = false;
	return persist;
}

static void seg_put_persist(struct shmpool_seg *seg)
{
	seg_iput(seg->inode);
}

/*
 * May the caller open @seg with @mask (MAY_READ | MAY_WRITE | MAY_EXEC)?
 * Checked against the effective ids, as SysV IPC does; an offered user is
 * checked as the owner.  CAP_IPC_OWNER counts only in the initial user
 * namespace (capable() asks there).
 */
static bool seg_may_open(struct shmpool_seg *seg, int mask)
{
	struct inode *inode = seg->inode;
	kuid_t euid = current_euid();
	umode_t mode = READ_ONCE(inode->i_mode);

	if (uid_eq(euid, inode->i_uid) ||
	    (READ_ONCE(seg->offered) && uid_eq(euid, seg->offered_uid)))
		mode >>= 6;
	else if (in_egroup_p(inode->i_gid))
		mode >>= 3;
	if (!(mask & ~mode & (MAY_READ | MAY_WRITE | MAY_EXEC)))
		return true;
	return capable(CAP_IPC_OWNER);
}

/* Open flags as a permission mask and the fd's protections. */
static int open_mask(u32 flags)
{
	return MAY_READ | (flags & SHMPOOL_OPEN_WRITE ? MAY_WRITE : 0) |
	       (flags & SHMPOOL_OPEN_EXEC ? MAY_EXEC : 0);
}

static u32 open_prot(struct shmpool_seg *seg, int mask)
{
	return seg->prot & (SHMPOOL_PROT_READ |
			    (mask & MAY_WRITE ? SHMPOOL_PROT_WRITE : 0) |
			    (mask & MAY_EXEC ? SHMPOOL_PROT_EXEC : 0));
}

/* Segments */

/**
 * shmpool_seg_create() - create a segment
 * @args: validated by the caller for reserved fields, fd flags and the
 *        name's form; the rest is checked here
 *
 * The caller gets one inode reference (shmpool_seg_put()).
 * Context: process context.
 * Return: the segment or an ERR_PTR with the errnos of SHMPOOL_IOC_CREATE.
 */
struct shmpool_seg *shmpool_seg_create(const struct shmpool_create *args)
{
	bool persist = args->flags & SHMPOOL_CREATE_PERSIST;
	kuid_t euid = current_euid();
	struct shmpool_seg *seg;
	struct inode *inode;
	int ret;

	if (!args->size || (args->size & ~PAGE_MASK) ||
	    !(args->prot & SHMPOOL_PROT_READ) || (args->prot & ~SHMPOOL_PROT_ALL) ||
	    (args->mode & ~0777) || args->cache > SHMPOOL_CACHE_UC ||
	    (persist && !args->name[0]))
		return ERR_PTR(-EINVAL);
	/* A huge mapping's PMD would need the cache mode of all 512 frames. */
	if ((args->flags & SHMPOOL_CREATE_HUGE) && args->cache != SHMPOOL_CACHE_WB)
		return ERR_PTR(-EINVAL);
	if (!cache_supported(args->cache))
		return ERR_PTR(-EOPNOTSUPP);
	if (args->size > seg_max_bytes())
		return ERR_PTR(-EFBIG);

	seg = kzalloc(sizeof(*seg), GFP_KERNEL);
	if (!seg)
		return ERR_PTR(-ENOMEM);
	seg->flags = args->flags & (SHMPOOL_CREATE_OVERCOMMIT | SHMPOOL_CREATE_NOSWAP |
				    SHMPOOL_CREATE_HUGE);
	seg_wait_for_room(seg, args->size >> PAGE_SHIFT);
	if (seg_commit(seg, 0, args->size >> PAGE_SHIFT)) {
		kfree(seg);
		seg_count_fail(0, 0, SHMPOOL_FAIL_CREATE, SHMPOOL_FAIL_COMMIT);
		return ERR_PTR(-ENOMEM);
	}
	seg->acct = shmpool_account_get();
	if (IS_ERR(seg->acct)) {
		seg_commit(seg, args->size >> PAGE_SHIFT, 0);
		kfree(seg);
		return ERR_PTR(-ENOMEM);
	}
	seg->ipc_ns = get_ipc_ns(current_ipc_ns());
	xa_init(&seg->pages);
	spin_lock_init(&seg->lock);
	init_waitqueue_head(&seg->purge_wait);
	INIT_LIST_HEAD(&seg->node);
	INIT_LIST_HEAD(&seg->maps);
	seg->prot = args->prot;
	seg->cache = args->cache;
	strscpy(seg->name, args->name, sizeof(seg->name));

	/* destroy is a no-op for the zeroed counter of a failed init. */
	ret = percpu_counter_init(&seg->faults, 0, GFP_KERNEL);
	if (ret)
		goto err_free;
	ret = ida_alloc_range(&segs.ids, 1, INT_MAX, GFP_KERNEL);
	if (ret < 0)
		goto err_free;
	seg->id = ret;

	ret = seg_fs_pin();
	if (ret)
		goto err_id;
	/* The pin keeps segs.mnt as it is while the segment lives. */
	inode = alloc_anon_inode(segs.mnt->mnt_sb);
	if (IS_ERR(inode)) {
		ret = PTR_ERR(inode);
		goto err_unpin;
	}
	inode->i_mode = S_IFREG | args->mode;
	inode->i_uid = euid;
	inode->i_gid = current_egid();
	inode->i_op = &seg_iops;
	i_size_write(inode, args->size);
	seg->inode = inode;

	mutex_lock(&segs.lock);
	if (seg->name[0] && name_find(seg->ipc_ns, seg->name)) {
		ret = -EEXIST;
		goto err_unlock;
	}
	seg->user = user_add_segment(euid);
	if (IS_ERR(seg->user)) {
		ret = PTR_ERR(seg->user);
		/* Segment 0: this one never came to be. */
		if (ret == -EDQUOT)
			trace_shmpool_denied(0, SHMPOOL_DENIED_QUOTA, EDQUOT);
		goto err_unlock;
	}
	/* From here on eviction undoes everything. */
	inode->i_private = seg;
	list_add_tail(&seg->node, &segs.list);
	if (seg->name[0])
		hash_add(segs.names, &seg->name_node,
			 name_hash(seg->ipc_ns, seg->name));
	if (persist) {
		/* The name's reference; the inode holds the module. */
		seg->persist = true;
		ihold(inode);
	}
	mutex_unlock(&segs.lock);
	trace_shmpool_seg_create(seg->id, args->size,
				 from_kuid(&init_user_ns, euid), args->flags);

	if (args->flags & SHMPOOL_CREATE_POPULATE) {
		ret = seg_populate(seg);
		if (ret) {
			shmpool_seg_abort(seg);
			return ERR_PTR(ret);
		}
	}
	return seg;

err_unlock:
	mutex_unlock(&segs.lock);
	iput(inode);
err_unpin:
	seg_fs_unpin();
err_id:
	ida_free(&segs.ids, seg->id);
err_free:
	percpu_counter_destroy(&seg->faults);
	shmpool_account_put(seg->acct);
	shmpool_put_ipc_ns(seg->ipc_ns);
	seg_commit(seg, args->size >> PAGE_SHIFT, 0);
	kfree(seg);
	return ERR_PTR(ret);
}

/**
 * shmpool_seg_abort() - undo shmpool_seg_create() when its caller fails
 * @seg: the segment, with the caller's reference, which is dropped
 *
 * A persistent segment loses its name (and the references that holds) too,
 * so that a create that failed leaves nothing behind.
 *
 * Context: process context.
 */
void shmpool_seg_abort(struct shmpool_seg *seg)
{
	bool persist = false;

	mutex_lock(&segs.lock);
	if (seg->persist)
		persist = seg_unname(seg);
	mutex_unlock(&segs.lock);
	if (persist)
		seg_put_persist(seg);
	shmpool_seg_put(seg);
}

/**
 * shmpool_seg_lookup() - find a named segment the caller may open
 * @name: well-formed, non-empty
 * @flags: SHMPOOL_OPEN_*
 * @prot: out: the protections a fd opened so gets
 *
 * Context: process context.
 * Return: the segment with an inode reference for the caller, or
 * ERR_PTR(-ENOENT) both when there is none and when it is forbidden.
 */
struct shmpool_seg *shmpool_seg_lookup(const char *name, u32 flags, u32 *prot)
{
	int mask = open_mask(flags);
	struct shmpool_seg *seg;

	mutex_lock(&segs.lock);
	seg = name_find(current_ipc_ns(), name);
	if (seg && !seg_may_open(seg, mask)) {
		/* ENOENT, as for no such name: the name is not theirs to see. */
		trace_shmpool_denied(seg->id, SHMPOOL_DENIED_OPEN, ENOENT);
		seg = NULL;
	}
	/* igrab() fails for an inode already on its way to eviction. */
	if (!seg || !igrab(seg->inode))
		seg = ERR_PTR(-ENOENT);
	else
		*prot = open_prot(seg, mask);
	mutex_unlock(&segs.lock);
	return seg;
}

/**
 * shmpool_seg_put() - drop a reference shmpool_seg_create() or
 * shmpool_seg_lookup() gave
 * @seg: the segment; freed if that was the last reference
 *
 * Context: process context.
 */
void shmpool_seg_put(struct shmpool_seg *seg)
{
	seg_iput(seg->inode);
}

/**
 * shmpool_seg_new_file() - a new open file of a segment
 * @seg: the segment; the file takes its own inode reference
 * @prot: the file's maximum protections; read-write with WRITE, else
 *        read-only
 * @fops: the segment file operations (the device layer owns them)
 *
 * Context: process context, called through a file of this module, so the
 * module reference the file takes for @fops->owner cannot fail.
 * Return: the file or an ERR_PTR.
 */
struct file *shmpool_seg_new_file(struct shmpool_seg *seg, u32 prot,
				  const struct file_operations *fops)
{
	int flags = (prot & SHMPOOL_PROT_WRITE ? O_RDWR : O_RDONLY) | O_LARGEFILE;
	struct shmpool_seg_handle *h;
	struct file *file;
	char name[sizeof("shmpool:") + SHMPOOL_NAME_MAX];

	h = kmalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return ERR_PTR(-ENOMEM);
	h->seg = seg;
	h->prot = prot;

	snprintf(name, sizeof(name), "shmpool:%s", seg->name);
	ihold(seg->inode);
	/* The segment's pin keeps segs.mnt its mount (seg_fs_pin()). */
	file = alloc_file_pseudo(seg->inode, segs.mnt, name, flags, fops);
	if (IS_ERR(file)) {
		iput(seg->inode);
		kfree(h);
		return file;
	}
	/* Dropped by fput() through fops_put(). */
	__module_get(fops->owner);
	atomic_inc(&seg->nr_files);
	file->private_data = h;
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	return file;
}

/**
 * shmpool_seg_release_file() - ->release of a segment file
 * @file: made by shmpool_seg_new_file()
 *
 * Context: process context; the file's inode reference still holds the
 * segment.
 */
void shmpool_seg_release_file(struct file *file)
{
	atomic_dec(&file_seg(file)->nr_files);
	kfree(file->private_data);
}

/**
 * shmpool_seg_unlink() - remove a segment's name
 * @name: well-formed, non-empty
 *
 * Context: process context.
 * Return: 0; -ENOENT when there is no such segment or the caller could not
 * open it at all; -EPERM when the caller may open it but is not its owner.
 */
int shmpool_seg_unlink(const char *name)
{
	struct shmpool_seg *seg;
	bool persist;

	mutex_lock(&segs.lock);
	seg = name_find(current_ipc_ns(), name);
	if (!seg || !seg_may_open(seg, MAY_READ)) {
		mutex_unlock(&segs.lock);
		return -ENOENT;
	}
	if (!uid_eq(current_euid(), seg->inode->i_uid) &&
	    !capable(CAP_IPC_OWNER)) {
		trace_shmpool_denied(seg->id, SHMPOOL_DENIED_UNLINK, EPERM);
		mutex_unlock(&segs.lock);
		return -EPERM;
	}
	persist = seg_unname(seg);
	mutex_unlock(&segs.lock);
	if (persist)
		seg_put_persist(seg);
	return 0;
}

/**
 * shmpool_seg_info() - describe a segment
 * @seg: the segment
 * @fd_prot: the protections to report as the fd's
 * @info: filled in; ids in the caller's user namespace
 *
 * Context: process context; a racy snapshot.
 */
void shmpool_seg_info(struct shmpool_seg *seg, u32 fd_prot,
		      struct shmpool_info *info)
{
	struct user_namespace *ns = current_user_ns();
	struct inode *inode = seg->inode;
	unsigned long idx, purgeable = 0;
	void *entry;

	memset(info, 0, sizeof(*info));
	info->id = seg->id;
	info->size = i_size_read(inode);
	info->prot = seg->prot;
	info->fd_prot = fd_prot;
	info->cache = seg->cache;
	info->mode = inode->i_mode & 0777;
	info->uid = from_kuid_munged(ns, inode->i_uid);
	info->gid = from_kgid_munged(ns, inode->i_gid);
	info->maps = atomic_read(&seg->nr_maps);

	if (seg->flags & SHMPOOL_CREATE_OVERCOMMIT)
		info->flags |= SHMPOOL_INFO_OVERCOMMIT;
	if (seg->flags & SHMPOOL_CREATE_NOSWAP)
		info->flags |= SHMPOOL_INFO_NOSWAP;
	if (seg->flags & SHMPOOL_CREATE_HUGE)
		info->flags |= SHMPOOL_INFO_HUGE;

	rcu_read_lock();
	xa_for_each_marked(&seg->pages, idx, entry, SHMPOOL_PURGEABLE)
		purgeable++;
	rcu_read_unlock();
	info->purgeable = min_t(unsigned long, purgeable, U32_MAX);

	spin_lock(&seg->lock);
	info->resident = seg->nr_frames - seg->nr_swapped;
	info->swapped = min_t(unsigned long, seg->nr_swapped, U32_MAX);
	info->purged = min_t(unsigned long, seg->nr_purged, U32_MAX);
	info->seals = seg->seals;
	if (seg->offered) {
		info->flags |= SHMPOOL_INFO_OFFERED;
		info->offered_uid = from_kuid_munged(ns, seg->offered_uid);
	}
	spin_unlock(&seg->lock);

	mutex_lock(&segs.lock);
	if (seg->persist)
		info->flags |= SHMPOOL_INFO_PERSIST;
	strscpy(info->name, seg->name, sizeof(info->name));
	mutex_unlock(&segs.lock);
}

/**
 * shmpool_seg_list_next() - the next segment in id order
 * @pos: find the first id above this
 * @all: every segment (debugfs); else only named ones the caller may open
 * @info: filled in
 *
 * Context: process context.
 * Return: 0, or -ENOENT when there is none.
 */
int shmpool_seg_list_next(u32 pos, bool all, struct shmpool_info *info)
{
	struct shmpool_seg *seg, *best = NULL;
	u32 prot = 0;

	mutex_lock(&segs.lock);
	list_for_each_entry(seg, &segs.list, node) {
		if (seg->id <= pos || (best && seg->id > best->id))
			continue;
		if (!all && (!seg->name[0] || seg->ipc_ns != current_ipc_ns() ||
			     !seg_may_open(seg, MAY_READ)))
			continue;
		best = seg;
	}
	/* igrab() keeps it alive while described without segs.lock. */
	if (best && !igrab(best->inode))
		best = NULL;
	if (best && !all)
		prot = open_prot(best, MAY_READ |
				 (seg_may_open(best, MAY_WRITE) ? MAY_WRITE : 0) |
				 (seg_may_open(best, MAY_EXEC) ? MAY_EXEC : 0));
	mutex_unlock(&segs.lock);
	if (!best)
		return -ENOENT;
	shmpool_seg_info(best, all ? best->prot : prot, info);
	seg_iput(best->inode);
	return 0;
}

/* Compaction */

/* The segment with id @id, with an inode reference; NULL if gone. */
/**
 * shmpool_seg_next() - the segment with the next id, for debugfs
 * @pos: the last id seen (0 to start); set to the one returned
 *
 * Context: process context.
 * Return: the segment with the lowest id above *@pos, with a reference
 * (shmpool_seg_put() drops it); NULL after the last.
 */
struct shmpool_seg *shmpool_seg_next(u32 *pos)
{
	struct shmpool_seg *seg, *best = NULL;

	mutex_lock(&segs.lock);
	list_for_each_entry(seg, &segs.list, node) {
		if (seg->id > *pos && (!best || seg->id < best->id))
			best = seg;
	}
	/* On its way to eviction: the next one, then. */
	while (best && !igrab(best->inode)) {
		u32 id = best->id;

		best = NULL;
		list_for_each_entry(seg, &segs.list, node) {
			if (seg->id > id && (!best || seg->id < best->id))
				best = seg;
		}
	}
	mutex_unlock(&segs.lock);
	if (best)
		*pos = best->id;
	return best;
}

static struct inode *seg_by_id(u32 id)
{
	struct shmpool_seg *seg;
	struct inode *inode = NULL;

	mutex_lock(&segs.lock);
	list_for_each_entry(seg, &segs.list, node) {
		if (seg->id == id) {
			inode = igrab(seg->inode);
			break;
		}
	}
	mutex_unlock(&segs.lock);
	return inode;
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
static int shmpool_seg_migrate(struct page *old, u32 owner)
{
	struct inode *inode = seg_by_id(owner);
	u64 start = ktime_get_ns();
	struct address_space *mapping;
	struct shmpool_seg *seg;
	struct page *new, *page;
	void *prev;
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
		if (!IS_ERR_OR_NULL(page)) {
			unlock_page(page);
			put_page(page);
		}
		goto out_free;
	}
	ret = seg_split_block(seg, idx, GFP_KERNEL, old);
	if (ret)
		goto out_put;
	ret = -EBUSY;
	unmap_mapping_range(mapping, (loff_t)idx << PAGE_SHIFT, PAGE_SIZE, 0);
	if (folio_mapped(page_folio(old)) || !page_ref_freeze(old, 2))
		goto out_put;
	copy_highpage(new, old);
	page_folio(new)->index = idx;
	folio_mark_uptodate(page_folio(new));
	if (folio_test_referenced(page_folio(old)))
		folio_set_referenced(page_folio(new));
	/* Before reclaim can find it: the marks hold still meanwhile. */
	seg_note_use(seg, idx, new);
	/* Replacing an entry allocates nothing, and keeps its marks. */
	prev = xa_cmpxchg(&seg->pages, idx, old, new, GFP_NOWAIT);
	page_ref_unfreeze(old, 2);
	if (WARN_ON_ONCE(prev != old)) {
		clear_highpage(new);	/* it holds the copy: back zeroed */
		goto out_put;
	}
	unlock_page(old);
	put_page(old);
	trace_shmpool_compact_move(seg->id, idx, page_to_pfn(old),
				   page_to_pfn(new), ktime_get_ns() - start);
	/* Under the lock, as every frame leaving a segment is freed. */
	shmpool_free_frames(old, 0);
	up_read(&mapping->invalidate_lock);
	seg_iput(inode);
	return 0;

out_put:
	unlock_page(old);
	put_page(old);
out_free:
	shmpool_free_zeroed_frames(new, 0);
out_unlock:
	up_read(&mapping->invalidate_lock);
out_iput:
	seg_iput(inode);
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
		ret = seg_split_range(seg, first, last);
	if (!ret) {
		xa_for_each_range(&seg->pages, idx, entry, first, last) {
			if (entry == SHMPOOL_PURGED)
				continue;
			xa_set_mark(&seg->pages, idx, SHMPOOL_PURGEABLE);
			if (!xa_is_value(entry))
				seg_note_use(seg, idx, entry);
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
				seg_note_use(seg, idx, shmpool_entry_frame(entry, idx));
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
 * shmpool_seg_get_stats() - snapshot what reclaim and swapping have done
 * @st: filled in
 *
 * Context: process context; waits for a reclaim run under way to finish.
 */
void shmpool_seg_get_stats(struct shmpool_seg_stats *st)
{
	int i;

	mutex_lock(&reclaim.lock);
	st->swap_outs = reclaim.swap_outs;
	st->swap_out_ns = reclaim.swap_out_ns;
	st->reclaim_runs = reclaim.runs;
	st->reclaim_scanned = reclaim.scanned;
	st->reclaim_referenced = reclaim.referenced;
	st->reclaim_busy = reclaim.busy;
	st->reclaim_failed = reclaim.failed;
	st->purged = reclaim.purged;
	mutex_unlock(&reclaim.lock);
	st->swap_ins = atomic64_read(&reclaim.swap_ins);
	st->swap_in_ns = atomic64_read(&reclaim.swap_in_ns);
	st->overcommit_kb = atomic_long_read(&segs.overcommit_pages) *
			    (PAGE_SIZE / SZ_1K);
	mutex_lock(&segs.lock);
	st->segments = list_count_nodes(&segs.list);
	mutex_unlock(&segs.lock);
	for (i = 0; i < SHMPOOL_FAIL_NR; i++)
		st->fails[i] = atomic64_read(&seg_fails[i]);
}

/**
 * shmpool_seg_user_next() - what the next user's segments hold, for debugfs
 * @uid: the last uid seen (in the initial user namespace), -1 to start;
 *       set to the one described
 * @segments: out: segments the user owns
 * @frames: out: pages charged to them (resident and swapped out)
 *
 * Context: process context.
 * Return: 0, or -ENOENT after the last user.
 */
int shmpool_seg_user_next(s64 *uid, unsigned int *segments,
			  unsigned long *frames)
{
	struct shmpool_user *u, *best = NULL;
	unsigned int bkt;

	mutex_lock(&segs.lock);
	hash_for_each(segs.users, bkt, u, node) {
		s64 id = from_kuid(&init_user_ns, u->uid);

		if (id > *uid && (!best ||
				  id < from_kuid(&init_user_ns, best->uid)))
			best = u;
	}
	if (best) {
		*uid = from_kuid(&init_user_ns, best->uid);
		*segments = best->segments;
		*frames = atomic_long_read(&best->frames);
	}
	mutex_unlock(&segs.lock);
	return best ? 0 : -ENOENT;
}

/**
 * shmpool_segs_init() - set the segments' tables up
 * @limits: the resource limits, kept and read on every check
 *
 * Context: process context, module load.
 * Return: 0 or a negative errno.
 */
int shmpool_segs_init(const struct shmpool_seg_limits *limits)
{
	mutex_init(&segs.lock);
	spin_lock_init(&segs.mnt_lock);
	mutex_init(&reclaim.lock);
	INIT_LIST_HEAD(&segs.list);
	hash_init(segs.names);
	hash_init(segs.users);
	ida_init(&segs.ids);
	segs.limits = limits;
	shmpool_pool_set_migrate(shmpool_seg_migrate);
	shmpool_pool_set_reclaim(seg_reclaim_background);
	return 0;
}

/**
 * shmpool_segs_exit() - the counterpart of shmpool_segs_init()
 *
 * Context: module unload: no segment is left, since each holds the module
 * through the mount (see seg_fs_pin()).
 */
void shmpool_segs_exit(void)
{
	shmpool_pool_set_reclaim(NULL);
	shmpool_pool_set_migrate(NULL);
	WARN_ON(!list_empty(&segs.list) || segs.mnt_users);
	ida_destroy(&segs.ids);
}
