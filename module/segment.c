// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Segments
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
 */

/**
 * DOC: Users and quotas
 *
 * Each segment is charged to its owner's struct shmpool_user: the number
 * of segments they own and the frames those hold, bounded by the limits in
 * struct shmpool_seg_limits.  Ownership moves with GIVE/ACCEPT, and with it
 * this charge (not the memory cgroup charge of its frames, which the
 * kernel cannot move; see "Pool accounting" in pool_account.c).
 */

/**
 * DOC: Segment locks
 *
 * What each lock of the segment layer protects.  The order they nest in,
 * among themselves and with the other layers' locks, is the lock
 * hierarchy in main.c.
 *
 * - inode_lock (i_rwsem): the size (ftruncate), the mode, the owner and
 *   group, the offer, adding seals; the VFS takes it for setattr.
 * - invalidate_lock: the size and a segment's pages against truncation:
 *   shared by faults, write(), page-in and reclaim (trylock); exclusive
 *   to publish a write seal.
 * - reclaim.lock (mutex): one reclaimer at a time; every segment's clock
 *   hand.
 * - segs.lock (mutex): the list of segments, the name table, the user
 *   table and every user's segment count, each segment's name and
 *   persistence.
 * - segs.mnt_lock (spinlock): the mount segments live on and its count.
 * - seg->lock (spinlock): the seals, the charged user, the frame and
 *   writable-mapping counts, the offer.
 * - page lock: one frame's presence in its segment's pages (see "Frames
 *   and the page lock"); a block entry's first frame's: the entry's
 *   staying whole (see "Block entries").
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/file.h>
#include <linux/hashtable.h>
#include <linux/idr.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/nsproxy.h>
#include <linux/pagemap.h>
#include <linux/pseudo_fs.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "compat.h"
#include "pool.h"
#include "segment.h"
#include "seg_internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/* "shmp": the magic of our pseudo filesystem, as statfs() reports it. */
#define SHMPOOL_FS_MAGIC	0x73686d70

/*
 * The name and user tables have 64 buckets each: a lookup, under
 * segs.lock, walks one, which stays short for the few hundred names or
 * users a machine has, and both tables together take 1 KiB.
 */
#define SHMPOOL_SEG_HASH_BITS	6

static struct shmpool_segs {
	struct mutex lock;		/* see "Segment locks" above */
	struct list_head list;
	DECLARE_HASHTABLE(names, SHMPOOL_SEG_HASH_BITS);
	DECLARE_HASHTABLE(users, SHMPOOL_SEG_HASH_BITS);
	struct ida ids;
	spinlock_t mnt_lock;		/* @mnt and @mnt_users */
	struct vfsmount *mnt;		/* see seg_fs_pin() */
	unsigned long mnt_users;	/* segments on @mnt */
	const struct shmpool_seg_limits *limits;
	atomic_long_t overcommit_pages;	/* sizes of OVERCOMMIT segments */
} segs;

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

/**
 * shmpool_seg_count_fail() - count a failure that goes back to user space
 * @id: the segment's id; 0 for one that never came to be
 * @idx: the page asked for; 0 for a size
 * @op: what asked
 * @why: the reason
 *
 * Context: any.
 */
void shmpool_seg_count_fail(u32 id, pgoff_t idx, enum shmpool_fail_op op,
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
	shmpool_seg_count_fail(seg->id, idx, op, why);
}

/**
 * shmpool_seg_max_bytes() - the largest size a segment may have
 *
 * Context: any.
 * Return: seg_max_kb in bytes, no more than a file can be.
 */
loff_t shmpool_seg_max_bytes(void)
{
	unsigned long kb = READ_ONCE(segs.limits->seg_max_kb);

	return kb > MAX_LFS_FILESIZE / SZ_1K ? MAX_LFS_FILESIZE : (loff_t)kb * SZ_1K;
}

/**
 * shmpool_seg_iput() - drop an inode reference of the module's own
 * @inode: a segment's inode
 *
 * The module's own references, not a file's: a lookup's, reclaim's,
 * compaction's, a name's.  It may be the last, and eviction
 * then unpins the segments' mount; whatever the VFS does with the inode
 * after ->evict_inode() still reads its superblock, which the mount's
 * last mntput() may free on another CPU meanwhile (a task's return to
 * user space, a work item).  So hold the mount across the iput(), as a
 * file holds it across its dentry's.  The caller's reference keeps
 * segs.mnt the inode's mount (see seg_fs_pin()).
 *
 * Context: process context; may evict the segment.
 */
void shmpool_seg_iput(struct inode *inode)
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

/**
 * shmpool_seg_user_room() - could @seg's owner be charged @nr frames more?
 * @seg: the segment
 * @nr: frames
 *
 * A hint, racy: shmpool_seg_user_charge() is what charges.  The owner is
 * read under @seg's lock: ACCEPT may switch it and free the old one
 * meanwhile.
 *
 * Context: any; takes @seg's lock.
 * Return: whether @nr more frames fit in the owner's quota now.
 */
bool shmpool_seg_user_room(struct shmpool_seg *seg, unsigned long nr)
{
	unsigned long max = shmpool_kb_to_frames(READ_ONCE(segs.limits->user_max_kb));
	bool room;

	spin_lock(&seg->lock);
	room = atomic_long_read(&seg->user->frames) + nr <= max;
	spin_unlock(&seg->lock);
	return room;
}

/**
 * shmpool_seg_user_charge() - charge @nr frames to @u within its quota
 * @u: the user, a segment's (the caller holds that segment's lock, which
 *     keeps it the segment's user)
 * @nr: frames
 *
 * Context: any.
 * Return: true if charged; false, and nothing charged, when that would
 * take @u past its quota.
 */
bool shmpool_seg_user_charge(struct shmpool_user *u, unsigned long nr)
{
	unsigned long max = shmpool_kb_to_frames(READ_ONCE(segs.limits->user_max_kb));

	if (atomic_long_add_return(nr, &u->frames) <= max)
		return true;
	atomic_long_sub(nr, &u->frames);
	return false;
}

/**
 * shmpool_seg_commit() - may @seg grow from @old_pages to @pages?
 * @seg: the segment
 * @old_pages: its size now, in pages
 * @pages: the size it is to have
 *
 * Without OVERCOMMIT the growth must fit in the free pool; with it, the
 * sum of overcommitted sizes must stay within overcommit_max_kb, and is
 * counted here (shrinking too).
 *
 * Context: any.
 * Return: 0 or -ENOMEM.
 */
int shmpool_seg_commit(struct shmpool_seg *seg, pgoff_t old_pages, pgoff_t pages)
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
	if (!shmpool_seg_user_charge(new, nr)) {
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
		ret = shmpool_seg_resize(seg, attr->ia_size);
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

	shmpool_seg_truncate_frames(seg, 0);
	WARN_ON_ONCE(seg->nr_frames || seg->nr_swapped || seg->nr_purged);
	shmpool_seg_commit(seg, seg_nr_pages(seg), 0);
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
 * DOC: The mount and the module's lifetime
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
 * does, and the module's own references go through shmpool_seg_iput().  The cost:
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
	shmpool_seg_iput(seg->inode);
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
	if (!shmpool_seg_cache_supported(args->cache))
		return ERR_PTR(-EOPNOTSUPP);
	if (args->size > shmpool_seg_max_bytes())
		return ERR_PTR(-EFBIG);

	seg = kzalloc(sizeof(*seg), GFP_KERNEL);
	if (!seg)
		return ERR_PTR(-ENOMEM);
	seg->flags = args->flags & (SHMPOOL_CREATE_OVERCOMMIT | SHMPOOL_CREATE_NOSWAP |
				    SHMPOOL_CREATE_HUGE);
	shmpool_seg_wait_for_room(seg, args->size >> PAGE_SHIFT);
	if (shmpool_seg_commit(seg, 0, args->size >> PAGE_SHIFT)) {
		kfree(seg);
		shmpool_seg_count_fail(0, 0, SHMPOOL_FAIL_CREATE, SHMPOOL_FAIL_COMMIT);
		return ERR_PTR(-ENOMEM);
	}
	seg->acct = shmpool_account_get();
	if (IS_ERR(seg->acct)) {
		shmpool_seg_commit(seg, args->size >> PAGE_SHIFT, 0);
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
		ret = shmpool_seg_populate(seg);
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
	shmpool_seg_commit(seg, args->size >> PAGE_SHIFT, 0);
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
	shmpool_seg_iput(seg->inode);
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
	shmpool_seg_iput(best->inode);
	return 0;
}

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

/* Segments for reclaim and compaction */

/**
 * shmpool_seg_count() - how many segments exist
 *
 * Context: process context.
 * Return: the number of segments, a snapshot.
 */
unsigned long shmpool_seg_count(void)
{
	unsigned long nr;

	mutex_lock(&segs.lock);
	nr = list_count_nodes(&segs.list);
	mutex_unlock(&segs.lock);
	return nr;
}

/**
 * shmpool_seg_reclaim_next() - the next segment for reclaim to look at
 *
 * The list turns: the one returned goes to the back.
 *
 * Context: process context.
 * Return: its inode, with a reference (shmpool_seg_iput() drops it), or
 * NULL when there is none.
 */
struct inode *shmpool_seg_reclaim_next(void)
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

/**
 * shmpool_seg_by_id() - the segment with id @id
 * @id: its id, as the pool's map records a frame's owner
 *
 * Context: process context.
 * Return: its inode, with a reference (shmpool_seg_iput() drops it), or
 * NULL if gone.
 */
struct inode *shmpool_seg_by_id(u32 id)
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

/**
 * shmpool_seg_get_stats() - snapshot what reclaim and swapping have done
 * @st: filled in
 *
 * Context: process context; waits for a reclaim run under way to finish.
 */
void shmpool_seg_get_stats(struct shmpool_seg_stats *st)
{
	int i;

	shmpool_seg_reclaim_get_stats(st);
	st->overcommit_kb = atomic_long_read(&segs.overcommit_pages) *
			    (PAGE_SIZE / SZ_1K);
	st->segments = shmpool_seg_count();
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
	INIT_LIST_HEAD(&segs.list);
	hash_init(segs.names);
	hash_init(segs.users);
	ida_init(&segs.ids);
	segs.limits = limits;
	shmpool_seg_reclaim_init();
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
	shmpool_seg_reclaim_exit();
	WARN_ON(!list_empty(&segs.list) || segs.mnt_users);
	ida_destroy(&segs.ids);
}
