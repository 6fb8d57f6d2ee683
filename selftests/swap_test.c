// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual memory: segments larger than the pool, swap-out and page-in.
 *
 * swap.sh runs this with the module reloaded around a small pool (see
 * POOL_KB there), so that a segment a few times the pool's size has to be
 * swapped out and paged back in to be touched at all.  Every test checks
 * the data page by page, and that the pool and the swap area are back
 * where they started once its segments are gone.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include "shmpool_test.h"

#define SWAP_STATS	SHMPOOL_DEBUGFS "/swap"
#define RW		(SHMPOOL_PROT_READ | SHMPOOL_PROT_WRITE)

static long ps;

static long long swap_stat(const char *name)
{
	return stat_value(SWAP_STATS, name);
}

/* The pool's maximum, in pages: what a segment is "four times" of. */
static long long pool_pages(void)
{
	return pool_stat("limit_max");
}

/* The word every page of a pattern starts with: page, round, and salt. */
static __u64 pattern(size_t page, int round)
{
	return ((__u64)round << 48) ^ (page * 0x9e3779b97f4a7c15ULL);
}

/* Page @i's pattern word at its start, middle and end. */
static void fill_page(char *m, size_t i, int round)
{
	__u64 *w = (__u64 *)(m + i * ps);

	w[0] = pattern(i, round);
	w[ps / 16] = ~pattern(i, round);
	w[ps / 8 - 1] = pattern(i, round) + 1;
}

static void fill(char *m, size_t pages, int round)
{
	size_t i;

	for (i = 0; i < pages; i++)
		fill_page(m, i, round);
}

/* Pages whose pattern is not @round's. */
static size_t mismatches(const char *m, size_t pages, int round)
{
	size_t i, bad = 0;

	for (i = 0; i < pages; i++) {
		const __u64 *w = (const __u64 *)(m + i * ps);

		bad += w[0] != pattern(i, round) ||
		       w[ps / 16] != ~pattern(i, round) ||
		       w[ps / 8 - 1] != pattern(i, round) + 1;
	}
	return bad;
}

static int seg_overcommit(int dev, size_t size, __u32 flags)
{
	return seg_create(dev, NULL, size, RW, 0600,
			  SHMPOOL_CREATE_OVERCOMMIT | flags);
}

FIXTURE(swap) {
	int dev;
	long long pool;		/* pages the pool may hold */
	long long used, slots;	/* at the start */
};

FIXTURE_SETUP(swap)
{
	ps = sysconf(_SC_PAGESIZE);
	self->slots = -1;
	self->dev = open(SHMPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	self->pool = pool_pages();
	ASSERT_LT(0, self->pool);
	if (swap_stat("swap_max_slots") < 4 * self->pool)
		SKIP(return, "swap area under four pools (run through swap.sh)");
	self->used = frames_used();
	self->slots = swap_stat("swap_slots");
	ASSERT_EQ(0, self->slots);
}

FIXTURE_TEARDOWN(swap)
{
	close(self->dev);
	if (self->pool > 0 && self->slots == 0) {
		/* Every slot and frame comes back with the last reference. */
		EXPECT_EQ(0, swap_stat("swap_slots"));
		EXPECT_EQ(0, swap_stat("swap_bytes"));
		EXPECT_EQ(self->used, frames_used());
	}
	/* Isolation holds after every test. */
	EXPECT_AUDIT_CLEAN();
}

/*
 * A segment larger than the free pool needs OVERCOMMIT; with it the size
 * may reach overcommit_max_kb in total, and no further.
 */
TEST_F(swap, overcommit_limits)
{
	long long saved = read_num(SHMPOOL_PARAM("overcommit_max_kb"));
	size_t big = 2 * self->pool * ps;
	int a, b;

	ASSERT_LT(0, saved);
	EXPECT_EQ(-ENOMEM, seg_new(self->dev, big));
	ASSERT_EQ(0, write_num(SHMPOOL_PARAM("overcommit_max_kb"),
			       3 * big / 2 / 1024));
	a = seg_overcommit(self->dev, big, 0);
	ASSERT_LE(0, a);
	b = seg_overcommit(self->dev, big, 0);
	EXPECT_EQ(-ENOMEM, b) {
		if (b >= 0)
			close(b);
	}
	/* Growing is bounded the same way; shrinking gives room back. */
	EXPECT_EQ(-1, ftruncate(a, 4 * big));
	EXPECT_EQ(ENOMEM, errno);
	EXPECT_EQ(0, ftruncate(a, big / 2));
	b = seg_overcommit(self->dev, big, 0);
	EXPECT_LE(0, b);
	EXPECT_EQ((long long)(3 * big / 2 / 1024), swap_stat("overcommit_kb"));
	if (b >= 0)
		close(b);
	close(a);
	EXPECT_EQ(0, swap_stat("overcommit_kb"));
	EXPECT_EQ(0, write_num(SHMPOOL_PARAM("overcommit_max_kb"), saved));
}

struct fill_args {
	int fd;
	size_t pages;
	int round;
};

static int fill_child(void *arg)
{
	struct fill_args *a = arg;
	char *m = mmap(NULL, a->pages * ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		       a->fd, 0);

	CHILD_TRUE(m != MAP_FAILED);
	fill(m, a->pages, a->round);
	return 0;
}

static int verify_child(void *arg)
{
	struct fill_args *a = arg;
	char *m = mmap(NULL, a->pages * ps, PROT_READ, MAP_SHARED, a->fd, 0);

	CHILD_TRUE(m != MAP_FAILED);
	CHILD_EQ(0, mismatches(m, a->pages, a->round));
	return 0;
}

/*
 * Two processes verify @a at once, faulting the same pages together.
 * Return: how many of them failed, -1 when fork() did.
 */
static int verify_together(struct fill_args *a)
{
	int i, status, bad = 0;
	pid_t pid[2];

	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] < 0)
			return -1;
		if (!pid[i])
			_exit(verify_child(a));
	}
	for (i = 0; i < 2; i++)
		bad += waitpid(pid[i], &status, 0) != pid[i] || status;
	return bad;
}

/*
 * A segment four times the pool, filled by one process and verified by
 * another, several rounds: every page goes out and comes back intact.
 */
/* Minutes, not seconds, with a compressor under KASAN. */
TEST_F_TIMEOUT(swap, four_times_the_pool, 180)
{
	struct fill_args a = { .pages = 4 * self->pool };
	long long outs = swap_stat("swap_outs"), ins = swap_stat("swap_ins");
	struct shmpool_info info;
	char *buf;

	a.fd = seg_overcommit(self->dev, a.pages * ps, 0);
	ASSERT_LE(0, a.fd);
	for (a.round = 1; a.round <= 3; a.round++) {
		ASSERT_EQ(0, run_child(fill_child, &a)) TH_LOG("round %d", a.round);
		ASSERT_EQ(0, run_child(verify_child, &a)) TH_LOG("round %d", a.round);
	}
	ASSERT_EQ(0, seg_info(a.fd, &info));
	EXPECT_GE(info.swapped, a.pages - self->pool);
	EXPECT_LE(info.resident, self->pool);
	EXPECT_EQ(a.pages, info.resident + info.swapped);
	EXPECT_GE(swap_stat("swap_outs") - outs, 3 * (a.pages - self->pool));
	EXPECT_GE(swap_stat("swap_ins") - ins, 2 * (a.pages - self->pool));
	EXPECT_EQ(info.swapped, swap_stat("swap_slots"));

	/* read() pages in too, and sees what the mappings wrote. */
	buf = malloc(a.pages * ps);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ((ssize_t)(a.pages * ps), pread(a.fd, buf, a.pages * ps, 0));
	EXPECT_EQ(0, mismatches(buf, a.pages, 3));
	free(buf);
	close(a.fd);
}

/*
 * A huge segment four times the pool: its blocks, each mapped by one PMD
 * entry while whole, are swapped out page by page (reclaim unmaps the
 * entry) and paged back in as single frames, mapped by PTEs; no byte is
 * lost on the way.
 */
TEST_F_TIMEOUT(swap, huge_segment_swaps_by_pages, 180)
{
	struct fill_args a = { .pages = 4 * self->pool };
	long long pmds = stat_value(SHMPOOL_DEBUGFS "/stats", "faults_huge");
	long long outs = swap_stat("swap_outs");
	struct shmpool_info info;

	a.pages -= a.pages % 512;
	ASSERT_LT(0, a.pages);
	a.fd = seg_overcommit(self->dev, a.pages * ps, SHMPOOL_CREATE_HUGE);
	ASSERT_LE(0, a.fd);
	for (a.round = 1; a.round <= 2; a.round++) {
		ASSERT_EQ(0, run_child(fill_child, &a)) TH_LOG("round %d", a.round);
		ASSERT_EQ(0, run_child(verify_child, &a)) TH_LOG("round %d", a.round);
	}
	/* The first blocks came whole from a pool with room for them. */
	EXPECT_LT(pmds, stat_value(SHMPOOL_DEBUGFS "/stats", "faults_huge"));
	EXPECT_GE(swap_stat("swap_outs") - outs, a.pages - self->pool);
	ASSERT_EQ(0, seg_info(a.fd, &info));
	EXPECT_EQ(a.pages, info.resident + info.swapped);
	close(a.fd);
}

/* The swap_compressor the module was loaded with; "" for none. */
static void compressor(char *name, size_t len)
{
	FILE *f = fopen(SHMPOOL_PARAM("swap_compressor"), "r");

	name[0] = 0;
	if (f && fgets(name, len, f))
		name[strcspn(name, "\n")] = 0;
	if (f)
		fclose(f);
	if (!strcmp(name, "(null)"))
		name[0] = 0;
}

/* Page @page's bytes in @round: xorshift64, which no compressor shrinks. */
static void random_page(__u64 *w, size_t page, int round)
{
	__u64 x = pattern(page, round) | 1;
	size_t i;

	for (i = 0; i < ps / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		w[i] = x;
	}
}

static int fill_random_child(void *arg)
{
	struct fill_args *a = arg;
	char *m = mmap(NULL, a->pages * ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		       a->fd, 0);
	size_t i;

	CHILD_TRUE(m != MAP_FAILED);
	for (i = 0; i < a->pages; i++)
		random_page((__u64 *)(m + i * ps), i, a->round);
	return 0;
}

static int verify_random_child(void *arg)
{
	struct fill_args *a = arg;
	char *m = mmap(NULL, a->pages * ps, PROT_READ, MAP_SHARED, a->fd, 0);
	__u64 *want = malloc(ps);
	size_t i, bad = 0;

	CHILD_TRUE(m != MAP_FAILED && want);
	for (i = 0; i < a->pages; i++) {
		random_page(want, i, a->round);
		bad += memcmp(m + i * ps, want, ps) != 0;
	}
	CHILD_EQ(0, bad);
	return 0;
}

/*
 * Pages of random bytes, every byte of them checked: with a compressor
 * they are the pages kept whole, and they come back as intact as the
 * others.
 */
TEST_F(swap, incompressible_pages)
{
	struct fill_args a = { .pages = 4 * self->pool, .round = 1 };
	long long kept = swap_stat("swap_incompressible");
	char alg[64];

	a.fd = seg_overcommit(self->dev, a.pages * ps, 0);
	ASSERT_LE(0, a.fd);
	ASSERT_EQ(0, run_child(fill_random_child, &a));
	ASSERT_EQ(0, run_child(verify_random_child, &a));
	compressor(alg, sizeof(alg));
	if (alg[0]) {
		EXPECT_GE(swap_stat("swap_incompressible") - kept,
			  a.pages - self->pool);
		EXPECT_EQ(0, swap_stat("swap_compressed"));
	}
	close(a.fd);
}

/*
 * With a compressor, the area holds pages of a pattern (three words and
 * zeroes) compressed: every slot, in well under half the memory.
 */
TEST_F(swap, compressed_area_is_smaller)
{
	struct fill_args a = { .pages = 4 * self->pool, .round = 1 };
	long long slots, bytes;
	char alg[64];

	compressor(alg, sizeof(alg));
	if (!alg[0])
		SKIP(return, "no swap_compressor (swap.sh loads one)");
	a.fd = seg_overcommit(self->dev, a.pages * ps, 0);
	ASSERT_LE(0, a.fd);
	ASSERT_EQ(0, run_child(fill_child, &a));
	slots = swap_stat("swap_slots");
	bytes = swap_stat("swap_bytes");
	EXPECT_GE(slots, (long long)a.pages - self->pool);
	EXPECT_EQ(slots, swap_stat("swap_compressed"));
	EXPECT_LE(bytes * 2, slots * ps) TH_LOG("%s: %lld bytes for %lld pages",
						alg, bytes, slots);
	ASSERT_EQ(0, run_child(verify_child, &a));
	close(a.fd);
}

struct writer_args {
	char *m;
	size_t first, pages;
	int rounds;
};

/* Write round after round over our pages while others push them out. */
static int writer_child(void *arg)
{
	struct writer_args *w = arg;
	int r;

	for (r = 1; r <= w->rounds; r++)
		fill(w->m + w->first * ps, w->pages, r);
	return 0;
}

/*
 * Two processes write their halves of a segment twice the pool's size,
 * round after round, each pushing the other's pages out: the last write
 * of every page is what comes back.  Two more read everything at once,
 * faulting the same swapped pages together.
 */
TEST_F(swap, concurrent_writes_and_faults)
{
	size_t pages = 2 * self->pool;
	struct writer_args w[2];
	struct fill_args a;
	pid_t pid[2];
	char *m;
	int fd, i, status;

	fd = seg_overcommit(self->dev, pages * ps, 0);
	ASSERT_LE(0, fd);
	m = mmap(NULL, pages * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	for (i = 0; i < 2; i++) {
		w[i] = (struct writer_args){ m, i * pages / 2, pages / 2, 4 };
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			_exit(writer_child(&w[i]));
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_EQ(0, status);
	}
	/* Each half holds round 4, numbered from its own first page. */
	EXPECT_EQ(0, mismatches(m, pages / 2, 4));
	EXPECT_EQ(0, mismatches(m + pages / 2 * ps, pages / 2, 4));
	munmap(m, pages * ps);

	/* Now the whole segment as one pattern, read by two at once. */
	a = (struct fill_args){ .fd = fd, .pages = pages, .round = 7 };
	ASSERT_EQ(0, run_child(fill_child, &a));
	EXPECT_EQ(0, verify_together(&a));
	close(fd);
}

/*
 * A segment's frames are the pool's again once its last reference is
 * closed, even while they are still on their way back: reclaim may hold
 * the segment at that moment, and its eviction then falls to reclaim,
 * which frees them while the closing process goes on.  A fault right after
 * the close must not find the pool empty and get SIGBUS, nor a segment
 * that fits in the pool get ENOMEM.  The background reclaim (swap.sh's
 * load with pool_low_kb) is what holds the segment, round after round.
 */
TEST_F_TIMEOUT(swap, closed_segment_frames_can_be_had, 300)
{
	struct fill_args big = { .pages = 2 * self->pool, .round = 1 };
	struct fill_args a = { .pages = self->pool, .round = 2 };
	int round, fd;

	if (pool_stat("watermark_low") == 0)
		SKIP(return, "no background reclaim (run through swap.sh)");
	for (round = 1; round <= 8; round++) {
		big.fd = seg_overcommit(self->dev, big.pages * ps, 0);
		ASSERT_LE(0, big.fd);
		a.fd = seg_overcommit(self->dev, a.pages * ps, 0);
		ASSERT_LE(0, a.fd);
		ASSERT_EQ(0, run_child(fill_child, &big));
		close(big.fd);
		/* Faults: a pool's worth, right after the close. */
		EXPECT_EQ(0, run_child(fill_child, &a)) TH_LOG("round %d", round);
		close(a.fd);

		big.fd = seg_overcommit(self->dev, big.pages * ps, 0);
		ASSERT_LE(0, big.fd);
		ASSERT_EQ(0, run_child(fill_child, &big));
		close(big.fd);
		/* A segment that fits in the pool, right after the close. */
		fd = seg_create(self->dev, NULL, self->pool * ps, RW, 0600, 0);
		EXPECT_LE(0, fd) TH_LOG("round %d", round);
		if (fd >= 0)
			close(fd);
	}
	/* The last eviction may still be under way: wait for it (10 s). */
	for (round = 0; round < 100 && frames_used() != self->used; round++)
		usleep(100000);
}

struct racer_args {
	char *m;
	size_t pages;
	int round, nr, id;
};

/* Every nr-th page from id on: the racers fault the same blocks at once. */
static void *racer_thread(void *arg)
{
	struct racer_args *r = arg;
	size_t i;

	for (i = r->id; i < r->pages; i += r->nr)
		fill_page(r->m, i, r->round);
	return NULL;
}

#define RACERS	4

/*
 * Threads of one process write the interleaved pages of a huge segment
 * twice the pool's size, so that they fault the same fresh blocks at once
 * (one maps a block by its PMD entry while the others wait for it or map
 * their pages alone) while reclaim splits blocks to swap their pages out;
 * round after round, and then two processes read it all back at once.
 */
TEST_F_TIMEOUT(swap, huge_segment_racing_threads, 180)
{
	long long pmds = stat_value(SHMPOOL_DEBUGFS "/stats", "faults_huge");
	struct racer_args r[RACERS];
	pthread_t t[RACERS];
	struct fill_args a;
	char *m;
	int i;

	a = (struct fill_args){ .pages = 2 * self->pool };
	a.pages -= a.pages % 512;
	ASSERT_LT(0, a.pages);
	a.fd = seg_overcommit(self->dev, a.pages * ps, SHMPOOL_CREATE_HUGE);
	ASSERT_LE(0, a.fd);
	m = mmap(NULL, a.pages * ps, PROT_READ | PROT_WRITE, MAP_SHARED, a.fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	for (a.round = 1; a.round <= 3; a.round++) {
		for (i = 0; i < RACERS; i++) {
			r[i] = (struct racer_args){ m, a.pages, a.round, RACERS, i };
			ASSERT_EQ(0, pthread_create(&t[i], NULL, racer_thread, &r[i]));
		}
		for (i = 0; i < RACERS; i++)
			ASSERT_EQ(0, pthread_join(t[i], NULL));
		EXPECT_EQ(0, mismatches(m, a.pages, a.round)) TH_LOG("round %d", a.round);
	}
	munmap(m, a.pages * ps);
	EXPECT_LT(pmds, stat_value(SHMPOOL_DEBUGFS "/stats", "faults_huge"));

	a.round = 3;
	EXPECT_EQ(0, verify_together(&a));
	close(a.fd);
}

struct hot_args {
	char *m;		/* a huge segment's mapping */
	size_t blocks, block_pages;
	int stop;
	unsigned long rounds;	/* completed: each block's counter */
};

/* Block @b's counter: a word of its first page the pattern leaves alone. */
static __u64 *block_counter(struct hot_args *h, size_t b)
{
	return (__u64 *)(h->m + b * h->block_pages * ps) + 1;
}

/*
 * Increment a counter word in the first page of every block, round after
 * round, until told to stop.  Each write after reclaim unmapped a block
 * faults, and the fault maps the whole block again and marks all of its
 * pages referenced.
 */
static void *hot_thread(void *arg)
{
	struct hot_args *h = arg;
	size_t b;

	/* Unpinned, the race is only less likely: the test still holds. */
	pin_to_cpu(0);
	while (!__atomic_load_n(&h->stop, __ATOMIC_RELAXED)) {
		/* Atomic: the compiler may not keep the words in registers. */
		for (b = 0; b < h->blocks; b++)
			__atomic_fetch_add(block_counter(h, b), 1, __ATOMIC_RELAXED);
		__atomic_store_n(&h->rounds, h->rounds + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * A working set hotter than reclaim's second chance: a thread keeps every
 * block of a huge segment the size of the pool in use, so that reclaim's
 * sweeps may find all of its pages referenced again (one fault marks a
 * whole block) or its blocks locked by that fault.  A fault elsewhere
 * must still get a frame, by swapping out a page in use (the last-resort
 * sweep); SIGBUS is for a pool with nothing it may take.  Only the first
 * reclaim after the blocks are mapped whole meets this (its swap-outs
 * split them, and then a fault marks one page), and it loses the race
 * only some of the time: so the whole of it, several times.  Every write
 * of both is kept.
 */
TEST_F_TIMEOUT(swap, fault_beside_a_hot_working_set, 180)
{
	long long pmds = stat_value(SHMPOOL_DEBUGFS "/stats", "faults_huge");
	long long forced = swap_stat("reclaim_forced");
	struct hot_args h = { .block_pages = (2UL << 20) / ps };
	struct fill_args a = { .pages = 64 };
	size_t b, pages;
	pthread_t t;
	int hot;

	h.blocks = self->pool / h.block_pages;
	pages = h.blocks * h.block_pages;
	ASSERT_LT(0, h.blocks);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "the race needs two CPUs");
	/*
	 * The hot thread on one CPU, the faulting children on the other:
	 * sharing one, they would take turns, and the race would not be run.
	 * (The harness runs each test in a process of its own.)
	 */
	ASSERT_EQ(0, pin_to_cpu(1));
	for (a.round = 1; a.round <= 16; a.round++) {
		hot = seg_overcommit(self->dev, pages * ps, SHMPOOL_CREATE_HUGE);
		ASSERT_LE(0, hot);
		h.m = mmap(NULL, pages * ps, PROT_READ | PROT_WRITE, MAP_SHARED,
			   hot, 0);
		ASSERT_NE(MAP_FAILED, h.m);
		fill(h.m, pages, a.round);
		if (stat_value(SHMPOOL_DEBUGFS "/stats", "faults_huge") == pmds) {
			munmap(h.m, pages * ps);
			close(hot);
			SKIP(return, "no block mapped by a PMD here");
		}
		h.stop = 0;
		h.rounds = 0;
		ASSERT_EQ(0, pthread_create(&t, NULL, hot_thread, &h));
		/* Under way before the faults it is to race. */
		while (!__atomic_load_n(&h.rounds, __ATOMIC_ACQUIRE))
			sched_yield();

		/* In a child: a SIGBUS is its status, not this test's end. */
		a.fd = seg_overcommit(self->dev, a.pages * ps, 0);
		ASSERT_LE(0, a.fd);
		EXPECT_EQ(0, run_child(fill_child, &a)) TH_LOG("round %d", a.round);
		EXPECT_EQ(0, run_child(verify_child, &a));
		close(a.fd);

		__atomic_store_n(&h.stop, 1, __ATOMIC_RELAXED);
		ASSERT_EQ(0, pthread_join(t, NULL));
		EXPECT_LT(0, h.rounds);
		EXPECT_EQ(0, mismatches(h.m, pages, a.round));
		for (b = 0; b < h.blocks; b++)
			EXPECT_EQ(h.rounds, *block_counter(&h, b))
				TH_LOG("round %d, block %zu", a.round, b);
		munmap(h.m, pages * ps);
		close(hot);
	}
	ksft_print_msg("%lld last-resort reclaim runs\n",
		       swap_stat("reclaim_forced") - forced);
}

/*
 * A NOSWAP segment's frames stay put whatever the pressure, and so does a
 * page something holds a reference to (a pipe after vmsplice()): a write
 * through the mapping afterwards is seen through the pipe, which it would
 * not be had the page been swapped out and paged in to another frame.
 */
TEST_F(swap, pinned_and_noswap_stay)
{
	size_t pinned_pages = self->pool / 4, pages = 3 * self->pool;
	struct shmpool_info info;
	struct fill_args a;
	int pinned, fd, pfd[2];
	struct iovec iov;
	char *p, buf[64];

	pinned = seg_create(self->dev, NULL, pinned_pages * ps, RW, 0600,
			    SHMPOOL_CREATE_NOSWAP);
	ASSERT_LE(0, pinned);
	p = mmap(NULL, pinned_pages * ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		 pinned, 0);
	ASSERT_NE(MAP_FAILED, p);
	fill(p, pinned_pages, 1);
	ASSERT_EQ(0, pipe(pfd));
	iov = (struct iovec){ p, ps };
	ASSERT_EQ(ps, vmsplice(pfd[1], &iov, 1, 0));

	fd = seg_overcommit(self->dev, pages * ps, 0);
	ASSERT_LE(0, fd);
	a = (struct fill_args){ .fd = fd, .pages = pages, .round = 2 };
	ASSERT_EQ(0, run_child(fill_child, &a));
	ASSERT_EQ(0, run_child(verify_child, &a));
	ASSERT_EQ(0, seg_info(pinned, &info));
	EXPECT_EQ(0, info.swapped);
	EXPECT_EQ(pinned_pages, info.resident);
	EXPECT_EQ(0, mismatches(p, pinned_pages, 1));
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_LT(0, info.swapped);

	/* The same frame: what the mapping writes now, the pipe shows. */
	memcpy(p, "written after the pressure", 27);
	ASSERT_EQ(sizeof(buf), read(pfd[0], buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "written after the pressure", 27));
	close(pfd[0]);
	close(pfd[1]);
	munmap(p, pinned_pages * ps);
	close(pinned);
	close(fd);
}

/*
 * An ordinary pinned page the same way, in a swappable segment: the
 * segment itself is swapped out around it.
 */
TEST_F(swap, pinned_page_in_swappable_segment)
{
	size_t pages = 3 * self->pool;
	int fd, pfd[2];
	struct iovec iov;
	char *m, buf[32];

	fd = seg_overcommit(self->dev, pages * ps, 0);
	ASSERT_LE(0, fd);
	m = mmap(NULL, pages * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	memcpy(m, "before", 7);
	ASSERT_EQ(0, pipe(pfd));
	iov = (struct iovec){ m, ps };
	ASSERT_EQ(ps, vmsplice(pfd[1], &iov, 1, 0));
	fill(m + ps, pages - 1, 3);
	EXPECT_EQ(0, mismatches(m + ps, pages - 1, 3));
	memcpy(m, "after!", 7);
	ASSERT_EQ(sizeof(buf), read(pfd[0], buf, sizeof(buf)));
	EXPECT_STREQ("after!", buf);
	close(pfd[0]);
	close(pfd[1]);
	munmap(m, pages * ps);
	close(fd);
}

struct full_args {
	int fd;
	size_t pages;
	size_t *touched;	/* shared with the parent */
};

/* Touch page after page until SIGBUS kills us; record how far we got. */
static int touch_until_sigbus(void *arg)
{
	struct full_args *f = arg;
	char *m;
	size_t i;

	m = mmap(NULL, f->pages * ps, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
	CHILD_TRUE(m != MAP_FAILED);
	for (i = 0; i < f->pages; i++) {
		m[i * ps] = 1;
		__atomic_store_n(f->touched, i + 1, __ATOMIC_RELAXED);
	}
	return 0;	/* the parent expects SIGBUS before this */
}

/*
 * A full swap area: a fault that finds neither a frame nor room is SIGBUS,
 * write() is ENOMEM, and everything else goes on working.
 */
TEST_F(swap, full_area_is_sigbus)
{
	long long saved = read_num(SHMPOOL_PARAM("swap_max_kb"));
	long long room = self->pool / 2;
	struct full_args f = { .pages = 4 * self->pool };
	long long full = swap_stat("swap_full");
	char page[4096] = { 1 };
	int status;

	ASSERT_LT(0, saved);
	f.touched = mmap(NULL, ps, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f.touched);
	ASSERT_EQ(0, write_num(SHMPOOL_PARAM("swap_max_kb"), room * ps / 1024));
	f.fd = seg_overcommit(self->dev, f.pages * ps, 0);
	ASSERT_LE(0, f.fd);

	status = run_child(touch_until_sigbus, &f);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
		TH_LOG("status %#x", status);
	/* The pool and the area hold what they can, and not a page more. */
	EXPECT_GE(*f.touched, self->pool + room - 64);
	EXPECT_LE(*f.touched, self->pool + room);
	EXPECT_EQ(room, swap_stat("swap_slots"));
	EXPECT_LT(full, swap_stat("swap_full"));
	EXPECT_EQ(-1, pwrite(f.fd, page, ps, (f.pages - 1) * ps));
	EXPECT_EQ(ENOMEM, errno);

	/* Other segments still work: a small one fits once room is made. */
	close(f.fd);
	EXPECT_EQ(0, swap_stat("swap_slots"));
	f.fd = seg_new(self->dev, 4 * ps);
	ASSERT_LE(0, f.fd);
	EXPECT_EQ(ps, pwrite(f.fd, page, ps, 0));
	close(f.fd);
	EXPECT_EQ(0, write_num(SHMPOOL_PARAM("swap_max_kb"), saved));
	munmap((void *)f.touched, ps);
}

/* Truncating a segment drops its swapped pages with their slots. */
TEST_F(swap, truncate_drops_slots)
{
	struct fill_args a = { .pages = 2 * self->pool, .round = 5 };
	struct shmpool_info info;

	a.fd = seg_overcommit(self->dev, a.pages * ps, 0);
	ASSERT_LE(0, a.fd);
	ASSERT_EQ(0, run_child(fill_child, &a));
	ASSERT_EQ(0, seg_info(a.fd, &info));
	ASSERT_LT(0, info.swapped);
	EXPECT_EQ(info.swapped, swap_stat("swap_slots"));
	ASSERT_EQ(0, ftruncate(a.fd, ps));
	ASSERT_EQ(0, seg_info(a.fd, &info));
	EXPECT_EQ(1, info.resident + info.swapped);
	EXPECT_EQ(info.swapped, swap_stat("swap_slots"));
	a.pages = 1;
	EXPECT_EQ(0, run_child(verify_child, &a));
	close(a.fd);
}

static int seg_range_ioctl(int fd, unsigned long cmd, __u64 offset, __u64 len,
			   __u32 *result)
{
	struct shmpool_range r = { .offset = offset, .len = len };

	if (ioctl(fd, cmd, &r) < 0)
		return -errno;
	if (result)
		*result = r.result;
	return 0;
}

struct poll_args {
	int fd;
};

/* Wait (20 s at most) for EPOLLPRI on a segment fd. */
static int wait_for_purge(void *arg)
{
	struct poll_args *pa = arg;
	struct pollfd p = { .fd = pa->fd, .events = POLLPRI };

	CHILD_EQ(1, poll(&p, 1, 20000));
	CHILD_TRUE(p.revents & POLLPRI);
	return 0;
}

/*
 * Unpinned pages go before anything is swapped: a segment unpinned whole
 * loses its frames and its swapped pages to the pressure of another, its
 * fd polls EPOLLPRI (a waiter is woken), it reads as zeroes, and PIN says
 * it was purged.  A range pinned again before the pressure keeps its data.
 */
TEST_F(swap, unpinned_pages_are_purged)
{
	size_t pages = self->pool, kept = 16;
	long long purged = swap_stat("purged");
	struct fill_args a = { .pages = pages, .round = 6 };
	struct fill_args b = { .pages = 3 * self->pool, .round = 8 };
	struct pollfd p = { .events = POLLPRI };
	struct shmpool_info info;
	struct poll_args pa;
	__u32 result = 0;
	int status;
	static char zero[65536];
	pid_t waiter;
	size_t i;
	char *m;

	a.fd = seg_overcommit(self->dev, pages * ps, 0);
	ASSERT_LE(0, a.fd);
	/* Twice: the first half of it is swapped out by the second. */
	ASSERT_EQ(0, run_child(fill_child, &a));
	ASSERT_EQ(0, run_child(fill_child, &a));
	ASSERT_EQ(0, seg_range_ioctl(a.fd, SHMPOOL_SEG_IOC_UNPIN, 0, pages * ps, NULL));
	ASSERT_EQ(0, seg_info(a.fd, &info));
	EXPECT_EQ(pages, info.purgeable);
	EXPECT_EQ(0, info.purged);
	ASSERT_EQ(0, seg_range_ioctl(a.fd, SHMPOOL_SEG_IOC_PIN, 0, kept * ps, &result));
	EXPECT_EQ(0, result);
	p.fd = a.fd;
	EXPECT_EQ(0, poll(&p, 1, 0));

	pa.fd = a.fd;
	waiter = fork();
	ASSERT_LE(0, waiter);
	if (!waiter)
		_exit(wait_for_purge(&pa));
	b.fd = seg_overcommit(self->dev, b.pages * ps, 0);
	ASSERT_LE(0, b.fd);
	ASSERT_EQ(0, run_child(fill_child, &b));
	ASSERT_EQ(waiter, waitpid(waiter, &status, 0));
	EXPECT_EQ(0, status);

	ASSERT_EQ(0, seg_info(a.fd, &info));
	EXPECT_EQ(pages - kept, info.purged);
	EXPECT_EQ(0, info.purgeable);
	EXPECT_EQ(kept, info.resident + info.swapped);
	EXPECT_LE(purged + (long long)(pages - kept), swap_stat("purged"));
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(POLLPRI, p.revents & POLLPRI);

	m = mmap(NULL, pages * ps, PROT_READ, MAP_SHARED, a.fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0, mismatches(m, kept, 6));
	for (i = kept; i < pages; i++) {
		if (memcmp(m + i * ps, zero, ps)) {
			EXPECT_EQ(0, i) TH_LOG("purged page %zu is not zeroes", i);
			break;
		}
	}
	munmap(m, pages * ps);

	ASSERT_EQ(0, seg_range_ioctl(a.fd, SHMPOOL_SEG_IOC_PIN, 0, pages * ps, &result));
	EXPECT_EQ(SHMPOOL_RANGE_PURGED, result);
	ASSERT_EQ(0, seg_range_ioctl(a.fd, SHMPOOL_SEG_IOC_PIN, 0, pages * ps, &result));
	EXPECT_EQ(0, result);
	ASSERT_EQ(0, seg_info(a.fd, &info));
	EXPECT_EQ(0, info.purged);
	EXPECT_EQ(0, poll(&p, 1, 0));
	/* The other segment lost nothing. */
	EXPECT_EQ(0, run_child(verify_child, &b));
	close(b.fd);
	close(a.fd);
}

/*
 * What a reader finds after seeing a write seal stays: purging, which
 * takes unpinned pages under pressure, never takes one from a segment
 * whose write seal was published.  An unpinned segment is sealed while
 * another's pressure purges it, read at once, and read again when the
 * pressure is over: every page must read as it did.  Rounds, so that the
 * seal lands at different points of the purge.
 */
TEST_F(swap, purge_stops_at_a_seen_write_seal)
{
	size_t pages = self->pool / 2, i, bad;
	struct fill_args b = { .pages = 3 * self->pool, .round = 3 };
	struct fill_args a = { .pages = pages, .round = 2 };
	struct shmpool_info info;
	char *seen, *now;
	int round, status;
	pid_t presser;

	seen = malloc(pages * ps);
	now = malloc(pages * ps);
	ASSERT_NE(NULL, seen);
	ASSERT_NE(NULL, now);
	for (round = 0; round < 8; round++) {
		a.fd = seg_overcommit(self->dev, pages * ps, 0);
		ASSERT_LE(0, a.fd);
		b.fd = seg_overcommit(self->dev, b.pages * ps, 0);
		ASSERT_LE(0, b.fd);
		ASSERT_EQ(0, run_child(fill_child, &a));
		ASSERT_EQ(0, seg_range_ioctl(a.fd, SHMPOOL_SEG_IOC_UNPIN, 0,
					     pages * ps, NULL));
		presser = fork();
		ASSERT_LE(0, presser);
		if (!presser)
			_exit(fill_child(&b));
		/*
		 * Seal once purging has begun, a little later each round, so
		 * that the seal lands at a different point of a reclaim run.
		 */
		do {
			ASSERT_EQ(0, seg_info(a.fd, &info));
		} while (!info.purged && waitpid(presser, &status, WNOHANG) == 0);
		usleep(round * 5000);
		ASSERT_EQ(0, seg_add_seals(a.fd, F_SEAL_WRITE));
		ASSERT_EQ(pages * ps, pread(a.fd, seen, pages * ps, 0));
		if (waitpid(presser, &status, WNOHANG) == 0)
			ASSERT_EQ(presser, waitpid(presser, &status, 0));
		EXPECT_EQ(0, status);
		ASSERT_EQ(pages * ps, pread(a.fd, now, pages * ps, 0));
		for (i = 0, bad = 0; i < pages; i++)
			bad += !!memcmp(seen + i * ps, now + i * ps, ps);
		ASSERT_EQ(0, seg_info(a.fd, &info));
		EXPECT_EQ(0, bad)
			TH_LOG("round %d: %zu of %zu pages changed under the seal (%llu purged)",
			       round, bad, pages, (unsigned long long)info.purged);
		close(b.fd);
		close(a.fd);
	}
	free(seen);
	free(now);
}

static long long fails(const char *reason)
{
	char name[32];

	snprintf(name, sizeof(name), "fail_%s", reason);
	return stat_value(SHMPOOL_DEBUGFS "/stats", name);
}

static int create_and_populate(void *arg)
{
	struct fill_args *a = arg;
	int fd = seg_create(a->fd, NULL, a->pages * ps, RW, 0600,
			    SHMPOOL_CREATE_POPULATE);

	CHILD_TRUE(fd >= 0);
	close(fd);
	return 0;
}

/*
 * After swapping, purging and sealing, with every segment gone, the pool
 * holds nothing: another user's CREATE of three quarters of it (committed
 * against the free pool, populated) and root's faults must all succeed,
 * never ENOMEM or SIGBUS while the frames are there to be had.  Rounds,
 * as the failure this was written for came one run in five.
 */
TEST_F(swap, allocate_after_swap_and_purge)
{
	struct fill_args a = { .pages = self->pool / 2, .round = 1 };
	struct fill_args b = { .pages = self->pool / 8, .round = 2 };
	struct fill_args c = { .pages = self->pool / 8, .round = 3 };
	struct fill_args d = { .pages = 2 * self->pool, .round = 4 };
	struct fill_args other = { .fd = self->dev, .pages = 3 * self->pool / 4 };
	long long pool = fails("pool"), commit = fails("commit");
	int round;

	ASSERT_LE(0, pool);
	for (round = 0; round < 5; round++) {
		a.fd = seg_new(self->dev, a.pages * ps);
		b.fd = seg_new(self->dev, b.pages * ps);
		c.fd = seg_new(self->dev, c.pages * ps);
		ASSERT_LE(0, a.fd);
		ASSERT_LE(0, b.fd);
		ASSERT_LE(0, c.fd);
		ASSERT_EQ(0, run_child(fill_child, &a));
		ASSERT_EQ(0, run_child(fill_child, &b));
		ASSERT_EQ(0, run_child(fill_child, &c));
		ASSERT_EQ(0, seg_range_ioctl(b.fd, SHMPOOL_SEG_IOC_UNPIN, 0,
					     b.pages * ps, NULL));
		ASSERT_EQ(0, seg_range_ioctl(c.fd, SHMPOOL_SEG_IOC_UNPIN, 0,
					     c.pages * ps, NULL));
		ASSERT_EQ(0, seg_add_seals(c.fd, F_SEAL_WRITE));
		d.fd = seg_overcommit(self->dev, d.pages * ps, 0);
		ASSERT_LE(0, d.fd);
		ASSERT_EQ(0, run_child(fill_child, &d));
		close(d.fd);
		close(c.fd);
		close(b.fd);
		close(a.fd);
		ASSERT_EQ(self->used, frames_used());

		EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, create_and_populate, &other))
			TH_LOG("round %d", round);
		a.fd = seg_new(self->dev, a.pages * ps);
		ASSERT_LE(0, a.fd);
		EXPECT_EQ(0, run_child(fill_child, &a)) TH_LOG("round %d", round);
		close(a.fd);
	}
	EXPECT_EQ(pool, fails("pool"));
	EXPECT_EQ(commit, fails("commit"));
}

/* Bad ranges and fds are refused, each with its errno. */
TEST_F(swap, unpin_bad_input)
{
	struct shmpool_range r = { .offset = 0, .len = ps, .flags = 1 };
	int fd, ro;

	fd = seg_new(self->dev, 4 * ps);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, seg_range_ioctl(fd, SHMPOOL_SEG_IOC_UNPIN, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, seg_range_ioctl(fd, SHMPOOL_SEG_IOC_UNPIN, 1, ps, NULL));
	EXPECT_EQ(-EINVAL, seg_range_ioctl(fd, SHMPOOL_SEG_IOC_UNPIN, 0, ps + 1, NULL));
	EXPECT_EQ(-EINVAL, seg_range_ioctl(fd, SHMPOOL_SEG_IOC_PIN, 4 * ps, ps, NULL));
	EXPECT_EQ(-EINVAL, seg_range_ioctl(fd, SHMPOOL_SEG_IOC_PIN, 2 * ps, 3 * ps, NULL));
	EXPECT_EQ(-EINVAL, seg_range_ioctl(fd, SHMPOOL_SEG_IOC_UNPIN, -ps, 2 * ps, NULL));
	EXPECT_EQ(-1, ioctl(fd, SHMPOOL_SEG_IOC_UNPIN, &r));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, SHMPOOL_SEG_IOC_PIN, NULL));
	EXPECT_EQ(EFAULT, errno);

	ro = seg_restrict(fd, SHMPOOL_PROT_READ, 0);
	ASSERT_LE(0, ro);
	EXPECT_EQ(-EPERM, seg_range_ioctl(ro, SHMPOOL_SEG_IOC_UNPIN, 0, ps, NULL));
	EXPECT_EQ(-EPERM, seg_range_ioctl(ro, SHMPOOL_SEG_IOC_PIN, 0, ps, NULL));
	close(ro);

	ASSERT_EQ(0, seg_add_seals(fd, F_SEAL_FUTURE_WRITE));
	EXPECT_EQ(-EPERM, seg_range_ioctl(fd, SHMPOOL_SEG_IOC_UNPIN, 0, ps, NULL));
	EXPECT_EQ(0, seg_range_ioctl(fd, SHMPOOL_SEG_IOC_PIN, 0, ps, NULL));
	close(fd);
}

TEST_HARNESS_MAIN
