// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: The pool's test module
 *
 * shmpool_test.ko: root-only debugfs hooks that let the selftests drive the
 * pool directly, and the in-kernel microbenchmark.  A module of its own, as
 * the kernel's dmapool_test and test_hmm are, so that the production module
 * carries no test code: it uses the pool through the few functions
 * shmpool.ko exports for it (namespace SHMPOOL), and puts its two files in
 * shmpool.ko's pool directory while it is loaded.  The selftests that use
 * them and ``make bench`` load it, and unload it when they are done.
 *
 * shmpool/pool/test (0600): each open file is a client of the pool that
 * holds the blocks it allocated until it frees them or is closed.  Commands
 * are written one per write()::
 *
 *   alloc ORDER COUNT      allocate COUNT blocks; -ENOMEM when the pool
 *                          cannot (the blocks allocated so far stay held)
 *   free COUNT [lifo|random SEED]
 *                          free COUNT held blocks (0: all), newest first or
 *                          in a random order
 *   fill BYTE              write BYTE over every held frame
 *   check BYTE             -EIO unless every held frame holds only BYTE
 *   drain                  empty the per-CPU caches into the buddy lists
 *
 * read() returns "blocks N frames M".
 *
 * shmpool/pool/bench (0600): write "run [ITERATIONS]", then read the table.
 */
#include <linux/bits.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/mempool.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/prandom.h>
#include <linux/sched/signal.h>
#include <linux/seq_buf.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "pool.h"

/* One test client.  Owned by its open file; @lock serialises its commands. */
struct pool_client {
	struct mutex lock;	/* protects the arrays and nr, cap */
	struct page **pages;
	u8 *orders;
	unsigned long nr;
	unsigned long cap;
};

/* Upper bound on blocks one client holds: bounds its arrays. */
#define CLIENT_MAX_BLOCKS	BIT(20)

static int client_reserve(struct pool_client *cl, unsigned long more)
{
	unsigned long cap;
	struct page **pages;
	u8 *orders;

	if (cl->nr + more <= cl->cap)
		return 0;
	/* cl->nr <= CLIENT_MAX_BLOCKS always; the subtraction cannot wrap. */
	if (more > CLIENT_MAX_BLOCKS - cl->nr)
		return -E2BIG;
	cap = max(cl->nr + more, 2 * cl->cap);
	cap = min(cap, CLIENT_MAX_BLOCKS);
	pages = kvrealloc_array_compat(cl->pages, cl->cap, cap, sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	cl->pages = pages;
	orders = kvrealloc_array_compat(cl->orders, cl->cap, cap, sizeof(*orders));
	if (!orders)
		return -ENOMEM;
	cl->orders = orders;
	cl->cap = cap;
	return 0;
}

static int client_alloc(struct pool_client *cl, unsigned int order,
			unsigned long count)
{
	unsigned long i;
	int ret;

	if (order > SHMPOOL_MAX_ORDER)
		return -EINVAL;
	ret = client_reserve(cl, count);
	if (ret)
		return ret;
	for (i = 0; i < count; i++) {
		struct page *page;

		page = shmpool_alloc_frames(NULL, order, GFP_KERNEL,
					    SHMPOOL_OWNER_NONE);
		if (!page)
			return -ENOMEM;
		cl->pages[cl->nr] = page;
		cl->orders[cl->nr] = order;
		cl->nr++;
		cond_resched();
	}
	return 0;
}

static void client_free(struct pool_client *cl, unsigned long count,
			bool random, u32 seed)
{
	struct rnd_state rnd;

	prandom_seed_state(&rnd, seed);
	if (!count || count > cl->nr)
		count = cl->nr;
	while (count--) {
		unsigned long i = random ? prandom_u32_state(&rnd) % cl->nr : cl->nr - 1;

		shmpool_free_frames(cl->pages[i], cl->orders[i]);
		/* Keep the array dense: the last block takes the freed slot. */
		cl->nr--;
		cl->pages[i] = cl->pages[cl->nr];
		cl->orders[i] = cl->orders[cl->nr];
		cond_resched();
	}
}

/* Fill (or check) every held frame with @byte. */
static int client_pattern(struct pool_client *cl, u8 byte, bool check)
{
	unsigned long i, f;

	for (i = 0; i < cl->nr; i++) {
		for (f = 0; f < (1UL << cl->orders[i]); f++) {
			u8 *p = kmap_local_page(cl->pages[i] + f);
			bool bad = false;

			if (check)
				bad = memchr_inv(p, byte, PAGE_SIZE);
			else
				memset(p, byte, PAGE_SIZE);
			kunmap_local(p);
			if (bad)
				return -EIO;
		}
		cond_resched();
	}
	return 0;
}

/* A command written to a hook: at most @size - 1 bytes, NUL-terminated. */
static int copy_cmd(char *cmd, size_t size, const char __user *ubuf, size_t len)
{
	if (len >= size)
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, len))
		return -EFAULT;
	cmd[len] = '\0';
	return 0;
}

static int pool_test_open(struct inode *inode, struct file *file)
{
	struct pool_client *cl = kzalloc(sizeof(*cl), GFP_KERNEL);

	if (!cl)
		return -ENOMEM;
	mutex_init(&cl->lock);
	file->private_data = cl;
	return 0;
}

static int pool_test_release(struct inode *inode, struct file *file)
{
	struct pool_client *cl = file->private_data;

	client_free(cl, 0, false, 0);
	kvfree(cl->pages);
	kvfree(cl->orders);
	kfree(cl);
	return 0;
}

static ssize_t pool_test_read(struct file *file, char __user *buf, size_t len,
			      loff_t *ppos)
{
	struct pool_client *cl = file->private_data;
	unsigned long i, frames = 0, nr;
	char text[64];
	int n;

	mutex_lock(&cl->lock);
	nr = cl->nr;
	for (i = 0; i < cl->nr; i++)
		frames += 1UL << cl->orders[i];
	mutex_unlock(&cl->lock);
	n = scnprintf(text, sizeof(text), "blocks %lu frames %lu\n", nr, frames);
	return simple_read_from_buffer(buf, len, ppos, text, n);
}

static ssize_t pool_test_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	struct pool_client *cl = file->private_data;
	unsigned long count = 0;
	unsigned int order = 0, byte = 0, seed = 0;
	char cmd[64], how[16] = "";
	int ret;

	ret = copy_cmd(cmd, sizeof(cmd), ubuf, len);
	if (ret)
		return ret;

	mutex_lock(&cl->lock);
	if (sscanf(cmd, "alloc %u %lu", &order, &count) == 2) {
		ret = client_alloc(cl, order, count);
	} else if (sscanf(cmd, "free %lu %15s %u", &count, how, &seed) >= 1) {
		ret = 0;
		if (!strcmp(how, "random"))
			client_free(cl, count, true, seed);
		else if (!how[0] || !strcmp(how, "lifo"))
			client_free(cl, count, false, 0);
		else
			ret = -EINVAL;
	} else if (sscanf(cmd, "fill %i", &byte) == 1 && byte <= 0xff) {
		ret = client_pattern(cl, byte, false);
	} else if (sscanf(cmd, "check %i", &byte) == 1 && byte <= 0xff) {
		ret = client_pattern(cl, byte, true);
	} else if (!strcmp(strim(cmd), "drain")) {
		shmpool_pool_drain();
		ret = 0;
	} else {
		ret = -EINVAL;
	}
	mutex_unlock(&cl->lock);
	return ret ? ret : len;
}

static const struct file_operations pool_test_fops = {
	.owner = THIS_MODULE,
	.open = pool_test_open,
	.release = pool_test_release,
	.read = pool_test_read,
	.write = pool_test_write,
	.llseek = default_llseek,
};

/*
 * The microbenchmark: the cost of an allocate+free pair, on one CPU and on
 * every online CPU at once, for the pool and for the kernel's allocator.
 * Clearing 4 KiB dwarfs any allocator's bookkeeping, so each row says who
 * clears what.  The pool clears a frame when it is freed, unless its holder
 * vouches it was never written (shmpool_free_zeroed_frames()); the kernel
 * clears on allocation when asked (__GFP_ZERO) and, with init_on_alloc=1
 * (Debian's default, printed in the header), always.  So "pool, never
 * written" against alloc_page() is what each costs a caller that wants a
 * clean page and does not dirty it, and "pool, written" against
 * __GFP_ZERO is the like-for-like cost of a page that was used.
 */
enum bench_kind {
	BENCH_POOL, BENCH_POOL_WRITTEN, BENCH_BUDDY, BENCH_BUDDY_ZERO,
	BENCH_PAGE_POOL, BENCH_MEMPOOL,
};

struct bench_case {
	const char *name;
	enum bench_kind kind;
	unsigned int order;
};

/*
 * page_pool is the network stack's recycling pool: a page put back by its
 * only user (allow_direct, as from NAPI) goes into a small array that the
 * next allocation takes it from, the cheapest recycling the kernel has.
 * 6.1 honours allow_direct only while serving a softirq, so from a thread
 * its pages go round through its ptr_ring, behind a spinlock.  mempool
 * allocates from the page allocator first and keeps its reserve for when
 * that fails: its row is alloc_page() plus its own bookkeeping.
 */
static const struct bench_case bench_cases[] = {
	{ "pool order-0, never written",	BENCH_POOL, 0 },
	{ "alloc_page+__free_page",		BENCH_BUDDY, 0 },
	{ "page_pool order-0 recycle",		BENCH_PAGE_POOL, 0 },
	{ "mempool order-0",			BENCH_MEMPOOL, 0 },
	{ "pool order-0, written",		BENCH_POOL_WRITTEN, 0 },
	{ "alloc_page(__GFP_ZERO)+free",	BENCH_BUDDY_ZERO, 0 },
	{ "pool order-9, never written",	BENCH_POOL, 9 },
	{ "alloc_pages order-9",		BENCH_BUDDY, 9 },
	{ "page_pool order-9 recycle",		BENCH_PAGE_POOL, 9 },
	{ "pool order-9, written",		BENCH_POOL_WRITTEN, 9 },
	{ "alloc_pages(__GFP_ZERO) order-9",	BENCH_BUDDY_ZERO, 9 },
};

struct bench_run {
	const struct bench_case *bc;
	unsigned long iters;
	u64 ns;
	int err;
	atomic_t *ready;
	struct completion *go;
	struct completion done;
	/* The recycling pools, each made for one run and used by it alone. */
	struct page_pool *pp;
	mempool_t *mp;
};

/* The per-run pool a case allocates from, if it has one. */
static int bench_setup(struct bench_run *r)
{
	const struct bench_case *bc = r->bc;

	if (bc->kind == BENCH_PAGE_POOL) {
		r->pp = shmpool_page_pool_create(bc->order, 64);
		if (IS_ERR(r->pp))
			return PTR_ERR(r->pp);
	} else if (bc->kind == BENCH_MEMPOOL) {
		r->mp = mempool_create_page_pool(1, bc->order);
		if (!r->mp)
			return -ENOMEM;
	}
	return 0;
}

static void bench_teardown(struct bench_run *r)
{
	if (!IS_ERR_OR_NULL(r->pp))
		shmpool_page_pool_destroy(r->pp);
	mempool_destroy(r->mp);
	r->pp = NULL;
	r->mp = NULL;
}

static struct page *bench_alloc(struct bench_run *r)
{
	const struct bench_case *bc = r->bc;

	switch (bc->kind) {
	case BENCH_POOL:
	case BENCH_POOL_WRITTEN:
		return shmpool_alloc_frames(NULL, bc->order, GFP_KERNEL,
					    SHMPOOL_OWNER_NONE);
	case BENCH_BUDDY:
		return alloc_pages(GFP_KERNEL | __GFP_NOWARN, bc->order);
	case BENCH_BUDDY_ZERO:
		return alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_ZERO,
				   bc->order);
	case BENCH_PAGE_POOL:
		return shmpool_page_pool_alloc(r->pp);
	case BENCH_MEMPOOL:
		return mempool_alloc(r->mp, GFP_KERNEL | __GFP_NOWARN);
	}
	return NULL;
}

static void bench_free(struct bench_run *r, struct page *page)
{
	const struct bench_case *bc = r->bc;

	switch (bc->kind) {
	case BENCH_POOL:
		shmpool_free_zeroed_frames(page, bc->order);
		break;
	case BENCH_POOL_WRITTEN:
		shmpool_free_frames(page, bc->order);
		break;
	case BENCH_BUDDY:
	case BENCH_BUDDY_ZERO:
		__free_pages(page, bc->order);
		break;
	case BENCH_PAGE_POOL:
		shmpool_page_pool_put(r->pp, page);
		break;
	case BENCH_MEMPOOL:
		mempool_free(page, r->mp);
		break;
	}
}

static void bench_loop(struct bench_run *r)
{
	/* page_pool's direct recycling is for softirq context: run in one. */
	bool bh = r->bc->kind == BENCH_PAGE_POOL;
	unsigned long i;
	u64 start;

	r->err = bench_setup(r);
	if (r->err)
		return;
	if (bh)
		local_bh_disable();
	start = ktime_get_ns();
	for (i = 0; i < r->iters; i++) {
		struct page *page = bench_alloc(r);

		if (!page) {
			r->err = -ENOMEM;
			break;
		}
		if (r->bc->kind == BENCH_POOL_WRITTEN) {
			/* One store dirties the block as far as the pool knows. */
			void *addr = kmap_local_page(page);

			WRITE_ONCE(*(unsigned long *)addr, i);
			kunmap_local(addr);
		}
		bench_free(r, page);
		if (!(i & 1023)) {
			if (fatal_signal_pending(current)) {
				r->err = -EINTR;
				break;
			}
			if (bh)
				local_bh_enable();
			cond_resched();
			if (bh)
				local_bh_disable();
		}
	}
	r->ns = ktime_get_ns() - start;
	if (bh)
		local_bh_enable();
	bench_teardown(r);
}

static int bench_thread(void *data)
{
	struct bench_run *r = data;

	atomic_dec(r->ready);
	wait_for_completion(r->go);
	bench_loop(r);
	/*
	 * Not complete() and return: the waiter may rmmod us before this
	 * thread has left our code.
	 */
	kthread_complete_and_exit(&r->done, 0);
}

/* Run one case on every online CPU at once; the mean ns per pair. */
static int bench_all_cpus(const struct bench_case *bc, unsigned long iters,
			  u64 *ns_per_op)
{
	DECLARE_COMPLETION_ONSTACK(go);
	unsigned int cpu, n = 0, nr;
	struct bench_run *runs;
	atomic_t ready;
	u64 total = 0;
	int err = 0;

	runs = kcalloc(nr_cpu_ids, sizeof(*runs), GFP_KERNEL);
	if (!runs)
		return -ENOMEM;
	/* Count the CPUs where no CPU can come or go until threads exist. */
	cpus_read_lock();
	nr = num_online_cpus();
	atomic_set(&ready, nr);
	for_each_online_cpu(cpu) {
		struct bench_run *r = &runs[n++];
		struct task_struct *t;

		r->bc = bc;
		r->iters = iters;
		r->ready = &ready;
		r->go = &go;
		init_completion(&r->done);
		t = kthread_create_on_cpu(bench_thread, r, cpu, "shmpool_bench/%u");
		if (IS_ERR(t)) {
			/* Nobody will wait for this one. */
			atomic_dec(&ready);
			complete(&r->done);
			r->err = PTR_ERR(t);
			continue;
		}
		wake_up_process(t);
	}
	cpus_read_unlock();
	while (atomic_read(&ready) > 0)
		usleep_range(100, 200);
	complete_all(&go);
	while (n--) {
		wait_for_completion(&runs[n].done);
		total += runs[n].ns;
		if (runs[n].err)
			err = runs[n].err;
	}
	kfree(runs);
	*ns_per_op = div64_u64(total, (u64)iters * nr);
	return err;
}

struct bench_result {
	struct mutex lock;	/* serialises runs of this open file */
	char *text;
	size_t len;
};

static int bench_run_all(struct bench_result *res, unsigned long iters)
{
	struct seq_buf s;
	unsigned int i;
	char *buf;
	int err = 0;

	buf = kvmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	seq_buf_init(&s, buf, PAGE_SIZE);
	seq_buf_printf(&s, "# init_on_alloc=%d: alloc_pages() %s\n",
		       want_init_on_alloc(GFP_KERNEL),
		       want_init_on_alloc(GFP_KERNEL) ? "clears every page" :
		       "clears only with __GFP_ZERO");
	seq_buf_printf(&s, "%-34s %5s %10s %10s\n", "case", "cpus", "iterations",
		       "ns/pair");
	for (i = 0; i < ARRAY_SIZE(bench_cases) && !err; i++) {
		struct bench_run r = { .bc = &bench_cases[i], .iters = iters };
		unsigned long n = bench_cases[i].order ? max(iters >> 8, 16UL) : iters;

		r.iters = n;
		bench_loop(&r);		/* warm-up, then the measured run */
		if (r.err == -EOPNOTSUPP)
			continue;	/* not in this kernel: no row */
		bench_loop(&r);
		err = r.err;
		seq_buf_printf(&s, "%-34s %5u %10lu %10llu\n", bench_cases[i].name,
			       1, n, div64_u64(r.ns, n));
	}
	for (i = 0; i < ARRAY_SIZE(bench_cases) && !err; i++) {
		unsigned long n = bench_cases[i].order ? max(iters >> 8, 16UL) : iters;
		u64 ns = 0;

		if (bench_cases[i].kind == BENCH_BUDDY_ZERO ||
		    bench_cases[i].kind == BENCH_POOL_WRITTEN)
			continue;
		err = bench_all_cpus(&bench_cases[i], n, &ns);
		if (err == -EOPNOTSUPP) {
			err = 0;
			continue;
		}
		seq_buf_printf(&s, "%-34s %5u %10lu %10llu\n", bench_cases[i].name,
			       num_online_cpus(), n, ns);
	}
	if (err) {
		kvfree(buf);
		return err;
	}
	kvfree(res->text);
	res->text = buf;
	res->len = seq_buf_used(&s);
	return 0;
}

static int bench_open(struct inode *inode, struct file *file)
{
	struct bench_result *res = kzalloc(sizeof(*res), GFP_KERNEL);

	if (!res)
		return -ENOMEM;
	mutex_init(&res->lock);
	file->private_data = res;
	return 0;
}

static int bench_release(struct inode *inode, struct file *file)
{
	struct bench_result *res = file->private_data;

	kvfree(res->text);
	kfree(res);
	return 0;
}

static ssize_t bench_write(struct file *file, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	struct bench_result *res = file->private_data;
	unsigned long iters = 100000;
	char cmd[32];
	int ret;

	ret = copy_cmd(cmd, sizeof(cmd), ubuf, len);
	if (ret)
		return ret;
	if (sscanf(cmd, "run %lu", &iters) < 1 && strcmp(strim(cmd), "run"))
		return -EINVAL;
	/* Kernel threads see no signals: bound the time a run can take. */
	if (!iters || iters > 10000000)
		return -EINVAL;

	mutex_lock(&res->lock);
	ret = bench_run_all(res, iters);
	mutex_unlock(&res->lock);
	return ret ? ret : len;
}

static ssize_t bench_read(struct file *file, char __user *buf, size_t len,
			  loff_t *ppos)
{
	struct bench_result *res = file->private_data;
	ssize_t ret;

	mutex_lock(&res->lock);
	ret = simple_read_from_buffer(buf, len, ppos, res->text, res->len);
	mutex_unlock(&res->lock);
	return ret;
}

static const struct file_operations bench_fops = {
	.owner = THIS_MODULE,
	.open = bench_open,
	.release = bench_release,
	.read = bench_read,
	.write = bench_write,
	.llseek = default_llseek,
};

/* Our files, removed at unload; shmpool.ko, which we use, outlives them. */
static struct dentry *test_file, *bench_file;

static int __init shmpool_test_init(void)
{
	struct dentry *root, *dir;

	/* shmpool.ko's directory (KBUILD_MODNAME there), made at its load. */
	/*
	 * Without CONFIG_DEBUG_FS the lookups return ERR_PTR(-ENODEV), which
	 * dput() would not take; the files are all this module is.
	 */
	root = debugfs_lookup("shmpool", NULL);
	if (IS_ERR_OR_NULL(root))
		return -ENOENT;
	dir = debugfs_lookup("pool", root);
	dput(root);
	if (IS_ERR_OR_NULL(dir))
		return -ENOENT;
	test_file = debugfs_create_file("test", 0600, dir, NULL, &pool_test_fops);
	bench_file = debugfs_create_file("bench", 0600, dir, NULL, &bench_fops);
	dput(dir);
	if (IS_ERR(test_file) || IS_ERR(bench_file)) {
		debugfs_remove(bench_file);
		debugfs_remove(test_file);
		return -ENOMEM;
	}
	return 0;
}

static void __exit shmpool_test_exit(void)
{
	debugfs_remove(bench_file);
	debugfs_remove(test_file);
}

module_init(shmpool_test_init);
module_exit(shmpool_test_exit);

MODULE_IMPORT_NS(SHMPOOL_NS);
MODULE_DESCRIPTION("Test hooks and microbenchmark of the shmpool page-frame pool");
MODULE_AUTHOR("The shmpool developers");
MODULE_LICENSE("GPL");
