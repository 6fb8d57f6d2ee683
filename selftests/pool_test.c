// SPDX-License-Identifier: GPL-2.0
/*
 * The page-frame pool, driven through its root-only debugfs test client
 * (shmpool/pool/test) and observed through shmpool/pool/stats: exhaustion
 * fails cleanly, freed blocks coalesce back to whole chunks, frames come
 * back zeroed, per-CPU caches are drained when a CPU goes away, and bad
 * commands are refused.  Every test ends with no frame in use, as it began.
 */
#include "shmpool_test.h"

#include <sched.h>
#include <sys/stat.h>

#include "kselftest_harness.h"

FIXTURE(pool) {
	int fd;
	long long used_before;
};

FIXTURE_SETUP(pool)
{
	if (access(POOL_TEST, W_OK))
		SKIP(return, "no %s (shmpool_test.ko not loaded?)", POOL_TEST);
	self->used_before = pool_stat("frames_used");
	ASSERT_GE(self->used_before, 0);
	self->fd = open(POOL_TEST, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->fd, 0);
}

/* Closing the client frees what it holds: the pool is back where it was. */
FIXTURE_TEARDOWN(pool)
{
	if (self->fd < 0)
		return;
	close(self->fd);
	EXPECT_EQ(self->used_before, pool_stat("frames_used"));
	/* Isolation holds after every test. */
	EXPECT_AUDIT_CLEAN();
}

/* How many blocks/frames the client holds, from its read(). */
static long held_frames(int fd)
{
	char buf[64] = "";
	long blocks, frames;

	if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0 ||
	    sscanf(buf, "blocks %ld frames %ld", &blocks, &frames) != 2)
		return -1;
	return frames;
}

/*
 * Allocating past the maximum fails with ENOMEM, never a splat or an OOM
 * kill, and the pool then holds exactly its maximum (or everything the
 * kernel could give it).
 */
TEST_F(pool, exhaust_gives_enomem)
{
	long long max = pool_stat("limit_max"), failures = pool_stat("alloc_failures");
	long long frames, used;
	int ret;

	ASSERT_GT(max, 0);
	/* Big blocks first, then single frames for what is left. */
	ret = pool_cmd(self->fd, "alloc 9 1000000");
	EXPECT_EQ(-ENOMEM, ret);
	ret = pool_cmd(self->fd, "alloc 0 1000000");
	ASSERT_EQ(-ENOMEM, ret);

	frames = pool_stat("frames");
	used = pool_stat("frames_used");
	EXPECT_EQ(frames, used);
	EXPECT_EQ(frames, held_frames(self->fd) + self->used_before);
	if (pool_stat("grow_failures") == 0)
		EXPECT_EQ(max, frames);
	EXPECT_LE(frames, max);
	EXPECT_LT(failures, pool_stat("alloc_failures"));

	/* Full, the pool still refuses cleanly, and recovers after a free. */
	EXPECT_EQ(-ENOMEM, pool_cmd(self->fd, "alloc 0 1"));
	ASSERT_EQ(0, pool_cmd(self->fd, "free 1"));
	EXPECT_EQ(0, pool_cmd(self->fd, "alloc 0 1"));
}

/*
 * Blocks of mixed orders, freed in random order, coalesce back into whole
 * chunks: once the per-CPU caches are drained, all free memory is in
 * blocks of the chunks' order and nothing smaller is left.
 */
TEST_F(pool, mixed_orders_coalesce)
{
	static const int orders[] = { 0, 1, 2, 3, 0, 5, 0, 9, 4, 0, 2, 7, 0, 1, 6, 8 };
	long long frames, free_frames, blocks9, o;
	char cmd[64];
	unsigned int i, round;

	for (round = 0; round < 4; round++) {
		for (i = 0; i < ARRAY_SIZE(orders); i++) {
			snprintf(cmd, sizeof(cmd), "alloc %d %d", orders[i], 3 + (int)i % 5);
			ASSERT_EQ(0, pool_cmd(self->fd, cmd));
		}
		ASSERT_EQ(0, pool_cmd(self->fd, "fill 0x5a"));
		snprintf(cmd, sizeof(cmd), "free %u random %u", 50 + round * 10, round + 1);
		ASSERT_EQ(0, pool_cmd(self->fd, cmd));
	}
	ASSERT_EQ(0, pool_cmd(self->fd, "free 0 random 7"));
	ASSERT_EQ(0, pool_cmd(self->fd, "drain"));

	/* Leave the pool no time to change between the reads. */
	frames = pool_stat("frames");
	free_frames = pool_stat("frames_free");
	blocks9 = pool_stat("free_blocks_order9");
	if (frames % 512)
		SKIP(return, "the kernel gave the pool chunks smaller than 2 MiB");
	EXPECT_EQ(self->used_before, pool_stat("frames_used"));
	if (self->used_before == 0) {
		EXPECT_EQ(frames, free_frames);
		EXPECT_EQ(free_frames / 512, blocks9);
		for (o = 0; o < 9; o++) {
			snprintf(cmd, sizeof(cmd), "free_blocks_order%lld", o);
			EXPECT_EQ(0, pool_stat(cmd)) TH_LOG("order %lld", o);
		}
	}
}

/* A frame written by one owner reaches the next one zeroed. */
TEST_F(pool, frames_are_zeroed_for_the_next_owner)
{
	unsigned int round;

	for (round = 0; round < 3; round++) {
		ASSERT_EQ(0, pool_cmd(self->fd, "alloc 0 96"));
		ASSERT_EQ(0, pool_cmd(self->fd, "alloc 3 8"));
		ASSERT_EQ(0, pool_cmd(self->fd, "alloc 9 1"));
		ASSERT_EQ(0, pool_cmd(self->fd, "check 0"));
		ASSERT_EQ(0, pool_cmd(self->fd, "fill 0xa5"));
		/* The check itself must be able to fail. */
		ASSERT_EQ(-EIO, pool_cmd(self->fd, "check 0"));
		ASSERT_EQ(0, pool_cmd(self->fd, "check 0xa5"));
		/* LIFO: the same frames are the next ones handed out. */
		ASSERT_EQ(0, pool_cmd(self->fd, "free 0"));
	}
}

/* Malformed commands are refused and change nothing. */
TEST_F(pool, bad_commands_are_einval)
{
	static const char *const bad[] = {
		"alloc 10 1", "alloc 99999 1", "alloc -1 1", "alloc", "fill 256",
		"check 300", "free 1 sideways", "frobnicate", "",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, pool_cmd(self->fd, bad[i])) TH_LOG("command %u", i);
	EXPECT_EQ(0, held_frames(self->fd));
}

/* A CPU going offline leaves its cached frames to the buddy lists. */
TEST_F(pool, cpu_offline_drains_its_cache)
{
	const char *online = "/sys/devices/system/cpu/cpu1/online";
	long long drains;
	int fd;

	fd = open(online, O_WRONLY);
	if (fd < 0)
		SKIP(return, "CPU 1 cannot be taken offline here");
	ASSERT_EQ(0, pin_to_cpu(1));

	/* Frames freed on CPU 1 stay in its cache. */
	ASSERT_EQ(0, pool_cmd(self->fd, "alloc 0 40"));
	ASSERT_EQ(0, pool_cmd(self->fd, "free 0"));
	EXPECT_LT(0, pool_stat("cpu1_pcp"));
	drains = pool_stat("pcp_drains");

	ASSERT_EQ(0, pin_to_cpu(0));
	ASSERT_EQ(1, write(fd, "0", 1));
	EXPECT_EQ(0, pool_stat("cpu1_pcp"));
	EXPECT_LT(drains, pool_stat("pcp_drains"));
	EXPECT_EQ(1, write(fd, "1", 1));
	close(fd);
}

TEST_HARNESS_MAIN
