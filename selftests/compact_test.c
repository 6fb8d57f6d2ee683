// SPDX-License-Identifier: GPL-2.0
/*
 * Compaction: fragment the pool on purpose with two segments whose frames
 * interleave, free one, and see no order-9 block to be had; compact (by
 * the debugfs trigger, then by an order-9 allocation that fails) and see
 * one, with every byte of the other segment unchanged for every process
 * that maps it.  compact.sh runs this around an 8 MiB pool that cannot
 * grow and a swap area of zero, so that only compaction can make room.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>

#include "kselftest_harness.h"
#include "shmpool_test.h"

#define COMPACT		SHMPOOL_DEBUGFS "/pool/compact"
#define RW		(SHMPOOL_PROT_READ | SHMPOOL_PROT_WRITE)

static long ps;

/* frag_index_order9 from pool/stats, x1000; -1000 when a block is free. */
static int frag9(void)
{
	char line[128];
	int whole, frac, v = -2000;
	FILE *f = fopen(POOL_STATS, "r");

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "frag_index_order9 %d.%d", &whole, &frac) == 2) {
			v = whole < 0 ? -1000 : whole * 1000 + frac;
			break;
		}
	}
	fclose(f);
	return v;
}

static __u64 pattern(size_t page)
{
	return page * 0x9e3779b97f4a7c15ULL + 0x5a5a;
}

/* Pages of @m (@pages long) whose first and last words are not theirs. */
static size_t mismatches(const char *m, size_t pages)
{
	size_t i, bad = 0;

	for (i = 0; i < pages; i++) {
		const __u64 *w = (const __u64 *)(m + i * ps);

		bad += w[0] != pattern(i) || w[ps / 8 - 1] != ~pattern(i);
	}
	return bad;
}

FIXTURE(compact) {
	int dev;
	long long used, pool;
	size_t half;
	int keep, drop;		/* the segment that stays, the one freed */
};

/*
 * Two segments of half the pool each, written a page of one then a page
 * of the other, so that their frames interleave in every chunk; then the
 * second is closed, leaving every chunk half used.
 */
FIXTURE_SETUP(compact)
{
	char *page;
	size_t i;

	ps = sysconf(_SC_PAGESIZE);
	self->keep = -1;
	self->drop = -1;
	self->dev = open(SHMPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	self->pool = pool_stat("limit_max");
	if (self->pool != pool_stat("limit_min") || pool_stat("frames") != self->pool ||
	    stat_value(SHMPOOL_DEBUGFS "/swap", "swap_max_slots") != 0)
		SKIP(return, "needs a pool that cannot grow and no swap (run through compact.sh)");
	self->used = frames_used();
	self->half = (self->pool - self->used) / 2 - 16;

	self->keep = seg_new(self->dev, self->half * ps);
	ASSERT_LE(0, self->keep);
	self->drop = seg_new(self->dev, self->half * ps);
	ASSERT_LE(0, self->drop);
	page = malloc(ps);
	ASSERT_NE(NULL, page);
	memset(page, 0, ps);
	for (i = 0; i < self->half; i++) {
		((__u64 *)page)[0] = pattern(i);
		((__u64 *)page)[ps / 8 - 1] = ~pattern(i);
		ASSERT_EQ(ps, pwrite(self->keep, page, ps, i * ps));
		ASSERT_EQ(ps, pwrite(self->drop, page, ps, i * ps));
	}
	free(page);
	close(self->drop);
	self->drop = -1;
	/* Every chunk is half used: no order-9 block, for lack of contiguity. */
	ASSERT_LT(500, frag9());
}

FIXTURE_TEARDOWN(compact)
{
	if (self->keep >= 0)
		close(self->keep);
	if (self->pool > 0 && self->keep >= 0)
		EXPECT_EQ(self->used, frames_used());
	close(self->dev);
	/* Isolation holds after every test. */
	EXPECT_AUDIT_CLEAN();
}

struct mapper {
	int fd, go[2];
	size_t pages;
};

/* Map the segment, check it, wait for the word, check it again. */
static int mapper_child(void *arg)
{
	struct mapper *mp = arg;
	char *m = mmap(NULL, mp->pages * ps, PROT_READ, MAP_SHARED, mp->fd, 0);
	char c;

	/* Only the parent writes: if it dies, read() sees the end. */
	close(mp->go[1]);
	CHILD_TRUE(m != MAP_FAILED);
	CHILD_EQ(0, mismatches(m, mp->pages));
	CHILD_EQ(1, read(mp->go[0], &c, 1));
	CHILD_EQ(0, mismatches(m, mp->pages));
	return 0;
}

/*
 * The debugfs trigger moves the used frames of one chunk elsewhere: the
 * fragmentation index drops, an order-9 block can be had, and two
 * processes that had the segment mapped throughout, and read(), see every
 * byte as it was.
 */
TEST_F(compact, trigger_makes_an_order9_block)
{
	struct mapper mp = { .fd = self->keep, .pages = self->half };
	int before = frag9(), i, status, client, cf;
	long long moved = pool_stat("compact_moved");
	char result[256] = "", *buf;
	pid_t pid[2];
	ssize_t n;

	ASSERT_EQ(0, pipe(mp.go));
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		ASSERT_LE(0, pid[i]);
		if (!pid[i])
			_exit(mapper_child(&mp));
	}
	/* Let both map and fault in every page before the frames move. */
	sleep(2);

	cf = open(COMPACT, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, cf);
	n = pread(cf, result, sizeof(result) - 1, 0);
	EXPECT_EQ(5, n);
	EXPECT_EQ(0, strncmp(result, "none", 4));
	ASSERT_EQ(1, write(cf, "1", 1));
	n = pread(cf, result, sizeof(result) - 1, 0);
	ASSERT_LT(0, n);
	result[n] = 0;
	close(cf);
	ksft_print_msg("%s", result);
	EXPECT_NE(NULL, strstr(result, "result=done"));
	EXPECT_NE(NULL, strstr(result, "failed=0 "));
	EXPECT_NE(NULL, strstr(result, "frag_index_order9_after=-1.000"));
	EXPECT_LT(moved, pool_stat("compact_moved"));
	EXPECT_EQ(-1000, frag9());
	EXPECT_LT(500, before);

	ASSERT_EQ(2, write(mp.go[1], "gg", 2));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
		EXPECT_EQ(0, status);
	}
	close(mp.go[0]);
	close(mp.go[1]);

	buf = malloc(self->half * ps);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ((ssize_t)(self->half * ps), pread(self->keep, buf, self->half * ps, 0));
	EXPECT_EQ(0, mismatches(buf, self->half));
	free(buf);

	client = open(POOL_TEST, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, client);
	EXPECT_EQ(0, pool_cmd(client, "alloc 9 1"));
	close(client);
}

/*
 * An order-9 allocation that finds no block while the pool is fragmented
 * compacts by itself, once, and succeeds.
 */
TEST_F(compact, failed_allocation_compacts)
{
	long long runs = pool_stat("compact_runs");
	struct mapper mp = { .fd = self->keep, .pages = self->half };
	char *m;
	int client;

	m = mmap(NULL, self->half * ps, PROT_READ, MAP_SHARED, self->keep, 0);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(0, mismatches(m, mp.pages));
	client = open(POOL_TEST, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, client);
	EXPECT_EQ(0, pool_cmd(client, "alloc 9 1"));
	EXPECT_EQ(runs + 1, pool_stat("compact_runs"));
	EXPECT_EQ(0, mismatches(m, mp.pages));
	close(client);
	munmap(m, self->half * ps);
}

/* A pool with nothing movable says so, and changes nothing. */
TEST_F(compact, nothing_to_move)
{
	char result[256];
	ssize_t n;
	int cf;

	close(self->keep);
	self->keep = -1;
	cf = open(COMPACT, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, cf);
	ASSERT_EQ(1, write(cf, "1", 1));
	n = pread(cf, result, sizeof(result) - 1, 0);
	ASSERT_LT(0, n);
	result[n] = 0;
	EXPECT_NE(NULL, strstr(result, "result=nothing-to-do")) TH_LOG("%s", result);
	close(cf);
	EXPECT_EQ(self->used, frames_used());
}

TEST_HARNESS_MAIN
