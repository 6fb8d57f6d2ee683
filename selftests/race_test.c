// SPDX-License-Identifier: GPL-2.0
/*
 * Races: processes doing everything at once to shmpool for a bounded time,
 * every byte they wrote checked when it is read back.
 *
 * Each of NR_WORKERS processes loops over random operations: create, open
 * and unlink named segments that all of them share (names from a small
 * set, so that they collide), map them and write and check a pattern in
 * the one page of each that is its own, create private segments, resize
 * them, map, write, check, pass one over a socket to a forked child that
 * checks it, and close everything.  Meanwhile the parent tries to unload
 * the module, which must fail every time (it holds the device open).
 *
 * Two more have threads of one process share one segment, a plain one and
 * a huge one: one maps it and writes (two on the huge one), one shrinks
 * and regrows it under the mappings, one reads it with pread() and one
 * forks children that map it, so that faults, truncation and fork meet on
 * the same pages and the same mm.
 *
 * A worker that finds a wrong byte, or an errno the operation does not
 * document for the situation, reports it and fails the test; the pool's
 * frames_used must come back when all are gone.
 */
#include "shmpool_test.h"

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>

#include "kselftest_harness.h"

#define NR_WORKERS	4
#define NR_NAMES	4
#define NAMED_PAGES	NR_WORKERS	/* one page per worker */
#define PRIV_PAGES	16
#define DURATION	15		/* seconds */
#define RW		(SHMPOOL_PROT_READ | SHMPOOL_PROT_WRITE)

static long ps;

struct worker {
	int id;
	int dev;
	__u64 rng;
	unsigned long ops, checks;
};

static __u32 rnd(struct worker *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return (__u32)w->rng;
}

/* Word i of the pattern of page idx: a function of all three, never 0. */
static __u32 pattern(__u32 tag, long idx, long i)
{
	return (tag * 2654435761u + (__u32)(idx * 40503 + i)) | 1;
}

static void fill(char *page, __u32 tag, long idx)
{
	__u32 *p = (__u32 *)page;
	long i;

	for (i = 0; i < ps / 4; i++)
		p[i] = pattern(tag, idx, i);
}

static int check(const char *page, __u32 tag, long idx)
{
	const __u32 *p = (const __u32 *)page;
	long i;

	for (i = 0; i < ps / 4; i++)
		if (p[i] != pattern(tag, idx, i))
			return 0;
	return 1;
}

#define WFAIL(w, fmt, ...) do {							\
	fprintf(stderr, "# worker %d: " fmt "\n", (w)->id, ##__VA_ARGS__);	\
	_exit(1);								\
} while (0)

static void race_name(char *name, int n)
{
	memset(name, 0, SHMPOOL_NAME_MAX);
	snprintf(name, SHMPOOL_NAME_MAX, "race.%d.%d", (int)getppid(), n);
}

/* A shared named segment: create or open it, write and check our page. */
static void op_named(struct worker *w)
{
	char name[SHMPOOL_NAME_MAX];
	__u32 tag = rnd(w);
	char *map;
	int fd;

	race_name(name, rnd(w) % NR_NAMES);
	fd = seg_create(w->dev, name, NAMED_PAGES * ps, RW, 0600, 0);
	if (fd == -EEXIST)
		fd = seg_open(w->dev, name, SHMPOOL_OPEN_WRITE);
	if (fd == -ENOENT)	/* unlinked between the two: fine */
		return;
	if (fd < 0)
		WFAIL(w, "create/open %s: %s", name, strerror(-fd));
	map = mmap(NULL, NAMED_PAGES * ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fd, 0);
	if (map == MAP_FAILED)
		WFAIL(w, "mmap %s: %m", name);
	fill(map + w->id * ps, tag, w->id);
	if (rnd(w) % 2)
		sched_yield();
	if (!check(map + w->id * ps, tag, w->id))
		WFAIL(w, "%s: page %d lost what this worker wrote", name, w->id);
	w->checks++;
	munmap(map, NAMED_PAGES * ps);
	if (rnd(w) % 4 == 0) {
		int ret = seg_unlink(w->dev, name);

		if (ret && ret != -ENOENT)
			WFAIL(w, "unlink %s: %s", name, strerror(-ret));
	}
	close(fd);
}

/* Check a private segment in a forked child that got it over a socket. */
static void pass_and_check(struct worker *w, int fd, __u32 tag, long pages)
{
	int sv[2], status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		WFAIL(w, "socketpair: %m");
	pid = fork();
	if (pid < 0)
		WFAIL(w, "fork: %m");
	if (pid == 0) {
		int got = recv_fd(sv[1]);
		char *m;
		long i;

		if (got < 0)
			_exit(2);
		m = mmap(NULL, pages * ps, PROT_READ, MAP_SHARED, got, 0);
		if (m == MAP_FAILED)
			_exit(3);
		for (i = 0; i < pages; i++)
			if (!check(m + i * ps, tag, i))
				_exit(4);
		_exit(0);
	}
	if (send_fd(sv[0], fd))
		WFAIL(w, "send_fd: %m");
	close(sv[0]);
	close(sv[1]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		WFAIL(w, "the child checking a passed segment failed (%#x)", status);
	w->checks++;
}

/* A private segment: map, fill, maybe resize, check, maybe pass it on. */
static void op_private(struct worker *w)
{
	long pages = 1 + rnd(w) % PRIV_PAGES, i, keep;
	__u32 tag = rnd(w);
	char *map;
	int fd;

	fd = seg_create(w->dev, NULL, pages * ps, RW, 0600,
			rnd(w) % 2 ? SHMPOOL_CREATE_POPULATE : 0);
	if (fd < 0)
		WFAIL(w, "create: %s", strerror(-fd));
	map = mmap(NULL, pages * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		WFAIL(w, "mmap: %m");
	for (i = 0; i < pages; i++)
		fill(map + i * ps, tag, i);
	munmap(map, pages * ps);

	/* Shrink: the pages that stay keep their data, the rest read zero. */
	keep = 1 + rnd(w) % pages;
	if (ftruncate(fd, keep * ps))
		WFAIL(w, "ftruncate to %ld pages: %m", keep);
	if (ftruncate(fd, pages * ps))
		WFAIL(w, "ftruncate back to %ld pages: %m", pages);
	map = mmap(NULL, pages * ps, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		WFAIL(w, "mmap: %m");
	for (i = 0; i < pages; i++) {
		if (i < keep && !check(map + i * ps, tag, i))
			WFAIL(w, "page %ld of %ld lost its data", i, pages);
		if (i >= keep && (map[i * ps] || map[(i + 1) * ps - 1]))
			WFAIL(w, "page %ld, cut off, is not zero", i);
	}
	munmap(map, pages * ps);
	w->checks++;
	if (ftruncate(fd, keep * ps))
		WFAIL(w, "ftruncate: %m");
	if (rnd(w) % 4 == 0)
		pass_and_check(w, fd, tag, keep);
	close(fd);
}

static int worker_main(int id, int dev)
{
	struct worker w = { .id = id, .dev = dev };
	time_t end = time(NULL) + DURATION;

	w.rng = 0x9e3779b97f4a7c15ull * (id + 1);
	while (time(NULL) < end) {
		if (rnd(&w) % 2)
			op_named(&w);
		else
			op_private(&w);
		w.ops++;
	}
	printf("# worker %d: %lu operations, %lu checks\n", id, w.ops, w.checks);
	return 0;
}

TEST(everything_at_once)
{
	long long used = frames_used();
	pid_t pids[NR_WORKERS];
	int dev, i, status, refused = 0;
	char name[SHMPOOL_NAME_MAX];

	ps = sysconf(_SC_PAGESIZE);
	ASSERT_GE(used, 0);
	dev = open(SHMPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(dev, 0);

	for (i = 0; i < NR_WORKERS; i++) {
		pids[i] = fork();
		ASSERT_GE(pids[i], 0);
		if (pids[i] == 0)
			_exit(worker_main(i, dev));
	}

	/* The device is open here: unloading must be refused, every time. */
	for (i = 0; i < DURATION * 4; i++) {
		if (syscall(SYS_delete_module, "shmpool", O_NONBLOCK) == 0)
			break;
		EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY)
			TH_LOG("delete_module: %m");
		refused++;
		usleep(250 * 1000);
	}
	EXPECT_EQ(DURATION * 4, refused) TH_LOG("the module unloaded while in use");

	for (i = 0; i < NR_WORKERS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("worker %d failed (status %#x)", i, status);
	}
	for (i = 0; i < NR_NAMES; i++) {
		snprintf(name, sizeof(name), "race.%d.%d", (int)getpid(), i);
		seg_unlink(dev, name);
	}
	close(dev);
	EXPECT_EQ(used, frames_used());
}

/* The shared state of the threads tests. */
#define THREAD_PAGES	32
#define HUGE_THREAD_PAGES	1024	/* two 2 MiB blocks */

static long tpages;		/* the segment's size in pages */
static int tfd;
static int tstop;		/* set once, at the end: __atomic */
static __thread sigjmp_buf tjmp;
static __thread int tjmp_armed;

static void thread_sigbus(int sig)
{
	if (tjmp_armed)
		siglongjmp(tjmp, 1);
	abort();
}

/*
 * Word i of page p of the threads test is its pattern or zero (zero where
 * a shrink cut the page off and regrowing brought it back empty), byte by
 * byte: pread() copies bytes, so it may see a word half written.
 */
static int word_ok(__u32 v, long p, long i)
{
	__u32 want = pattern(0x7e57, p, i);
	int b;

	for (b = 0; b < 32; b += 8) {
		__u32 got = (v >> b) & 0xff;

		if (got && got != ((want >> b) & 0xff))
			return 0;
	}
	return 1;
}

/* Map the segment, write the pattern into every page, unmap; again. */
static void *thread_writer(void *arg)
{
	long n = 0, p, i;

	while (!__atomic_load_n(&tstop, __ATOMIC_RELAXED)) {
		char *m = mmap(NULL, tpages * ps, PROT_READ | PROT_WRITE,
			       MAP_SHARED, tfd, 0);

		/* Shrunk right now: a mapping past the end is EINVAL. */
		if (m == MAP_FAILED && errno == EINVAL)
			continue;
		if (m == MAP_FAILED)
			return (void *)"mmap failed";
		tjmp_armed = 1;
		/* A page cut off under us is SIGBUS: go on with the next round. */
		if (!sigsetjmp(tjmp, 1)) {
			for (p = 0; p < tpages; p++) {
				__u32 *w = (__u32 *)(m + p * ps);

				for (i = 0; i < ps / 4; i++)
					w[i] = pattern(0x7e57, p, i);
			}
		}
		tjmp_armed = 0;
		munmap(m, tpages * ps);
		n++;
	}
	return NULL;
}

/* Shrink to a random size and grow back, under the others' mappings. */
static void *thread_truncator(void *arg)
{
	struct worker w = { .rng = 0x243f6a8885a308d3ull };

	while (!__atomic_load_n(&tstop, __ATOMIC_RELAXED)) {
		if (ftruncate(tfd, (rnd(&w) % tpages) * ps) ||
		    ftruncate(tfd, tpages * ps))
			return (void *)"ftruncate failed";
		usleep(rnd(&w) % 2000);
	}
	return NULL;
}

/* Every word read is the pattern or zero, never anything else. */
static void *thread_reader(void *arg)
{
	__u32 *buf = malloc(ps);
	long p, i;

	if (!buf)
		return (void *)"malloc failed";
	while (!__atomic_load_n(&tstop, __ATOMIC_RELAXED)) {
		for (p = 0; p < tpages; p++) {
			ssize_t n = pread(tfd, buf, ps, p * ps);

			if (n < 0)
				return (void *)"pread failed";
			for (i = 0; i < n / 4; i++)
				if (!word_ok(buf[i], p, i))
					return (void *)"pread saw a word neither written nor zero";
		}
	}
	free(buf);
	return NULL;
}

/* Children map the segment and check it: fork meets the faults. */
static void *thread_forker(void *arg)
{
	while (!__atomic_load_n(&tstop, __ATOMIC_RELAXED)) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			return (void *)"fork failed";
		if (pid == 0) {
			struct sigaction sa = { .sa_handler = SIG_DFL };
			__u32 *m;
			long i;

			sigaction(SIGBUS, &sa, NULL);
			/* EINVAL: the segment has no page 0 right now */
			m = mmap(NULL, ps, PROT_READ, MAP_SHARED, tfd, 0);
			if (m == MAP_FAILED)
				_exit(errno == EINVAL ? 0 : 2);
			/* the first page is never cut off for long: read it */
			for (i = 0; i < ps / 4; i++)
				if (!word_ok(m[i], 0, i))
					_exit(3);
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid)
			return (void *)"waitpid failed";
		/* SIGBUS: the first page was cut off at that moment; fine */
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
			continue;
		if (!WIFEXITED(status) || WEXITSTATUS(status) == 2)
			return (void *)"a child could not map the segment";
		if (WEXITSTATUS(status))
			return (void *)"a child saw a wrong word";
	}
	return NULL;
}

/*
 * The threads' segment, plain or huge: its variant says how it is created,
 * how large it is and how many writers race for its pages.
 */
FIXTURE(threads) {
	int dev;
	long long used;		/* frames_used before the segment */
};

FIXTURE_VARIANT(threads) {
	__u32 flags;		/* SHMPOOL_CREATE_* */
	long pages;
	unsigned int writers;
};

FIXTURE_VARIANT_ADD(threads, plain) {
	.flags = 0, .pages = THREAD_PAGES, .writers = 1,
};

/*
 * Two writers where there are blocks to race for: they fault the same
 * blocks at once, one mapping a block by its PMD entry while the other
 * waits for it or maps its page alone, and truncation splits blocks
 * under both.
 */
FIXTURE_VARIANT_ADD(threads, huge) {
	.flags = SHMPOOL_CREATE_HUGE, .pages = HUGE_THREAD_PAGES, .writers = 2,
};

FIXTURE_SETUP(threads)
{
	ps = sysconf(_SC_PAGESIZE);
	self->used = frames_used();
	ASSERT_GE(self->used, 0);
	self->dev = open(SHMPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->dev, 0);
}

FIXTURE_TEARDOWN(threads)
{
	close(self->dev);
	/* A failed test may still hold the segment, until it exits. */
	if (_metadata->exit_code == KSFT_PASS)
		EXPECT_EQ(self->used, frames_used());
}

/*
 * A writer, a truncator, a reader, a forker and, where the variant has
 * two, the second writer share a new segment for DURATION seconds; every
 * word any of them sees is its pattern or zero.
 */
TEST_F(threads, share_a_segment)
{
	void *(*fns[])(void *) = {
		thread_writer, thread_truncator, thread_reader, thread_forker,
		thread_writer,
	};
	struct sigaction sa = { .sa_handler = thread_sigbus };
	unsigned int i, nr = 3 + variant->writers;
	pthread_t t[ARRAY_SIZE(fns)];
	void *ret;

	ASSERT_LE(nr, ARRAY_SIZE(fns));
	tpages = variant->pages;
	__atomic_store_n(&tstop, 0, __ATOMIC_RELAXED);
	tfd = seg_create(self->dev, NULL, tpages * ps, RW, 0600, variant->flags);
	ASSERT_GE(tfd, 0);
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));

	for (i = 0; i < nr; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, fns[i], NULL));
	sleep(DURATION);
	__atomic_store_n(&tstop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < nr; i++) {
		ASSERT_EQ(0, pthread_join(t[i], &ret));
		EXPECT_EQ(NULL, ret) TH_LOG("thread %u: %s", i, (char *)ret);
	}
	close(tfd);
}

/*
 * ACCEPT moves a segment's frame charge to a new owner and frees the old
 * owner's record with their last segment, while a thread faults fresh
 * pages of it in order, whose fault-ahead reads the owner's quota room.
 * The segment goes back and forth between root and TEST_UID (whose only
 * segment it is) for the whole run; KASAN sees any read of a freed owner.
 */
#define ACCEPT_PAGES	64

static char *accept_map;
static int accept_fd;

static void *accept_toucher(void *arg)
{
	unsigned long rounds = 0;
	long i;

	while (!__atomic_load_n(&tstop, __ATOMIC_RELAXED)) {
		for (i = 0; i < ACCEPT_PAGES; i++)
			accept_map[i * ps] = (char)rounds | 1;
		/* Holes again, for the next round's fault-ahead. */
		if (ftruncate(accept_fd, 0) || ftruncate(accept_fd, ACCEPT_PAGES * ps))
			return (void *)"ftruncate failed";
		rounds++;
	}
	return rounds ? NULL : (void *)"no round";
}

static int give_back_to_root(void *arg)
{
	CHILD_EQ(0, seg_accept(accept_fd));
	CHILD_EQ(0, seg_give(accept_fd, 0, TEST_GID));
	return 0;
}

TEST(ownership_moves_under_faults)
{
	long long used = frames_used();
	unsigned long moves = 0;
	struct shmpool_info info;
	time_t end;
	pthread_t t;
	void *ret;
	int dev;

	ps = sysconf(_SC_PAGESIZE);
	__atomic_store_n(&tstop, 0, __ATOMIC_RELAXED);
	dev = open(SHMPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(dev, 0);
	accept_fd = seg_create(dev, NULL, ACCEPT_PAGES * ps, RW, 0600, 0);
	ASSERT_GE(accept_fd, 0);
	accept_map = mmap(NULL, ACCEPT_PAGES * ps, PROT_READ | PROT_WRITE,
			  MAP_SHARED, accept_fd, 0);
	ASSERT_NE(MAP_FAILED, accept_map);
	ASSERT_EQ(0, pthread_create(&t, NULL, accept_toucher, NULL));

	for (end = time(NULL) + DURATION / 3; time(NULL) < end; moves++) {
		ASSERT_EQ(0, seg_give(accept_fd, TEST_UID, TEST_GID));
		ASSERT_EQ(0, run_as(TEST_UID, TEST_GID, give_back_to_root, NULL));
		ASSERT_EQ(0, seg_accept(accept_fd));
	}
	__atomic_store_n(&tstop, 1, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(NULL, ret) TH_LOG("%s", (char *)ret);
	ASSERT_EQ(0, seg_info(accept_fd, &info));
	EXPECT_EQ(0, info.uid);
	TH_LOG("%lu round trips", moves);
	munmap(accept_map, ACCEPT_PAGES * ps);
	close(accept_fd);
	close(dev);
	EXPECT_EQ(used, frames_used());
}

TEST_HARNESS_MAIN
