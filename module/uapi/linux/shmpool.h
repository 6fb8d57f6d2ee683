/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * shmpool: a page-frame pool and shared-memory device.
 *
 * This is the one interface header shared by the kernel module, the
 * shmpoolctl tool, the selftests and user programs.  Programs include it as
 * <linux/shmpool.h>.
 *
 * The model.  A *segment* is a region of memory backed by pool frames,
 * allocated on first touch.  SHMPOOL_IOC_CREATE on /dev/shmpool makes one
 * and returns a new file descriptor for it; the fd is what is mmap()ed,
 * read, written, ftruncate()d, passed over Unix sockets and inherited over
 * fork.  A segment lives while any fd or mapping refers to it (and, if it
 * was created persistent, until SHMPOOL_IOC_UNLINK); then every frame goes
 * back to the pool.  Documentation/userspace-api.rst has the whole story.
 */
#ifndef _UAPI_LINUX_SHMPOOL_H
#define _UAPI_LINUX_SHMPOOL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: Errors common to every command
 *
 * Besides its own errors, every command can fail with:
 *
 * ``ENOTTY``
 *   the number is not a command of this kind of fd: a segment command on
 *   ``/dev/shmpool``, a device command on a segment fd, or no command at
 *   all;
 * ``EFAULT``
 *   the argument is not readable (or writable, for what the command
 *   returns) memory of the caller;
 * ``EINVAL``
 *   a reserved or padding field (``__reserved``) is not zero, or a flags
 *   field has a bit the command does not define.
 *
 * Commands that return an fd also fail with ``EMFILE`` when the process
 * has no free fd.
 */

/**
 * DOC: Conventions
 *
 * The header follows the kernel's own uapi headers: fixed-width types
 * only, explicit padding that must be zero, no pointers or longs, so that
 * 32-bit programs on a 64-bit kernel use the same numbers and structures;
 * and every flags field rejects the bits it does not know with ``EINVAL``,
 * so that new flags can be added without old kernels silently ignoring
 * them.
 */

/*
 * 0xB9 is free in Documentation/userspace-api/ioctl/ioctl-number.rst; the
 * command numbers below are ours alone.
 */
#define SHMPOOL_IOC_MAGIC	0xB9

/*
 * Version of this interface; bumped when a command or field is added or a
 * rule changes.  4: names belong to IPC namespaces; GIVE's group is one
 * the caller could chown(2) to; seals are all or nothing.
 */
#define SHMPOOL_ABI_VERSION	4

/**
 * struct shmpool_version - what SHMPOOL_IOC_VERSION reports
 * @abi: SHMPOOL_ABI_VERSION of the loaded module
 * @page_size: the size of one pool frame in bytes
 * @max_order: the largest buddy order the pool allocates
 * @__reserved: zero
 *
 * Lets a program check it talks to a module it understands before it
 * relies on anything else.
 */
struct shmpool_version {
	__u32 abi;
	__u32 page_size;
	__u32 max_order;
	__u32 __reserved;
};

/* Longest segment name, including the terminating NUL. */
#define SHMPOOL_NAME_MAX	64

/*
 * Maximum protections of a segment or of one fd, with the values of
 * PROT_READ, PROT_WRITE and PROT_EXEC.  READ is always required.
 */
#define SHMPOOL_PROT_READ	0x1
#define SHMPOOL_PROT_WRITE	0x2
#define SHMPOOL_PROT_EXEC	0x4
#define SHMPOOL_PROT_ALL	0x7

/*
 * Cache modes.  WB is ordinary cached memory and the right choice for
 * sharing between processes.  WC (write-combining) and UC (uncached) are for
 * buffers a device reads or a program streams into without reading back;
 * the frames' kernel linear mapping is switched to the same mode while the
 * segment holds them, so no frame is ever mapped with two cache modes.  WC
 * and UC segments cannot be mapped MAP_PRIVATE (a copy-on-write copy would
 * be cached) and exist only on x86 (-EOPNOTSUPP elsewhere).
 */
#define SHMPOOL_CACHE_WB	0
#define SHMPOOL_CACHE_WC	1
#define SHMPOOL_CACHE_UC	2

/* SHMPOOL_IOC_CREATE flags */
#define SHMPOOL_CREATE_PERSIST	0x1	/* lives until SHMPOOL_IOC_UNLINK; needs a name */
#define SHMPOOL_CREATE_POPULATE	0x2	/* allocate every frame now, not on first touch */
#define SHMPOOL_CREATE_OVERCOMMIT 0x4	/* may be larger than the free pool; see below */
#define SHMPOOL_CREATE_NOSWAP	0x8	/* its frames are never swapped out (as mlock) */
#define SHMPOOL_CREATE_HUGE	0x10	/* 2 MiB blocks, mapped by PMDs; see below */
#define SHMPOOL_CREATE_FLAGS	0x1f

/* fd flags, for every command that returns an fd */
#define SHMPOOL_FD_NOCLOEXEC	0x100	/* the new fd survives execve() */

/**
 * struct shmpool_create - argument of SHMPOOL_IOC_CREATE
 * @size: in bytes, a non-zero multiple of the page size
 * @flags: SHMPOOL_CREATE_* | SHMPOOL_FD_NOCLOEXEC
 * @prot: maximum protections, SHMPOOL_PROT_*, READ included; no mapping
 *        and no fd of the segment can ever exceed them
 * @mode: permission bits (0777 at most) checked when others open the
 *        segment by name, as a file's are
 * @cache: SHMPOOL_CACHE_*
 * @fd: out: the new fd, read-write if @prot has WRITE, else read-only
 * @id: out: the segment's id, as debugfs and SHMPOOL_IOC_LIST show it
 * @__reserved: zero
 * @name: NUL-terminated; "" for an anonymous segment.  Printable ASCII
 *        without '/' or blanks.
 *
 * The segment is owned by the caller's effective uid and gid and counts
 * against their quota.
 *
 * Size and memory.  A segment must fit in the free pool (its free frames
 * and what it may still take from the kernel below pool_max_kb) when it
 * is created or grown, unless it has SHMPOOL_CREATE_OVERCOMMIT: then it may
 * be as large as seg_max_kb, and all overcommitted segments together as
 * large as overcommit_max_kb.  Neither check reserves anything.  When a
 * fault finds the pool empty, cold frames of segments without
 * SHMPOOL_CREATE_NOSWAP (write-back cache mode, not charged to a memory
 * cgroup, not pinned) are swapped out to the module's swap area
 * (swap_max_kb) and paged back in on their next touch.  A fault that still
 * finds no frame, because the area is full too, is SIGBUS; write() is
 * -ENOMEM.  See Documentation/admin-guide.rst.
 *
 * Huge segments.  With SHMPOOL_CREATE_HUGE, a first touch of a 2 MiB
 * aligned stretch of the segment takes one 2 MiB block of the pool for it
 * (when the pool has one, else 4 KiB frames, as transparent huge pages
 * do), and a mapping maps such a block with one PMD entry, one fault for
 * 2 MiB, wherever the mapping's address and offset are 2 MiB aligned
 * alike (mmap() with no address chooses such an address).  Its mappings
 * are PFN mappings (VM_PFNMAP): they must be MAP_SHARED, and
 * get_user_pages() cannot take their pages, so O_DIRECT, vmsplice() and
 * process_vm_readv() on them fail with -EFAULT; read() and write() on the
 * fd work as for any segment.  Everything else (swap, purging, compaction,
 * truncation) works page by page, and a block it takes a page of is
 * mapped page by page from then on.  Write-back cache mode only.
 *
 * Errors:
 *  -EINVAL       size zero or not page-aligned, prot without READ or with
 *                unknown bits, mode above 0777, unknown cache mode, a name
 *                with characters outside the allowed set, PERSIST without a
 *                name, HUGE with a cache mode other than WB, unknown flags
 *                or non-zero reserved fields
 *  -ENAMETOOLONG the name is not NUL-terminated within SHMPOOL_NAME_MAX
 *  -EFBIG        size above the seg_max_kb module parameter
 *  -EEXIST       a segment of that name exists
 *  -EDQUOT       the owner has user_max_segments segments already, or
 *                POPULATE would exceed their user_max_kb frame quota
 *  -ENOMEM       no memory for the segment (or, with POPULATE, its frames);
 *                size above the free pool without OVERCOMMIT, or above
 *                what overcommit_max_kb has left with it
 *  -EOPNOTSUPP   WC or UC on an architecture without page attributes
 *  -EMFILE       the process has no free fd
 */
struct shmpool_create {
	__u64 size;
	__u32 flags;
	__u32 prot;
	__u32 mode;
	__u32 cache;
	__s32 fd;
	__u32 id;
	__u32 __reserved[2];
	char name[SHMPOOL_NAME_MAX];
};

/* SHMPOOL_IOC_OPEN flags: the access asked for (read is always implied) */
#define SHMPOOL_OPEN_WRITE	0x1
#define SHMPOOL_OPEN_EXEC	0x2
#define SHMPOOL_OPEN_FLAGS	0x3

/**
 * struct shmpool_open - argument of SHMPOOL_IOC_OPEN
 * @flags: SHMPOOL_OPEN_* | SHMPOOL_FD_NOCLOEXEC
 * @fd: out: the new fd; read-write with SHMPOOL_OPEN_WRITE on a segment
 *      whose protections include WRITE, else read-only
 * @id: out: the segment's id
 * @__reserved: zero
 * @name: NUL-terminated name of the segment
 *
 * Names belong to IPC namespaces (ipc_namespaces(7)), as SysV keys do: a
 * name is the creator's IPC namespace's, OPEN, UNLINK and LIST find only
 * the caller's namespace's names, and each namespace may hold the same
 * name once.  A segment's fd, passed over a socket, works anywhere.
 *
 * Opening checks the segment's owner, group and mode against the caller's
 * effective ids like a file open does: read permission always, write for
 * SHMPOOL_OPEN_WRITE, execute for SHMPOOL_OPEN_EXEC.  CAP_IPC_OWNER in the
 * initial user namespace overrides the mode.  A user to whom the segment
 * has been offered (SHMPOOL_SEG_IOC_GIVE) is checked as its owner.  The
 * fd's maximum protections are the segment's, less WRITE without
 * SHMPOOL_OPEN_WRITE and less EXEC without SHMPOOL_OPEN_EXEC.
 *
 * Errors:
 *  -ENOENT       no such segment, or the caller may not open it as asked:
 *                the two look the same, so OPEN cannot probe names (CREATE
 *                of a taken name is -EEXIST, as for shm_open(O_EXCL))
 *  -EINVAL       an empty name, unknown flags, non-zero reserved fields
 *  -ENAMETOOLONG the name is not NUL-terminated within SHMPOOL_NAME_MAX
 *  -EMFILE       the process has no free fd
 */
struct shmpool_open {
	__u32 flags;
	__s32 fd;
	__u32 id;
	__u32 __reserved;
	char name[SHMPOOL_NAME_MAX];
};

/**
 * struct shmpool_unlink - argument of SHMPOOL_IOC_UNLINK
 * @name: NUL-terminated name of the segment
 *
 * Removes the name; a persistent segment loses the reference its name held,
 * so it dies when its last fd and mapping go, like shm_unlink().  Only the
 * owner (or CAP_IPC_OWNER in the initial user namespace) may unlink.
 *
 * Errors:
 *  -ENOENT       no such segment, or the caller could not open it at all
 *  -EPERM        the caller may open it but does not own it
 *  -EINVAL, -ENAMETOOLONG as for SHMPOOL_IOC_OPEN
 */
struct shmpool_unlink {
	char name[SHMPOOL_NAME_MAX];
};

/* struct shmpool_info flags */
#define SHMPOOL_INFO_PERSIST	0x1	/* held by its name until unlinked */
#define SHMPOOL_INFO_OFFERED	0x2	/* given to offered_uid, not accepted yet */
#define SHMPOOL_INFO_OVERCOMMIT	0x4	/* created with SHMPOOL_CREATE_OVERCOMMIT */
#define SHMPOOL_INFO_NOSWAP	0x8	/* created with SHMPOOL_CREATE_NOSWAP */
#define SHMPOOL_INFO_HUGE	0x10	/* created with SHMPOOL_CREATE_HUGE */

/**
 * struct shmpool_info - a segment as SHMPOOL_SEG_IOC_INFO and
 * SHMPOOL_IOC_LIST report it
 * @id: the segment's id
 * @flags: SHMPOOL_INFO_*
 * @size: in bytes
 * @resident: frames it holds now
 * @swapped: pages of it in the swap area now
 * @purgeable: pages of it unpinned (SHMPOOL_SEG_IOC_UNPIN) and not purged
 * @purged: pages purged while unpinned and not pinned again since
 * @prot: the segment's maximum protections
 * @fd_prot: the maximum protections of the fd asked (INFO) or of a fd the
 *           caller could open by name (LIST)
 * @seals: F_SEAL_* bits, as <linux/fcntl.h> defines them
 * @cache: SHMPOOL_CACHE_*
 * @mode: permission bits
 * @uid: owner, in the caller's user namespace
 * @gid: group, in the caller's user namespace
 * @offered_uid: with SHMPOOL_INFO_OFFERED, who may accept it
 * @maps: mappings of it, in every process
 * @name: its name, "" when anonymous or unlinked
 */
struct shmpool_info {
	__u32 id;
	__u32 flags;
	__u64 size;
	__u64 resident;
	__u32 prot;
	__u32 fd_prot;
	__u32 seals;
	__u32 cache;
	__u32 mode;
	__u32 uid;
	__u32 gid;
	__u32 offered_uid;
	__u32 maps;
	__u32 swapped;
	__u32 purgeable;
	__u32 purged;
	char name[SHMPOOL_NAME_MAX];
};

/**
 * struct shmpool_list - argument of SHMPOOL_IOC_LIST
 * @pos: in: 0 to start, else the id the previous call returned; out: the
 *       id of the segment described in @info
 * @__reserved: zero
 * @info: out: the next named segment, in id order, that the caller could
 *        open by name (read access) - others are not shown
 *
 * Errors:
 *  -ENOENT  there is no further segment
 */
struct shmpool_list {
	__u32 pos;
	__u32 __reserved;
	struct shmpool_info info;
};

/**
 * struct shmpool_restrict - argument of SHMPOOL_SEG_IOC_RESTRICT
 * @prot: the new fd's maximum protections, a subset of this fd's
 * @flags: SHMPOOL_FD_NOCLOEXEC or 0
 * @fd: out: the new fd, read-only unless @prot has WRITE
 * @__reserved: zero
 *
 * The new fd can never be widened again: hand a consumer a read-only fd to
 * a segment you write.
 *
 * Errors:
 *  -EACCES  @prot has a bit this fd does not allow
 *  -EINVAL  @prot without READ, unknown bits or flags
 *  -EMFILE  the process has no free fd
 */
struct shmpool_restrict {
	__u32 prot;
	__u32 flags;
	__s32 fd;
	__u32 __reserved;
};

/**
 * struct shmpool_give - argument of SHMPOOL_SEG_IOC_GIVE
 * @uid: the user offered the segment, in the caller's user namespace;
 *       (__u32)-1 withdraws an offer
 * @gid: the group the segment gets on acceptance: one the caller is in,
 *       unless the caller has CAP_CHOWN over the segment, as for chown(2)
 *
 * Only the owner may offer.  The new owner accepts with
 * SHMPOOL_SEG_IOC_ACCEPT on any fd of the segment (received over a socket,
 * or opened by name: an offered user opens as the owner would).
 *
 * Errors:
 *  -EPERM   the caller does not own the segment, or @gid is a group the
 *           caller is not in (without CAP_CHOWN)
 *  -EINVAL  a uid or gid that does not map into the caller's namespace
 */
struct shmpool_give {
	__u32 uid;
	__u32 gid;
};

/* struct shmpool_range result bits */
#define SHMPOOL_RANGE_PURGED	0x1	/* a page of it was purged while unpinned */

/**
 * struct shmpool_range - argument of SHMPOOL_SEG_IOC_UNPIN and _PIN
 * @offset: bytes into the segment, page-aligned
 * @len: bytes, page-aligned and non-zero; the range ends inside the size
 * @flags: zero
 * @result: out (PIN): SHMPOOL_RANGE_PURGED when memory pressure purged a
 *          page of the range since it was unpinned; 0 otherwise
 *
 * A purgeable range is a contract with reclaim, as ashmem's unpinned
 * ranges are: UNPIN says the pages the range holds now may be dropped
 * rather than swapped out when memory is short; PIN takes that back and
 * says whether it happened.  A purged page reads as zeroes (touching it
 * gives a fresh zeroed frame), and the segment's fds poll EPOLLPRI while
 * it holds purged pages not yet pinned again.  A page first touched after
 * UNPIN is not purgeable: unpin again to make it so.
 *
 * Errors:
 *  -EINVAL  flags, offset or len not as above
 *  -EPERM   the fd does not allow writing, or the segment is write-sealed
 *           (purging would change its contents)
 *  -ENOMEM  (UNPIN) no memory to split a huge segment's 2 MiB block in the
 *           range into pages
 */
struct shmpool_range {
	__u64 offset;
	__u64 len;
	__u32 flags;
	__u32 result;
};

/* Commands on /dev/shmpool */

/* SHMPOOL_IOC_VERSION - report the interface version. */
#define SHMPOOL_IOC_VERSION	_IOR(SHMPOOL_IOC_MAGIC, 0x00, struct shmpool_version)
/* SHMPOOL_IOC_CREATE - create a segment; see struct shmpool_create. */
#define SHMPOOL_IOC_CREATE	_IOWR(SHMPOOL_IOC_MAGIC, 0x01, struct shmpool_create)
/* SHMPOOL_IOC_OPEN - open a named segment; see struct shmpool_open. */
#define SHMPOOL_IOC_OPEN	_IOWR(SHMPOOL_IOC_MAGIC, 0x02, struct shmpool_open)
/* SHMPOOL_IOC_UNLINK - remove a name; see struct shmpool_unlink. */
#define SHMPOOL_IOC_UNLINK	_IOW(SHMPOOL_IOC_MAGIC, 0x03, struct shmpool_unlink)
/* SHMPOOL_IOC_LIST - iterate over named segments; see struct shmpool_list. */
#define SHMPOOL_IOC_LIST	_IOWR(SHMPOOL_IOC_MAGIC, 0x04, struct shmpool_list)

/* Commands on a segment fd */

/* SHMPOOL_SEG_IOC_INFO - describe the segment; see struct shmpool_info. */
#define SHMPOOL_SEG_IOC_INFO	_IOR(SHMPOOL_IOC_MAGIC, 0x40, struct shmpool_info)
/* SHMPOOL_SEG_IOC_RESTRICT - a narrower fd; see struct shmpool_restrict. */
#define SHMPOOL_SEG_IOC_RESTRICT _IOWR(SHMPOOL_IOC_MAGIC, 0x41, struct shmpool_restrict)
/*
 * SHMPOOL_SEG_IOC_ADD_SEALS - add F_SEAL_* bits (F_SEAL_SEAL, F_SEAL_SHRINK,
 * F_SEAL_GROW, F_SEAL_WRITE, F_SEAL_FUTURE_WRITE), as fcntl(F_ADD_SEALS)
 * does for a memfd.  Seals are irrevocable.  SHRINK and GROW refuse
 * ftruncate() to a smaller or larger size; WRITE refuses write() and
 * writable shared mappings; FUTURE_WRITE refuses new ones and leaves
 * existing mappings alone; SEAL refuses further seals.  All or nothing:
 * on an error no bit was added, and no caller ever saw one.  While WRITE
 * waits (up to some 150 ms) for pins to go, shared mappings that are or
 * may become writable are refused with -EPERM, as on a memfd.
 * Errors: -EPERM  F_SEAL_SEAL is set, or the fd is not writable
 *         -EBUSY  F_SEAL_WRITE while a writable shared mapping exists, or
 *                 a page is still referenced from outside (a pin taken
 *                 through a mapping since unmapped)
 *         -EINVAL unknown bits
 */
#define SHMPOOL_SEG_IOC_ADD_SEALS _IOW(SHMPOOL_IOC_MAGIC, 0x42, __u32)
/* SHMPOOL_SEG_IOC_GET_SEALS - the segment's F_SEAL_* bits. */
#define SHMPOOL_SEG_IOC_GET_SEALS _IOR(SHMPOOL_IOC_MAGIC, 0x43, __u32)
/* SHMPOOL_SEG_IOC_GIVE - offer the segment to another user; see struct shmpool_give. */
#define SHMPOOL_SEG_IOC_GIVE	_IOW(SHMPOOL_IOC_MAGIC, 0x44, struct shmpool_give)
/*
 * SHMPOOL_SEG_IOC_ACCEPT - take ownership of a segment offered to the
 * caller's effective uid: its owner, group and frame charge move to the
 * caller.  Errors: -EPERM  not offered to the caller
 *                  -EDQUOT the caller's quotas cannot take it
 */
#define SHMPOOL_SEG_IOC_ACCEPT	_IO(SHMPOOL_IOC_MAGIC, 0x45)
/* SHMPOOL_SEG_IOC_UNPIN - make a range purgeable; see struct shmpool_range. */
#define SHMPOOL_SEG_IOC_UNPIN	_IOW(SHMPOOL_IOC_MAGIC, 0x46, struct shmpool_range)
/* SHMPOOL_SEG_IOC_PIN - make it ordinary again; did it lose pages? */
#define SHMPOOL_SEG_IOC_PIN	_IOWR(SHMPOOL_IOC_MAGIC, 0x47, struct shmpool_range)

/*
 * Errors of the other system calls on a segment fd:
 *
 * mmap()       -EACCES a protection the fd does not allow (PROT_WRITE on a
 *                      read-only fd, PROT_EXEC without exec), for shared and
 *                      private mappings alike
 *              -EPERM  a writable shared mapping of a write-sealed segment;
 *                      a shared one of a writable fd while an F_SEAL_WRITE
 *                      is being added
 *              -EINVAL a range beyond the segment's size, or MAP_PRIVATE of a
 *                      WC, UC or huge segment
 * mprotect()   -EACCES raising a mapping beyond its fd's protections
 * mremap()     -EFAULT growing a mapping (moving and shrinking work)
 * madvise()    -EINVAL MADV_DOFORK on kernels that refuse it for special
 *                      (VM_MIXEDMAP) mappings, as 7.2 does; MADV_DONTNEED
 *                      on a huge segment's (VM_PFNMAP) mapping
 * ftruncate()  -EINVAL a size not page-aligned or on a read-only fd
 *              -EPERM  truncate() of a /proc/self/fd path: only a writable
 *                      fd may change the size
 *              -EACCES the same by a caller whom the segment's mode does
 *                      not let write: the VFS checks the mode first
 *              -EFBIG  above seg_max_kb
 *              -ENOMEM growing beyond the free pool (or, overcommitted,
 *                      beyond what overcommit_max_kb has left)
 *              -EPERM  against F_SEAL_GROW or F_SEAL_SHRINK
 *              -ENOMEM shrinking a huge segment to an end inside a 2 MiB
 *                      block, with no memory to split the block into pages
 * write()      -EPERM  against F_SEAL_WRITE or F_SEAL_FUTURE_WRITE
 *              -ENOSPC at or beyond the segment's end (writes never grow it)
 *              -EDQUOT, -ENOMEM as for a fault below
 * fchmod()     as for a file: the owner may change the mode
 * fchown()     -EPERM: ownership moves only with GIVE and ACCEPT
 * A fault on a page past the end, or whose frame cannot be had (pool at
 * its maximum with nothing left to swap out or no room in the swap area,
 * owner over user_max_kb, the creator's memory cgroup at its memory.max),
 * raises SIGBUS, never the OOM killer; populate and write() give -ENOMEM
 * for the cgroup limit and the pool.  Pages swapped out count against
 * user_max_kb as resident ones do: they are still the owner's.
 */

#endif /* _UAPI_LINUX_SHMPOOL_H */
