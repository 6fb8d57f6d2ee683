// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: The debugfs windows
 *
 * /sys/kernel/debug/shmpool/: the module's read-only windows.  Everything
 * here only reads state that other files own, through their snapshot
 * functions, except pool/compact, which asks the pool to compact; nothing
 * in the logic calls into this file.  The walk of a segment's mappings is
 * here too, with the snapshot of each mapping it takes, since only the
 * windows (mappings) and the auditor walk them; the mmap path (mapping.c)
 * only keeps the list.  Return values of debugfs calls are ignored on
 * purpose, as debugfs asks: a missing window must never stop the module.
 * Every file and column is described in Documentation/debugfs.rst.
 */
#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/ipc_namespace.h>
#include <linux/mm.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "internal.h"
#include "pool.h"
#include "segment.h"
#include "swap.h"

struct dentry *shmpool_debugfs_root;
static struct dentry *shmpool_debugfs_pool;

static const char *const use_names[SHMPOOL_USE_NR] = {
	[SHMPOOL_USE_NONE] = "-",
	[SHMPOOL_USE_SWAPPABLE] = "swappable",
	[SHMPOOL_USE_PURGEABLE] = "purgeable",
	[SHMPOOL_USE_PINNED] = "pinned",
};

static inline unsigned long frames_to_kb(unsigned long frames)
{
	return frames * (PAGE_SIZE / 1024);
}

/* The kernel's extfrag_index style: -1.000, or 0.000 to 1.000. */
static void frag_str(char *buf, size_t len, int idx)
{
	if (idx < 0)
		snprintf(buf, len, "-1.000");
	else
		snprintf(buf, len, "%d.%03d", idx / 1000, idx % 1000);
}

static void seq_frag(struct seq_file *m, int idx)
{
	char buf[16];

	frag_str(buf, sizeof(buf), idx);
	seq_puts(m, buf);
}

static int pool_stats_show(struct seq_file *m, void *unused)
{
	struct shmpool_pool_stats *st;
	unsigned int i, cpu;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	shmpool_pool_get_stats(st);

	for (i = 0; i < SHMPOOL_STAT_NR; i++) {
		seq_printf(m, "%s ", shmpool_pool_stat_names[i]);
		if (shmpool_stat_is_frag_index(i))
			seq_frag(m, shmpool_stat_frag_index(st, i - SHMPOOL_STAT_FRAG_INDEX));
		else
			seq_printf(m, "%llu", st->val[i]);
		seq_putc(m, '\n');
	}
	for_each_possible_cpu(cpu) {
		u64 allocs, hits, misses;

		shmpool_pool_cpu_stats(cpu, &allocs, &hits, &misses);
		seq_printf(m, "cpu%u_pcp %u\n", cpu, shmpool_pool_pcp_count(cpu));
		seq_printf(m, "cpu%u_allocs %llu\n", cpu, allocs);
		seq_printf(m, "cpu%u_pcp_hits %llu\n", cpu, hits);
		seq_printf(m, "cpu%u_pcp_misses %llu\n", cpu, misses);
	}
	kfree(st);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pool_stats);

/*
 * The memory map, one extent per line, walked with shmpool_pool_map_next()
 * so that reading it never holds the pool lock for long and resumes where
 * the last read() stopped.  seq_file may ask again for the record it could
 * not fit; the iterator keeps where that record starts.
 */
struct map_iter {
	loff_t index;			/* record number of @cursor */
	unsigned long cursor;		/* pfn where that record starts */
	unsigned long next;		/* pfn where the following one starts */
	struct shmpool_extent ext;
	bool show_pfn;
};

static void *map_fetch(struct map_iter *it)
{
	unsigned long pos = it->cursor;

	if (!shmpool_pool_map_next(&pos, &it->ext))
		return NULL;
	it->next = pos;
	return it;
}

static void *map_start(struct seq_file *m, loff_t *pos)
{
	struct map_iter *it = m->private;

	if (*pos != it->index) {
		/* A seek: walk from the start. */
		it->index = 0;
		it->cursor = 0;
		while (it->index < *pos) {
			if (!map_fetch(it))
				return NULL;
			it->cursor = it->next;
			it->index++;
		}
	}
	return map_fetch(it);
}

static void *map_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct map_iter *it = v;

	it->cursor = it->next;
	it->index = ++*pos;
	return map_fetch(it);
}

static void map_stop(struct seq_file *m, void *v)
{
}

static int map_show(struct seq_file *m, void *v)
{
	struct map_iter *it = v;
	struct shmpool_extent *e = &it->ext;

	if (it->index == 0) {
		struct shmpool_pool_stats *st = kmalloc(sizeof(*st), GFP_KERNEL);
		unsigned int o;

		if (!st)
			return -ENOMEM;
		shmpool_pool_get_stats(st);
		seq_printf(m, "# frames=%llu free=%llu pcp=%llu used=%llu chunks=%llu\n",
			   st->val[SHMPOOL_STAT_FRAMES], st->val[SHMPOOL_STAT_FREE],
			   st->val[SHMPOOL_STAT_PCP], st->val[SHMPOOL_STAT_USED],
			   st->val[SHMPOOL_STAT_CHUNKS]);
		seq_puts(m, "# free_blocks");
		for (o = 0; o <= SHMPOOL_MAX_ORDER; o++)
			seq_printf(m, " %llu", st->val[SHMPOOL_STAT_FREE_BLOCKS + o]);
		seq_puts(m, "\n# frag_index");
		for (o = 0; o <= SHMPOOL_MAX_ORDER; o++) {
			seq_putc(m, ' ');
			seq_frag(m, shmpool_stat_frag_index(st, o));
		}
		seq_putc(m, '\n');
		kfree(st);
	}

	if (it->show_pfn)
		seq_printf(m, "pfn=%#lx-%#lx", e->pfn, e->pfn + e->nr - 1);
	else
		seq_puts(m, "pfn=-");
	seq_printf(m, " frames=%lu state=%s order=%u owner=%u use=%s\n", e->nr,
		   shmpool_frame_state_name(e->state),
		   e->order, e->owner,
		   e->use < SHMPOOL_USE_NR ? use_names[e->use] : "?");
	return 0;
}

static const struct seq_operations map_sops = {
	.start = map_start,
	.next = map_next,
	.stop = map_stop,
	.show = map_show,
};

static int pool_map_open(struct inode *inode, struct file *file)
{
	struct map_iter *it = __seq_open_private(file, &map_sops, sizeof(*it));

	if (!it)
		return -ENOMEM;
	/* Physical addresses are for the administrator only. */
	it->show_pfn = capable(CAP_SYS_ADMIN);
	return 0;
}

static const struct file_operations pool_map_fops = {
	.owner = THIS_MODULE,
	.open = pool_map_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = seq_release_private,
};

static const char *const cache_names[] = {
	[SHMPOOL_CACHE_WB] = "wb",
	[SHMPOOL_CACHE_WC] = "wc",
	[SHMPOOL_CACHE_UC] = "uc",
};

/*
 * Every segment, one "key=value ..." line each, in id order.  Each line is
 * looked up afresh by id, so reading never holds a lock across segments.
 */
static int segments_show(struct seq_file *m, void *unused)
{
	struct shmpool_info *info;
	struct shmpool_seg *seg;
	u32 pos = 0;

	info = kmalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	while ((seg = shmpool_seg_next(&pos))) {
		shmpool_seg_info(seg, seg->prot, info);
		seq_printf(m, "id=%u name=%s size=%llu resident=%llu swapped=%u purgeable=%u purged=%u uid=%u gid=%u mode=%03o prot=%c%c%c seals=%#x cache=%s maps=%u persist=%u overcommit=%u noswap=%u huge=%u files=%d faults=%lld ipcns=%u\n",
			   info->id, info->name[0] ? info->name : "-",
			   info->size, info->resident, info->swapped,
			   info->purgeable, info->purged,
			   info->uid, info->gid,
			   info->mode,
			   info->prot & SHMPOOL_PROT_READ ? 'r' : '-',
			   info->prot & SHMPOOL_PROT_WRITE ? 'w' : '-',
			   info->prot & SHMPOOL_PROT_EXEC ? 'x' : '-',
			   info->seals, cache_names[info->cache], info->maps,
			   !!(info->flags & SHMPOOL_INFO_PERSIST),
			   !!(info->flags & SHMPOOL_INFO_OVERCOMMIT),
			   !!(info->flags & SHMPOOL_INFO_NOSWAP),
			   !!(info->flags & SHMPOOL_INFO_HUGE),
			   atomic_read(&seg->nr_files),
			   percpu_counter_sum(&seg->faults), seg->ipc_ns->ns.inum);
		shmpool_seg_put(seg);
	}
	kfree(info);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(segments);

/* The process whose address space @mm is: its owner, where kept. */
static void mm_owner(struct mm_struct *mm, struct shmpool_map_snap *s)
{
	s->pid = 0;
	strscpy(s->comm, "-", sizeof(s->comm));
#ifdef CONFIG_MEMCG
	{
		struct task_struct *task;

		rcu_read_lock();
		task = rcu_dereference(mm->owner);
		if (task) {
			s->pid = task_tgid_nr(task);
			/* Racy against a rename, but always terminated. */
			strscpy(s->comm, task->comm, sizeof(s->comm));
			/* One key=value word: no blank or control in it. */
			strreplace(s->comm, ' ', '_');
		}
		rcu_read_unlock();
	}
#endif
}

/* What @vma, a mapping of @seg, looks like now.  Under the segment's lock. */
static void map_snapshot(struct shmpool_seg *seg, struct vm_area_struct *vma,
			 struct shmpool_map_snap *s)
{
	lockdep_assert_held(&seg->lock);
	/* Changed under mmap_lock, which we do not hold: one look. */
	s->start = READ_ONCE(vma->vm_start);
	s->end = READ_ONCE(vma->vm_end);
	s->pgoff = READ_ONCE(vma->vm_pgoff);
	s->flags = READ_ONCE(vma->vm_flags);
	s->page_prot = vma->vm_page_prot;
	s->fd_prot = file_handle(vma->vm_file)->prot;
	s->seals = seg->seals;
	mm_owner(vma->vm_mm, s);
}

/**
 * shmpool_map_walk_start() - begin a walk of @seg's mappings
 * @w: the walk, the caller's until shmpool_map_walk_end()
 * @seg: the segment, with a reference held until then
 *
 * A walk that looked at each mapping under one hold of the segment's lock
 * would hold it, and stall every fault that allocates a frame of the
 * segment, for as long as a process has mappings: mprotect() of every
 * other page makes one per page, 65530 by default.  Nor can a walk let go
 * of the lock and find its place again by counting, which made reading
 * them all quadratic.  So the walk puts a cursor of its own on the list,
 * at its head, and moves it along.
 *
 * Context: process context; takes the segment's lock.
 */
void shmpool_map_walk_start(struct shmpool_map_walk *w, struct shmpool_seg *seg)
{
	w->seg = seg;
	w->cursor.vma = NULL;
	spin_lock(&seg->lock);
	list_add(&w->cursor.node, &seg->maps);
	spin_unlock(&seg->lock);
}

/**
 * shmpool_map_walk_next() - the next mappings of a walk
 * @w: the walk
 * @snaps: filled in, one per mapping
 * @max: room in @snaps
 *
 * Every mapping on the list when the walk began and still there is seen
 * once, in list order; one made meanwhile is seen if it was added after
 * the cursor (new ones go at the tail).  The lock is held for @max
 * mappings at most, and the cursors of other walks between them (one per
 * walk under way: debugfs readers and the auditor's run).
 *
 * Context: process context; takes the segment's lock.
 * Return: how many of @snaps were filled; 0 once the walk is done.
 */
unsigned int shmpool_map_walk_next(struct shmpool_map_walk *w,
				   struct shmpool_map_snap *snaps,
				   unsigned int max)
{
	struct shmpool_seg *seg = w->seg;
	struct list_head *pos;
	unsigned int n = 0;

	spin_lock(&seg->lock);
	/* Off the list: done already. */
	if (list_empty(&w->cursor.node))
		goto out;
	for (pos = w->cursor.node.next; pos != &seg->maps && n < max;
	     pos = pos->next) {
		struct shmpool_map *map = list_entry(pos, struct shmpool_map, node);

		if (map->vma)
			map_snapshot(seg, map->vma, &snaps[n++]);
	}
	/* Before the first mapping not seen, or off the list at its end. */
	if (pos == &seg->maps)
		list_del_init(&w->cursor.node);
	else
		list_move_tail(&w->cursor.node, pos);
out:
	spin_unlock(&seg->lock);
	return n;
}

/**
 * shmpool_map_walk_end() - end a walk, done or not
 * @w: the walk
 *
 * Context: process context; takes the segment's lock.
 */
void shmpool_map_walk_end(struct shmpool_map_walk *w)
{
	spin_lock(&w->seg->lock);
	list_del_init(&w->cursor.node);
	spin_unlock(&w->seg->lock);
}

/* Frames of @seg resident in [@first, @first + @nr). */
static unsigned long seg_resident(struct shmpool_seg *seg, pgoff_t first,
				  unsigned long nr)
{
	unsigned long n = 0, span;
	void *entry;
	XA_STATE(xas, &seg->pages, first);

	if (!nr)
		return 0;
	rcu_read_lock();
	xas_for_each(&xas, entry, first + nr - 1) {
		if (xas_retry(&xas, entry))
			continue;
		span = shmpool_seg_entry_pages(seg, xas.xa_index, entry);
		if (!xa_is_value(entry))
			n += min(span, first + nr - xas.xa_index);
		if (need_resched()) {
			/*
			 * Not xas_pause(): before 7.2 it steps a whole block
			 * from an index inside one.
			 */
			xas_set(&xas, xas.xa_index + span);
			rcu_read_unlock();
			cond_resched();
			rcu_read_lock();
		}
	}
	rcu_read_unlock();
	return n;
}

/* Mappings one step of seg_show_mappings() copies out. */
#define SHMPOOL_SHOW_BATCH	8

/*
 * One line per mapping of @seg, with a reference, into @m.
 *
 * A few mappings at a time are copied out under the segment's lock and
 * printed without it.  It stops once @m is full: seq_file calls its
 * ->show again with a buffer twice the size, and a walk going on to the
 * end each time would cost as much as the lines it could not keep.
 *
 * Context: process context.
 */
static void seg_show_mappings(struct seq_file *m, struct shmpool_seg *seg)
{
	struct shmpool_map_snap snaps[SHMPOOL_SHOW_BATCH];
	struct shmpool_map_walk w;
	unsigned int i, n;

	shmpool_map_walk_start(&w, seg);
	while (!seq_has_overflowed(m) &&
	       (n = shmpool_map_walk_next(&w, snaps, ARRAY_SIZE(snaps)))) {
		for (i = 0; i < n; i++) {
			struct shmpool_map_snap *s = &snaps[i];
			unsigned long pages = (s->end - s->start) >> PAGE_SHIFT;

			seq_printf(m, "seg=%u pid=%d comm=%s start=%#lx end=%#lx pgoff=%lu prot=%c%c%c%c max=%c%c%c resident=%lu\n",
				   seg->id, s->pid, s->comm, s->start, s->end,
				   s->pgoff,
				   s->flags & VM_READ ? 'r' : '-',
				   s->flags & VM_WRITE ? 'w' : '-',
				   s->flags & VM_EXEC ? 'x' : '-',
				   s->flags & VM_MAYSHARE ? 's' : 'p',
				   s->flags & VM_MAYREAD ? 'r' : '-',
				   s->flags & VM_MAYWRITE ? 'w' : '-',
				   s->flags & VM_MAYEXEC ? 'x' : '-',
				   seg_resident(seg, s->pgoff, pages));
		}
		cond_resched();
	}
	shmpool_map_walk_end(&w);
}

/* Which process maps which segment where: one line per mapping. */
static int mappings_show(struct seq_file *m, void *unused)
{
	struct shmpool_seg *seg;
	u32 pos = 0;

	while ((seg = shmpool_seg_next(&pos))) {
		seg_show_mappings(m, seg);
		shmpool_seg_put(seg);
		/* Called again with twice the room: the rest would be lost. */
		if (seq_has_overflowed(m))
			break;
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mappings);

/*
 * pool/compact: any write runs one compaction; a read shows what the last
 * one did (or "none").  The result is the file's own, so that two readers
 * do not see each other's runs.
 */
struct compact_file {
	struct mutex lock;	/* protects @res and @ret */
	struct shmpool_compact_result res;
	int ret;		/* 1 until a run */
};

static int compact_open(struct inode *inode, struct file *file)
{
	struct compact_file *cf = kzalloc(sizeof(*cf), GFP_KERNEL);

	if (!cf)
		return -ENOMEM;
	mutex_init(&cf->lock);
	cf->ret = 1;
	file->private_data = cf;
	return 0;
}

static int compact_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static ssize_t compact_write(struct file *file, const char __user *buf,
			     size_t len, loff_t *ppos)
{
	struct compact_file *cf = file->private_data;

	mutex_lock(&cf->lock);
	cf->ret = shmpool_pool_compact(&cf->res);
	mutex_unlock(&cf->lock);
	return len;
}

static ssize_t compact_read(struct file *file, char __user *buf, size_t len,
			    loff_t *ppos)
{
	struct compact_file *cf = file->private_data;
	char text[192], before[16], after[16];
	int n;

	mutex_lock(&cf->lock);
	frag_str(before, sizeof(before), cf->res.frag_before);
	frag_str(after, sizeof(after), cf->res.frag_after);
	if (cf->ret > 0)
		n = scnprintf(text, sizeof(text), "none\n");
	else
		n = scnprintf(text, sizeof(text),
			      "result=%s frag_index_order9_before=%s frag_index_order9_after=%s moved=%lu failed=%lu ns=%llu\n",
			      cf->ret ? "nothing-to-do" : "done", before, after,
			      cf->res.moved, cf->res.failed, cf->res.ns);
	mutex_unlock(&cf->lock);
	return simple_read_from_buffer(buf, len, ppos, text, n);
}

static const struct file_operations compact_fops = {
	.owner = THIS_MODULE,
	.open = compact_open,
	.release = compact_release,
	.read = compact_read,
	.write = compact_write,
};

/* Reclaim and the swap area: "name value" lines, like pool/stats. */
static int swap_stats_show(struct seq_file *m, void *unused)
{
	struct shmpool_swap_stats sw;
	struct shmpool_seg_stats st;

	shmpool_swap_get_stats(&sw);
	shmpool_seg_get_stats(&st);
	seq_printf(m, "swap_slots %lu\n", sw.slots);
	seq_printf(m, "swap_max_slots %lu\n", sw.max_slots);
	seq_printf(m, "swap_bytes %lu\n", sw.bytes);
	seq_printf(m, "swap_compressed %lu\n", sw.compressed);
	seq_printf(m, "swap_compressions %llu\n", sw.compressions);
	seq_printf(m, "swap_incompressible %llu\n", sw.incompressible);
	seq_printf(m, "swap_full %llu\n", sw.full);
	seq_printf(m, "swap_nomem %llu\n", sw.nomem);
	seq_printf(m, "swap_file %d\n", sw.file);
	seq_printf(m, "swap_in_file %lu\n", sw.in_file);
	seq_printf(m, "swap_io_errors %llu\n", sw.io_errors);
	seq_printf(m, "swap_outs %llu\n", st.swap_outs);
	seq_printf(m, "swap_ins %llu\n", st.swap_ins);
	seq_printf(m, "swap_out_ns %llu\n", st.swap_out_ns);
	seq_printf(m, "swap_in_ns %llu\n", st.swap_in_ns);
	seq_printf(m, "reclaim_runs %llu\n", st.reclaim_runs);
	seq_printf(m, "reclaim_scanned %llu\n", st.reclaim_scanned);
	seq_printf(m, "reclaim_referenced %llu\n", st.reclaim_referenced);
	seq_printf(m, "reclaim_busy %llu\n", st.reclaim_busy);
	seq_printf(m, "reclaim_forced %llu\n", st.reclaim_forced);
	seq_printf(m, "reclaim_failed %llu\n", st.reclaim_failed);
	seq_printf(m, "purged %llu\n", st.purged);
	seq_printf(m, "overcommit_kb %lu\n", st.overcommit_kb);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(swap_stats);

/*
 * Everything, one "name value" per line: the pool's counters (as
 * pool/stats), reclaim and the swap area's (as swap), then the fault
 * path's, the segments' and each user's.
 */
static int stats_show(struct seq_file *m, void *unused)
{
	struct shmpool_fault_stats f;
	struct shmpool_seg_stats st;
	unsigned long frames;
	unsigned int nsegs;
	s64 uid = -1;
	int ret, i;

	ret = pool_stats_show(m, NULL);
	if (ret)
		return ret;
	swap_stats_show(m, NULL);
	shmpool_fault_get_stats(&f);
	seq_printf(m, "faults %llu\n", f.faults);
	seq_printf(m, "faults_major %llu\n", f.major);
	seq_printf(m, "faults_sigbus %llu\n", f.sigbus);
	seq_printf(m, "faults_around %llu\n", f.around);
	seq_printf(m, "faults_ahead %llu\n", f.ahead);
	seq_printf(m, "faults_huge %llu\n", f.huge);
	shmpool_seg_get_stats(&st);
	seq_printf(m, "segments %lu\n", st.segments);
	for (i = 0; i < SHMPOOL_FAIL_NR; i++)
		seq_printf(m, "fail_%s %llu\n", shmpool_fail_names[i], st.fails[i]);
	seq_printf(m, "maps_untracked %ld\n", shmpool_maps_untracked());
	while (!shmpool_seg_user_next(&uid, &nsegs, &frames)) {
		seq_printf(m, "user%lld_segments %u\n", uid, nsegs);
		seq_printf(m, "user%lld_kb %lu\n", uid, frames_to_kb(frames));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

void shmpool_debugfs_init(void)
{
	shmpool_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	shmpool_debugfs_pool = debugfs_create_dir("pool", shmpool_debugfs_root);
	debugfs_create_file("stats", 0400, shmpool_debugfs_pool, NULL,
			    &pool_stats_fops);
	debugfs_create_file("map", 0400, shmpool_debugfs_pool, NULL,
			    &pool_map_fops);
	debugfs_create_file("compact", 0600, shmpool_debugfs_pool, NULL,
			    &compact_fops);
	debugfs_create_file("segments", 0400, shmpool_debugfs_root, NULL,
			    &segments_fops);
	debugfs_create_file("swap", 0400, shmpool_debugfs_root, NULL,
			    &swap_stats_fops);
	debugfs_create_file("stats", 0400, shmpool_debugfs_root, NULL,
			    &stats_fops);
	debugfs_create_file("mappings", 0400, shmpool_debugfs_root, NULL,
			    &mappings_fops);
	/* The memory map, where users look for it first. */
	debugfs_create_symlink("map", shmpool_debugfs_root, "pool/map");
	shmpool_audit_init(shmpool_debugfs_root);
}

void shmpool_debugfs_exit(void)
{
	debugfs_remove(shmpool_debugfs_root);
	shmpool_debugfs_root = NULL;
	shmpool_debugfs_pool = NULL;
	shmpool_audit_exit();
}
