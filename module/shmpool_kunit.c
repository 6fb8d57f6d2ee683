// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the page-frame pool's allocator logic (pool.c), a module
 * of their own that calls into a loaded shmpool.ko.  They run on the pool
 * the module set up, alongside whatever else uses it, so every check is on
 * what the test itself did: its blocks, and counters it compares before and
 * after.  selftests/kunit.sh loads this module and reads the results.
 */
#include <kunit/test.h>
#include <linux/highmem.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/string.h>

#include "compat.h"
#include "pool.h"

/* An owner no segment has (segment ids are positive ints). */
#define TEST_OWNER	0xfffffff0u
/* Frames the zeroing test dirties: one per-CPU batch. */
#define DIRTY_FRAMES	32

/* One counter of a snapshot: STAT(st, USED) is SHMPOOL_STAT_USED's. */
#define STAT(st, item)	((st)->val[SHMPOOL_STAT_##item])

/* Whether all 2^order frames of the block at @page are zero. */
static bool block_is_zero(struct page *page, unsigned int order)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++) {
		void *p = kmap_local_page(page + i);
		bool zero = !memchr_inv(p, 0, PAGE_SIZE);

		kunmap_local(p);
		if (!zero)
			return false;
	}
	return true;
}

static void fill_block(struct page *page, unsigned int order, int c)
{
	unsigned long i;

	for (i = 0; i < (1UL << order); i++) {
		void *p = kmap_local_page(page + i);

		memset(p, c, PAGE_SIZE);
		kunmap_local(p);
	}
}

/* Every order hands out zeroed, naturally aligned blocks and counts them. */
static void alloc_every_order(struct kunit *test)
{
	struct shmpool_pool_stats *before, *after;
	unsigned int order;

	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);

	shmpool_pool_get_stats(before);
	for (order = 0; order <= SHMPOOL_MAX_ORDER; order++) {
		struct page *page = shmpool_alloc_frames(NULL, order, GFP_KERNEL,
							 TEST_OWNER);

		KUNIT_ASSERT_NOT_NULL_MSG(test, page, "order %u", order);
		KUNIT_EXPECT_EQ_MSG(test, page_to_pfn(page) & ((1UL << order) - 1), 0,
				    "order %u block at pfn %#lx", order,
				    page_to_pfn(page));
		KUNIT_EXPECT_TRUE_MSG(test, block_is_zero(page, order),
				      "order %u", order);
		fill_block(page, order, 0xa5);
		shmpool_free_frames(page, order);
	}
	shmpool_pool_get_stats(after);
	for (order = 0; order <= SHMPOOL_MAX_ORDER; order++) {
		KUNIT_EXPECT_GE(test, STAT(after, ALLOCS + order),
				STAT(before, ALLOCS + order) + 1);
		KUNIT_EXPECT_GE(test, STAT(after, FREES + order),
				STAT(before, FREES + order) + 1);
	}
}

/* A frame comes back zeroed, whoever wrote it before. */
static void freed_frames_are_zeroed(struct kunit *test)
{
	struct page *pages[DIRTY_FRAMES] = { NULL };
	unsigned long dirty[DIRTY_FRAMES] = { 0 };
	unsigned int i, j, got = 0, zero = 0, reused = 0;

	/*
	 * Dirty a batch; the next batch, on the same CPU, reuses them (the
	 * caches are LIFO).  No assertion may end the test in between.
	 */
	migrate_disable();
	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		pages[i] = shmpool_alloc_frames(NULL, 0, GFP_KERNEL, TEST_OWNER);
		if (!pages[i])
			break;
		fill_block(pages[i], 0, 0x5a);
		dirty[i] = page_to_pfn(pages[i]);
	}
	while (i--)
		shmpool_free_frames(pages[i], 0);
	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		pages[i] = shmpool_alloc_frames(NULL, 0, GFP_KERNEL, TEST_OWNER);
		if (!pages[i])
			break;
		got++;
		zero += block_is_zero(pages[i], 0);
		for (j = 0; j < ARRAY_SIZE(dirty); j++)
			reused += page_to_pfn(pages[i]) == dirty[j];
	}
	migrate_enable();
	while (i--)
		shmpool_free_frames(pages[i], 0);

	KUNIT_EXPECT_EQ(test, got, ARRAY_SIZE(pages));
	KUNIT_EXPECT_EQ(test, zero, got);
	/* The check saw the dirtied frames themselves. */
	KUNIT_EXPECT_EQ(test, reused, got);
}

/* A small pseudo-random permutation of 0..n-1 (a fixed LCG seed). */
static void shuffle(unsigned int *idx, unsigned int n)
{
	u32 seed = 0x2545f491;
	unsigned int i;

	for (i = 0; i < n; i++)
		idx[i] = i;
	for (i = n - 1; i > 0; i--) {
		seed = seed * 1664525 + 1013904223;
		swap(idx[i], idx[seed % (i + 1)]);
	}
}

#define MIXED_BLOCKS	96

/*
 * Blocks of mixed orders, freed in a shuffled order, coalesce back: once
 * the caches are drained, the free blocks of every order below the largest
 * are what they were (whole chunks may have come and gone meanwhile).
 */
static void mixed_orders_coalesce(struct kunit *test)
{
	struct shmpool_pool_stats *before, *after;
	unsigned int *order, *idx, i, o;
	struct page **pages;

	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	pages = kunit_kcalloc(test, MIXED_BLOCKS, sizeof(*pages), GFP_KERNEL);
	order = kunit_kcalloc(test, MIXED_BLOCKS, sizeof(*order), GFP_KERNEL);
	idx = kunit_kcalloc(test, MIXED_BLOCKS, sizeof(*idx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	KUNIT_ASSERT_NOT_NULL(test, order);
	KUNIT_ASSERT_NOT_NULL(test, idx);

	shmpool_pool_drain();
	shmpool_pool_get_stats(before);
	for (i = 0; i < MIXED_BLOCKS; i++) {
		order[i] = i % 4 ? 0 : (i / 4) % 6;
		pages[i] = shmpool_alloc_frames(NULL, order[i], GFP_KERNEL,
						TEST_OWNER);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
	}
	shuffle(idx, MIXED_BLOCKS);
	for (i = 0; i < MIXED_BLOCKS; i++)
		shmpool_free_frames(pages[idx[i]], order[idx[i]]);
	shmpool_pool_drain();
	shmpool_pool_get_stats(after);

	KUNIT_EXPECT_EQ(test, STAT(after, USED), STAT(before, USED));
	KUNIT_EXPECT_EQ(test, STAT(after, PCP), 0);
	for (o = 0; o < SHMPOOL_MAX_ORDER; o++)
		KUNIT_EXPECT_EQ_MSG(test, STAT(after, FREE_BLOCKS + o),
				    STAT(before, FREE_BLOCKS + o), "order %u", o);
}

/* The fragmentation index, against values worked out by hand. */
static void fragmentation_index(struct kunit *test)
{
	unsigned long blocks[SHMPOOL_NR_ORDERS] = { 0 };

	/* No free memory: a failure would be for lack of memory. */
	KUNIT_EXPECT_EQ(test, shmpool_frag_index(blocks, 0), 0);
	KUNIT_EXPECT_EQ(test, shmpool_frag_index(blocks, 9), 0);

	/* 512 single frames: any order-0 request succeeds ... */
	blocks[0] = 512;
	KUNIT_EXPECT_EQ(test, shmpool_frag_index(blocks, 0), -1000);
	/* ... and an order-9 one fails for contiguity alone:
	 * 1000 - (1000 + 512 * 1000 / 512) / 512 = 997.
	 */
	KUNIT_EXPECT_EQ(test, shmpool_frag_index(blocks, 9), 997);
	/* Order 1 from 512 singles: 1000 - (1000 + 256000) / 512 = 499. */
	KUNIT_EXPECT_EQ(test, shmpool_frag_index(blocks, 1), 499);

	/* One order-3 block makes every order up to 3 succeed. */
	blocks[3] = 1;
	KUNIT_EXPECT_EQ(test, shmpool_frag_index(blocks, 3), -1000);
	KUNIT_EXPECT_EQ(test, shmpool_frag_index(blocks, 1), -1000);
	/* Order 4: 520 frames in 513 blocks, 1000 - (1000 + 32500) / 513. */
	KUNIT_EXPECT_EQ(test, shmpool_frag_index(blocks, 4), 1000 - 33500 / 513);
}

/* The memory map shows a block with its state, order and owner. */
static void map_shows_block(struct kunit *test)
{
	struct shmpool_extent ext;
	unsigned long pos = 0, pfn;
	struct page *page;
	bool found = false;

	page = shmpool_alloc_frames(NULL, 3, GFP_KERNEL, TEST_OWNER);
	KUNIT_ASSERT_NOT_NULL(test, page);
	pfn = page_to_pfn(page);

	while (shmpool_pool_map_next(&pos, &ext)) {
		if (ext.pfn <= pfn && pfn < ext.pfn + ext.nr) {
			found = true;
			break;
		}
	}
	KUNIT_EXPECT_TRUE(test, found);
	if (found) {
		KUNIT_EXPECT_EQ(test, ext.pfn, pfn);
		KUNIT_EXPECT_EQ(test, ext.state, SHMPOOL_FRAME_USED);
		KUNIT_EXPECT_EQ(test, ext.order, 3);
		KUNIT_EXPECT_EQ(test, ext.owner, TEST_OWNER);
		KUNIT_EXPECT_GE(test, ext.nr, 8);
	}
	shmpool_free_frames(page, 3);
}

/*
 * A frame someone else still references when it is freed is lent to the
 * kernel: it leaves the pool's count, but the pool keeps its reference
 * until the others' last put_page(), and clears the frame before it lets
 * go of it.
 */
static void referenced_frame_is_lent(struct kunit *test)
{
	struct shmpool_pool_stats *before, *after;
	struct page *page;

	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);

	page = shmpool_alloc_frames(NULL, 0, GFP_KERNEL, TEST_OWNER);
	KUNIT_ASSERT_NOT_NULL(test, page);
	get_page(page);
	shmpool_pool_get_stats(before);
	shmpool_free_frames(page, 0);
	shmpool_pool_get_stats(after);
	KUNIT_EXPECT_EQ(test, STAT(after, FRAMES_LENT), STAT(before, FRAMES_LENT) + 1);
	KUNIT_EXPECT_EQ(test, STAT(after, USED) + 1, STAT(before, USED));
	KUNIT_EXPECT_EQ(test, STAT(after, LENT_HELD), STAT(before, LENT_HELD) + 1);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 2);
	put_page(page);
}

/*
 * A block freed as still zeroed skips the clear, and a block freed
 * written is cleared: the counters say which happened to each.
 */
static void clean_blocks_skip_the_clear(struct kunit *test)
{
	struct shmpool_pool_stats *before, *after;
	struct page *page;
	void *addr;

	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);

	shmpool_pool_get_stats(before);
	page = shmpool_alloc_frames(NULL, 2, GFP_KERNEL, TEST_OWNER);
	KUNIT_ASSERT_NOT_NULL(test, page);
	shmpool_free_zeroed_frames(page, 2);
	page = shmpool_alloc_frames(NULL, 1, GFP_KERNEL, TEST_OWNER);
	KUNIT_ASSERT_NOT_NULL(test, page);
	addr = kmap_local_page(page + 1);
	memset(addr, 0x5a, PAGE_SIZE);
	kunmap_local(addr);
	shmpool_free_frames(page, 1);
	shmpool_pool_get_stats(after);
	KUNIT_EXPECT_EQ(test, STAT(after, CLEARS_SAVED), STAT(before, CLEARS_SAVED) + 4);
	KUNIT_EXPECT_EQ(test, STAT(after, FRAMES_CLEARED), STAT(before, FRAMES_CLEARED) + 2);
}

/* An order-0 frame freed and taken again on one CPU is a cache hit. */
static void order0_uses_the_cpu_cache(struct kunit *test)
{
	struct shmpool_pool_stats *before, *after;
	struct page *page;

	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);

	shmpool_pool_get_stats(before);
	/*
	 * On one CPU throughout (the frame just freed is there to take).  The
	 * counters are summed over all CPUs.
	 */
	migrate_disable();
	page = shmpool_alloc_frames(NULL, 0, GFP_KERNEL, TEST_OWNER);
	if (page) {
		shmpool_free_frames(page, 0);
		page = shmpool_alloc_frames(NULL, 0, GFP_KERNEL, TEST_OWNER);
	}
	migrate_enable();
	KUNIT_ASSERT_NOT_NULL(test, page);
	shmpool_pool_get_stats(after);
	shmpool_free_frames(page, 0);
	KUNIT_EXPECT_EQ(test, STAT(after, PCP_HITS) + STAT(after, PCP_MISSES),
			STAT(before, PCP_HITS) + STAT(before, PCP_MISSES) + 2);
	/* The second allocation found the frame the free left behind. */
	KUNIT_EXPECT_GE(test, STAT(after, PCP_HITS), STAT(before, PCP_HITS) + 1);
}

/*
 * Without leave to block, an empty pool does not grow: the allocation
 * fails, is counted, and everything taken comes back.
 */
static void nonblocking_exhaustion(struct kunit *test)
{
	struct shmpool_pool_stats *before, *after;
	unsigned long n = 0, max;
	struct page **pages;

	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, after);

	shmpool_pool_get_stats(before);
	/* More blocks than the pool can ever hold at once. */
	max = (STAT(before, LIMIT_MAX) >> SHMPOOL_MAX_ORDER) + 1;
	pages = kvcalloc(max, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pages);

	while (n < max) {
		pages[n] = shmpool_alloc_frames(NULL, SHMPOOL_MAX_ORDER,
						GFP_NOWAIT, TEST_OWNER);
		if (!pages[n])
			break;
		n++;
	}
	shmpool_pool_get_stats(after);
	KUNIT_EXPECT_LT(test, n, max);
	KUNIT_EXPECT_GE(test, STAT(after, ALLOC_FAILURES), STAT(before, ALLOC_FAILURES) + 1);
	while (n--)
		shmpool_free_frames(pages[n], SHMPOOL_MAX_ORDER);
	kvfree(pages);
	shmpool_pool_get_stats(after);
	KUNIT_EXPECT_EQ(test, STAT(after, USED), STAT(before, USED));
}

static struct kunit_case shmpool_pool_cases[] = {
	KUNIT_CASE(alloc_every_order),
	KUNIT_CASE(freed_frames_are_zeroed),
	KUNIT_CASE(mixed_orders_coalesce),
	KUNIT_CASE(fragmentation_index),
	KUNIT_CASE(map_shows_block),
	KUNIT_CASE(referenced_frame_is_lent),
	KUNIT_CASE(clean_blocks_skip_the_clear),
	KUNIT_CASE(order0_uses_the_cpu_cache),
	KUNIT_CASE(nonblocking_exhaustion),
	{}
};

static struct kunit_suite shmpool_pool_suite = {
	.name = "shmpool_pool",
	.test_cases = shmpool_pool_cases,
};

kunit_test_suite(shmpool_pool_suite);

SHMPOOL_IMPORT_KUNIT_NS();
MODULE_IMPORT_NS(SHMPOOL_NS);

MODULE_DESCRIPTION("KUnit tests of the shmpool page-frame pool");
MODULE_LICENSE("GPL");
