// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Pool statistics
 *
 * The pool's windows, for debugfs and the auditor: the snapshot of its
 * counters (enum shmpool_pool_stat, named by one table), the per-CPU ones,
 * the counts other layers size their requests by, and the readers of the
 * memory map - a walk by extents that holds pool.lock briefly at a time,
 * the frames of one owner, the free frames still mapped.  Nothing here
 * changes the pool, save the auditor's planted owner on a kernel built for
 * fault injection.
 */
#include <linux/cpu.h>
#include <linux/mm.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "pool_internal.h"

/*
 * The name of each enum shmpool_pool_stat, in its order: one table, as
 * mm/vmstat.c's vmstat_text, that pool/stats prints by.
 */
const char *const shmpool_pool_stat_names[] = {
	"frames",
	"frames_free",
	"frames_pcp",
	"frames_used",
	"chunks",
	"frames_charged",
	"frames_charged_free",
	"accounts",
	"limit_min",
	"limit_max",
	"watermark_low",
	"watermark_high",
	"pool_kb",
	"free_blocks_order0", "free_blocks_order1",
	"free_blocks_order2", "free_blocks_order3",
	"free_blocks_order4", "free_blocks_order5",
	"free_blocks_order6", "free_blocks_order7",
	"free_blocks_order8", "free_blocks_order9",
	"frag_index_order0", "frag_index_order1",
	"frag_index_order2", "frag_index_order3",
	"frag_index_order4", "frag_index_order5",
	"frag_index_order6", "frag_index_order7",
	"frag_index_order8", "frag_index_order9",
	"allocs_order0", "allocs_order1",
	"allocs_order2", "allocs_order3",
	"allocs_order4", "allocs_order5",
	"allocs_order6", "allocs_order7",
	"allocs_order8", "allocs_order9",
	"frees_order0", "frees_order1",
	"frees_order2", "frees_order3",
	"frees_order4", "frees_order5",
	"frees_order6", "frees_order7",
	"frees_order8", "frees_order9",
	"alloc_failures",
	"pcp_hits",
	"pcp_misses",
	"pcp_refills",
	"pcp_drains",
	"grows",
	"grow_failures",
	"frames_grown",
	"shrinks",
	"frames_returned",
	"reclaim_scans",
	"reclaim_frames",
	"bg_reclaim_runs",
	"bg_reclaim_frames",
	"frames_lent",
	"frames_lent_held",
	"frames_cleared",
	"clears_saved",
	"compact_runs",
	"compact_moved",
	"compact_failed",
	"compact_ns",
};

static_assert(ARRAY_SIZE(shmpool_pool_stat_names) == SHMPOOL_STAT_NR);

/**
 * shmpool_pool_get_stats() - snapshot the pool's state and counters
 * @st: filled in
 *
 * Context: any process context; holds pool.lock only to copy the shared
 * counters, and sums the per-CPU ones without locks.
 */
void shmpool_pool_get_stats(struct shmpool_pool_stats *st)
{
	unsigned long blocks[SHMPOOL_NR_ORDERS];
	u64 *val = st->val;
	struct shmpool_account *acct;
	unsigned int cpu, i, o;

	memset(st, 0, sizeof(*st));
	val[SHMPOOL_STAT_LIMIT_MIN] = pool.params.min;
	val[SHMPOOL_STAT_LIMIT_MAX] = pool.params.max;
	val[SHMPOOL_STAT_WATERMARK_LOW] = pool.params.low;
	val[SHMPOOL_STAT_WATERMARK_HIGH] = pool.params.high;

	spin_lock(&pool.lock);
	val[SHMPOOL_STAT_FRAMES] = pool.nr_frames;
	val[SHMPOOL_STAT_FREE] = pool.area.nr_free;
	val[SHMPOOL_STAT_CHUNKS] = pool.nr_chunks;
	val[SHMPOOL_STAT_CHARGED] = pool.nr_charged;
	val[SHMPOOL_STAT_ACCOUNTS] = pool.nr_accounts;
	list_for_each_entry(acct, &pool.accounts, node)
		val[SHMPOOL_STAT_CHARGED_FREE] += acct->area.nr_free;
	memcpy(blocks, pool.area.nr_blocks, sizeof(blocks));
	val[SHMPOOL_STAT_LENT_HELD] = pool.nr_lent_held;
	for (i = 0; i < SHMPOOL_STAT_NR; i++)
		val[i] += pool.events[i];
	spin_unlock(&pool.lock);

	val[SHMPOOL_STAT_POOL_KB] = val[SHMPOOL_STAT_FRAMES] * (PAGE_SIZE / 1024);
	for (o = 0; o <= SHMPOOL_MAX_ORDER; o++) {
		val[SHMPOOL_STAT_FREE_BLOCKS + o] = blocks[o];
		val[SHMPOOL_STAT_FRAG_INDEX + o] = (s64)shmpool_frag_index(blocks, o);
	}

	for_each_possible_cpu(cpu) {
		struct shmpool_pcp_stats *s = per_cpu_ptr(pool.stats, cpu);

		val[SHMPOOL_STAT_PCP] += READ_ONCE(per_cpu_ptr(pool.pcp, cpu)->count);
		for (i = 0; i < SHMPOOL_STAT_NR; i++)
			val[i] += READ_ONCE(s->ev[i]);
	}
	/* The per-CPU counts are read after the lock: clamp the difference. */
	val[SHMPOOL_STAT_USED] = val[SHMPOOL_STAT_FRAMES] -
		min(val[SHMPOOL_STAT_FRAMES], val[SHMPOOL_STAT_FREE] +
		    val[SHMPOOL_STAT_PCP] + val[SHMPOOL_STAT_CHARGED_FREE]);
}
EXPORT_SYMBOL_IF_KUNIT(shmpool_pool_get_stats);

/**
 * shmpool_pool_pcp_count() - frames in one CPU's cache
 * @cpu: a possible CPU
 *
 * Context: any; a racy read, for statistics.
 * Return: the count.
 */
unsigned int shmpool_pool_pcp_count(unsigned int cpu)
{
	return READ_ONCE(per_cpu_ptr(pool.pcp, cpu)->count);
}

/**
 * shmpool_pool_cpu_stats() - one CPU's allocation counters
 * @cpu: a possible CPU
 * @allocs: out: blocks of any order it allocated
 * @hits: out: order-0 allocations its cache served
 * @misses: out: order-0 allocations that found its cache empty
 *
 * Context: any; racy reads of counters only that CPU writes.
 */
void shmpool_pool_cpu_stats(unsigned int cpu, u64 *allocs, u64 *hits,
			    u64 *misses)
{
	const struct shmpool_pcp_stats *s = per_cpu_ptr(pool.stats, cpu);
	unsigned int o;

	*allocs = 0;
	for (o = 0; o < SHMPOOL_NR_ORDERS; o++)
		*allocs += READ_ONCE(s->ev[SHMPOOL_STAT_ALLOCS + o]);
	*hits = READ_ONCE(s->ev[SHMPOOL_STAT_PCP_HITS]);
	*misses = READ_ONCE(s->ev[SHMPOOL_STAT_PCP_MISSES]);
}

/**
 * shmpool_pool_reserve_free() - free frames of the reserve, cached or not
 *
 * For a caller whose allocation from the reserve failed and whose
 * reclaim freed nothing: frames may have come back meanwhile by other
 * ways (a segment evicted by someone else's reclaim), and if any are
 * free now another try may succeed; if none are, none can be had.  A
 * cgroup's account's frames are not the reserve's and do not count.
 *
 * Context: any process context; racy, as any count of free frames is.
 * Return: the count.
 */
unsigned long shmpool_pool_reserve_free(void)
{
	unsigned long free = 0;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		free += READ_ONCE(per_cpu_ptr(pool.pcp, cpu)->count);
	return free + READ_ONCE(pool.area.nr_free);
}

/**
 * shmpool_pool_available() - frames the pool could still hand out
 *
 * Its free frames (cached or not, charged or not) and what it may still
 * take from the kernel below its maximum: the "free pool" a segment
 * without SHMPOOL_CREATE_OVERCOMMIT must fit in.  Not a reservation.
 *
 * Context: any process context; a racy sum, as the kernel's own
 * overcommit heuristic is.
 * Return: the count.
 */
unsigned long shmpool_pool_available(void)
{
	unsigned long used, held, free = 0;
	struct shmpool_account *acct;
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		free += READ_ONCE(per_cpu_ptr(pool.pcp, cpu)->count);
	spin_lock(&pool.lock);
	held = pool.nr_frames;
	free += pool.area.nr_free;
	list_for_each_entry(acct, &pool.accounts, node)
		free += acct->area.nr_free;
	spin_unlock(&pool.lock);
	used = held - min(held, free);
	return pool.params.max - min(pool.params.max, used);
}

/**
 * shmpool_pool_plenty() - whether @nr frames can go without any pressure
 * @nr: frames a caller would take for what nobody has asked for yet
 *
 * True while the buddy lists hold @nr frames, a per-CPU refill and the
 * low watermark: taking them then makes the pool neither grow nor reclaim,
 * so speculative allocations (fault-ahead) never cost another segment its
 * pages.  The per-CPU caches are not counted: a hint may be conservative.
 *
 * Context: any; a racy read, as a hint's is.
 * Return: true if there is room to spare.
 */
bool shmpool_pool_plenty(unsigned long nr)
{
	return READ_ONCE(pool.area.nr_free) >=
	       nr + SHMPOOL_PCP_BATCH + max(pool.params.low, pool_reclaim_low());
}

/**
 * shmpool_frame_get() - what the frame table says of one frame
 * @page: a frame of the pool
 * @state: out: enum shmpool_frame_state
 * @owner: out: its owner
 *
 * For the auditor, which checks the table against the segments.
 *
 * Context: any; a racy read unless the frame's holder keeps it still.
 */
void shmpool_frame_get(struct page *page, u8 *state, u32 *owner)
{
	struct shmpool_frame *f = frame_of(page);

	*state = READ_ONCE(f->state);
	*owner = READ_ONCE(f->owner);
}

static long pcp_count_mapped(struct shmpool_pcp *pcp)
{
	unsigned int i;
	long n = 0;

	for (i = 0; i < pcp->count; i++)
		n += folio_mapped(page_folio(pcp->pages[i]));
	return n;
}

/* The local cache's mapped frames, run on each CPU by work_on_cpu(). */
static long pcp_mapped(void *unused)
{
	long n = pcp_count_mapped(pcp_lock());

	pcp_unlock();
	return n;
}

/**
 * shmpool_pool_free_mapped() - free frames that are mapped somewhere
 *
 * For the auditor: a free frame in a page table would let its next owner's
 * data be seen by a stranger.  Each frame is checked where it is free,
 * under the lock that keeps it so: the buddy lists' under pool.lock, each
 * online CPU's cache on that CPU under its lock, an offline CPU's with CPU
 * hotplug held off.
 *
 * Context: process context; sleeps.
 * Return: the number of such frames (0).
 */
unsigned long shmpool_pool_free_mapped(void)
{
	unsigned long n = 0, i;
	struct shmpool_chunk *c;
	unsigned int cpu, o;
	struct page *page;

	cpus_read_lock();
	for_each_possible_cpu(cpu) {
		if (cpu_online(cpu))
			n += work_on_cpu(cpu, pcp_mapped, NULL);
		else
			n += pcp_count_mapped(per_cpu_ptr(pool.pcp, cpu));
	}
	cpus_read_unlock();
	spin_lock(&pool.lock);
	for (o = 0; o < SHMPOOL_NR_ORDERS; o++)
		list_for_each_entry(page, &pool.area.free_area[o], lru)
			for (i = 0; i < (1UL << o); i++)
				n += folio_mapped(page_folio(page + i));
	/* Frames held out by compaction are free too. */
	list_for_each_entry(c, &pool.chunks, node) {
		if (!READ_ONCE(c->isolated))
			continue;
		for (i = 0; i < (1UL << c->order); i++)
			if (c->frames[i].state == SHMPOOL_FRAME_ISOLATED)
				n += folio_mapped(page_folio(chunk_page(c, i)));
	}
	spin_unlock(&pool.lock);
	return n;
}

#if IS_ENABLED(CONFIG_FAULT_INJECTION)
/**
 * shmpool_frame_set_owner() - corrupt the frame table, for the auditor's test
 * @page: a used frame
 * @owner: the owner to record
 *
 * The auditor's "plant" command uses it to prove the audit finds a frame
 * recorded under the wrong owner.  Only on kernels built for fault
 * injection.
 *
 * Context: the frame's holder.
 */
void shmpool_frame_set_owner(struct page *page, u32 owner)
{
	WRITE_ONCE(frame_of(page)->owner, owner);
}
#endif

/*
 * What frame @idx of @c is to reclaim, as the map shows it: what its
 * holder said, unless a DMA pin keeps it in place whatever that was.
 */
static u8 frame_use(struct shmpool_chunk *c, unsigned long idx)
{
	u8 use = READ_ONCE(c->frames[idx].use);

	if (use != SHMPOOL_USE_NONE &&
	    folio_maybe_dma_pinned(page_folio(chunk_page(c, idx))))
		use = SHMPOOL_USE_PINNED;
	return use;
}

/* Longest extent one call returns, so that pool.lock is held briefly. */
#define SHMPOOL_MAP_MAX_SCAN	4096

/**
 * shmpool_pool_map_next() - the next run of alike frames in the memory map
 * @pos: where to continue: a pfn; start at 0, updated past the extent
 * @ext: filled in
 *
 * A run is a sequence of blocks with the same state, order and owner, and
 * for used frames the same use (per-CPU cached frames are order-0
 * blocks).  Each call holds pool.lock for at most SHMPOOL_MAP_MAX_SCAN
 * frames, so reading the map never stalls the pool, and @pos makes the
 * walk resumable across read() calls; a pool that changes between calls
 * shows its new state from @pos on.
 *
 * Context: process context.
 * Return: 1 when @ext was filled, 0 at the end of the map.
 */
int shmpool_pool_map_next(unsigned long *pos, struct shmpool_extent *ext)
{
	struct shmpool_chunk *c;
	unsigned long idx, end, scanned = 0;
	int found = 0;

	spin_lock(&pool.lock);
	list_for_each_entry(c, &pool.chunks, node) {
		if (c->base_pfn + (1UL << c->order) > *pos)
			goto found;
	}
	goto out;
found:
	idx = *pos > c->base_pfn ? *pos - c->base_pfn : 0;
	/* A position inside a block (the map changed) starts at its head. */
	while (idx && READ_ONCE(c->frames[idx].order) == SHMPOOL_ORDER_TAIL)
		idx--;
	end = 1UL << c->order;
	ext->pfn = c->base_pfn + idx;
	ext->state = READ_ONCE(c->frames[idx].state);
	ext->order = READ_ONCE(c->frames[idx].order);
	ext->owner = READ_ONCE(c->frames[idx].owner);
	ext->use = ext->state == SHMPOOL_FRAME_USED ? frame_use(c, idx) :
						       SHMPOOL_USE_NONE;
	if (ext->order > c->order)	/* mid-transition: show one frame */
		ext->order = 0;
	/* The first block always counts, so the walk always advances. */
	do {
		scanned += 1UL << ext->order;
		idx = min(idx + (1UL << ext->order), end);
	} while (idx < end && scanned < SHMPOOL_MAP_MAX_SCAN &&
		 READ_ONCE(c->frames[idx].state) == ext->state &&
		 READ_ONCE(c->frames[idx].order) == ext->order &&
		 READ_ONCE(c->frames[idx].owner) == ext->owner &&
		 (ext->state != SHMPOOL_FRAME_USED ||
		  frame_use(c, idx) == ext->use));
	ext->nr = c->base_pfn + idx - ext->pfn;
	*pos = c->base_pfn + idx;
	found = 1;
out:
	spin_unlock(&pool.lock);
	return found;
}
EXPORT_SYMBOL_IF_KUNIT(shmpool_pool_map_next);

/**
 * shmpool_pool_owned() - how many frames the pool records as used by @owner
 * @owner: an owner id, as shmpool_alloc_frames() was given it
 *
 * Every chunk's table, frame by frame, in one hold of pool.lock (a
 * root-only check, as long as the table: some 50 us for 40000 frames
 * under TCG), not by the memory map's walk by pfn: chunks can overlap.
 * A frame lent to the kernel stays LENT in its chunk, whose other frames
 * keep it from ever going back whole; when the kernel frees the page, a
 * growing pool may get it back as a chunk of its own, which then covers
 * a pfn its old chunk covers too, and a walk that resumes by pfn passes
 * over the new one.  (The map view still does; only the auditor counts.)
 *
 * Context: process context.
 * Return: the count.
 */
unsigned long shmpool_pool_owned(u32 owner)
{
	unsigned long n = 0, i;
	struct shmpool_chunk *c;

	spin_lock(&pool.lock);
	list_for_each_entry(c, &pool.chunks, node)
		for (i = 0; i < (1UL << c->order); i++)
			n += READ_ONCE(c->frames[i].state) == SHMPOOL_FRAME_USED &&
			     READ_ONCE(c->frames[i].owner) == owner;
	spin_unlock(&pool.lock);
	return n;
}
