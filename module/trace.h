/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of shmpool: /sys/kernel/tracing/events/shmpool/.  Each event
 * and field is described in Documentation/tracepoints.rst.  Times are in
 * nanoseconds, measured by the code that emits the event; pfns are there
 * because tracefs is root's alone.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM shmpool

#if !defined(_SHMPOOL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _SHMPOOL_TRACE_H

#include <linux/tracepoint.h>

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
