// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: The isolation auditor
 *
 * shmpool/audit in debugfs.  Writing "run" walks every segment, every
 * mapping of it and every frame of the pool, and cross-checks them;
 * reading shows the report of the last run, a summary line and one line
 * per finding.  A healthy system has no findings; the selftests run it
 * after their tests as an oracle.  What it checks, each against what it
 * could mean::
 *
 *   frame-owner   a segment holds a frame the pool records as free, or as
 *                 another segment's: two owners of one frame, the breach
 *                 of isolation everything else exists to prevent
 *   frame-index   a frame whose recorded index is not where the segment
 *                 holds it: compaction or reclaim would move or drop the
 *                 wrong page (and a frame held twice shows this way)
 *   frame-mapped  a frame mapped more often than the segment's mappings
 *                 cover its index: someone else's page tables hold it
 *   frames-owned  the pool records more or fewer frames under a segment
 *                 than the segment holds: one leaked or counted twice
 *   count         a segment's charged and swapped counts disagree with its
 *                 pages: its owner's quota is wrong
 *   orphan        frames recorded under a segment that does not exist
 *   free-mapped   free frames still mapped somewhere: the next owner's
 *                 data would be visible to a stranger (checked by the pool
 *                 under the locks that keep them free)
 *   map-write, map-exec
 *                 a mapping that can be made writable or executable beyond
 *                 its fd's protections (mprotect() would succeed)
 *   map-sealed    a shared mapping that may write to a write-sealed segment
 *   map-cache     a mapping whose cache attribute is not its segment's
 *   map-pfn       a PFN mapping (VM_PFNMAP) of a segment that is not huge,
 *                 a private one, or a huge segment's mapping that is not
 *                 one: its page tables hold no reference on the frames, so
 *                 frame-mapped cannot see them, and only a huge segment's
 *                 fault path keeps such entries in step with the frames
 *
 * Each segment is checked with its invalidate lock held exclusively, which
 * stops everything that adds or removes its frames (faults, write(),
 * page-in, reclaim, purge, compaction, truncation), so its pages, its
 * counters and the frames the pool records under its id must agree
 * exactly.  Fault-around maps frames without that lock, into mappings
 * that exist; a frame found mapped more often than the listed mappings
 * cover it is checked again against a fresh list before it is reported
 * (and not at all while some mapping has no record: maps_untracked).
 * The pool-wide checks are exact on a quiet pool; on a busy one a segment
 * created or destroyed during the run may show its frames as orphans, and
 * a second run tells.  A run holds each segment's invalidate lock for the
 * time its pages and the pool's map take to walk: its frames plus its
 * mappings (see struct audit_cover), never their product.
 *
 * On a kernel with fault injection, "plant" records one resident frame of
 * the first segment under a wrong owner and "heal" puts it back, so that
 * the selftests can prove the audit finds what it is for.
 *
 * Locking: audit.lock (a mutex) serialises runs and plants and protects
 * the report and the planted frame.  A run takes each segment's invalidate
 * lock, and its spinlock for the list of mappings, held for
 * AUDIT_MAP_BATCH of them at a time (struct shmpool_map_walk); where each
 * sits among the module's locks is the lock hierarchy in main.c.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/stringify.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "internal.h"
#include "pool.h"
#include "segment.h"

/*
 * Findings the report lists; more are counted, not listed: the first few
 * say what is wrong, and a broken pool could otherwise find one per frame.
 */
#define AUDIT_MAX_LISTED	64
/* Room for one line of the report: a finding's, or the summary's. */
#define AUDIT_LINE_SIZE		128
#define AUDIT_REPORT_SIZE	(AUDIT_MAX_LISTED * AUDIT_LINE_SIZE)

/* A planted fault: the frame, its segment (a reference) and its owner. */
struct audit_plant {
	struct shmpool_seg *seg;
	struct page *page;
	pgoff_t idx;
};

static struct shmpool_audit {
	struct mutex lock;	/* see "Locking" above */
	char *report;		/* the last run's; ours */
	u64 runs;
	struct audit_plant plant;
} audit;

/* One run's state; @buf holds the findings listed, @len of it used. */
struct audit_run {
	char *buf;
	size_t len, size;
	unsigned long findings, segments, frames, mappings;
};

/*
 * What a segment's mappings cover, for a sweep through its pages in
 * ascending order: the pages that begin a mapping and those after a
 * mapping's last, each sorted.  The mappings covering a page are those
 * that began at or before it less those that ended there or before:
 * counted by moving two indices forward, never by going through all the
 * mappings for each page, which made the audit of a segment split into
 * many mappings take as many steps as its frames times its mappings.
 */
struct audit_cover {
	pgoff_t *start;		/* mappings' first pages, ascending */
	pgoff_t *end;		/* the pages after their last, ascending */
	unsigned int nr;	/* mappings in both */
	unsigned int started;	/* starts at or before the last page asked */
	unsigned int ended;	/* ends at or before it */
};

/*
 * A frame found mapped more often than the mappings covered it, to be
 * checked again against a fresh list of them (see overmapped()).
 */
struct audit_suspect {
	struct page *page;
	pgoff_t idx;
	int mapped;
};

/* Suspects checked together against one fresh list of mappings. */
#define AUDIT_SUSPECTS		256

/* Mappings audit_mappings() copies out under one hold of the lock. */
#define AUDIT_MAP_BATCH		8

/*
 * Room for mappings made while a segment's are listed, beyond the count
 * read before: the invalidate lock a run holds keeps frames still, not
 * mmap(), fork() or a split.  Any beyond are not looked at; their frames,
 * should they seem mapped too often, are checked again against a fresh
 * list (overmapped()).
 */
#define AUDIT_MAPS_SLACK	16

static __printf(2, 3) void finding(struct audit_run *r, const char *fmt, ...)
{
	va_list args;

	if (++r->findings > AUDIT_MAX_LISTED || r->len + 1 >= r->size)
		return;
	va_start(args, fmt);
	r->len += vscnprintf(r->buf + r->len, r->size - r->len - 1, fmt, args);
	va_end(args);
	r->buf[r->len++] = '\n';
	r->buf[r->len] = 0;
}

static const char *prot_str(vm_flags_t flags, char *buf)
{
	buf[0] = flags & (VM_READ | VM_MAYREAD) ? 'r' : '-';
	buf[1] = flags & (VM_WRITE | VM_MAYWRITE) ? 'w' : '-';
	buf[2] = flags & (VM_EXEC | VM_MAYEXEC) ? 'x' : '-';
	buf[3] = 0;
	return buf;
}

#ifdef CONFIG_X86
/* The cache attribute @s's ptes get against the one @seg's must have. */
static void audit_cache(struct audit_run *r, struct shmpool_seg *seg,
			const struct shmpool_map_snap *s)
{
	pgprot_t want = vm_get_page_prot(s->flags);

	if (seg->cache == SHMPOOL_CACHE_WC)
		want = pgprot_writecombine(want);
	else if (seg->cache == SHMPOOL_CACHE_UC)
		want = pgprot_noncached(want);
	if ((pgprot_val(s->page_prot) ^ pgprot_val(want)) & _PAGE_CACHE_MASK)
		finding(r, "kind=map-cache seg=%u start=%#lx cache=%u",
			seg->id, s->start, seg->cache);
}
#else
static void audit_cache(struct audit_run *r, struct shmpool_seg *seg,
			const struct shmpool_map_snap *s)
{
}
#endif

/* Check one mapping of @seg against its fd and its segment. */
static void audit_mapping(struct audit_run *r, struct shmpool_seg *seg,
			  const struct shmpool_map_snap *s)
{
	vm_flags_t flags = s->flags;
	u32 prot = s->fd_prot;
	char a[4], b[4];

	r->mappings++;
	if ((flags & VM_SHARED) && (flags & (VM_WRITE | VM_MAYWRITE)) &&
	    !(prot & SHMPOOL_PROT_WRITE))
		finding(r, "kind=map-write seg=%u start=%#lx vma=%s fd=%c%c%c",
			seg->id, s->start, prot_str(flags, a),
			'r', '-', prot & SHMPOOL_PROT_EXEC ? 'x' : '-');
	if ((flags & (VM_EXEC | VM_MAYEXEC)) && !(prot & SHMPOOL_PROT_EXEC))
		finding(r, "kind=map-exec seg=%u start=%#lx vma=%s fd=%c%c-",
			seg->id, s->start, prot_str(flags, b),
			'r', prot & SHMPOOL_PROT_WRITE ? 'w' : '-');
	/* The seals as they were when the flags were read, under one lock. */
	if ((flags & VM_SHARED) && (flags & VM_MAYWRITE) &&
	    (s->seals & F_SEAL_WRITE))
		finding(r, "kind=map-sealed seg=%u start=%#lx", seg->id, s->start);
	if (!(flags & VM_PFNMAP) != !(seg->flags & SHMPOOL_CREATE_HUGE) ||
	    (flags & (VM_PFNMAP | VM_MAYSHARE)) == VM_PFNMAP)
		finding(r, "kind=map-pfn seg=%u start=%#lx", seg->id, s->start);
	audit_cache(r, seg, s);
}

static int cmp_pgoff(const void *a, const void *b)
{
	pgoff_t x = *(const pgoff_t *)a, y = *(const pgoff_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Fill @cover with what every mapping of @seg covers, checking each
 * against its fd and its segment if @check.  False when there was no
 * memory (then the frame-mapped check is skipped); kvfree() ->start.
 * The segment's lock is held for AUDIT_MAP_BATCH mappings at a time.
 * Context: the invalidate lock held.
 */
static bool audit_mappings(struct audit_run *r, struct shmpool_seg *seg,
			   bool check, struct audit_cover *cover)
{
	struct shmpool_map_snap snaps[AUDIT_MAP_BATCH];
	struct shmpool_map_walk w;
	unsigned int i, n, max;

	max = atomic_read(&seg->nr_maps) + AUDIT_MAPS_SLACK;
	*cover = (struct audit_cover){};
	cover->start = kvmalloc_array(2 * (size_t)max, sizeof(pgoff_t),
				      GFP_KERNEL);
	if (!cover->start)
		return false;
	cover->end = cover->start + max;

	shmpool_map_walk_start(&w, seg);
	while (cover->nr < max) {
		n = min_t(unsigned int, max - cover->nr, AUDIT_MAP_BATCH);
		n = shmpool_map_walk_next(&w, snaps, n);
		if (!n)
			break;
		for (i = 0; i < n; i++) {
			/* mmap() refused one that would overflow. */
			cover->start[cover->nr] = snaps[i].pgoff;
			cover->end[cover->nr++] = snaps[i].pgoff +
				((snaps[i].end - snaps[i].start) >> PAGE_SHIFT);
			if (check)
				audit_mapping(r, seg, &snaps[i]);
		}
		cond_resched();
	}
	shmpool_map_walk_end(&w);
	sort(cover->start, cover->nr, sizeof(pgoff_t), cmp_pgoff, NULL);
	sort(cover->end, cover->nr, sizeof(pgoff_t), cmp_pgoff, NULL);
	return true;
}

/*
 * How many of the mappings in @cover cover page @idx, which is after (or
 * is) the page asked about last.
 */
static unsigned int covered(struct audit_cover *cover, pgoff_t idx)
{
	while (cover->started < cover->nr && cover->start[cover->started] <= idx)
		cover->started++;
	while (cover->ended < cover->nr && cover->end[cover->ended] <= idx)
		cover->ended++;
	return cover->started - cover->ended;
}

/* One segment's audit: what its mappings cover, and the suspects. */
struct audit_seg {
	struct audit_cover cover;	/* .start NULL: no verdicts */
	struct audit_suspect *suspects;
	unsigned int nr_suspects;
};

/*
 * Report the suspects still mapped more often than a fresh list of the
 * mappings covers them, and forget them all.  One list for many of them:
 * a list for each would be as many steps as the mappings for each.
 */
static void recheck_suspects(struct audit_run *r, struct shmpool_seg *seg,
			     struct audit_seg *as)
{
	struct audit_cover again;
	unsigned int i;

	if (!as->nr_suspects || !audit_mappings(r, seg, false, &again))
		goto out;
	/* Suspects are in ascending order, as the sweep found them. */
	for (i = 0; i < as->nr_suspects; i++) {
		struct audit_suspect *sus = &as->suspects[i];

		if (sus->mapped > (int)covered(&again, sus->idx))
			finding(r, "kind=frame-mapped seg=%u index=%lu mapcount=%d",
				seg->id, sus->idx, shmpool_frame_mapcount(sus->page));
	}
	kvfree(again.start);
out:
	as->nr_suspects = 0;
}

/*
 * Is @page mapped more often than @seg's mappings cover @idx?  Pages are
 * asked about in ascending order.  A mapping made since the list was taken
 * may map it, so a frame that is becomes a suspect, checked again later.
 */
static void overmapped(struct audit_run *r, struct shmpool_seg *seg,
		       struct page *page, pgoff_t idx, struct audit_seg *as)
{
	int mapped = shmpool_frame_mapcount(page);

	/* Mappings without a record cover pages unseen: no verdict. */
	if (!as->cover.start || !as->suspects || shmpool_maps_untracked() ||
	    mapped <= (int)covered(&as->cover, idx))
		return;
	as->suspects[as->nr_suspects++] =
		(struct audit_suspect){ .page = page, .idx = idx, .mapped = mapped };
	if (as->nr_suspects == AUDIT_SUSPECTS)
		recheck_suspects(r, seg, as);
}

/* Check the frame @page that @seg's pages hold at @idx. */
static void audit_frame(struct audit_run *r, struct shmpool_seg *seg,
			pgoff_t idx, struct page *page, struct audit_seg *as)
{
	u32 owner;
	u8 state;

	shmpool_frame_get(page, &state, &owner);
	if (state != SHMPOOL_FRAME_USED || owner != seg->id)
		finding(r, "kind=frame-owner seg=%u index=%lu state=%s owner=%u",
			seg->id, idx, shmpool_frame_state_name(state), owner);
	if (page_folio(page)->index != idx)
		finding(r, "kind=frame-index seg=%u index=%lu recorded=%lu",
			seg->id, idx, page_folio(page)->index);
	overmapped(r, seg, page, idx, as);
}

static void audit_segment(struct audit_run *r, struct shmpool_seg *seg)
{
	struct address_space *mapping = seg->inode->i_mapping;
	unsigned long idx, resident = 0, swapped = 0, charged, counted, owned;
	struct audit_seg as = {};
	void *entry;

	as.suspects = kmalloc_array(AUDIT_SUSPECTS, sizeof(*as.suspects),
				    GFP_KERNEL);
	filemap_invalidate_lock(mapping);
	r->segments++;
	audit_mappings(r, seg, true, &as.cover);
	xa_for_each(&seg->pages, idx, entry) {
		unsigned long i, nr;

		if (xa_is_value(entry)) {
			/* Value 0 is a purged page, the rest swap slots. */
			swapped += xa_to_value(entry) != 0;
			continue;
		}
		/* A block entry: each of its frames, at its own index. */
		nr = shmpool_seg_entry_pages(seg, idx, entry);
		for (i = 0; i < nr; i++)
			audit_frame(r, seg, idx + i,
				    shmpool_entry_frame(entry, idx + i), &as);
		resident += nr;
		cond_resched();
	}
	recheck_suspects(r, seg, &as);
	kvfree(as.cover.start);
	kfree(as.suspects);

	spin_lock(&seg->lock);
	charged = seg->nr_frames;
	counted = seg->nr_swapped;
	spin_unlock(&seg->lock);
	if (resident + swapped != charged || swapped != counted)
		finding(r, "kind=count seg=%u resident=%lu swapped=%lu charged=%lu counted=%lu",
			seg->id, resident, swapped, charged, counted);
	owned = shmpool_pool_owned(seg->id);
	if (owned != resident)
		finding(r, "kind=frames-owned seg=%u pool=%lu segment=%lu",
			seg->id, owned, resident);
	filemap_invalidate_unlock(mapping);
}

/* Does a segment @id exist? */
static bool seg_exists(u32 id)
{
	u32 pos = id - 1;
	struct shmpool_seg *seg = shmpool_seg_next(&pos);

	if (seg)
		shmpool_seg_put(seg);
	return seg && pos == id;
}

/* Every frame: free ones mapped nowhere, used ones of a live segment. */
static void audit_pool(struct audit_run *r)
{
	struct shmpool_extent ext;
	unsigned long pos = 0, i;
	u32 last = 0;

	while (shmpool_pool_map_next(&pos, &ext)) {
		r->frames += ext.nr;
		switch (ext.state) {
		case SHMPOOL_FRAME_USED:
			if (!ext.owner || ext.owner == last)
				break;
			if (!seg_exists(ext.owner))
				finding(r, "kind=orphan owner=%u frames=%lu",
					ext.owner, ext.nr);
			else
				last = ext.owner;
			break;
		}
		cond_resched();
	}
	/* Checked by the pool, under the locks that keep free frames free. */
	i = shmpool_pool_free_mapped();
	if (i)
		finding(r, "kind=free-mapped frames=%lu", i);
}

static int audit_run(void)
{
	struct shmpool_seg *seg;
	struct audit_run r = {};
	char *buf;
	u32 pos = 0;

	/* The summary line, then the findings. */
	buf = kmalloc(AUDIT_REPORT_SIZE + AUDIT_LINE_SIZE, GFP_KERNEL);
	r.buf = kmalloc(AUDIT_REPORT_SIZE, GFP_KERNEL);
	if (!buf || !r.buf) {
		kfree(buf);
		kfree(r.buf);
		return -ENOMEM;
	}
	r.buf[0] = 0;
	r.size = AUDIT_REPORT_SIZE;
	while ((seg = shmpool_seg_next(&pos))) {
		audit_segment(&r, seg);
		shmpool_seg_put(seg);
		if (fatal_signal_pending(current))
			break;
	}
	audit_pool(&r);

	audit.runs++;
	scnprintf(buf, AUDIT_REPORT_SIZE + AUDIT_LINE_SIZE,
		  "run=%llu segments=%lu mappings=%lu frames=%lu findings=%lu%s\n%s",
		  audit.runs, r.segments, r.mappings, r.frames, r.findings,
		  r.findings > AUDIT_MAX_LISTED ?
		  " listed=" __stringify(AUDIT_MAX_LISTED) : "", r.buf);
	kfree(r.buf);
	kfree(audit.report);
	audit.report = buf;
	return 0;
}

#if IS_ENABLED(CONFIG_FAULT_INJECTION)
/* An owner no segment has: INT_MAX is the highest id there can be. */
#define AUDIT_PLANT_OWNER	((u32)INT_MAX + 1)

static int audit_plant(void)
{
	struct shmpool_seg *seg;
	u32 pos = 0;

	if (audit.plant.seg)
		return -EBUSY;
	while ((seg = shmpool_seg_next(&pos))) {
		struct address_space *mapping = seg->inode->i_mapping;
		unsigned long idx;
		void *entry;

		filemap_invalidate_lock(mapping);
		xa_for_each(&seg->pages, idx, entry) {
			if (xa_is_value(entry))
				continue;
			shmpool_frame_set_owner(entry, AUDIT_PLANT_OWNER);
			audit.plant = (struct audit_plant){ seg, entry, idx };
			break;
		}
		filemap_invalidate_unlock(mapping);
		if (audit.plant.seg)
			return 0;	/* the reference stays with the plant */
		shmpool_seg_put(seg);
	}
	return -ENOENT;
}

/* Put the planted frame's owner back, if it is still the segment's. */
static int audit_heal(void)
{
	struct audit_plant *p = &audit.plant;
	struct address_space *mapping;

	if (!p->seg)
		return -ENOENT;
	mapping = p->seg->inode->i_mapping;
	filemap_invalidate_lock(mapping);
	if (shmpool_entry_frame(xa_load(&p->seg->pages, p->idx), p->idx) == p->page)
		shmpool_frame_set_owner(p->page, p->seg->id);
	filemap_invalidate_unlock(mapping);
	shmpool_seg_put(p->seg);
	*p = (struct audit_plant){};
	return 0;
}
#else
static int audit_plant(void)
{
	return -EOPNOTSUPP;
}

static int audit_heal(void)
{
	return -ENOENT;
}
#endif

static ssize_t audit_write(struct file *file, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	char cmd[16];
	int ret;

	if (len >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = 0;
	strim(cmd);

	if (mutex_lock_killable(&audit.lock))
		return -EINTR;
	if (!strcmp(cmd, "run"))
		ret = audit_run();
	else if (!strcmp(cmd, "plant"))
		ret = audit_plant();
	else if (!strcmp(cmd, "heal"))
		ret = audit_heal();
	else
		ret = -EINVAL;
	mutex_unlock(&audit.lock);
	return ret ? ret : len;
}

static int audit_show(struct seq_file *m, void *unused)
{
	mutex_lock(&audit.lock);
	seq_puts(m, audit.report ? audit.report : "run=0\n");
	mutex_unlock(&audit.lock);
	return 0;
}

static int audit_open(struct inode *inode, struct file *file)
{
	return single_open(file, audit_show, NULL);
}

static const struct file_operations audit_fops = {
	.owner = THIS_MODULE,
	.open = audit_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = audit_write,
	.release = single_release,
};

void shmpool_audit_init(struct dentry *root)
{
	mutex_init(&audit.lock);
	debugfs_create_file("audit", 0600, root, NULL, &audit_fops);
}

/* After debugfs is gone: no run or plant can start. */
void shmpool_audit_exit(void)
{
	audit_heal();
	kfree(audit.report);
	audit.report = NULL;
}
