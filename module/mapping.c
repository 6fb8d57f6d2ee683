// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Segment mappings
 *
 * The mmap and fault path of segments: mmap, protections, cache modes and
 * faults.  Nothing else: debugfs.c shows the mappings and walks them for
 * the auditor.
 *
 * ->mmap only validates and sets flags; faults do the work.  Protections
 * the fd does not allow are refused with -EACCES and their VM_MAY* flags
 * cleared, so mprotect() cannot add them later.  VM_DONTEXPAND refuses
 * mremap() growth (a mapping never reaches past the segment it was made
 * for).
 *
 * Ordinary segments are mapped page-backed: frames are mapped as ordinary
 * refcounted pages (the fault handler returns vmf->page; fault-around
 * inserts batches with vm_insert_pages()), so get_user_pages() and
 * pin_user_pages() work on them: O_DIRECT into a segment, vmsplice(), RDMA
 * registration.  A PFN map (VM_PFNMAP) would forbid all of that; the cost
 * of page-backing - mapcount and rmap updates on every map and unmap - is
 * what every file pays.  VM_MIXEDMAP is what lets vm_insert_pages() run
 * under the per-VMA lock without touching vm_flags.  Huge segments are the
 * exception: they are PFN maps (see "Huge segment mappings").
 *
 * The fault path never needs mmap_lock: ->fault and ->map_pages both run
 * under the per-VMA lock (on 6.4+ kernels a VMA without ->map_pages would
 * see every fault retried under mmap_lock).  ->map_pages runs under RCU
 * and must not sleep, so it maps only frames that exist, never allocates,
 * and leaves a missing page table to ->fault.
 *
 * Partial munmap() and mprotect() split a mapping: allowed, each part
 * counts as a mapping (->open is called for the new one).
 */

/**
 * DOC: Fault-ahead
 *
 * Fault-around serves readers of pages that exist; a writer filling fresh
 * pages in order (a memset() of a new buffer) would still fault once per
 * page.  When a write fault in a shared writable mapping finds the page
 * before it there and its own missing, ->fault gives the holes that follow
 * frames and maps them with the faulting page, SHMPOOL_MAP_BATCH at a
 * time, as anonymous memory's large folios do.  Only while the pool has
 * plenty free and the owner's quota twice the batch: a frame taken ahead
 * must never make the pool grow or reclaim, nor be what another fault
 * lacks.  A program touching pages here and there gets what it touches.
 * A write fault that finds its own page there (a writer going through
 * memory another process filled: the sharing path) maps the resident
 * pages after it too, within its page table, as fault-around does for a
 * read: shmem faults each such page on its own.  Nothing is allocated for
 * it, and the entries are writable already, a shared mapping having no
 * write notification; a page another mapping never touches costs a page
 * table entry.
 */

/**
 * DOC: Huge segment mappings
 *
 * Huge segments (SHMPOOL_CREATE_HUGE) are mapped by PFN (VM_PFNMAP), so
 * that a 2 MiB block of frames can be one PMD entry and one fault.  A PMD
 * entry cannot point at frames that are not one compound page without
 * every reference get_user_pages() takes landing on one of them, so it
 * must be a special (or, before 6.12, devmap) entry that get_user_pages()
 * leaves alone - and a mapping with such entries must be VM_PFNMAP, which
 * it refuses as a whole; page walkers (smaps, mincore, NUMA balancing)
 * skip such mappings too.  The page tables then hold no reference on the
 * frames, and none is needed: no frame leaves a segment without its page
 * lock and an unmap_mapping_range() of its index first (truncation,
 * swap-out, purging, compaction), and a fault maps a frame only under that
 * lock, after checking it is still there - for a PMD entry, the block's
 * lock, which stands for all 512 while the block is whole (see "Block
 * entries" in seg_block.c).  Where the mapping's address and offset are not
 * 2 MiB aligned alike, or the block is not whole (a page of it swapped
 * out, say), the fault maps its page alone, with a special PTE.  Such a
 * mapping must be shared: a private one would need copy-on-write of PFNs.
 * On kernels whose PMD entries for it are special ones, fork() does not
 * copy it (see SHMPOOL_HUGE_VM_FLAGS in compat.h).
 */

/**
 * DOC: Mapping records
 *
 * Every mapping has a struct shmpool_map on its segment's list, made by
 * ->mmap or ->open (fork, split, mremap) and taken off by ->close, so that
 * debugfs can say which process maps what where and the auditor can check
 * each mapping against its fd.  ->open cannot fail: a mapping whose record
 * could not be allocated works, unlisted, and is counted in
 * maps_untracked.  Those walking the list (debugfs.c's
 * shmpool_map_walk_start()) keep their place on it with a cursor, so as to
 * let go of the segment's lock between a few mappings.
 */
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "compat.h"
#include "pool.h"
#include "segment.h"
#include "trace.h"

/* Frames fault-around inserts with one vm_insert_pages() call at most. */
#define SHMPOOL_MAP_BATCH	16

/* The fault path's counters, per CPU: no shared line on the hot path. */
static DEFINE_PER_CPU(struct shmpool_fault_stats, fault_stats);

static inline bool vma_maybe_writable(struct vm_area_struct *vma)
{
	return (vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) ==
	       (VM_SHARED | VM_MAYWRITE);
}

static void seg_map_count(struct vm_area_struct *vma, int delta)
{
	struct shmpool_seg *seg = file_seg(vma->vm_file);

	atomic_add(delta, &seg->nr_maps);
	if (vma_maybe_writable(vma)) {
		spin_lock(&seg->lock);
		seg->nr_wmaps += delta;
		spin_unlock(&seg->lock);
	}
}

static atomic_long_t maps_untracked;

/* Put @vma on its segment's list of mappings with @map, under its lock. */
static void __seg_map_track(struct shmpool_seg *seg, struct vm_area_struct *vma,
			    struct shmpool_map *map)
{
	lockdep_assert_held(&seg->lock);
	map->vma = vma;
	vma->vm_private_data = map;
	list_add_tail(&map->node, &seg->maps);
}

/* Put @vma on its segment's list of mappings; false without memory. */
static bool seg_map_track(struct vm_area_struct *vma)
{
	struct shmpool_seg *seg = file_seg(vma->vm_file);
	struct shmpool_map *map = kmalloc(sizeof(*map), GFP_KERNEL);

	vma->vm_private_data = NULL;
	if (!map)
		return false;
	spin_lock(&seg->lock);
	__seg_map_track(seg, vma, map);
	spin_unlock(&seg->lock);
	return true;
}

static void seg_vm_open(struct vm_area_struct *vma)
{
	seg_map_count(vma, 1);
	/* vm_private_data is the original's record, copied with the VMA. */
	if (!seg_map_track(vma))
		atomic_long_inc(&maps_untracked);
}

static void seg_vm_close(struct vm_area_struct *vma)
{
	struct shmpool_seg *seg = file_seg(vma->vm_file);
	struct shmpool_map *map = vma->vm_private_data;

	seg_map_count(vma, -1);
	if (!map) {
		atomic_long_dec(&maps_untracked);
		return;
	}
	spin_lock(&seg->lock);
	list_del(&map->node);
	spin_unlock(&seg->lock);
	kfree(map);
}

/*
 * Insert @nr locked frames, with a reference each, from @pgoff on; skip
 * those already mapped; then drop the references and the locks.
 */
static vm_fault_t map_batch(struct vm_fault *vmf, struct page **pages,
			    pgoff_t pgoff, unsigned long nr)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long addr, done = 0, left;
	vm_fault_t ret = 0;

	addr = vma->vm_start + ((pgoff - vma->vm_pgoff) << PAGE_SHIFT);
	while (done < nr) {
		left = nr - done;
		vm_insert_pages(vma, addr + (done << PAGE_SHIFT), pages + done,
				&left);
		/* @left is now what was not inserted, from the failed one on. */
		if (vmf->address >= addr + (done << PAGE_SHIFT) &&
		    vmf->address < addr + ((nr - left) << PAGE_SHIFT))
			ret = VM_FAULT_NOPAGE;
		this_cpu_add(fault_stats.around, nr - done - left);
		done = nr - left;
		if (left)
			done++;		/* mapped already (-EBUSY): skip it */
	}
	/* The ptes hold their own references; the lock kept truncation off. */
	while (nr--) {
		put_page(pages[nr]);
		unlock_page(pages[nr]);
	}
	return ret;
}

static vm_fault_t seg_vm_map_pages(struct vm_fault *vmf, pgoff_t start,
				   pgoff_t end);

/*
 * A write fault on a resident page: the resident pages after it in its
 * page table and in the mapping, SHMPOOL_MAP_BATCH at most with it, mapped
 * by ->map_pages' own walk, which allocates no page table (the first fault
 * under a new one maps its page alone).  The faulting page is left to
 * ->fault.
 */
static void seg_write_around(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	pgoff_t end = vmf->pgoff + SHMPOOL_MAP_BATCH - 1;

	end = min(end, vmf->pgoff + PTRS_PER_PTE - 1 -
		       pte_index(vmf->address));
	end = min(end, vma->vm_pgoff + vma_pages(vma) - 1);
	if (end > vmf->pgoff)
		seg_vm_map_pages(vmf, vmf->pgoff + 1, end);
}

/*
 * A write fault of a writer going forward through fresh pages: its page
 * and the holes after it given frames, the holes mapped; see "Fault-around
 * serves readers" above.  The faulting page is allocated first, so that
 * the pages ahead never take the last frame or the last of the quota from
 * the one asked for.  Returns it locked and with a reference, as
 * shmpool_seg_get_page() does, or NULL to leave the fault to that (a page
 * there already, its resident successors mapped by seg_write_around(); not
 * this pattern; or no frame without reclaim).
 */
static struct page *seg_fault_ahead(struct vm_fault *vmf,
				    struct shmpool_seg *seg)
{
	struct vm_area_struct *vma = vmf->vma;
	struct address_space *mapping = seg->inode->i_mapping;
	XA_STATE(xas, &seg->pages, vmf->pgoff);
	struct page *pages[SHMPOOL_MAP_BATCH];
	unsigned long nr, room;
	void *prev = NULL, *cur;

	if (!(vmf->flags & FAULT_FLAG_WRITE) ||
	    (vma->vm_flags & (VM_SHARED | VM_WRITE)) != (VM_SHARED | VM_WRITE))
		return NULL;
	/*
	 * This page and the one before in one walk: every write fault of a
	 * shared mapping asks, most of them for pages that are there.
	 */
	rcu_read_lock();
	cur = xas_load(&xas);
	if (!cur && vmf->pgoff != vma->vm_pgoff)
		prev = xas_prev(&xas);
	rcu_read_unlock();
	if (cur && !xa_is_internal(cur) && !xa_is_value(cur)) {
		seg_write_around(vmf);
		return NULL;
	}
	if (!prev || xa_is_internal(prev) || xa_is_value(prev))
		return NULL;
	/* Pages of the mapping from the faulting one on. */
	room = vma_pages(vma) - (vmf->pgoff - vma->vm_pgoff);

	filemap_invalidate_lock_shared(mapping);
	nr = shmpool_seg_fill_holes(seg, vmf->pgoff, pages,
				    min_t(unsigned long, room, ARRAY_SIZE(pages)));
	if (nr > 1) {
		this_cpu_add(fault_stats.ahead, nr - 1);
		map_batch(vmf, pages + 1, vmf->pgoff + 1, nr - 1);
	}
	/* The faulting page stays locked: ->fault returns it so. */
	filemap_invalidate_unlock_shared(mapping);
	return nr ? pages[0] : NULL;
}

/*
 * What a fault's page lookup gave, counted: VM_FAULT_SIGBUS for an error
 * (never VM_FAULT_OOM: a full pool or quota must not wake the OOM killer),
 * else 0, the page marked referenced, reclaim's reference bit: in use.
 */
static vm_fault_t seg_fault_found(struct vm_fault *vmf, struct shmpool_seg *seg,
				  struct page *page, bool major)
{
	if (IS_ERR(page)) {
		this_cpu_inc(fault_stats.sigbus);
		shmpool_seg_fail(seg, vmf->pgoff, SHMPOOL_FAIL_FAULT, PTR_ERR(page));
		return VM_FAULT_SIGBUS;
	}
	if (major)
		this_cpu_inc(fault_stats.major);
	folio_set_referenced(page_folio(page));
	return 0;
}

static vm_fault_t seg_vm_fault(struct vm_fault *vmf)
{
	struct shmpool_seg *seg = file_seg(vmf->vma->vm_file);
	u64 start = ktime_get_ns();
	bool major = false;
	struct page *page;
	vm_fault_t ret;

	page = seg_fault_ahead(vmf, seg);
	if (!page)
		page = shmpool_seg_get_page(seg, vmf->pgoff, &major);
	this_cpu_inc(fault_stats.faults);
	percpu_counter_inc(&seg->faults);
	ret = seg_fault_found(vmf, seg, page, major);
	if (ret)
		return ret;
	trace_shmpool_fault(seg->id, vmf->pgoff, major, ktime_get_ns() - start);
	vmf->page = page;
	return VM_FAULT_LOCKED;
}

/**
 * shmpool_fault_get_stats() - the fault path's counters, summed
 * @st: filled in
 *
 * Context: any; a racy sum, as per-CPU counters are.
 */
void shmpool_fault_get_stats(struct shmpool_fault_stats *st)
{
	unsigned int cpu;

	memset(st, 0, sizeof(*st));
	for_each_possible_cpu(cpu) {
		struct shmpool_fault_stats *c = per_cpu_ptr(&fault_stats, cpu);

		st->faults += READ_ONCE(c->faults);
		st->major += READ_ONCE(c->major);
		st->sigbus += READ_ONCE(c->sigbus);
		st->around += READ_ONCE(c->around);
		st->ahead += READ_ONCE(c->ahead);
		st->huge += READ_ONCE(c->huge);
	}
}

static vm_fault_t seg_vm_map_pages(struct vm_fault *vmf, pgoff_t start,
				   pgoff_t end)
{
	struct shmpool_seg *seg = file_seg(vmf->vma->vm_file);
	struct page *pages[SHMPOOL_MAP_BATCH];
	pgoff_t pgoff, first = start;
	unsigned long nr = 0;
	vm_fault_t ret = 0;

	/* A page table would have to be allocated, which may sleep. */
	if (pmd_none(*vmf->pmd))
		return 0;

	rcu_read_lock();
	for (pgoff = start; pgoff <= end; pgoff++) {
		struct page *page = xa_load(&seg->pages, pgoff);
		bool ok = false;

		/* Swapped out: only ->fault pages it in. */
		if (xa_is_value(page))
			page = NULL;

		/*
		 * As filemap_map_pages(): a reference first (a frame that left
		 * the segment may be the kernel's by now), then the lock, then
		 * whether it is still the segment's and inside it.
		 */
		if (page && get_page_unless_zero(page)) {
			ok = xa_load(&seg->pages, pgoff) == page &&
			     trylock_page(page);
			/* Not filled yet (being paged in): leave it to ->fault. */
			if (ok && (pgoff >= seg_nr_pages(seg) ||
				   !folio_test_uptodate(page_folio(page)))) {
				unlock_page(page);
				ok = false;
			}
			if (!ok)
				put_page(page);
		}
		if (ok) {
			if (!nr)
				first = pgoff;
			pages[nr++] = page;
		}
		if (nr && (!ok || nr == SHMPOOL_MAP_BATCH || pgoff == end)) {
			ret |= map_batch(vmf, pages, first, nr);
			nr = 0;
		}
	}
	rcu_read_unlock();
	return ret;
}

/*
 * Map the block of frames around vmf->address with one PMD entry: a new
 * entry, or (on a write to a read-only one) the same made writable.
 * VM_FAULT_FALLBACK when the mapping or the block does not allow it.
 */
static vm_fault_t seg_map_pmd(struct vm_fault *vmf, bool write)
{
	struct vm_area_struct *vma = vmf->vma;
	struct shmpool_seg *seg = file_seg(vma->vm_file);
	struct address_space *mapping = seg->inode->i_mapping;
	unsigned long haddr = vmf->address & PMD_MASK;
	vm_fault_t ret = VM_FAULT_FALLBACK;
	unsigned long i, nr_locked;
	struct page *first;
	pgoff_t idx;

	/* A block is a PMD's worth only with 4 KiB pages. */
	if (!SHMPOOL_PMD_PFNMAP || PMD_SHIFT - PAGE_SHIFT != SHMPOOL_MAX_ORDER)
		return VM_FAULT_FALLBACK;
	idx = vmf->pgoff - ((vmf->address - haddr) >> PAGE_SHIFT);
	if (haddr < vma->vm_start || haddr + PMD_SIZE > vma->vm_end ||
	    !IS_ALIGNED(idx, SHMPOOL_BLOCK_NR))
		return VM_FAULT_FALLBACK;

	filemap_invalidate_lock_shared(mapping);
	first = shmpool_seg_get_block(seg, idx, &nr_locked);
	if (!first)
		goto out;
	/*
	 * With the block locked, nothing can map one of its frames by a PTE
	 * (seg_pfn_fault() takes the same lock), nor take one away: the
	 * entry can only have gone (none) or be the block's own.  A page
	 * table (its pages mapped one by one before the block was whole)
	 * stays.
	 */
	if (pmd_none(*vmf->pmd) || pmd_leaf(*vmf->pmd))
		ret = shmpool_insert_pfn_pmd(vmf, page_to_pfn(first), write);
	/*
	 * Reclaim's reference bit, for all of them: the PMD's young bit.
	 * Tested first: most are still set from the last fault or the
	 * frame's last life, and an atomic operation for each of 512 costs.
	 */
	for (i = 0; i < SHMPOOL_BLOCK_NR; i++)
		if (!folio_test_referenced(page_folio(first + i)))
			folio_set_referenced(page_folio(first + i));
	shmpool_seg_put_block(first, nr_locked);
out:
	filemap_invalidate_unlock_shared(mapping);
	return ret;
}

/* ->fault of a huge segment's mapping: a block by a PMD, else a page. */
static vm_fault_t seg_pfn_fault(struct vm_fault *vmf)
{
	struct shmpool_seg *seg = file_seg(vmf->vma->vm_file);
	u64 start = ktime_get_ns();
	struct page *page, *first;
	bool major = false;
	vm_fault_t ret;

	this_cpu_inc(fault_stats.faults);
	percpu_counter_inc(&seg->faults);
	/* A page table there already: its neighbours are mapped by PTEs. */
	if (pmd_none(*vmf->pmd)) {
		ret = seg_map_pmd(vmf, vmf->flags & FAULT_FLAG_WRITE);
		if (ret != VM_FAULT_FALLBACK) {
			this_cpu_inc(fault_stats.huge);
			trace_shmpool_fault(seg->id, vmf->pgoff, false,
					    ktime_get_ns() - start);
			return ret;
		}
	}
	page = shmpool_seg_get_page(seg, vmf->pgoff, &major);
	ret = seg_fault_found(vmf, seg, page, major);
	if (ret)
		return ret;
	/* Its block's lock too, unless it is the page's own. */
	first = shmpool_seg_lock_block_of(seg, vmf->pgoff, page);
	if (IS_ERR(first)) {
		/* Someone held it, maybe to map the block: look again. */
		ret = VM_FAULT_NOPAGE;
		goto out;
	}
	/*
	 * Under the page lock, which keeps the frame the segment's.  Another
	 * thread may have mapped its whole block by a PMD entry meanwhile
	 * (this fault found the block locked and fell back): then the access
	 * is mapped already, and a PTE cannot go where a leaf entry is.  Only
	 * seg_map_pmd() makes one, under the block's lock, which this fault
	 * holds now, so what is read here holds until the locks go.
	 */
	if (pmd_leaf(READ_ONCE(*vmf->pmd)))
		ret = VM_FAULT_NOPAGE;
	else
		ret = vmf_insert_pfn(vmf->vma, vmf->address & PAGE_MASK,
				     page_to_pfn(page));
	if (first) {
		unlock_page(first);
		put_page(first);
	}
	unlock_page(page);
	put_page(page);
out:
	trace_shmpool_fault(seg->id, vmf->pgoff, major, ktime_get_ns() - start);
	return ret;
}

/*
 * ->huge_fault: the kernel asks for a PMD entry.  Only a write to a
 * read-only one (after mprotect()) is handled here.  New entries are made
 * by ->fault, which every kernel calls for a missing one (6.1 never asks
 * ->huge_fault to make one in a VM_PFNMAP mapping; 6.12 does, and falls
 * back to ->fault), so that all of them take the same path.
 */
static vm_fault_t seg_pfn_huge_fault_order(struct vm_fault *vmf,
					   unsigned int order)
{
	if (order != PMD_SHIFT - PAGE_SHIFT || pmd_none(*vmf->pmd))
		return VM_FAULT_FALLBACK;
	return seg_map_pmd(vmf, true);
}

SHMPOOL_HUGE_FAULT(seg_pfn_huge_fault)

/*
 * ->map_pages maps nothing here: a huge mapping has no fault-around (a
 * PMD maps 2 MiB at once).  It exists because, since 6.4, read faults of a
 * mapping without one are retried under mmap_lock.
 */
static vm_fault_t seg_pfn_map_pages(struct vm_fault *vmf, pgoff_t start,
				    pgoff_t end)
{
	return 0;
}

static const struct vm_operations_struct seg_pfn_vm_ops = {
	.open = seg_vm_open,
	.close = seg_vm_close,
	.fault = seg_pfn_fault,
	.huge_fault = seg_pfn_huge_fault,
	.map_pages = seg_pfn_map_pages,
};

static const struct vm_operations_struct seg_vm_ops = {
	.open = seg_vm_open,
	.close = seg_vm_close,
	.fault = seg_vm_fault,
	.map_pages = seg_vm_map_pages,
};

/**
 * shmpool_seg_mmap() - ->mmap of a segment fd
 * @file: the segment file
 * @vma: the new mapping
 *
 * Context: process context, mmap_lock held for writing.
 * Return: 0; -EINVAL for a range beyond the segment or MAP_PRIVATE of a WC,
 * UC or huge segment; -EACCES for a protection the fd does not allow; -EPERM for
 * a writable shared mapping of a write-sealed segment.
 */
int shmpool_seg_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct shmpool_seg_handle *h = file_handle(file);
	struct shmpool_seg *seg = h->seg;
	struct shmpool_map *map;
	vm_flags_t clear = 0;
	bool sealed;
	pgoff_t end;

	if (check_add_overflow(vma->vm_pgoff, vma_pages(vma), &end) ||
	    end > seg_nr_pages(seg))
		return -EINVAL;
	if (!(vma->vm_flags & VM_MAYSHARE) &&
	    (seg->cache != SHMPOOL_CACHE_WB || (seg->flags & SHMPOOL_CREATE_HUGE)))
		return -EINVAL;
	if (((vma->vm_flags & VM_WRITE) && !(h->prot & SHMPOOL_PROT_WRITE)) ||
	    ((vma->vm_flags & VM_EXEC) && !(h->prot & SHMPOOL_PROT_EXEC))) {
		trace_shmpool_denied(seg->id, SHMPOOL_DENIED_MMAP, EACCES);
		return -EACCES;
	}
	map = kmalloc(sizeof(*map), GFP_KERNEL);
	if (!map)
		return -ENOMEM;
	if (!(h->prot & SHMPOOL_PROT_WRITE))
		clear |= VM_MAYWRITE;
	if (!(h->prot & SHMPOOL_PROT_EXEC))
		clear |= VM_MAYEXEC;

	/*
	 * A write seal refuses writable shared mappings.  One being added
	 * refuses every shared mapping that may become writable, as memfd's
	 * mapping_deny_writable() does: its wait for pins must not be undone
	 * by a new writer, and if it fails, no mapping made meanwhile may
	 * have lost its VM_MAYWRITE to a seal that never came.
	 */
	spin_lock(&seg->lock);
	sealed = (vma->vm_flags & VM_SHARED) &&
		 (seg->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE));
	if ((sealed && (vma->vm_flags & VM_WRITE)) ||
	    ((vma->vm_flags & VM_SHARED) && seg->write_sealing &&
	     (vma->vm_flags & VM_MAYWRITE) && !(clear & VM_MAYWRITE))) {
		spin_unlock(&seg->lock);
		kfree(map);
		trace_shmpool_denied(seg->id, SHMPOOL_DENIED_MMAP, EPERM);
		return -EPERM;
	}
	if (sealed)
		clear |= VM_MAYWRITE;
	/* Counted under the lock that F_SEAL_WRITE checks the count under. */
	if ((vma->vm_flags & VM_SHARED) && !(clear & VM_MAYWRITE) &&
	    (vma->vm_flags & VM_MAYWRITE))
		seg->nr_wmaps++;
	__seg_map_track(seg, vma, map);
	spin_unlock(&seg->lock);
	atomic_inc(&seg->nr_maps);

	/* Outside the spinlock: on 6.3+ this takes the VMA's (sleeping) lock. */
	if (seg->flags & SHMPOOL_CREATE_HUGE) {
		shmpool_vm_flags_mod(vma, VM_PFNMAP | VM_DONTEXPAND |
				     SHMPOOL_HUGE_VM_FLAGS, clear);
		vma->vm_ops = &seg_pfn_vm_ops;
		return 0;
	}
	shmpool_vm_flags_mod(vma, VM_MIXEDMAP | VM_DONTEXPAND, clear);

	if (seg->cache == SHMPOOL_CACHE_WC)
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);
	else if (seg->cache == SHMPOOL_CACHE_UC)
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_ops = &seg_vm_ops;
	return 0;
}

/* Mappings with no record (->open could not allocate one). */
long shmpool_maps_untracked(void)
{
	return atomic_long_read(&maps_untracked);
}
