/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of shmpool: /sys/kernel/tracing/events/shmpool/.  Each event
 * and field is described in Documentation/tracepoints.rst.
 */

/**
 * DOC: What the events carry
 *
 * Times (``ns``) are in nanoseconds, measured by the code that emits the
 * event, from its start to its end; frame numbers (``pfn``) appear because
 * tracefs is root's alone.  No event carries a kernel pointer.  Events of
 * the same layout share an event class (``shmpool_frame_class``,
 * ``shmpool_chunk_class``, ``shmpool_seg_class``, ``shmpool_swap_class``).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM shmpool

/* Outside the multi-read guard's reach: defined once. */
#ifndef _SHMPOOL_TRACE_TYPES
#define _SHMPOOL_TRACE_TYPES
/* What a refused access (the shmpool_denied event) tried to do. */
enum shmpool_denied_op {
	SHMPOOL_DENIED_MMAP,		/* map beyond the fd's protections */
	SHMPOOL_DENIED_OPEN,		/* open by name without permission */
	SHMPOOL_DENIED_WRITE,		/* write() to a sealed segment */
	SHMPOOL_DENIED_RESTRICT,	/* widen an fd's protections */
	SHMPOOL_DENIED_SEAL,		/* add seals without the right */
	SHMPOOL_DENIED_GIVE,		/* offer a segment one does not own */
	SHMPOOL_DENIED_ACCEPT,		/* take a segment not offered to one */
	SHMPOOL_DENIED_UNLINK,		/* unlink another user's name */
	SHMPOOL_DENIED_PIN,		/* unpin or pin through a read-only fd */
	SHMPOOL_DENIED_QUOTA,		/* a user's limit reached */
};
#endif

#if !defined(_SHMPOOL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _SHMPOOL_TRACE_H

#include <linux/cred.h>
#include <linux/sched.h>
#include <linux/tracepoint.h>

/* Frames allocated and freed: the pool's hot path, when enabled. */
DECLARE_EVENT_CLASS(shmpool_frame_class,
	TP_PROTO(unsigned long pfn, unsigned int order, u32 owner, bool cached),
	TP_ARGS(pfn, order, owner, cached),
	TP_STRUCT__entry(
		__field(unsigned long, pfn)
		__field(unsigned int, order)
		__field(u32, owner)
		__field(bool, cached)
	),
	TP_fast_assign(
		__entry->pfn = pfn;
		__entry->order = order;
		__entry->owner = owner;
		__entry->cached = cached;
	),
	TP_printk("pfn=%#lx order=%u owner=%u cached=%d", __entry->pfn,
		  __entry->order, __entry->owner, __entry->cached)
);

/*
 * A block of 2^@order frames from @pfn handed to @owner (a segment id, 0
 * for none); @cached: an order-0 frame from this CPU's cache with no refill.
 */
DEFINE_EVENT(shmpool_frame_class, shmpool_alloc,
	TP_PROTO(unsigned long pfn, unsigned int order, u32 owner, bool cached),
	TP_ARGS(pfn, order, owner, cached)
);

/* A block freed by @owner; @cached: it went to this CPU's cache. */
DEFINE_EVENT(shmpool_frame_class, shmpool_free,
	TP_PROTO(unsigned long pfn, unsigned int order, u32 owner, bool cached),
	TP_ARGS(pfn, order, owner, cached)
);

/* Chunks taken from and given back to the kernel. */
DECLARE_EVENT_CLASS(shmpool_chunk_class,
	TP_PROTO(unsigned long pfn, unsigned int order, unsigned long frames,
		 bool charged),
	TP_ARGS(pfn, order, frames, charged),
	TP_STRUCT__entry(
		__field(unsigned long, pfn)
		__field(unsigned int, order)
		__field(unsigned long, frames)
		__field(bool, charged)
	),
	TP_fast_assign(
		__entry->pfn = pfn;
		__entry->order = order;
		__entry->frames = frames;
		__entry->charged = charged;
	),
	TP_printk("pfn=%#lx order=%u frames=%lu charged=%d", __entry->pfn,
		  __entry->order, __entry->frames, __entry->charged)
);

/* A chunk of 2^@order frames taken; @charged to a memory cgroup. */
DEFINE_EVENT(shmpool_chunk_class, shmpool_grow,
	TP_PROTO(unsigned long pfn, unsigned int order, unsigned long frames,
		 bool charged),
	TP_ARGS(pfn, order, frames, charged)
);

/* A chunk given back: @frames of it (the rest were lent). */
DEFINE_EVENT(shmpool_chunk_class, shmpool_shrink,
	TP_PROTO(unsigned long pfn, unsigned int order, unsigned long frames,
		 bool charged),
	TP_ARGS(pfn, order, frames, charged)
);

/* Segments created and destroyed (their last reference gone). */
DECLARE_EVENT_CLASS(shmpool_seg_class,
	TP_PROTO(u32 seg, u64 size, u32 uid, u32 flags),
	TP_ARGS(seg, size, uid, flags),
	TP_STRUCT__entry(
		__field(u32, seg)
		__field(u64, size)
		__field(u32, uid)
		__field(u32, flags)
	),
	TP_fast_assign(
		__entry->seg = seg;
		__entry->size = size;
		__entry->uid = uid;
		__entry->flags = flags;
	),
	TP_printk("seg=%u size=%llu uid=%u flags=%#x", __entry->seg,
		  __entry->size, __entry->uid, __entry->flags)
);

DEFINE_EVENT(shmpool_seg_class, shmpool_seg_create,
	TP_PROTO(u32 seg, u64 size, u32 uid, u32 flags),
	TP_ARGS(seg, size, uid, flags)
);

DEFINE_EVENT(shmpool_seg_class, shmpool_seg_destroy,
	TP_PROTO(u32 seg, u64 size, u32 uid, u32 flags),
	TP_ARGS(seg, size, uid, flags)
);

/*
 * A page fault on segment @seg at page @index: @major if the page was
 * read back from the swap area; @ns from entry to the page being ready.
 */
TRACE_EVENT(shmpool_fault,
	TP_PROTO(u32 seg, unsigned long index, bool major, u64 ns),
	TP_ARGS(seg, index, major, ns),
	TP_STRUCT__entry(
		__field(u32, seg)
		__field(unsigned long, index)
		__field(bool, major)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->seg = seg;
		__entry->index = index;
		__entry->major = major;
		__entry->ns = ns;
	),
	TP_printk("seg=%u index=%lu major=%d ns=%llu", __entry->seg,
		  __entry->index, __entry->major, __entry->ns)
);

/* The names of enum shmpool_denied_op, for tools that read the format. */
TRACE_DEFINE_ENUM(SHMPOOL_DENIED_MMAP);
TRACE_DEFINE_ENUM(SHMPOOL_DENIED_OPEN);
TRACE_DEFINE_ENUM(SHMPOOL_DENIED_WRITE);
TRACE_DEFINE_ENUM(SHMPOOL_DENIED_RESTRICT);
TRACE_DEFINE_ENUM(SHMPOOL_DENIED_SEAL);
TRACE_DEFINE_ENUM(SHMPOOL_DENIED_GIVE);
TRACE_DEFINE_ENUM(SHMPOOL_DENIED_ACCEPT);
TRACE_DEFINE_ENUM(SHMPOOL_DENIED_UNLINK);
TRACE_DEFINE_ENUM(SHMPOOL_DENIED_PIN);
TRACE_DEFINE_ENUM(SHMPOOL_DENIED_QUOTA);

/*
 * An access refused: task @pid (its thread group), user @uid, tried @op on
 * segment @seg (0 when none was found) and got -@err.
 */
TRACE_EVENT(shmpool_denied,
	TP_PROTO(u32 seg, int op, int err),
	TP_ARGS(seg, op, err),
	TP_STRUCT__entry(
		__field(u32, seg)
		__field(int, op)
		__field(int, err)
		__field(pid_t, pid)
		__field(u32, uid)
	),
	TP_fast_assign(
		__entry->seg = seg;
		__entry->op = op;
		__entry->err = err;
		__entry->pid = task_tgid_nr(current);
		__entry->uid = from_kuid(&init_user_ns, current_uid());
	),
	TP_printk("seg=%u op=%s err=%d pid=%d uid=%u", __entry->seg,
		  __print_symbolic(__entry->op,
			{ SHMPOOL_DENIED_MMAP, "mmap" },
			{ SHMPOOL_DENIED_OPEN, "open" },
			{ SHMPOOL_DENIED_WRITE, "write" },
			{ SHMPOOL_DENIED_RESTRICT, "restrict" },
			{ SHMPOOL_DENIED_SEAL, "seal" },
			{ SHMPOOL_DENIED_GIVE, "give" },
			{ SHMPOOL_DENIED_ACCEPT, "accept" },
			{ SHMPOOL_DENIED_UNLINK, "unlink" },
			{ SHMPOOL_DENIED_PIN, "pin" },
			{ SHMPOOL_DENIED_QUOTA, "quota" }),
		  __entry->err, __entry->pid, __entry->uid)
);

/* The names of enum shmpool_fail_op and _reason (segment.h). */
TRACE_DEFINE_ENUM(SHMPOOL_FAIL_FAULT);
TRACE_DEFINE_ENUM(SHMPOOL_FAIL_READ);
TRACE_DEFINE_ENUM(SHMPOOL_FAIL_WRITE);
TRACE_DEFINE_ENUM(SHMPOOL_FAIL_POPULATE);
TRACE_DEFINE_ENUM(SHMPOOL_FAIL_CREATE);
TRACE_DEFINE_ENUM(SHMPOOL_FAIL_RESIZE);
TRACE_DEFINE_ENUM(SHMPOOL_FAIL_EOF);
TRACE_DEFINE_ENUM(SHMPOOL_FAIL_QUOTA);
TRACE_DEFINE_ENUM(SHMPOOL_FAIL_CGROUP);
TRACE_DEFINE_ENUM(SHMPOOL_FAIL_POOL);
TRACE_DEFINE_ENUM(SHMPOOL_FAIL_COMMIT);
TRACE_DEFINE_ENUM(SHMPOOL_FAIL_IO);
TRACE_DEFINE_ENUM(SHMPOOL_FAIL_SIGNAL);

/*
 * A SIGBUS, -ENOMEM or -EDQUOT about a segment's memory, going back to
 * task @pid: @op on segment @seg (0 before it exists) at page @index
 * failed for @reason.
 */
TRACE_EVENT(shmpool_fail,
	TP_PROTO(u32 seg, unsigned long index, int op, int reason),
	TP_ARGS(seg, index, op, reason),
	TP_STRUCT__entry(
		__field(u32, seg)
		__field(unsigned long, index)
		__field(int, op)
		__field(int, reason)
		__field(pid_t, pid)
	),
	TP_fast_assign(
		__entry->seg = seg;
		__entry->index = index;
		__entry->op = op;
		__entry->reason = reason;
		__entry->pid = task_tgid_nr(current);
	),
	TP_printk("seg=%u index=%lu op=%s reason=%s pid=%d", __entry->seg,
		  __entry->index,
		  __print_symbolic(__entry->op,
			{ SHMPOOL_FAIL_FAULT, "fault" },
			{ SHMPOOL_FAIL_READ, "read" },
			{ SHMPOOL_FAIL_WRITE, "write" },
			{ SHMPOOL_FAIL_POPULATE, "populate" },
			{ SHMPOOL_FAIL_CREATE, "create" },
			{ SHMPOOL_FAIL_RESIZE, "resize" }),
		  __print_symbolic(__entry->reason,
			{ SHMPOOL_FAIL_EOF, "eof" },
			{ SHMPOOL_FAIL_QUOTA, "quota" },
			{ SHMPOOL_FAIL_CGROUP, "cgroup" },
			{ SHMPOOL_FAIL_POOL, "pool" },
			{ SHMPOOL_FAIL_COMMIT, "commit" },
			{ SHMPOOL_FAIL_IO, "io" },
			{ SHMPOOL_FAIL_SIGNAL, "signal" }),
		  __entry->pid)
);

DECLARE_EVENT_CLASS(shmpool_swap_class,
	TP_PROTO(u32 seg, unsigned long index, u32 slot, u64 ns),
	TP_ARGS(seg, index, slot, ns),
	TP_STRUCT__entry(
		__field(u32, seg)
		__field(unsigned long, index)
		__field(u32, slot)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->seg = seg;
		__entry->index = index;
		__entry->slot = slot;
		__entry->ns = ns;
	),
	TP_printk("seg=%u index=%lu slot=%u ns=%llu", __entry->seg,
		  __entry->index, __entry->slot, __entry->ns)
);

/* A page of segment @seg, at @index, written to swap slot @slot. */
DEFINE_EVENT(shmpool_swap_class, shmpool_swap_out,
	TP_PROTO(u32 seg, unsigned long index, u32 slot, u64 ns),
	TP_ARGS(seg, index, slot, ns)
);

/* A page read back from @slot by a fault, read() or write(). */
DEFINE_EVENT(shmpool_swap_class, shmpool_swap_in,
	TP_PROTO(u32 seg, unsigned long index, u32 slot, u64 ns),
	TP_ARGS(seg, index, slot, ns)
);

/* An unpinned page dropped: @swapped if it was a swap slot, not a frame. */
TRACE_EVENT(shmpool_purge,
	TP_PROTO(u32 seg, unsigned long index, bool swapped),
	TP_ARGS(seg, index, swapped),
	TP_STRUCT__entry(
		__field(u32, seg)
		__field(unsigned long, index)
		__field(bool, swapped)
	),
	TP_fast_assign(
		__entry->seg = seg;
		__entry->index = index;
		__entry->swapped = swapped;
	),
	TP_printk("seg=%u index=%lu swapped=%d", __entry->seg, __entry->index,
		  __entry->swapped)
);

/*
 * One reclaim run: frames wanted and freed, pages scanned, how long, and
 * whether the pool's background work ran it (or an allocation that found
 * the pool empty).
 */
TRACE_EVENT(shmpool_reclaim,
	TP_PROTO(unsigned long want, unsigned long freed, u64 scanned, u64 ns,
		 bool background),
	TP_ARGS(want, freed, scanned, ns, background),
	TP_STRUCT__entry(
		__field(unsigned long, want)
		__field(unsigned long, freed)
		__field(u64, scanned)
		__field(u64, ns)
		__field(bool, background)
	),
	TP_fast_assign(
		__entry->want = want;
		__entry->freed = freed;
		__entry->scanned = scanned;
		__entry->ns = ns;
		__entry->background = background;
	),
	TP_printk("want=%lu freed=%lu scanned=%llu ns=%llu background=%d",
		  __entry->want, __entry->freed, __entry->scanned, __entry->ns,
		  __entry->background)
);

/* Compaction moved page @index of @seg from frame @old_pfn to @new_pfn. */
TRACE_EVENT(shmpool_compact_move,
	TP_PROTO(u32 seg, unsigned long index, unsigned long old_pfn,
		 unsigned long new_pfn, u64 ns),
	TP_ARGS(seg, index, old_pfn, new_pfn, ns),
	TP_STRUCT__entry(
		__field(u32, seg)
		__field(unsigned long, index)
		__field(unsigned long, old_pfn)
		__field(unsigned long, new_pfn)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->seg = seg;
		__entry->index = index;
		__entry->old_pfn = old_pfn;
		__entry->new_pfn = new_pfn;
		__entry->ns = ns;
	),
	TP_printk("seg=%u index=%lu old_pfn=%#lx new_pfn=%#lx ns=%llu",
		  __entry->seg, __entry->index, __entry->old_pfn,
		  __entry->new_pfn, __entry->ns)
);

/* One compaction: the order-9 fragmentation index (x1000) around it. */
TRACE_EVENT(shmpool_compact,
	TP_PROTO(int frag_before, int frag_after, unsigned long moved,
		 unsigned long failed, u64 ns),
	TP_ARGS(frag_before, frag_after, moved, failed, ns),
	TP_STRUCT__entry(
		__field(int, frag_before)
		__field(int, frag_after)
		__field(unsigned long, moved)
		__field(unsigned long, failed)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->frag_before = frag_before;
		__entry->frag_after = frag_after;
		__entry->moved = moved;
		__entry->failed = failed;
		__entry->ns = ns;
	),
	TP_printk("frag_before=%d frag_after=%d moved=%lu failed=%lu ns=%llu",
		  __entry->frag_before, __entry->frag_after, __entry->moved,
		  __entry->failed, __entry->ns)
);

#endif /* _SHMPOOL_TRACE_H */

/* This part must be outside the include guard. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
