// SPDX-License-Identifier: GPL-2.0
/*
 * Shared-memory segments, as module/uapi/linux/shmpool.h documents them:
 * their life (demand paging, the frames they hold and give back), the file
 * calls on a segment fd, names, protections, seals, what other users may
 * do, ownership, quotas, mapping edge cases, bad input and module unload.
 *
 * Most tests need only what the "dev" fixture sets up (the device open,
 * frames_used noted, two names of the test's own); the others have a
 * fixture for what they change (quotas, a memory cgroup, huge segments) or
 * for their variants (cache modes, the size seals).  Every fixture notes
 * frames_used when a test begins and checks, when the test has passed,
 * that every frame came back.  A segment gives its frames back
 * synchronously when its last fd and mapping go, so counts are compared
 * exactly, never polled.  Each test runs in a process of its own; processes
 * it forks report through their exit status (CHILD_EQ(), CHILD_TRUE()).
 */
#include "shmpool_test.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <termios.h>

#include <linux/elf.h>

#include "kselftest_harness.h"

#define RW	(SHMPOOL_PROT_READ | SHMPOOL_PROT_WRITE)

static long ps;		/* the page size, which is the frame size */

/* KiB in n pages, for the *_kb module parameters. */
static long long pages_kb(long n)
{
	return n * ps / 1024;
}

/* What every fixture holds first. */
struct seg_env {
	int dev;				/* /dev/shmpool, read-write */
	long long used;				/* frames_used when the test began */
	char name[2][SHMPOOL_NAME_MAX];		/* names no other test uses */
};

static void env_setup(struct __test_metadata *_metadata, struct seg_env *env)
{
	int i;

	ps = sysconf(_SC_PAGESIZE);
	env->dev = open(SHMPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(env->dev, 0) TH_LOG("open %s: %m", SHMPOOL_DEV);
	env->used = frames_used();
	ASSERT_GE(env->used, 0) TH_LOG("cannot read %s", POOL_STATS);
	for (i = 0; i < 2; i++)
		snprintf(env->name[i], SHMPOOL_NAME_MAX, "selftest.%d.%d",
			 (int)getpid(), i);
}

/*
 * Unlink the test's names (a persistent segment would outlive the test's
 * process) and, when the test passed, check that all its frames came back.
 * A failed test may still hold fds and mappings; they go when it exits.
 * Isolation holds after every test, passed or not: the auditor finds
 * nothing.
 */
static void env_teardown(struct __test_metadata *_metadata, struct seg_env *env)
{
	int dev = env->dev >= 0 ? env->dev : open(SHMPOOL_DEV, O_RDWR | O_CLOEXEC);
	int i;

	if (dev >= 0) {
		for (i = 0; i < 2; i++)
			seg_unlink(dev, env->name[i]);
		close(dev);
	}
	if (_metadata->exit_code == KSFT_PASS) {
		EXPECT_EQ(env->used, frames_used())
			TH_LOG("the test's frames did not all come back");
	}
	EXPECT_AUDIT_CLEAN();
}

/* frames_used is where the test began plus delta. */
#define EXPECT_USED(delta) \
	EXPECT_EQ(self->env.used + (delta), frames_used())

/* Map len bytes of fd shared: the address, or NULL. */
static char *map_shared(int fd, size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Store the string s, NUL included, at dst (memory of a mapping). */
static void put_str(char *dst, const char *s)
{
	memcpy(dst, s, strlen(s) + 1);
}

/* Whether all len bytes at p are c. */
static int all_bytes(const char *p, size_t len, char c)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != c)
			return 0;
	return 1;
}

struct touch {
	char *addr;
	int write;
};

static int touch_fn(void *arg)
{
	struct touch *t = arg;

	if (t->write)
		t->addr[0] = 1;
	/* the compiler must load the byte (and store it first) */
	asm volatile("" : : "r"(t->addr[0]) : "memory");
	return 0;
}

/*
 * The signal that kills a child reading (write 0) or writing (1) addr: 0
 * when the access works, -1 when no child could be run.
 */
static int touch_signal(void *addr, int write)
{
	struct touch t = { addr, write };
	int status = run_child(touch_fn, &t);

	if (status < 0)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/* What a child run as another user works on. */
struct peer {
	int dev;		/* /dev/shmpool, opened by root before the switch */
	int fd;			/* a segment fd inherited over fork, or -1 */
	const char *name;	/* the segment's name */
	const char *absent;	/* a name no segment has */
	__u32 id;		/* the segment's id */
	int can_read;		/* whether the mode lets the child open it ... */
	int can_write;		/* ... and open it for writing */
};

/*
 * The device open, frames_used noted and two names of the test's own: all
 * that most tests need, whatever part of a segment's life they check.
 */
FIXTURE(dev) {
	struct seg_env env;
};

FIXTURE_SETUP(dev)
{
	env_setup(_metadata, &self->env);
}

FIXTURE_TEARDOWN(dev)
{
	env_teardown(_metadata, &self->env);
}

/*
 * Life of a segment: the fd CREATE returns, what INFO and fstat say, demand
 * paging and the exact number of frames held, and when they come back.
 */
/*
 * CREATE returns an fd open read-write and close-on-exec, unless
 * SHMPOOL_FD_NOCLOEXEC asks otherwise; each segment has an id of its own.
 */
TEST_F(dev, create_returns_fd)
{
	struct shmpool_create c = { .size = 2 * ps, .prot = RW, .mode = 0600 };
	struct shmpool_create nc = c;
	int fd, fd2;

	fd = seg_create_raw(self->env.dev, &c);
	ASSERT_GE(fd, 0) TH_LOG("create: %s", strerror(-fd));
	EXPECT_TRUE(fd_cloexec(fd));
	EXPECT_EQ(O_RDWR, fcntl(fd, F_GETFL) & O_ACCMODE);

	nc.flags = SHMPOOL_FD_NOCLOEXEC;
	fd2 = seg_create_raw(self->env.dev, &nc);
	ASSERT_GE(fd2, 0);
	EXPECT_FALSE(fd_cloexec(fd2));
	EXPECT_EQ(O_RDWR, fcntl(fd2, F_GETFL) & O_ACCMODE);

	EXPECT_NE(c.id, nc.id);
	EXPECT_EQ(c.id, seg_id(fd));
	EXPECT_EQ(nc.id, seg_id(fd2));
	close(fd);
	close(fd2);
}

/* INFO shows a new segment as created: nothing resident, no seal, no mapping. */
TEST_F(dev, info_of_new_segment)
{
	struct shmpool_create c = {
		.size = 3 * ps, .prot = RW, .mode = 0640, .cache = SHMPOOL_CACHE_WB,
	};
	struct shmpool_info info;
	int fd;

	name_copy(c.name, self->env.name[0]);
	fd = seg_create_raw(self->env.dev, &c);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(c.id, info.id);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(3 * ps, info.size);
	EXPECT_EQ(0, info.resident);
	EXPECT_EQ(RW, info.prot);
	EXPECT_EQ(RW, info.fd_prot);
	EXPECT_EQ(0, info.seals);
	EXPECT_EQ(SHMPOOL_CACHE_WB, info.cache);
	EXPECT_EQ(0640, info.mode);
	EXPECT_EQ(geteuid(), info.uid);
	EXPECT_EQ(getegid(), info.gid);
	EXPECT_EQ(0, info.maps);
	EXPECT_EQ(0, info.swapped);
	EXPECT_STREQ(self->env.name[0], info.name);
	close(fd);
}

static int check_creator_owns(void *arg)
{
	struct seg_env *env = arg;
	struct stat st;
	int fd = seg_new(env->dev, ps);

	CHILD_TRUE(fd >= 0);
	CHILD_EQ(0, fstat(fd, &st));
	CHILD_EQ(TEST_UID, st.st_uid);
	CHILD_EQ(TEST_GID, st.st_gid);
	return 0;
}

/*
 * fstat() shows a regular file of the segment's size and mode, owned by
 * the creator's effective ids (root here, "nobody" in the child).
 */
TEST_F(dev, fstat)
{
	struct stat st;
	int fd = seg_create(self->env.dev, NULL, 5 * ps, RW, 0640, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(5 * ps, st.st_size);
	EXPECT_EQ(0640, st.st_mode & 0777);
	EXPECT_EQ(geteuid(), st.st_uid);
	EXPECT_EQ(getegid(), st.st_gid);
	close(fd);

	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, check_creator_owns, &self->env));
}

/*
 * Demand paging: creating and mapping a segment costs no frame, each page
 * written costs exactly one, writing it again costs nothing more.  The
 * frames stay while an fd holds the segment and come back with the last.
 */
TEST_F(dev, demand_paging)
{
	struct shmpool_info info;
	char *m;
	int fd = seg_new(self->env.dev, 8 * ps);

	ASSERT_GE(fd, 0);
	EXPECT_USED(0);
	m = map_shared(fd, 8 * ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);
	EXPECT_USED(0);

	m[0] = 1;
	m[3 * ps + 5] = 1;
	m[8 * ps - 1] = 1;
	EXPECT_USED(3);
	m[3 * ps] = 2;
	m[ps - 1] = 2;
	EXPECT_USED(3);
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(3, info.resident);

	ASSERT_EQ(0, munmap(m, 8 * ps));
	EXPECT_USED(3);
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(3, info.resident);
	close(fd);
	EXPECT_USED(0);
}

/*
 * A writer going forward through fresh pages of a shared mapping gets the
 * holes ahead of it filled and mapped with its second fault, up to 16
 * pages at once and never past the mapping; a read, a jump or a private
 * mapping gets only the page it touched.  Only with plenty of free frames:
 * a pool loaded small (trace.sh loads 1 MiB) takes nothing ahead.
 */
static long long faults_stat(const char *name)
{
	return stat_value(SHMPOOL_DEBUGFS "/stats", name);
}

TEST_F(dev, writer_gets_frames_ahead)
{
	long long ahead = faults_stat("faults_ahead");
	long long faults;
	struct shmpool_info info;
	char *m, *p;
	int fd, i;

	ASSERT_GE(ahead, 0);
	if (pool_stat("frames_free") < 1024)
		SKIP(return, "fewer than 1024 free frames: no fault-ahead");
	fd = seg_new(self->env.dev, 64 * ps);
	ASSERT_GE(fd, 0);
	m = map_shared(fd, 64 * ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);

	m[0] = 1;
	EXPECT_USED(1);
	m[ps] = 1;		/* in order: pages 1 to 16 at once */
	EXPECT_USED(17);
	EXPECT_EQ(ahead + 15, faults_stat("faults_ahead"));
	faults = faults_stat("faults");
	for (i = 2; i <= 16; i++)
		m[i * ps] = (char)i;	/* mapped already: no fault */
	EXPECT_EQ(faults, faults_stat("faults"));
	for (i = 2; i <= 16; i++)
		EXPECT_EQ((char)i, m[i * ps]);

	/* A jump, then a read after it: one page each. */
	m[30 * ps] = 1;
	EXPECT_USED(18);
	EXPECT_EQ(0, m[31 * ps]);
	EXPECT_USED(19);

	/* Never past the mapping: pages 40 to 47, mapped alone. */
	p = mmap(NULL, 8 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 40 * ps);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	p[ps] = 1;
	EXPECT_USED(19 + 8);
	ASSERT_EQ(0, munmap(p, 8 * ps));

	/* A private mapping copies; the segment gains only what it read. */
	p = mmap(NULL, 8 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 48 * ps);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	p[ps] = 1;
	EXPECT_USED(29);	/* the copies are not the pool's */
	ASSERT_EQ(0, munmap(p, 8 * ps));

	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(29, info.resident);
	ASSERT_EQ(0, munmap(m, 64 * ps));
	close(fd);
	EXPECT_USED(0);
}

/*
 * @len bytes of @fd from @off, shared, at the start of a page table of
 * their own: what a fault maps ahead stops at the end of its page table,
 * and nothing is mapped ahead under one that does not exist yet.  The
 * rest of the 4 MiB reserved around it stays reserved (PROT_NONE) until
 * the test's process exits, so that nothing else gets that page table.
 */
static char *map_shared_alone(int fd, size_t len, off_t off)
{
	size_t align = 2UL << 20;
	char *area, *at, *p;

	if (len > align)
		return NULL;
	area = mmap(NULL, 2 * align, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		return NULL;
	at = (char *)(((unsigned long)area + align - 1) & ~(align - 1));
	p = mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 off);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * A writer through pages that are there already (another mapping filled
 * them: the sharing path) gets the resident pages after the one it
 * faulted on mapped with it, up to 16 in all and never past the mapping,
 * and nothing allocated for it; what it writes lands in the pages the
 * other mapping sees.  Other tests may fault meanwhile only in their own
 * processes: the harness runs one test at a time.
 */
TEST_F(dev, writer_through_resident_pages_maps_ahead)
{
	long long around, faults;
	char *m, *p;
	int fd, i;

	fd = seg_new(self->env.dev, 64 * ps);
	ASSERT_GE(fd, 0);
	/* 48 pages there: fault-ahead never fills past this mapping. */
	m = map_shared(fd, 48 * ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);
	for (i = 0; i < 48; i++)
		m[i * ps] = 1;
	EXPECT_USED(48);

	/* The first fault under a page table maps its page alone. */
	p = map_shared_alone(fd, 64 * ps, 0);
	ASSERT_NE(NULL, p);
	p[0] = 2;
	around = faults_stat("faults_around");
	faults = faults_stat("faults");
	p[ps] = 2;		/* pages 2 to 16 with it */
	EXPECT_EQ(faults + 1, faults_stat("faults"));
	EXPECT_EQ(around + 15, faults_stat("faults_around"));
	for (i = 2; i <= 16; i++)
		p[i * ps] = (char)i;	/* mapped already: no fault */
	EXPECT_EQ(faults + 1, faults_stat("faults"));
	for (i = 0; i <= 16; i++)
		EXPECT_EQ(i > 1 ? (char)i : 2, m[i * ps]);

	/* Only what is there: pages 41 to 47, not the holes after them. */
	around = faults_stat("faults_around");
	p[40 * ps] = 2;
	EXPECT_EQ(around + 7, faults_stat("faults_around"));
	EXPECT_USED(48);
	ASSERT_EQ(0, munmap(p, 64 * ps));

	/* Never past the mapping: pages 42 and 43 of one ending there. */
	p = map_shared_alone(fd, 4 * ps, 40 * ps);
	ASSERT_NE(NULL, p);
	p[0] = 3;
	around = faults_stat("faults_around");
	p[ps] = 3;
	EXPECT_EQ(around + 2, faults_stat("faults_around"));
	EXPECT_EQ(3, m[41 * ps]);
	ASSERT_EQ(0, munmap(p, 4 * ps));

	ASSERT_EQ(0, munmap(m, 48 * ps));
	close(fd);
	EXPECT_USED(0);
}

/* SHMPOOL_CREATE_POPULATE takes every frame at once; touching adds none. */
TEST_F(dev, populate)
{
	struct shmpool_info info;
	char *m;
	int fd = seg_create(self->env.dev, NULL, 8 * ps, RW, 0600,
			    SHMPOOL_CREATE_POPULATE);

	ASSERT_GE(fd, 0);
	EXPECT_USED(8);
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(8, info.resident);
	m = map_shared(fd, 8 * ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);
	memset(m, 0x11, 8 * ps);
	EXPECT_USED(8);
	munmap(m, 8 * ps);
	close(fd);
	EXPECT_USED(0);
}

/* A mapping keeps the segment, data and frames, after its last fd closed. */
TEST_F(dev, mapping_outlives_fd)
{
	char *m;
	int fd = seg_new(self->env.dev, 2 * ps);

	ASSERT_GE(fd, 0);
	m = map_shared(fd, 2 * ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);
	memset(m, 0x5a, 2 * ps);
	close(fd);
	EXPECT_USED(2);
	EXPECT_TRUE(all_bytes(m, 2 * ps, 0x5a));
	m[ps] = 0x5b;
	EXPECT_EQ(0x5b, m[ps]);
	EXPECT_USED(2);
	ASSERT_EQ(0, munmap(m, 2 * ps));
	EXPECT_USED(0);
}

/* Frames a segment gave back never show their old contents in a new one. */
TEST_F(dev, new_frames_are_zeroed)
{
	char *m;
	int fd = seg_create(self->env.dev, NULL, 16 * ps, RW, 0600,
			    SHMPOOL_CREATE_POPULATE);

	ASSERT_GE(fd, 0);
	m = map_shared(fd, 16 * ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);
	memset(m, 0xa5, 16 * ps);
	munmap(m, 16 * ps);
	close(fd);
	EXPECT_USED(0);

	fd = seg_create(self->env.dev, NULL, 16 * ps, RW, 0600,
			SHMPOOL_CREATE_POPULATE);
	ASSERT_GE(fd, 0);
	m = map_shared(fd, 16 * ps, PROT_READ);
	ASSERT_NE(NULL, m);
	EXPECT_TRUE(all_bytes(m, 16 * ps, 0));
	munmap(m, 16 * ps);
	close(fd);
}

/* INFO's maps counts the mappings as they come and go. */
TEST_F(dev, info_counts_mappings)
{
	struct shmpool_info info;
	char *a, *b;
	int fd = seg_new(self->env.dev, ps);

	ASSERT_GE(fd, 0);
	a = map_shared(fd, ps, PROT_READ);
	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(1, info.maps);
	b = map_shared(fd, ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(2, info.maps);
	munmap(a, ps);
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(1, info.maps);
	munmap(b, ps);
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(0, info.maps);
	close(fd);
}

/*
 * File calls on a segment fd and how mappings share: read/write/lseek,
 * ftruncate, MAP_SHARED against MAP_PRIVATE, fork and fd passing.
 */
/*
 * read/write/pread/pwrite/lseek work as on a file of fixed size: reads stop
 * at the end, writes there get ENOSPC, a write straddling it is short, an
 * untouched page reads as zeros, and writes never grow the segment.
 */
TEST_F(dev, read_write_lseek)
{
	const size_t size = 4 * ps;
	char buf[64], *big;
	struct stat st;
	int fd = seg_new(self->env.dev, size);

	ASSERT_GE(fd, 0);
	big = malloc(2 * ps);
	ASSERT_NE(NULL, big);

	/* pread/pwrite leave the file position alone */
	EXPECT_EQ(6, pwrite(fd, "hello", 6, ps + 10));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(6, pread(fd, buf, 6, ps + 10));
	EXPECT_STREQ("hello", buf);
	EXPECT_EQ(0, lseek(fd, 0, SEEK_CUR));

	/* read/write move it; SEEK_END is the size */
	EXPECT_EQ(100, lseek(fd, 100, SEEK_SET));
	EXPECT_EQ(3, write(fd, "abc", 3));
	EXPECT_EQ(103, lseek(fd, 0, SEEK_CUR));
	EXPECT_EQ(100, lseek(fd, -3, SEEK_CUR));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(3, read(fd, buf, 3));
	EXPECT_STREQ("abc", buf);
	EXPECT_EQ(size, lseek(fd, 0, SEEK_END));

	/* at and past the end: nothing to read, no room to write */
	EXPECT_EQ(0, read(fd, buf, sizeof(buf)));
	errno = 0;
	EXPECT_EQ(-1, write(fd, "x", 1));
	EXPECT_EQ(ENOSPC, errno);
	errno = 0;
	EXPECT_EQ(-1, pwrite(fd, "x", 1, size));
	EXPECT_EQ(ENOSPC, errno);
	errno = 0;
	EXPECT_EQ(-1, pwrite(fd, "x", 1, size + ps));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(0, pread(fd, buf, 1, size + ps));

	/* straddling the end: short */
	memset(big, 0x77, 2 * ps);
	EXPECT_EQ(ps, pwrite(fd, big, 2 * ps, size - ps));
	memset(big, 0, 2 * ps);
	EXPECT_EQ(ps / 2, pread(fd, big, 2 * ps, size - ps / 2));
	EXPECT_TRUE(all_bytes(big, ps / 2, 0x77));

	/* page 2 was never written */
	memset(big, 0x33, ps);
	EXPECT_EQ(ps, pread(fd, big, ps, 2 * ps));
	EXPECT_TRUE(all_bytes(big, ps, 0));

	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(size, st.st_size);
	free(big);
	close(fd);
}

/* Two MAP_SHARED mappings and pread/pwrite all see the same memory. */
TEST_F(dev, shared_mappings_and_file_calls_agree)
{
	char buf[32] = "";
	char *a, *b;
	int fd = seg_new(self->env.dev, 2 * ps);

	ASSERT_GE(fd, 0);
	a = map_shared(fd, 2 * ps, PROT_READ | PROT_WRITE);
	b = map_shared(fd, 2 * ps, PROT_READ);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);

	put_str(a + ps, "written through a");
	EXPECT_STREQ("written through a", b + ps);
	EXPECT_EQ(sizeof(buf), pread(fd, buf, sizeof(buf), ps));
	EXPECT_STREQ("written through a", buf);

	EXPECT_EQ(18, pwrite(fd, "written by pwrite", 18, 0));
	EXPECT_STREQ("written by pwrite", a);
	EXPECT_STREQ("written by pwrite", b);
	munmap(a, 2 * ps);
	munmap(b, 2 * ps);
	close(fd);
}

/*
 * MAP_PRIVATE starts with the segment's contents and copies on write:
 * its writes reach neither the segment nor other mappings, and later
 * writes to the segment do not reach its copied page.
 */
TEST_F(dev, private_mapping_is_copy_on_write)
{
	char buf[16] = "";
	char *shared, *priv;
	int fd = seg_new(self->env.dev, ps);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(9, pwrite(fd, "original", 9, 0));
	shared = map_shared(fd, ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, shared);
	priv = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, priv);

	EXPECT_STREQ("original", priv);
	put_str(priv, "private");
	EXPECT_STREQ("private", priv);
	EXPECT_STREQ("original", shared);
	EXPECT_EQ(9, pread(fd, buf, 9, 0));
	EXPECT_STREQ("original", buf);

	put_str(shared, "shared");
	EXPECT_STREQ("private", priv);
	munmap(priv, ps);
	munmap(shared, ps);
	close(fd);
}

/*
 * ftruncate() grows and shrinks.  Shrinking gives the cut pages' frames
 * back at once and makes them SIGBUS in an existing mapping; growing again
 * brings zeroed pages, not the old contents.  Sizes must be page-aligned.
 */
TEST_F(dev, ftruncate_grows_and_shrinks)
{
	struct shmpool_info info;
	struct stat st;
	char byte, *m;
	int fd = seg_new(self->env.dev, 2 * ps);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, 4 * ps));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(4 * ps, st.st_size);
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(4 * ps, info.size);

	m = map_shared(fd, 4 * ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);
	memset(m, 0x3c, 4 * ps);
	EXPECT_USED(4);

	ASSERT_EQ(0, ftruncate(fd, ps));
	EXPECT_USED(1);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(ps, st.st_size);
	EXPECT_EQ(SIGBUS, touch_signal(m + ps, 0));
	EXPECT_EQ(SIGBUS, touch_signal(m + 3 * ps, 1));
	EXPECT_TRUE(all_bytes(m, ps, 0x3c));
	EXPECT_EQ(0, pread(fd, &byte, 1, ps));
	EXPECT_USED(1);

	ASSERT_EQ(0, ftruncate(fd, 4 * ps));
	EXPECT_TRUE(all_bytes(m + ps, 3 * ps, 0));
	EXPECT_TRUE(all_bytes(m, ps, 0x3c));

	errno = 0;
	EXPECT_EQ(-1, ftruncate(fd, 4 * ps + 1));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, ftruncate(fd, ps / 2));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(4 * ps, st.st_size);
	munmap(m, 4 * ps);
	close(fd);
}

static int child_writes(void *arg)
{
	char *m = arg;

	CHILD_EQ(0, strcmp(m, "from the parent"));
	put_str(m, "from the child");
	return 0;
}

/* A MAP_SHARED mapping stays shared across fork(): the child's write shows. */
TEST_F(dev, fork_keeps_shared_mapping_shared)
{
	char buf[16] = "";
	char *m;
	int fd = seg_new(self->env.dev, ps);

	ASSERT_GE(fd, 0);
	m = map_shared(fd, ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);
	put_str(m, "from the parent");
	EXPECT_EQ(0, run_child(child_writes, m));
	EXPECT_STREQ("from the child", m);
	EXPECT_EQ(15, pread(fd, buf, 15, 0));
	EXPECT_STREQ("from the child", buf);
	munmap(m, ps);
	close(fd);
}

static int receive_and_map(void *arg)
{
	int fd = recv_fd(*(int *)arg);
	struct stat st;
	char *m;

	CHILD_TRUE(fd >= 0);
	CHILD_EQ(0, fstat(fd, &st));
	CHILD_EQ(ps, st.st_size);
	m = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHILD_TRUE(m != MAP_FAILED);
	CHILD_EQ(0, strcmp(m, "sent over a socket"));
	put_str(m + 64, "seen by the receiver");
	return 0;
}

/*
 * An fd sent with SCM_RIGHTS works in the receiver: it maps the segment and
 * sees the sender's data, and its writes reach the sender.  The sender
 * closes its fd first, so the fd in flight alone keeps the segment.
 */
TEST_F(dev, fd_passes_over_unix_socket)
{
	int sv[2], fd;
	char *m;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	fd = seg_new(self->env.dev, ps);
	ASSERT_GE(fd, 0);
	m = map_shared(fd, ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);
	put_str(m, "sent over a socket");
	ASSERT_EQ(0, send_fd(sv[0], fd));
	close(fd);

	EXPECT_EQ(0, run_child(receive_and_map, &sv[1]));
	EXPECT_STREQ("seen by the receiver", m + 64);
	munmap(m, ps);
	close(sv[0]);
	close(sv[1]);
}

/*
 * Segment pages are ordinary pages the kernel can take references to: a
 * pipe holds them after vmsplice().  When the segment dies under such a
 * reference, the frame is lent to the kernel instead of being zeroed and
 * reused, so the pipe still reads what was written and nobody else gets
 * the frame.
 */
TEST_F(dev, vmsplice_reference_outlives_segment)
{
	long long lent = pool_stat("frames_lent");
	char buf[64];
	struct iovec iov;
	int fd, p[2];
	char *m;

	ASSERT_GE(lent, 0);
	ASSERT_EQ(0, pipe(p));
	fd = seg_new(self->env.dev, ps);
	ASSERT_GE(fd, 0);
	m = map_shared(fd, ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);
	put_str(m, "still in the pipe");
	iov.iov_base = m;
	iov.iov_len = ps;
	ASSERT_EQ(ps, vmsplice(p[1], &iov, 1, 0));
	EXPECT_USED(1);

	munmap(m, ps);
	close(fd);
	/* The segment is gone; its frame is the kernel's, not the pool's. */
	EXPECT_USED(0);
	EXPECT_EQ(lent + 1, pool_stat("frames_lent"));

	ASSERT_EQ(sizeof(buf), read(p[0], buf, sizeof(buf)));
	EXPECT_STREQ("still in the pipe", buf);
	close(p[0]);
	close(p[1]);
}

/* The physical frame behind @addr, from /proc/self/pagemap; 0 if none. */
static __u64 frame_of(const void *addr)
{
	__u64 entry = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &entry, sizeof(entry), (uintptr_t)addr / ps * 8) != 8)
		entry = 0;
	close(fd);
	/* Present, and the pfn (bits 0-54; zero without CAP_SYS_ADMIN). */
	return entry >> 63 ? entry & ((1ULL << 55) - 1) : 0;
}

/*
 * Read frame @pfn as the kernel's direct map holds it, through the
 * /proc/kcore segment that covers it.  Return: 0, or -1 when there is
 * none or the read fails.
 */
static int kcore_read_frame(int kcore, __u64 pfn, void *buf)
{
	__u64 phys = pfn * ps;
	struct elf64_hdr eh;
	struct elf64_phdr ph;
	int i;

	if (pread(kcore, &eh, sizeof(eh), 0) != sizeof(eh))
		return -1;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(kcore, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) !=
		    sizeof(ph))
			return -1;
		if (ph.p_type != PT_LOAD || ph.p_paddr == ~0ULL ||
		    phys < ph.p_paddr || phys + ps > ph.p_paddr + ph.p_memsz)
			continue;
		return pread(kcore, buf, ps, ph.p_offset + phys - ph.p_paddr) ==
		       ps ? 0 : -1;
	}
	return -1;
}

#define LENT_PAGES	8

/* Page @i's contents: a marker no page holds by chance. */
static void lent_pattern(char *page, int i)
{
	size_t off;

	for (off = 0; off < ps; off += 32)
		snprintf(page + off, 32, "shmpool lent %d:%06zx", i, off);
}

/*
 * A frame lent to the kernel (a pipe still held it when its segment let
 * go) keeps its data for the pipe, and leaves shmpool zeroed once the
 * pipe lets go: what the kernel's allocator hands out next must not hold
 * the last owner's data.  Read back through /proc/kcore, after the pool
 * says no lent frame waits for its holders any more.
 */
TEST_F(dev, lent_frame_leaves_zeroed)
{
	char *m, *buf = malloc(ps), *want = malloc(ps);
	__u64 pfn[LENT_PAGES];
	int fd, kcore, p[2], i, dirty = 0, waits;
	struct iovec iov;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, want);
	kcore = open("/proc/kcore", O_RDONLY);
	if (kcore < 0)
		SKIP(return, "no /proc/kcore to read frames back through");
	ASSERT_EQ(0, pipe(p));
	fd = seg_new(self->env.dev, LENT_PAGES * ps);
	ASSERT_GE(fd, 0);
	m = map_shared(fd, LENT_PAGES * ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);
	for (i = 0; i < LENT_PAGES; i++) {
		lent_pattern(m + i * ps, i);
		pfn[i] = frame_of(m + i * ps);
		ASSERT_NE(0, pfn[i]);
		if (kcore_read_frame(kcore, pfn[i], buf) ||
		    memcmp(buf, m + i * ps, ps)) {
			munmap(m, LENT_PAGES * ps);
			close(fd);
			close(p[0]);
			close(p[1]);
			SKIP(return, "/proc/kcore does not show the frames");
		}
	}
	iov = (struct iovec){ m, LENT_PAGES * ps };
	ASSERT_EQ(LENT_PAGES * ps, vmsplice(p[1], &iov, 1, 0));
	munmap(m, LENT_PAGES * ps);
	close(fd);

	/* The pipe, the frames' last holder, reads them intact. */
	for (i = 0; i < LENT_PAGES; i++) {
		ASSERT_EQ(ps, read(p[0], buf, ps));
		lent_pattern(want, i);
		EXPECT_EQ(0, memcmp(buf, want, ps)) TH_LOG("page %d", i);
	}
	close(p[0]);
	close(p[1]);
	/* Up to 5 s for the pool to let them go (-1: no such counter). */
	for (waits = 0; waits < 50 && pool_stat("frames_lent_held") > 0; waits++)
		usleep(100000);
	for (i = 0; i < LENT_PAGES; i++) {
		ASSERT_EQ(0, kcore_read_frame(kcore, pfn[i], buf));
		lent_pattern(want, i);
		/* Any 32 bytes of it left: the kernel may have reused some. */
		for (size_t off = 0; off < ps; off += 32)
			if (!memcmp(buf + off, want + off, 32)) {
				dirty++;
				TH_LOG("page %d (pfn %#llx) left with its data",
				       i, (unsigned long long)pfn[i]);
				break;
			}
	}
	EXPECT_EQ(0, dirty);
	close(kcore);
	free(buf);
	free(want);
}

/*
 * Names: OPEN finds the same segment, a name goes with the segment's last
 * fd unless the segment is persistent, UNLINK ends persistence, LIST finds
 * named segments.
 */

/*
 * OPEN gives another fd to the same segment: same id, same memory.  With
 * SHMPOOL_OPEN_WRITE it is read-write, without it read-only; it is
 * close-on-exec unless SHMPOOL_FD_NOCLOEXEC.
 */
TEST_F(dev, open_by_name)
{
	const char *name = self->env.name[0];
	struct shmpool_info info;
	char buf[16] = "";
	int fd, rw, ro, nc;

	fd = seg_create(self->env.dev, name, 2 * ps, RW, 0600, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(15, pwrite(fd, "by the creator", 15, 0));

	rw = seg_open(self->env.dev, name, SHMPOOL_OPEN_WRITE);
	ASSERT_GE(rw, 0) TH_LOG("open: %s", strerror(-rw));
	EXPECT_EQ(seg_id(fd), seg_id(rw));
	EXPECT_TRUE(fd_cloexec(rw));
	EXPECT_EQ(O_RDWR, fcntl(rw, F_GETFL) & O_ACCMODE);
	ASSERT_EQ(0, seg_info(rw, &info));
	EXPECT_EQ(RW, info.fd_prot);
	EXPECT_EQ(15, pread(rw, buf, 15, 0));
	EXPECT_STREQ("by the creator", buf);
	EXPECT_EQ(14, pwrite(rw, "by the opener", 14, ps));
	EXPECT_EQ(14, pread(fd, buf, 14, ps));
	EXPECT_STREQ("by the opener", buf);

	ro = seg_open(self->env.dev, name, 0);
	ASSERT_GE(ro, 0);
	EXPECT_EQ(seg_id(fd), seg_id(ro));
	EXPECT_EQ(O_RDONLY, fcntl(ro, F_GETFL) & O_ACCMODE);
	ASSERT_EQ(0, seg_info(ro, &info));
	EXPECT_EQ(SHMPOOL_PROT_READ, info.fd_prot);

	nc = seg_open(self->env.dev, name, SHMPOOL_FD_NOCLOEXEC);
	ASSERT_GE(nc, 0);
	EXPECT_FALSE(fd_cloexec(nc));
	close(nc);
	close(ro);
	close(rw);
	close(fd);
}

/*
 * A segment that is not persistent keeps its name while any fd does; after
 * the last one the name is gone (OPEN gets ENOENT) and free for reuse.
 */
TEST_F(dev, name_goes_with_last_fd)
{
	const char *name = self->env.name[0];
	long long id;
	int fd, fd2, fd3;

	fd = seg_create(self->env.dev, name, ps, RW, 0600, 0);
	ASSERT_GE(fd, 0);
	id = seg_id(fd);
	fd2 = seg_open(self->env.dev, name, 0);
	ASSERT_GE(fd2, 0);
	close(fd);

	fd3 = seg_open(self->env.dev, name, 0);
	EXPECT_GE(fd3, 0);
	EXPECT_EQ(id, seg_id(fd3));
	close(fd3);
	close(fd2);

	EXPECT_EQ(-ENOENT, seg_open(self->env.dev, name, 0));
	EXPECT_EQ(-ENOENT, seg_list(self->env.dev, id, NULL));
	fd = seg_create(self->env.dev, name, ps, RW, 0600, 0);
	EXPECT_GE(fd, 0);
	close(fd);
}

/*
 * SHMPOOL_CREATE_PERSIST: the segment, its data and its frames survive
 * closing every fd and can be opened again by name.  UNLINK removes the
 * name (which is then free for a new segment) and the frames go with the
 * last fd.
 */
TEST_F(dev, persistent_segment_survives_its_fds)
{
	const char *name = self->env.name[0];
	struct shmpool_info info;
	char buf[8] = "";
	long long id;
	int fd, fd2;

	fd = seg_create(self->env.dev, name, 4 * ps, RW, 0600,
			SHMPOOL_CREATE_PERSIST);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(5, pwrite(fd, "kept", 5, 0));
	ASSERT_EQ(5, pwrite(fd, "kept", 5, 2 * ps));
	EXPECT_USED(2);
	id = seg_id(fd);
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(SHMPOOL_INFO_PERSIST, info.flags & SHMPOOL_INFO_PERSIST);
	close(fd);
	EXPECT_USED(2);

	ASSERT_EQ(0, seg_list(self->env.dev, id, &info));
	EXPECT_EQ(2, info.resident);
	EXPECT_EQ(SHMPOOL_INFO_PERSIST, info.flags & SHMPOOL_INFO_PERSIST);
	fd = seg_open(self->env.dev, name, SHMPOOL_OPEN_WRITE);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(id, seg_id(fd));
	EXPECT_EQ(5, pread(fd, buf, 5, 2 * ps));
	EXPECT_STREQ("kept", buf);

	ASSERT_EQ(0, seg_unlink(self->env.dev, name));
	EXPECT_EQ(-ENOENT, seg_open(self->env.dev, name, 0));
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(0, info.flags & SHMPOOL_INFO_PERSIST);
	EXPECT_STREQ("", info.name);
	EXPECT_USED(2);
	EXPECT_EQ(5, pread(fd, buf, 5, 0));
	EXPECT_STREQ("kept", buf);

	/* the name is free while the unlinked segment lives on */
	fd2 = seg_create(self->env.dev, name, ps, RW, 0600, 0);
	EXPECT_GE(fd2, 0);
	EXPECT_NE(id, seg_id(fd2));
	close(fd2);

	close(fd);
	EXPECT_USED(0);
}

/* UNLINK of a persistent segment nobody holds frees it there and then. */
TEST_F(dev, unlink_frees_idle_persistent_segment)
{
	const char *name = self->env.name[0];
	int fd = seg_create(self->env.dev, name, 4 * ps, RW, 0600,
			    SHMPOOL_CREATE_PERSIST | SHMPOOL_CREATE_POPULATE);

	ASSERT_GE(fd, 0);
	close(fd);
	EXPECT_USED(4);
	EXPECT_EQ(0, seg_unlink(self->env.dev, name));
	EXPECT_USED(0);
	EXPECT_EQ(-ENOENT, seg_open(self->env.dev, name, 0));
	EXPECT_EQ(-ENOENT, seg_unlink(self->env.dev, name));
}

/*
 * LIST walks the named segments in id order and describes them; anonymous
 * segments are not in it, and a segment leaves it when it dies.
 */
TEST_F(dev, list_finds_named_segments)
{
	struct shmpool_info info;
	long long id, anon_id, count;
	int named, anon;

	named = seg_create(self->env.dev, self->env.name[0], 3 * ps, RW, 0640, 0);
	ASSERT_GE(named, 0);
	anon = seg_new(self->env.dev, ps);
	ASSERT_GE(anon, 0);
	ASSERT_EQ(1, pwrite(named, "x", 1, ps));
	id = seg_id(named);
	anon_id = seg_id(anon);

	ASSERT_EQ(0, seg_list(self->env.dev, id, &info));
	EXPECT_EQ(id, info.id);
	EXPECT_STREQ(self->env.name[0], info.name);
	EXPECT_EQ(0, info.flags);
	EXPECT_EQ(3 * ps, info.size);
	EXPECT_EQ(1, info.resident);
	EXPECT_EQ(RW, info.prot);
	EXPECT_EQ(RW, info.fd_prot);
	EXPECT_EQ(0640, info.mode);
	EXPECT_EQ(geteuid(), info.uid);
	EXPECT_EQ(-ENOENT, seg_list(self->env.dev, anon_id, NULL));

	count = seg_list(self->env.dev, 0, NULL);
	EXPECT_GE(count, 1);
	close(named);
	EXPECT_EQ(-ENOENT, seg_list(self->env.dev, id, NULL));
	EXPECT_EQ(count - 1, seg_list(self->env.dev, 0, NULL));
	close(anon);
}

/*
 * Protections: a segment's and an fd's maximum protections bound every
 * mapping, mprotect() included; RESTRICT narrows an fd for good; the cache
 * modes.
 */
/* A segment created read-only can be mapped for reading and nothing more. */
TEST_F(dev, read_only_segment)
{
	struct shmpool_info info;
	char *m;
	int fd = seg_create(self->env.dev, NULL, ps, SHMPOOL_PROT_READ, 0600, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(SHMPOOL_PROT_READ, info.prot);
	EXPECT_EQ(SHMPOOL_PROT_READ, info.fd_prot);
	EXPECT_EQ(-EACCES, try_mmap(fd, ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0));
	EXPECT_EQ(-EACCES, try_mmap(fd, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0));
	m = map_shared(fd, ps, PROT_READ);
	ASSERT_NE(NULL, m);
	EXPECT_EQ(0, m[0]);
	errno = 0;
	EXPECT_EQ(-1, mprotect(m, ps, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	munmap(m, ps);
	close(fd);
}

/* truncate() of /proc/self/fd/N on an inherited fd: as another user. */
static int truncate_fd_path(void *arg)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", *(int *)arg);
	CHILD_EQ(-1, truncate(path, 0));
	CHILD_EQ(EACCES, errno);
	return 0;
}

/*
 * An fd opened by name without SHMPOOL_OPEN_WRITE cannot write in any way:
 * no writable mapping (shared or private), no mprotect() to writable, a
 * store through its mapping kills with SIGSEGV, and write(), ftruncate()
 * and ADD_SEALS are refused.
 */
TEST_F(dev, read_only_fd)
{
	const char *name = self->env.name[0];
	char buf[16] = "";
	int fd, ro;
	char *m;

	fd = seg_create(self->env.dev, name, ps, RW, 0600, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(10, pwrite(fd, "unchanged", 10, 0));
	ro = seg_open(self->env.dev, name, 0);
	ASSERT_GE(ro, 0);

	EXPECT_EQ(-EACCES, try_mmap(ro, ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0));
	EXPECT_EQ(-EACCES, try_mmap(ro, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0));
	m = map_shared(ro, ps, PROT_READ);
	ASSERT_NE(NULL, m);
	EXPECT_STREQ("unchanged", m);
	errno = 0;
	EXPECT_EQ(-1, mprotect(m, ps, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(SIGSEGV, touch_signal(m, 1));

	errno = 0;
	EXPECT_EQ(-1, write(ro, "x", 1));
	EXPECT_EQ(EBADF, errno);
	errno = 0;
	EXPECT_EQ(-1, ftruncate(ro, 2 * ps));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EPERM, seg_add_seals(ro, F_SEAL_GROW));

	EXPECT_EQ(10, pread(fd, buf, 10, 0));
	EXPECT_STREQ("unchanged", buf);
	munmap(m, ps);
	close(ro);
	close(fd);
}

/*
 * A segment with SHMPOOL_PROT_EXEC runs code: mov $42,%eax; ret written
 * into it returns 42 when called through a PROT_EXEC mapping, and a store
 * through a writable mapping shows in the executable one.  By name, EXEC
 * comes only with SHMPOOL_OPEN_EXEC.
 */
TEST_F(dev, exec_segment_runs_code)
{
#ifdef __x86_64__
	static const unsigned char ret42[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 };
	const char *name = self->env.name[0];
	struct shmpool_info info;
	int (*fn)(void);
	char *x, *w, *r;
	int fd, nx, xfd;

	fd = seg_create(self->env.dev, name, ps, SHMPOOL_PROT_ALL, 0700, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(sizeof(ret42), pwrite(fd, ret42, sizeof(ret42), 0));
	x = map_shared(fd, ps, PROT_READ | PROT_EXEC);
	ASSERT_NE(NULL, x);
	fn = (int (*)(void))x;
	EXPECT_EQ(42, fn());

	w = map_shared(fd, ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, w);
	w[1] = 7;
	EXPECT_EQ(7, fn());
	munmap(x, ps);

	/* the fd allows EXEC, so a read mapping may become executable */
	r = map_shared(fd, ps, PROT_READ);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, mprotect(r, ps, PROT_READ | PROT_EXEC));
	fn = (int (*)(void))r;
	EXPECT_EQ(7, fn());
	munmap(r, ps);
	munmap(w, ps);

	nx = seg_open(self->env.dev, name, 0);
	ASSERT_GE(nx, 0);
	ASSERT_EQ(0, seg_info(nx, &info));
	EXPECT_EQ(SHMPOOL_PROT_READ, info.fd_prot);
	EXPECT_EQ(-EACCES, try_mmap(nx, ps, PROT_READ | PROT_EXEC, MAP_SHARED, 0));
	xfd = seg_open(self->env.dev, name, SHMPOOL_OPEN_EXEC);
	ASSERT_GE(xfd, 0);
	ASSERT_EQ(0, seg_info(xfd, &info));
	EXPECT_EQ(SHMPOOL_PROT_READ | SHMPOOL_PROT_EXEC, info.fd_prot);
	EXPECT_EQ(0, try_mmap(xfd, ps, PROT_READ | PROT_EXEC, MAP_SHARED, 0));
	close(xfd);
	close(nx);
	close(fd);
#else
	SKIP(return, "the code this test runs is x86-64");
#endif
}

/* Without SHMPOOL_PROT_EXEC nothing of the segment can be executable. */
TEST_F(dev, no_exec_without_exec_prot)
{
	char *m;
	int fd = seg_new(self->env.dev, ps);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EACCES, try_mmap(fd, ps, PROT_READ | PROT_EXEC, MAP_SHARED, 0));
	EXPECT_EQ(-EACCES, try_mmap(fd, ps, PROT_READ | PROT_EXEC, MAP_PRIVATE, 0));
	m = map_shared(fd, ps, PROT_READ);
	ASSERT_NE(NULL, m);
	errno = 0;
	EXPECT_EQ(-1, mprotect(m, ps, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	munmap(m, ps);
	close(fd);
}

/*
 * RESTRICT gives an fd with fewer protections that can never get them
 * back; the fd it was made from keeps its own.  Bad arguments: EINVAL.
 */
TEST_F(dev, restrict_narrows_for_good)
{
	struct shmpool_restrict r = { .prot = SHMPOOL_PROT_READ, .__reserved = 1 };
	struct shmpool_info info;
	int fd, ro, rr, rw;
	char path[64];
	char *m;

	fd = seg_new(self->env.dev, ps);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(12, pwrite(fd, "for readers", 12, 0));

	ro = seg_restrict(fd, SHMPOOL_PROT_READ, 0);
	ASSERT_GE(ro, 0) TH_LOG("restrict: %s", strerror(-ro));
	EXPECT_TRUE(fd_cloexec(ro));
	EXPECT_EQ(O_RDONLY, fcntl(ro, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(seg_id(fd), seg_id(ro));
	ASSERT_EQ(0, seg_info(ro, &info));
	EXPECT_EQ(SHMPOOL_PROT_READ, info.fd_prot);
	EXPECT_EQ(RW, info.prot);
	EXPECT_EQ(-EACCES, try_mmap(ro, ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0));
	EXPECT_EQ(-EACCES, try_mmap(ro, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0));
	m = map_shared(ro, ps, PROT_READ);
	ASSERT_NE(NULL, m);
	EXPECT_STREQ("for readers", m);
	munmap(m, ps);

	/* no way back up, whatever the route */
	EXPECT_EQ(-EACCES, seg_restrict(ro, RW, 0));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ro);
	EXPECT_EQ(-1, truncate(path, 0));
	EXPECT_EQ(EPERM, errno);
	/* Another user's: the VFS refuses first, by the segment's mode. */
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, truncate_fd_path, &ro));
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ((long long)ps, info.size);
	EXPECT_EQ(-1, open(path, O_RDWR));
	rr = seg_restrict(ro, SHMPOOL_PROT_READ, SHMPOOL_FD_NOCLOEXEC);
	ASSERT_GE(rr, 0);
	EXPECT_FALSE(fd_cloexec(rr));
	EXPECT_EQ(-EACCES, seg_restrict(rr, RW, 0));
	EXPECT_EQ(-EACCES, seg_restrict(fd, SHMPOOL_PROT_ALL, 0));

	/* the original fd is untouched; a read-write restriction is read-write */
	EXPECT_EQ(0, try_mmap(fd, ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0));
	rw = seg_restrict(fd, RW, 0);
	ASSERT_GE(rw, 0);
	EXPECT_EQ(O_RDWR, fcntl(rw, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(0, try_mmap(rw, ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0));

	EXPECT_EQ(-EINVAL, seg_restrict(fd, 0, 0));
	EXPECT_EQ(-EINVAL, seg_restrict(fd, SHMPOOL_PROT_WRITE, 0));
	EXPECT_EQ(-EINVAL, seg_restrict(fd, SHMPOOL_PROT_READ | 0x8, 0));
	EXPECT_EQ(-EINVAL, seg_restrict(fd, SHMPOOL_PROT_READ, 0x1));
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, SHMPOOL_SEG_IOC_RESTRICT, &r));
	EXPECT_EQ(EINVAL, errno);
	close(rw);
	close(rr);
	close(ro);
	close(fd);
}

/* Whether the running kernel is x86 (32- or 64-bit), whatever this binary is. */
static int kernel_is_x86(void)
{
	struct utsname u;

	if (uname(&u))
		return 0;
	return !strcmp(u.machine, "x86_64") ||
	       (u.machine[0] == 'i' && !strcmp(u.machine + 2, "86"));
}

/*
 * A write-combining or uncached segment: what the dev fixture sets up, once
 * per cache mode.
 */
FIXTURE(cache_mode) {
	struct seg_env env;
};

FIXTURE_VARIANT(cache_mode) {
	__u32 cache;
};

FIXTURE_VARIANT_ADD(cache_mode, wc) {
	.cache = SHMPOOL_CACHE_WC,
};

FIXTURE_VARIANT_ADD(cache_mode, uc) {
	.cache = SHMPOOL_CACHE_UC,
};

FIXTURE_SETUP(cache_mode)
{
	env_setup(_metadata, &self->env);
}

FIXTURE_TEARDOWN(cache_mode)
{
	env_teardown(_metadata, &self->env);
}

/*
 * Write-combining and uncached segments work through shared mappings and
 * refuse MAP_PRIVATE; they exist only on x86 (EOPNOTSUPP elsewhere).
 */
TEST_F(cache_mode, shared_mappings_only)
{
	struct shmpool_create c = {
		.size = 2 * ps, .prot = RW, .mode = 0600, .cache = variant->cache,
	};
	struct shmpool_info info;
	char buf[8] = "";
	char *m;
	int fd;

	fd = seg_create_raw(self->env.dev, &c);
	if (!kernel_is_x86()) {
		EXPECT_EQ(-EOPNOTSUPP, fd);
		if (fd >= 0)
			close(fd);
		return;
	}
	ASSERT_GE(fd, 0) TH_LOG("%s", strerror(-fd));
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(variant->cache, info.cache);
	m = map_shared(fd, 2 * ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);
	put_str(m + ps, "cached?");
	EXPECT_EQ(8, pread(fd, buf, 8, ps));
	EXPECT_STREQ("cached?", buf);
	EXPECT_EQ(-EINVAL, try_mmap(fd, ps, PROT_READ, MAP_PRIVATE, 0));
	munmap(m, 2 * ps);
	close(fd);
}

/* Seals, as fcntl(F_ADD_SEALS) has them for a memfd. */
/*
 * Seals start empty and accumulate; they belong to the segment, so every
 * fd sees them; a read-only fd cannot add any; unknown bits are refused.
 */
TEST_F(dev, seals_accumulate)
{
	struct shmpool_info info;
	int fd, ro;

	fd = seg_new(self->env.dev, 4 * ps);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, seg_get_seals(fd));
	EXPECT_EQ(0, seg_add_seals(fd, F_SEAL_GROW));
	EXPECT_EQ(0, seg_add_seals(fd, F_SEAL_SHRINK));
	EXPECT_EQ(F_SEAL_GROW | F_SEAL_SHRINK, seg_get_seals(fd));

	ro = seg_restrict(fd, SHMPOOL_PROT_READ, 0);
	ASSERT_GE(ro, 0);
	EXPECT_EQ(F_SEAL_GROW | F_SEAL_SHRINK, seg_get_seals(ro));
	EXPECT_EQ(-EPERM, seg_add_seals(ro, F_SEAL_SEAL));
	ASSERT_EQ(0, seg_info(ro, &info));
	EXPECT_EQ(F_SEAL_GROW | F_SEAL_SHRINK, info.seals);

	EXPECT_EQ(-EINVAL, seg_add_seals(fd, 0x100));
	EXPECT_EQ(-EINVAL, seg_add_seals(fd, F_SEAL_WRITE | 0x80000000));
	EXPECT_EQ(F_SEAL_GROW | F_SEAL_SHRINK, seg_get_seals(fd));
	close(ro);
	close(fd);
}

/*
 * A size seal: what the dev fixture sets up, once for F_SEAL_GROW and once
 * for F_SEAL_SHRINK, with the size each refuses and the size it allows.
 */
FIXTURE(size_seal) {
	struct seg_env env;
};

FIXTURE_VARIANT(size_seal) {
	__u32 seal;
	long refused, allowed;	/* in pages, from a segment of 4 */
};

FIXTURE_VARIANT_ADD(size_seal, grow) {
	.seal = F_SEAL_GROW, .refused = 8, .allowed = 2,
};

FIXTURE_VARIANT_ADD(size_seal, shrink) {
	.seal = F_SEAL_SHRINK, .refused = 2, .allowed = 8,
};

FIXTURE_SETUP(size_seal)
{
	env_setup(_metadata, &self->env);
}

FIXTURE_TEARDOWN(size_seal)
{
	env_teardown(_metadata, &self->env);
}

/*
 * F_SEAL_GROW refuses a larger size and allows a smaller one; F_SEAL_SHRINK
 * refuses a smaller size and allows a larger one.
 */
TEST_F(size_seal, ftruncate)
{
	struct stat st;
	int fd = seg_new(self->env.dev, 4 * ps);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, seg_add_seals(fd, variant->seal));
	errno = 0;
	EXPECT_EQ(-1, ftruncate(fd, variant->refused * ps));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(0, ftruncate(fd, variant->allowed * ps));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(variant->allowed * ps, st.st_size);
	close(fd);
}

/*
 * F_SEAL_WRITE: EBUSY while a writable shared mapping exists; once set,
 * write() and writable shared mappings get EPERM, and a read-only shared
 * mapping cannot be made writable.  A private mapping may still write its
 * own copy.
 */
TEST_F(dev, seal_write)
{
	char buf[16] = "";
	char *w, *r, *p;
	int fd = seg_new(self->env.dev, 2 * ps);

	ASSERT_GE(fd, 0);
	w = map_shared(fd, 2 * ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, w);
	put_str(w, "before the seal");
	EXPECT_EQ(-EBUSY, seg_add_seals(fd, F_SEAL_WRITE));
	EXPECT_EQ(0, seg_get_seals(fd));
	munmap(w, 2 * ps);
	ASSERT_EQ(0, seg_add_seals(fd, F_SEAL_WRITE));
	EXPECT_EQ(F_SEAL_WRITE, seg_get_seals(fd));

	errno = 0;
	EXPECT_EQ(-1, write(fd, "x", 1));
	EXPECT_EQ(EPERM, errno);
	errno = 0;
	EXPECT_EQ(-1, pwrite(fd, "x", 1, ps));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-EPERM, try_mmap(fd, 2 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0));

	r = map_shared(fd, 2 * ps, PROT_READ);
	ASSERT_NE(NULL, r);
	EXPECT_STREQ("before the seal", r);
	errno = 0;
	EXPECT_EQ(-1, mprotect(r, 2 * ps, PROT_READ | PROT_WRITE));
	EXPECT_TRUE(errno == EACCES || errno == EPERM) TH_LOG("errno %d", errno);

	p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	put_str(p, "private scribble");
	EXPECT_STREQ("before the seal", r);
	EXPECT_EQ(16, pread(fd, buf, 16, 0));
	EXPECT_STREQ("before the seal", buf);
	munmap(p, 2 * ps);
	munmap(r, 2 * ps);
	close(fd);
}

/*
 * A page segment written through a shared mapping since unmapped, whose
 * page a pipe holds after vmsplice(): a reference from outside, which a
 * write seal must wait for.  The pipe is @p; the segment's fd or -errno.
 */
static int pinned_segment(int dev, int p[2])
{
	struct iovec iov = { .iov_len = ps };
	int fd;

	if (pipe(p))
		return -errno;
	fd = seg_new(dev, ps);
	if (fd < 0)
		return fd;
	iov.iov_base = map_shared(fd, ps, PROT_READ | PROT_WRITE);
	if (!iov.iov_base)
		return -ENOMEM;
	put_str(iov.iov_base, "pinned");
	if (vmsplice(p[1], &iov, 1, 0) != ps)
		return -errno;
	munmap(iov.iov_base, ps);
	return fd;
}

/*
 * A reference taken through a writable mapping outlives the mapping (here
 * a pipe's, after vmsplice(); an O_DIRECT read or an io_uring buffer would
 * write through it): F_SEAL_WRITE is refused while it lasts, as on a memfd.
 */
TEST_F(dev, write_waits_for_pins)
{
	int fd, p[2];

	fd = pinned_segment(self->env.dev, p);
	ASSERT_GE(fd, 0);

	EXPECT_EQ(-EBUSY, seg_add_seals(fd, F_SEAL_WRITE));
	EXPECT_EQ(0, seg_get_seals(fd));
	close(p[0]);
	close(p[1]);
	EXPECT_EQ(0, seg_add_seals(fd, F_SEAL_WRITE));
	EXPECT_EQ(F_SEAL_WRITE, seg_get_seals(fd));
	close(fd);
}

/*
 * A refused F_SEAL_WRITE adds nothing, not even the bits asked for with
 * it: F_SEAL_SEAL left behind would forbid the write seal for good.
 */
TEST_F(dev, refused_write_seal_adds_nothing)
{
	int fd, p[2];

	fd = pinned_segment(self->env.dev, p);
	ASSERT_GE(fd, 0);

	EXPECT_EQ(-EBUSY, seg_add_seals(fd, F_SEAL_WRITE | F_SEAL_SEAL | F_SEAL_GROW));
	EXPECT_EQ(0, seg_get_seals(fd));
	close(p[0]);
	close(p[1]);
	EXPECT_EQ(0, seg_add_seals(fd, F_SEAL_WRITE | F_SEAL_SEAL));
	EXPECT_EQ(F_SEAL_WRITE | F_SEAL_SEAL, seg_get_seals(fd));
	close(fd);
}

struct seal_watch {
	int fd;
	int stop;		/* __atomic */
	long long seen;		/* every seal bit GET_SEALS or INFO showed */
	long polls;		/* __atomic */
	long refused;		/* read-only shared mmap()s refused (EPERM): __atomic */
};

static void *watch_seals(void *arg)
{
	struct seal_watch *sw = arg;
	struct shmpool_info info;

	while (!__atomic_load_n(&sw->stop, __ATOMIC_RELAXED)) {
		long long seals = seg_get_seals(sw->fd);

		if (seals > 0)
			sw->seen |= seals;
		if (!seg_info(sw->fd, &info))
			sw->seen |= info.seals;
		__atomic_add_fetch(&sw->polls, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/*
 * Map the segment read-only, shared, through its writable fd, and unmap
 * at once, a millisecond apart: such a mapping may become writable, so a
 * write seal being added refuses it.  Paced, so that it rarely holds a
 * mapping when the seal is asked for (which would refuse the seal at
 * once, with no wait to watch).
 */
static void *map_while_sealing(void *arg)
{
	struct seal_watch *sw = arg;

	while (!__atomic_load_n(&sw->stop, __ATOMIC_RELAXED)) {
		char *m = mmap(NULL, ps, PROT_READ, MAP_SHARED, sw->fd, 0);

		if (m == MAP_FAILED && errno == EPERM)
			__atomic_add_fetch(&sw->refused, 1, __ATOMIC_RELAXED);
		else if (m != MAP_FAILED)
			munmap(m, ps);
		usleep(1000);
	}
	return NULL;
}

TEST_F(dev, refused_write_seal_is_never_seen)
{
	struct seal_watch sw = { 0 };
	int fd, p[2], tries;
	pthread_t t[2];

	fd = pinned_segment(self->env.dev, p);
	ASSERT_GE(fd, 0);

	sw.fd = fd;
	ASSERT_EQ(0, pthread_create(&t[0], NULL, watch_seals, &sw));
	ASSERT_EQ(0, pthread_create(&t[1], NULL, map_while_sealing, &sw));
	while (!__atomic_load_n(&sw.polls, __ATOMIC_RELAXED))
		sched_yield();
	/* Again if the mapper's mapping refused it without a wait. */
	for (tries = 0; tries < 8 && !__atomic_load_n(&sw.refused, __ATOMIC_RELAXED);
	     tries++)
		EXPECT_EQ(-EBUSY, seg_add_seals(fd, F_SEAL_WRITE));
	__atomic_store_n(&sw.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	EXPECT_EQ(0, sw.seen) TH_LOG("seals %#llx seen in %ld polls", sw.seen, sw.polls);
	EXPECT_LT(0, sw.refused) TH_LOG("%ld polls, %d seals tried", sw.polls, tries);
	EXPECT_EQ(1, pwrite(fd, "x", 1, 0));
	close(p[0]);
	close(p[1]);
	close(fd);
}

/*
 * F_SEAL_FUTURE_WRITE leaves an existing writable mapping working and
 * refuses anything new: writable shared mappings, mprotect() to writable,
 * write().
 */
TEST_F(dev, seal_future_write)
{
	char buf[32] = "";
	char *w, *r;
	int fd = seg_new(self->env.dev, ps);

	ASSERT_GE(fd, 0);
	w = map_shared(fd, ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, w);
	ASSERT_EQ(0, seg_add_seals(fd, F_SEAL_FUTURE_WRITE));
	EXPECT_EQ(F_SEAL_FUTURE_WRITE, seg_get_seals(fd));

	put_str(w, "old mapping still writes");
	EXPECT_EQ(25, pread(fd, buf, 25, 0));
	EXPECT_STREQ("old mapping still writes", buf);

	EXPECT_EQ(-EPERM, try_mmap(fd, ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0));
	errno = 0;
	EXPECT_EQ(-1, write(fd, "x", 1));
	EXPECT_EQ(EPERM, errno);
	r = map_shared(fd, ps, PROT_READ);
	ASSERT_NE(NULL, r);
	errno = 0;
	EXPECT_EQ(-1, mprotect(r, ps, PROT_READ | PROT_WRITE));
	EXPECT_TRUE(errno == EACCES || errno == EPERM) TH_LOG("errno %d", errno);
	munmap(r, ps);
	munmap(w, ps);
	close(fd);
}

/* F_SEAL_SEAL refuses every further seal; the seals in force stay. */
TEST_F(dev, seal_seals)
{
	int fd = seg_new(self->env.dev, 4 * ps);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, seg_add_seals(fd, F_SEAL_SHRINK | F_SEAL_SEAL));
	EXPECT_EQ(F_SEAL_SHRINK | F_SEAL_SEAL, seg_get_seals(fd));
	EXPECT_EQ(-EPERM, seg_add_seals(fd, F_SEAL_GROW));
	EXPECT_EQ(-EPERM, seg_add_seals(fd, F_SEAL_SEAL));
	EXPECT_EQ(F_SEAL_SHRINK | F_SEAL_SEAL, seg_get_seals(fd));
	errno = 0;
	EXPECT_EQ(-1, ftruncate(fd, 2 * ps));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(0, ftruncate(fd, 8 * ps));
	close(fd);
}

/* Lines of debugfs "segments" whose name is @name, and their ipcns. */
static int debugfs_names(const char *name, unsigned long long ns[2])
{
	char line[1024], key[SHMPOOL_NAME_MAX + 8];
	FILE *f = fopen(SHMPOOL_DEBUGFS "/segments", "r");
	int n = 0;

	if (!f)
		return -1;
	snprintf(key, sizeof(key), " name=%s ", name);
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, " ipcns=");

		if (!strstr(line, key) || !p)
			continue;
		if (n < 2)
			ns[n] = strtoull(p + 7, NULL, 10);
		n++;
	}
	fclose(f);
	return n;
}

struct ns_peer {
	int dev;
	const char *name;
	__u32 outer;		/* the outer segment's id */
	int ready[2], done[2];	/* pipes: child to parent, parent to child */
};

/*
 * In an IPC namespace of its own: the outer name is not there, the same
 * name can be created again, LIST shows only this namespace's segment.
 * The persistent inner segment is kept until the parent has looked.
 */
static int in_new_ipc_ns(void *arg)
{
	struct ns_peer *p = arg;
	struct shmpool_info info;
	int fd, other;
	char c;

	CHILD_EQ(0, unshare(CLONE_NEWIPC));
	CHILD_EQ(-ENOENT, seg_open(p->dev, p->name, 0));
	CHILD_EQ(-ENOENT, seg_unlink(p->dev, p->name));
	CHILD_EQ(-ENOENT, seg_list(p->dev, p->outer, NULL));
	fd = seg_create(p->dev, p->name, ps, RW, 0600, SHMPOOL_CREATE_PERSIST);
	CHILD_TRUE(fd >= 0);
	CHILD_EQ(-EEXIST, seg_create(p->dev, p->name, ps, RW, 0600, 0));
	other = seg_open(p->dev, p->name, 0);
	CHILD_TRUE(other >= 0);
	CHILD_EQ(seg_id(fd), seg_id(other));
	CHILD_EQ(1, seg_list(p->dev, 0, NULL));
	CHILD_EQ(0, seg_list(p->dev, seg_id(fd), &info));
	CHILD_EQ(0, strcmp(info.name, p->name));
	CHILD_EQ(1, write(p->ready[1], "r", 1));
	CHILD_EQ(1, read(p->done[0], &c, 1));
	CHILD_EQ(0, seg_unlink(p->dev, p->name));
	close(other);
	close(fd);
	return 0;
}

/*
 * Names belong to IPC namespaces: a segment named in one is invisible by
 * name in another, which may have the same name for a segment of its own;
 * debugfs shows both, each with its namespace.
 */
TEST_F(dev, ipc_namespace_has_its_own_names)
{
	struct ns_peer p = { .dev = self->env.dev, .name = self->env.name[0] };
	unsigned long long ns[2] = { 0, 0 };
	struct shmpool_info info;
	int fd, again, status;
	pid_t child;
	char c;

	if (unshare_errno(CLONE_NEWIPC))
		SKIP(return, "no IPC namespace for a child: %s",
		     strerror(-unshare_errno(CLONE_NEWIPC)));
	fd = seg_create(self->env.dev, p.name, ps, RW, 0600, 0);
	ASSERT_GE(fd, 0);
	p.outer = seg_id(fd);
	ASSERT_EQ(0, pipe(p.ready));
	ASSERT_EQ(0, pipe(p.done));
	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		_exit(in_new_ipc_ns(&p));
	ASSERT_EQ(1, read(p.ready[0], &c, 1));

	EXPECT_EQ(2, debugfs_names(p.name, ns));
	EXPECT_NE(ns[0], ns[1]);
	EXPECT_EQ(0, seg_list(self->env.dev, p.outer, &info));
	EXPECT_EQ(-EEXIST, seg_create(self->env.dev, p.name, ps, RW, 0600, 0));
	again = seg_open(self->env.dev, p.name, 0);
	EXPECT_EQ(p.outer, seg_id(again));
	close(again);

	ASSERT_EQ(1, write(p.done[1], "d", 1));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, status);
	EXPECT_EQ(1, debugfs_names(p.name, ns));
	close(fd);
}

/*
 * Mappings: MADV_DONTFORK, mremap(), partial munmap(), and the range an
 * mmap() may ask for.
 */
static int reads_x(void *arg)
{
	char *p = arg;

	CHILD_EQ('x', *p);
	return 0;
}

/*
 * After MADV_DONTFORK a child does not have the mapping (touching it is
 * SIGSEGV); MADV_DOFORK gives it back, with the segment's data - or, on
 * kernels that refuse MADV_DOFORK on special mappings (7.2 does), fails
 * with EINVAL and leaves the mapping out of children.
 */
TEST_F(dev, madvise_dontfork)
{
	char *m;
	int fd = seg_new(self->env.dev, ps);

	ASSERT_GE(fd, 0);
	m = map_shared(fd, ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);
	m[0] = 'x';
	ASSERT_EQ(0, madvise(m, ps, MADV_DONTFORK));
	EXPECT_EQ(SIGSEGV, touch_signal(m, 0));
	if (madvise(m, ps, MADV_DOFORK)) {
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(SIGSEGV, touch_signal(m, 0));
	} else {
		EXPECT_EQ(0, run_child(reads_x, m));
	}
	munmap(m, ps);
	close(fd);
}

/*
 * mremap() cannot grow a mapping, in place or moving (EFAULT); shrinking
 * keeps the start, and moving keeps the contents and the sharing.
 */
TEST_F(dev, mremap)
{
	char byte, *m, *p, *dst;
	int fd = seg_new(self->env.dev, 8 * ps);
	int i;

	ASSERT_GE(fd, 0);
	m = map_shared(fd, 4 * ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);
	for (i = 0; i < 4; i++)
		m[i * ps] = 'a' + i;

	errno = 0;
	EXPECT_EQ(MAP_FAILED, mremap(m, 4 * ps, 8 * ps, 0));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(MAP_FAILED, mremap(m, 4 * ps, 8 * ps, MREMAP_MAYMOVE));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ('d', m[3 * ps]);

	p = mremap(m, 4 * ps, 2 * ps, 0);
	ASSERT_EQ(m, p);
	EXPECT_EQ('b', p[ps]);

	dst = mmap(NULL, 2 * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	p = mremap(m, 2 * ps, 2 * ps, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, p);
	EXPECT_EQ('a', p[0]);
	EXPECT_EQ('b', p[ps]);
	p[ps + 1] = 'M';
	EXPECT_EQ(1, pread(fd, &byte, 1, ps + 1));
	EXPECT_EQ('M', byte);
	munmap(p, 2 * ps);
	close(fd);
}

/*
 * munmap() of the middle of a mapping leaves both ends working and the
 * segment whole.
 */
TEST_F(dev, munmap_middle)
{
	char byte, *m;
	int fd = seg_new(self->env.dev, 4 * ps);
	int i;

	ASSERT_GE(fd, 0);
	m = map_shared(fd, 4 * ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);
	for (i = 0; i < 4; i++)
		m[i * ps] = 'a' + i;
	ASSERT_EQ(0, munmap(m + ps, 2 * ps));

	EXPECT_EQ(SIGSEGV, touch_signal(m + ps, 0));
	EXPECT_EQ('a', m[0]);
	EXPECT_EQ('d', m[3 * ps]);
	m[1] = 'Y';
	m[3 * ps + 1] = 'Z';
	EXPECT_EQ(1, pread(fd, &byte, 1, 1));
	EXPECT_EQ('Y', byte);
	EXPECT_EQ(1, pread(fd, &byte, 1, 3 * ps + 1));
	EXPECT_EQ('Z', byte);
	EXPECT_EQ(1, pread(fd, &byte, 1, 2 * ps));
	EXPECT_EQ('c', byte);
	EXPECT_USED(4);
	munmap(m, ps);
	munmap(m + 3 * ps, ps);
	close(fd);
}

/*
 * mmap() must stay within the segment: an offset at or past the end, or a
 * length reaching past it, is EINVAL, even at the largest offset the kernel
 * hands a driver.  An offset whose sum with the length wraps around is
 * refused too (the kernel's own check says EOVERFLOW before the driver is
 * asked).  Nothing is allocated.
 */
TEST_F(dev, mmap_range)
{
	const size_t size = 4 * ps;
	off_t top = (LLONG_MAX - 2 * ps) / ps * ps;
	int fd = seg_new(self->env.dev, size);
	int ret;

	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, try_mmap(fd, size, PROT_READ, MAP_SHARED, 0));
	EXPECT_EQ(0, try_mmap(fd, ps, PROT_READ, MAP_SHARED, size - ps));
	EXPECT_EQ(-EINVAL, try_mmap(fd, ps, PROT_READ, MAP_SHARED, size));
	EXPECT_EQ(-EINVAL, try_mmap(fd, ps, PROT_READ, MAP_SHARED, size + ps));
	EXPECT_EQ(-EINVAL, try_mmap(fd, size + ps, PROT_READ, MAP_SHARED, 0));
	EXPECT_EQ(-EINVAL, try_mmap(fd, 2 * ps, PROT_READ, MAP_SHARED, size - ps));
	EXPECT_EQ(-EINVAL, try_mmap(fd, 2 * ps, PROT_READ, MAP_PRIVATE, size - ps));
	EXPECT_EQ(-EINVAL, try_mmap(fd, 2 * ps, PROT_READ, MAP_SHARED, top));

	ret = try_mmap(fd, 2 * ps, PROT_READ, MAP_SHARED, -(off_t)ps);
	EXPECT_TRUE(ret == -EINVAL || ret == -EOVERFLOW) TH_LOG("%d", ret);
	EXPECT_USED(0);
	close(fd);
}

/*
 * Other users: the mode decides who may open a named segment, and what a
 * user may not open looks like no segment at all; only the owner unlinks
 * or changes the mode; ownership moves by GIVE and ACCEPT only.  The
 * children get /dev/shmpool opened by root, since its mode keeps "nobody"
 * out.
 */
static int open_as_mode_allows(void *arg)
{
	struct peer *p = arg;
	int r = seg_open(p->dev, p->name, 0);
	int w = seg_open(p->dev, p->name, SHMPOOL_OPEN_WRITE);

	CHILD_EQ(p->can_read ? 0 : -ENOENT, r < 0 ? r : 0);
	CHILD_EQ(p->can_write ? 0 : -ENOENT, w < 0 ? w : 0);
	return 0;
}

/*
 * OPEN checks the mode as a file open does; the child is neither owner nor
 * in the group, so only the "other" bits count, read always and write for
 * SHMPOOL_OPEN_WRITE.  Refusals are ENOENT.
 */
TEST_F(dev, mode_decides_who_opens)
{
	static const struct {
		__u32 mode;
		int r, w;
	} cases[] = {
		{ 0600, 0, 0 }, { 0640, 0, 0 }, { 0660, 0, 0 }, { 0602, 0, 0 },
		{ 0604, 1, 0 }, { 0644, 1, 0 }, { 0606, 1, 1 }, { 0666, 1, 1 },
	};
	struct peer p = { .dev = self->env.dev, .fd = -1, .name = self->env.name[0] };
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		fd = seg_create(self->env.dev, p.name, ps, RW, cases[i].mode, 0);
		ASSERT_GE(fd, 0);
		p.can_read = cases[i].r;
		p.can_write = cases[i].w;
		EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, open_as_mode_allows, &p))
			TH_LOG("mode %#o", cases[i].mode);
		close(fd);
	}
}

static int probe_hidden(void *arg)
{
	struct peer *p = arg;

	CHILD_EQ(-ENOENT, seg_open(p->dev, p->name, 0));
	CHILD_EQ(-ENOENT, seg_open(p->dev, p->name, SHMPOOL_OPEN_WRITE));
	CHILD_EQ(-ENOENT, seg_open(p->dev, p->absent, 0));
	CHILD_EQ(-ENOENT, seg_unlink(p->dev, p->name));
	CHILD_EQ(-ENOENT, seg_unlink(p->dev, p->absent));
	CHILD_EQ(-ENOENT, seg_list(p->dev, p->id, NULL));
	return 0;
}

/*
 * Another user cannot open, unlink or list a 0600 segment, and gets the
 * same ENOENT as for a name nobody has: names cannot be probed.
 */
TEST_F(dev, private_segment_is_invisible)
{
	struct peer p = {
		.dev = self->env.dev, .fd = -1,
		.name = self->env.name[0], .absent = self->env.name[1],
	};
	int fd, fd2;

	fd = seg_create(self->env.dev, p.name, ps, RW, 0600, 0);
	ASSERT_GE(fd, 0);
	p.id = seg_id(fd);
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, probe_hidden, &p));

	fd2 = seg_open(self->env.dev, p.name, 0);
	EXPECT_GE(fd2, 0);
	close(fd2);
	close(fd);
}

static int use_readable_segment(void *arg)
{
	struct peer *p = arg;
	struct shmpool_info info;
	char buf[8] = "";
	char *m;
	int fd;

	CHILD_EQ(-ENOENT, seg_open(p->dev, p->name, SHMPOOL_OPEN_WRITE));
	fd = seg_open(p->dev, p->name, 0);
	CHILD_TRUE(fd >= 0);
	CHILD_EQ(p->id, seg_id(fd));
	CHILD_EQ(0, seg_info(fd, &info));
	CHILD_EQ(SHMPOOL_PROT_READ, info.fd_prot);
	CHILD_EQ(7, pread(fd, buf, 7, 0));
	CHILD_EQ(0, strcmp(buf, "public"));
	m = mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, 0);
	CHILD_TRUE(m != MAP_FAILED);
	CHILD_EQ(0, strcmp(m, "public"));
	CHILD_EQ(-EACCES, try_mmap(fd, ps, PROT_READ | PROT_WRITE, MAP_SHARED, 0));
	CHILD_EQ(-1, write(fd, "x", 1));
	CHILD_EQ(-EPERM, seg_unlink(p->dev, p->name));
	CHILD_EQ(-1, fchmod(fd, 0666));
	CHILD_EQ(EPERM, errno);
	CHILD_EQ(0, seg_list(p->dev, p->id, &info));
	CHILD_EQ(SHMPOOL_PROT_READ, info.fd_prot);
	return 0;
}

/*
 * With mode 0644 another user opens read-only and reads, but cannot open
 * for writing (ENOENT), map writable, unlink (EPERM: it can open it) or
 * change the mode.  LIST shows it with read-only fd_prot.
 */
TEST_F(dev, readable_segment_is_read_only_for_others)
{
	struct peer p = { .dev = self->env.dev, .fd = -1, .name = self->env.name[0] };
	struct stat st;
	int fd, fd2;

	fd = seg_create(self->env.dev, p.name, ps, RW, 0644, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(7, pwrite(fd, "public", 7, 0));
	p.id = seg_id(fd);
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, use_readable_segment, &p));

	fd2 = seg_open(self->env.dev, p.name, 0);
	EXPECT_GE(fd2, 0);
	close(fd2);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0644, st.st_mode & 0777);
	close(fd);
}

/*
 * The owner changes the mode with fchmod() and others' access follows;
 * fchown() is refused even to root: ownership moves by GIVE and ACCEPT.
 */
TEST_F(dev, owner_changes_mode_not_owner)
{
	struct peer p = { .dev = self->env.dev, .fd = -1, .name = self->env.name[0] };
	struct shmpool_info info;
	struct stat st;
	int fd;

	fd = seg_create(self->env.dev, p.name, ps, RW, 0600, 0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, open_as_mode_allows, &p));
	ASSERT_EQ(0, fchmod(fd, 0644));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0644, st.st_mode & 0777);
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(0644, info.mode);
	p.can_read = 1;
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, open_as_mode_allows, &p));

	errno = 0;
	EXPECT_EQ(-1, fchown(fd, TEST_UID, -1));
	EXPECT_EQ(EPERM, errno);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(geteuid(), st.st_uid);
	close(fd);
}

/* A user the segment was not offered to, holding an fd of it. */
static int cannot_take(void *arg)
{
	struct peer *p = arg;

	CHILD_EQ(-EPERM, seg_accept(p->fd));
	CHILD_EQ(-EPERM, seg_give(p->fd, geteuid(), getegid()));
	CHILD_EQ(-ENOENT, seg_open(p->dev, p->name, 0));
	return 0;
}

/* The user the segment is offered to: opens it as its owner would, accepts. */
static int take_offered(void *arg)
{
	struct peer *p = arg;
	struct shmpool_info info;
	char buf[8] = "";
	struct stat st;
	int fd = seg_open(p->dev, p->name, SHMPOOL_OPEN_WRITE);

	CHILD_TRUE(fd >= 0);
	CHILD_EQ(6, pread(fd, buf, 6, 0));
	CHILD_EQ(0, strcmp(buf, "owned"));
	CHILD_EQ(0, seg_accept(fd));
	CHILD_EQ(0, fstat(fd, &st));
	CHILD_EQ(TEST_UID, st.st_uid);
	CHILD_EQ(TEST_GID, st.st_gid);
	CHILD_EQ(0, seg_info(fd, &info));
	CHILD_EQ(0, info.flags & SHMPOOL_INFO_OFFERED);
	CHILD_EQ(0, fchmod(fd, 0640));		/* the owner now */
	return 0;
}

/*
 * The owner GIVEs the segment to TEST_UID: INFO shows the offer; another
 * user can neither accept nor re-offer it; TEST_UID opens it by name (as
 * the owner would, despite mode 0600) and ACCEPTs; then it owns it, with
 * the gid the offer named.
 */
TEST_F(dev, give_and_accept)
{
	struct peer p = { .dev = self->env.dev, .name = self->env.name[0] };
	struct shmpool_info info;
	struct stat st;

	p.fd = seg_create(self->env.dev, p.name, ps, RW, 0600, 0);
	ASSERT_GE(p.fd, 0);
	ASSERT_EQ(6, pwrite(p.fd, "owned", 6, 0));
	ASSERT_EQ(0, seg_give(p.fd, TEST_UID, TEST_GID));
	ASSERT_EQ(0, seg_info(p.fd, &info));
	EXPECT_EQ(SHMPOOL_INFO_OFFERED, info.flags & SHMPOOL_INFO_OFFERED);
	EXPECT_EQ(TEST_UID, info.offered_uid);
	EXPECT_EQ(geteuid(), info.uid);

	EXPECT_EQ(0, run_as(TEST_UID2, TEST_GID2, cannot_take, &p));
	ASSERT_EQ(0, seg_info(p.fd, &info));
	EXPECT_EQ(geteuid(), info.uid);
	EXPECT_EQ(TEST_UID, info.offered_uid);

	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, take_offered, &p));
	ASSERT_EQ(0, seg_info(p.fd, &info));
	EXPECT_EQ(TEST_UID, info.uid);
	EXPECT_EQ(TEST_GID, info.gid);
	EXPECT_EQ(0, info.flags & SHMPOOL_INFO_OFFERED);
	EXPECT_EQ(0640, info.mode);
	ASSERT_EQ(0, fstat(p.fd, &st));
	EXPECT_EQ(TEST_UID, st.st_uid);
	close(p.fd);
}

/*
 * A non-owner cannot GIVE (not even to itself) or ACCEPT what was not
 * offered; a withdrawn offer cannot be accepted; a gid that maps to
 * nothing is EINVAL.
 */
TEST_F(dev, only_the_owner_gives)
{
	struct peer p = { .dev = self->env.dev, .name = self->env.name[0] };
	struct shmpool_info info;

	p.fd = seg_create(self->env.dev, p.name, ps, RW, 0600, 0);
	ASSERT_GE(p.fd, 0);
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, cannot_take, &p));
	ASSERT_EQ(0, seg_info(p.fd, &info));
	EXPECT_EQ(geteuid(), info.uid);
	EXPECT_EQ(0, info.flags & SHMPOOL_INFO_OFFERED);

	ASSERT_EQ(0, seg_give(p.fd, TEST_UID, TEST_GID));
	ASSERT_EQ(0, seg_give(p.fd, (__u32)-1, 0));
	ASSERT_EQ(0, seg_info(p.fd, &info));
	EXPECT_EQ(0, info.flags & SHMPOOL_INFO_OFFERED);
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, cannot_take, &p));
	ASSERT_EQ(0, seg_info(p.fd, &info));
	EXPECT_EQ(geteuid(), info.uid);

	EXPECT_EQ(-EINVAL, seg_give(p.fd, TEST_UID, (__u32)-1));
	ASSERT_EQ(0, seg_info(p.fd, &info));
	EXPECT_EQ(0, info.flags & SHMPOOL_INFO_OFFERED);
	close(p.fd);
}

static int give_to_other_groups(void *arg)
{
	const struct peer *p = arg;
	int fd = seg_create(p->dev, NULL, ps, RW, 0600, 0);

	CHILD_TRUE(fd >= 0);
	CHILD_EQ(-EPERM, seg_give(fd, TEST_UID2, TEST_GID2));
	CHILD_EQ(-EPERM, seg_give(fd, TEST_UID, 0));	/* a chgrp, refused */
	CHILD_EQ(0, seg_give(fd, TEST_UID2, TEST_GID));
	CHILD_EQ(0, seg_give(fd, TEST_UID, TEST_GID));
	CHILD_EQ(0, seg_accept(fd));
	close(fd);
	return 0;
}

/*
 * GIVE names the group the segment will have, as chown(2) would: a group
 * the owner is in, unless they have CAP_CHOWN (root gives to any group).
 */
TEST_F(dev, give_only_to_own_groups)
{
	struct peer p = { .dev = self->env.dev };
	struct shmpool_info info;
	int fd;

	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, give_to_other_groups, &p));
	fd = seg_new(self->env.dev, ps);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, seg_give(fd, TEST_UID2, TEST_GID2));
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(TEST_UID2, info.offered_uid);
	close(fd);
}

/*
 * Quotas and limits: user_max_segments, user_max_kb (at creation with
 * POPULATE, at fault time, at ACCEPT) and seg_max_kb.  The fixture puts
 * the three parameters back as it found them.  The quotas are tried as
 * TEST_UID, who owns nothing else.
 */
FIXTURE(quota) {
	struct seg_env env;
	long long seg_max_kb, user_max_kb, user_max_segments;
};

FIXTURE_SETUP(quota)
{
	env_setup(_metadata, &self->env);
	self->seg_max_kb = read_num(SHMPOOL_PARAM("seg_max_kb"));
	self->user_max_kb = read_num(SHMPOOL_PARAM("user_max_kb"));
	self->user_max_segments = read_num(SHMPOOL_PARAM("user_max_segments"));
	ASSERT_GE(self->seg_max_kb, 0);
	ASSERT_GE(self->user_max_kb, 0);
	ASSERT_GE(self->user_max_segments, 0);
	/* room enough that only the limit a test lowers can bite */
	ASSERT_EQ(0, write_num(SHMPOOL_PARAM("user_max_segments"), 64));
	ASSERT_EQ(0, write_num(SHMPOOL_PARAM("user_max_kb"), pages_kb(4096)));
}

FIXTURE_TEARDOWN(quota)
{
	EXPECT_EQ(0, write_num(SHMPOOL_PARAM("seg_max_kb"), self->seg_max_kb));
	EXPECT_EQ(0, write_num(SHMPOOL_PARAM("user_max_kb"), self->user_max_kb));
	EXPECT_EQ(0, write_num(SHMPOOL_PARAM("user_max_segments"),
			       self->user_max_segments));
	env_teardown(_metadata, &self->env);
}

static int create_up_to_quota(void *arg)
{
	struct seg_env *env = arg;
	int a, b, r, c;

	a = seg_new(env->dev, ps);
	CHILD_TRUE(a >= 0);
	b = seg_new(env->dev, ps);
	CHILD_TRUE(b >= 0);
	CHILD_EQ(-EDQUOT, seg_new(env->dev, ps));
	r = seg_restrict(a, SHMPOOL_PROT_READ, 0);	/* a new fd, no new segment */
	CHILD_TRUE(r >= 0);
	close(a);
	CHILD_EQ(-EDQUOT, seg_new(env->dev, ps));	/* r still holds a's segment */
	close(r);
	c = seg_new(env->dev, ps);
	CHILD_TRUE(c >= 0);
	return 0;
}

/*
 * user_max_segments counts the segments a user owns, for as long as they
 * live: one more is EDQUOT, and there is room again when one dies.
 */
TEST_F(quota, segment_count)
{
	ASSERT_EQ(0, write_num(SHMPOOL_PARAM("user_max_segments"), 2));
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, create_up_to_quota, &self->env));
}

static int populate_within_quota(void *arg)
{
	struct seg_env *env = arg;
	int a, b, c;

	CHILD_EQ(-EDQUOT, seg_create(env->dev, NULL, 5 * ps, RW, 0600,
				     SHMPOOL_CREATE_POPULATE));
	a = seg_create(env->dev, NULL, 4 * ps, RW, 0600, SHMPOOL_CREATE_POPULATE);
	CHILD_TRUE(a >= 0);
	CHILD_EQ(-EDQUOT, seg_create(env->dev, NULL, ps, RW, 0600,
				     SHMPOOL_CREATE_POPULATE));
	b = seg_new(env->dev, 8 * ps);			/* no frame until touched */
	CHILD_TRUE(b >= 0);
	close(a);
	c = seg_create(env->dev, NULL, 4 * ps, RW, 0600, SHMPOOL_CREATE_POPULATE);
	CHILD_TRUE(c >= 0);
	return 0;
}

/*
 * With user_max_kb at 4 pages, POPULATE of 5 is EDQUOT, of 4 works, and
 * then nothing more fits until those frames are given back.
 */
TEST_F(quota, populate_beyond_frame_quota)
{
	ASSERT_EQ(0, write_num(SHMPOOL_PARAM("user_max_kb"), pages_kb(4)));
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, populate_within_quota, &self->env));
}

static int fault_beyond_quota(void *arg)
{
	struct seg_env *env = arg;
	int fd = seg_new(env->dev, 8 * ps);
	char *m;
	int i;

	CHILD_TRUE(fd >= 0);
	m = mmap(NULL, 8 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHILD_TRUE(m != MAP_FAILED);
	for (i = 0; i < 4; i++)
		m[i * ps] = 1;
	CHILD_EQ(SIGBUS, touch_signal(m + 4 * ps, 1));
	errno = 0;
	CHILD_EQ(-1, pwrite(fd, "x", 1, 5 * ps));
	CHILD_EQ(EDQUOT, errno);
	CHILD_EQ(0, touch_signal(m + 3 * ps, 1));	/* the frames it has work */
	CHILD_EQ(0, ftruncate(fd, 2 * ps));		/* gives two back */
	CHILD_EQ(0, ftruncate(fd, 8 * ps));
	CHILD_EQ(0, touch_signal(m + 4 * ps, 1));
	CHILD_EQ(0, touch_signal(m + 5 * ps, 1));
	CHILD_EQ(SIGBUS, touch_signal(m + 6 * ps, 1));
	return 0;
}

/*
 * With user_max_kb at 4 pages, touching a fifth page of a mapping is
 * SIGBUS (never the OOM killer) and write() is EDQUOT; frames given back
 * by ftruncate() make room again.
 */
TEST_F(quota, fault_beyond_frame_quota)
{
	long long quota = stat_value(ALL_STATS, "fail_quota");
	long long pool = stat_value(ALL_STATS, "fail_pool");
	long long eof = stat_value(ALL_STATS, "fail_eof");
	int fd;
	char *m;

	ASSERT_LE(0, quota);
	ASSERT_EQ(0, write_num(SHMPOOL_PARAM("user_max_kb"), pages_kb(4)));
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, fault_beyond_quota, &self->env));
	/* Two SIGBUS and one EDQUOT, each counted with its reason. */
	EXPECT_EQ(quota + 3, stat_value(ALL_STATS, "fail_quota"));
	EXPECT_EQ(pool, stat_value(ALL_STATS, "fail_pool"));

	/* A page cut off under a mapping is SIGBUS for "eof". */
	fd = seg_new(self->env.dev, 2 * ps);
	ASSERT_GE(fd, 0);
	m = map_shared(fd, 2 * ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, ftruncate(fd, ps));
	EXPECT_EQ(SIGBUS, touch_signal(m + ps, 1));
	EXPECT_EQ(eof + 1, stat_value(ALL_STATS, "fail_eof"));
	EXPECT_EQ(quota + 3, stat_value(ALL_STATS, "fail_quota"));
	munmap(m, 2 * ps);
	close(fd);
}

/*
 * seg_max_kb bounds the size at creation and at ftruncate(): EFBIG beyond
 * it, exactly at it is fine.
 */
TEST_F(quota, seg_max_kb)
{
	int fd;

	ASSERT_EQ(0, write_num(SHMPOOL_PARAM("seg_max_kb"), pages_kb(8)));
	fd = seg_new(self->env.dev, 8 * ps);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EFBIG, seg_new(self->env.dev, 9 * ps));
	errno = 0;
	EXPECT_EQ(-1, ftruncate(fd, 9 * ps));
	EXPECT_EQ(EFBIG, errno);
	EXPECT_EQ(0, ftruncate(fd, 4 * ps));
	EXPECT_EQ(0, ftruncate(fd, 8 * ps));
	close(fd);
}

static int failures_cost_nothing(void *arg)
{
	struct seg_env *env = arg;
	struct {
		struct shmpool_create c;
		int err;
	} bad[] = {
		{ { .size = 0, .prot = RW }, EINVAL },
		{ { .size = ps, .prot = SHMPOOL_PROT_WRITE }, EINVAL },
		{ { .size = ps, .prot = RW, .flags = 0x20 }, EINVAL },
		{ { .size = ps, .prot = RW, .mode = 01777 }, EINVAL },
		{ { .size = ps, .prot = RW, .cache = 3 }, EINVAL },
		{ { .size = ps, .prot = RW, .name = "a b" }, EINVAL },
		{ { .size = ps, .prot = RW, .flags = SHMPOOL_CREATE_PERSIST }, EINVAL },
		{ { .size = 5 * ps, .prot = RW, .flags = SHMPOOL_CREATE_POPULATE }, EDQUOT },
		{ { .size = ps, .prot = RW }, EEXIST },
	};
	unsigned int i;
	int fd;

	name_copy(bad[ARRAY_SIZE(bad) - 1].c.name, env->name[0]);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		fd = seg_create_raw(env->dev, &bad[i].c);
		if (fd != -bad[i].err)
			fprintf(stderr, "# child: bad create %u\n", i);
		CHILD_EQ(-bad[i].err, fd);
	}
	fd = seg_create(env->dev, env->name[1], 4 * ps, RW, 0600,
			SHMPOOL_CREATE_POPULATE | SHMPOOL_CREATE_PERSIST);
	CHILD_TRUE(fd >= 0);
	close(fd);
	CHILD_EQ(0, seg_unlink(env->dev, env->name[1]));
	return 0;
}

/*
 * Failed creates charge nothing: after a row of them (one per kind of
 * error, EDQUOT and EEXIST included), a user allowed one segment and 4
 * pages still gets exactly that.
 */
TEST_F(quota, failed_creates_charge_nothing)
{
	int fd;

	fd = seg_create(self->env.dev, self->env.name[0], ps, RW, 0644, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, write_num(SHMPOOL_PARAM("user_max_segments"), 1));
	ASSERT_EQ(0, write_num(SHMPOOL_PARAM("user_max_kb"), pages_kb(4)));
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, failures_cost_nothing, &self->env));
	close(fd);
}

static int accept_over_quota(void *arg)
{
	struct peer *p = arg;

	CHILD_EQ(-EDQUOT, seg_accept(p->fd));
	return 0;
}

static int accept_takes_charge(void *arg)
{
	struct peer *p = arg;

	CHILD_EQ(0, seg_accept(p->fd));
	/* the segment's 4 frames fill this user's quota now */
	CHILD_EQ(-EDQUOT, seg_create(p->dev, NULL, ps, RW, 0600,
				     SHMPOOL_CREATE_POPULATE));
	return 0;
}

/*
 * ACCEPT moves the frame charge to the new owner: EDQUOT when their quota
 * cannot take it (the offer stands), and once accepted the frames count
 * against them.
 */
TEST_F(quota, accept_moves_the_charge)
{
	struct peer p = { .dev = self->env.dev };
	struct shmpool_info info;

	p.fd = seg_create(self->env.dev, NULL, 4 * ps, RW, 0600,
			  SHMPOOL_CREATE_POPULATE);
	ASSERT_GE(p.fd, 0);
	ASSERT_EQ(0, seg_give(p.fd, TEST_UID, TEST_GID));

	ASSERT_EQ(0, write_num(SHMPOOL_PARAM("user_max_kb"), pages_kb(2)));
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, accept_over_quota, &p));
	ASSERT_EQ(0, seg_info(p.fd, &info));
	EXPECT_EQ(geteuid(), info.uid);
	EXPECT_EQ(SHMPOOL_INFO_OFFERED, info.flags & SHMPOOL_INFO_OFFERED);

	ASSERT_EQ(0, write_num(SHMPOOL_PARAM("user_max_kb"), pages_kb(4)));
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, accept_takes_charge, &p));
	ASSERT_EQ(0, seg_info(p.fd, &info));
	EXPECT_EQ(TEST_UID, info.uid);
	EXPECT_USED(4);
	close(p.fd);
}

/*
 * Memory cgroups: the frames a segment holds are charged to the cgroup of
 * the task that created it, a cgroup at its memory.max gets SIGBUS rather
 * than more frames (or an OOM kill), and the charge goes with the frames.
 * memory.current counts in per-CPU batches of up to 64 pages, hence the
 * slack; the uncharge follows the frames after an RCU grace period, hence
 * the polling (frames_used and frames_charged themselves are exact).
 */
#define CGROUP_ROOT	"/sys/fs/cgroup"
#define MEMCG_SLACK	(1024LL * 1024)

FIXTURE(memcg) {
	struct seg_env env;
	char cg[PATH_MAX];
	long long charged;	/* frames_charged when the test began */
};

FIXTURE_SETUP(memcg)
{
	char controllers[256] = "";
	FILE *f;

	env_setup(_metadata, &self->env);
	self->cg[0] = 0;
	f = fopen(CGROUP_ROOT "/cgroup.controllers", "r");
	if (f) {
		if (!fgets(controllers, sizeof(controllers), f))
			controllers[0] = 0;
		fclose(f);
	}
	if (!strstr(controllers, "memory"))
		SKIP(return, "no cgroup v2 memory controller at " CGROUP_ROOT);
	ASSERT_EQ(0, write_str(CGROUP_ROOT "/cgroup.subtree_control", "+memory"));
	snprintf(self->cg, sizeof(self->cg), CGROUP_ROOT "/shmpool-selftest.%d",
		 (int)getpid());
	ASSERT_EQ(0, mkdir(self->cg, 0755)) TH_LOG("mkdir %s: %m", self->cg);
	self->charged = pool_stat("frames_charged");
	ASSERT_GE(self->charged, 0);
}

FIXTURE_TEARDOWN(memcg)
{
	/* The test's children, its only members, are gone. */
	if (self->cg[0])
		EXPECT_EQ(0, rmdir(self->cg)) TH_LOG("rmdir %s: %m", self->cg);
	if (_metadata->exit_code == KSFT_PASS)
		EXPECT_EQ(self->charged, pool_stat("frames_charged"));
	env_teardown(_metadata, &self->env);
}

/* A number from a file of cgroup cg; -1 when unreadable. */
static long long cg_num(const char *cg, const char *file)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	return read_num(path);
}

static int cg_write(const char *cg, const char *file, long long v)
{
	char path[PATH_MAX], buf[32];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	snprintf(buf, sizeof(buf), "%lld", v);
	return write_str(path, buf);
}

/* Whether memory.current of cg falls to at most limit within 10 s. */
static int cg_settles(const char *cg, long long limit)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (cg_num(cg, "memory.current") <= limit)
			return 1;
		usleep(100 * 1000);
	}
	return 0;
}

struct memcg_case {
	const char *cg;
	int dev;
	long len;
	long long charged;
	long *touched;		/* shared with the parent */
};

/* In cgroup mc->cg: a segment's frames raise memory.current, then go. */
static int memcg_charges_fn(void *arg)
{
	struct memcg_case *mc = arg;
	long long before, now;
	char *p;
	int fd;

	CHILD_EQ(0, cg_write(mc->cg, "cgroup.procs", 0));
	fd = seg_new(mc->dev, mc->len);
	CHILD_TRUE(fd >= 0);
	p = map_shared(fd, mc->len, PROT_READ | PROT_WRITE);
	CHILD_TRUE(p);
	p[0] = 1;	/* the account and its first chunk exist from here on */
	before = cg_num(mc->cg, "memory.current");
	CHILD_TRUE(before > 0);

	memset(p, 0x5a, mc->len);
	now = cg_num(mc->cg, "memory.current");
	CHILD_TRUE(now - before >= mc->len - 16 * ps);
	CHILD_TRUE(now - before <= mc->len + MEMCG_SLACK);
	CHILD_TRUE(pool_stat("frames_charged") - mc->charged >= mc->len / ps);

	CHILD_EQ(0, munmap(p, mc->len));
	close(fd);
	CHILD_EQ(mc->charged, pool_stat("frames_charged"));
	CHILD_TRUE(cg_settles(mc->cg, before - 16 * ps + MEMCG_SLACK));
	return 0;
}

/*
 * A segment created in a cgroup bills that cgroup for every frame it
 * touches, and stops billing it when the segment dies.
 */
TEST_F(memcg, charges_creators_cgroup)
{
	struct memcg_case mc = {
		.cg = self->cg, .dev = self->env.dev, .len = 8 << 20,
		.charged = self->charged,
	};
	int status = run_child(memcg_charges_fn, &mc);

	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* The root cgroup's segments come from the reserve: nobody is billed. */
TEST_F(memcg, root_cgroup_uses_the_reserve)
{
	int fd = seg_create(self->env.dev, NULL, 64 * ps, RW, 0600,
			    SHMPOOL_CREATE_POPULATE);

	ASSERT_GE(fd, 0);
	EXPECT_USED(64);
	EXPECT_EQ(self->charged, pool_stat("frames_charged"));
	close(fd);
}

static int memcg_limit_fn(void *arg)
{
	struct memcg_case *mc = arg;
	long long now;
	char *p;
	long i;
	int fd;

	CHILD_EQ(0, cg_write(mc->cg, "cgroup.procs", 0));
	fd = seg_new(mc->dev, mc->len);
	CHILD_TRUE(fd >= 0);
	p = map_shared(fd, mc->len, PROT_READ | PROT_WRITE);
	CHILD_TRUE(p);
	/*
	 * A page in every 2 MiB first, so that every page table is there
	 * before the limit: a page table's charge at the limit would be the
	 * kernel's own OOM kill, not the pool's refusal.
	 */
	for (i = 0; i < mc->len; i += 512 * ps)
		p[i] = 1;
	p[mc->len - 1] = 1;	/* the last table, if p is not 2 MiB aligned */
	now = cg_num(mc->cg, "memory.current");
	CHILD_TRUE(now > 0);
	CHILD_EQ(0, cg_write(mc->cg, "memory.max", now + (4 << 20)));
	for (i = 0; i < mc->len; i += ps) {
		p[i] = 1;
		/* stored each time: the parent reads it after SIGBUS kills us */
		__atomic_store_n(mc->touched, i / ps + 1, __ATOMIC_RELAXED);
	}
	return 0;	/* the parent expects SIGBUS before this */
}

/*
 * Touching a segment beyond the cgroup's memory.max is SIGBUS, after the
 * frames up to the limit: the pool never lets a cgroup's limit invoke the
 * OOM killer.  Everything comes back when the process dies.
 */
TEST_F(memcg, limit_is_sigbus)
{
	struct memcg_case mc = {
		.cg = self->cg, .dev = self->env.dev, .len = 16 << 20,
		.charged = self->charged,
	};
	long pages = mc.len / ps;
	int status;

	mc.touched = mmap(NULL, ps, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mc.touched);
	*mc.touched = 0;

	status = run_child(memcg_limit_fn, &mc);
	ASSERT_TRUE(WIFSIGNALED(status)) TH_LOG("status %#x", status);
	EXPECT_EQ(SIGBUS, WTERMSIG(status));
	/* Most of the 4 MiB of room was used, and not much more. */
	EXPECT_GE(*mc.touched, (2 << 20) / ps);
	EXPECT_LT(*mc.touched, (6 << 20) / ps);
	EXPECT_LT(*mc.touched, pages);
	EXPECT_EQ(self->charged, pool_stat("frames_charged"));
	munmap((void *)mc.touched, ps);
}

/*
 * Bad input: each refused with its documented errno, and leaving no frame,
 * no name and no fd behind.
 */
/* A valid argument for CREATE, for the tests to spoil one field of. */
static struct shmpool_create good_create(void)
{
	struct shmpool_create c = {
		.size = 2 * ps, .prot = RW, .mode = 0600, .cache = SHMPOOL_CACHE_WB,
	};

	return c;
}

/* CREATE with c fails with err, and frames, names and fds are as before. */
static void create_fails(struct __test_metadata *_metadata, int dev,
			 struct shmpool_create c, int err, const char *what)
{
	long long used = frames_used(), named = seg_list(dev, 0, NULL);
	int next = next_free_fd();
	int ret = seg_create_raw(dev, &c);

	EXPECT_EQ(-err, ret) TH_LOG("%s", what);
	if (ret >= 0)
		close(ret);
	EXPECT_EQ(used, frames_used()) TH_LOG("%s", what);
	EXPECT_EQ(named, seg_list(dev, 0, NULL)) TH_LOG("%s", what);
	EXPECT_EQ(next, next_free_fd()) TH_LOG("%s", what);
}

/*
 * Sizes: zero and unaligned are EINVAL, above seg_max_kb EFBIG, and huge
 * ones never wrap into something small.
 */
TEST_F(dev, create_bad_size)
{
	long long max_kb = read_num(SHMPOOL_PARAM("seg_max_kb"));
	struct shmpool_create c = good_create();
	__u64 over;
	int ret;

	ASSERT_GT(max_kb, 0);
	over = (max_kb * 1024 / ps + 1) * ps;

	c.size = 0;
	create_fails(_metadata, self->env.dev, c, EINVAL, "size 0");
	c.size = 1;
	create_fails(_metadata, self->env.dev, c, EINVAL, "size 1");
	c.size = ps - 1;
	create_fails(_metadata, self->env.dev, c, EINVAL, "size ps - 1");
	c.size = ps + ps / 2;
	create_fails(_metadata, self->env.dev, c, EINVAL, "size 1.5 pages");
	c.size = over;
	create_fails(_metadata, self->env.dev, c, EFBIG, "size above seg_max_kb");
	c.size = UINT64_MAX & ~(__u64)(ps - 1);
	create_fails(_metadata, self->env.dev, c, EFBIG, "size 2^64 - page");
	c.size = 1ULL << 63;
	create_fails(_metadata, self->env.dev, c, EFBIG, "size 2^63");
	c.size = (1ULL << 32) * ps;
	create_fails(_metadata, self->env.dev, c, EFBIG, "2^32 pages");

	/* both unaligned and too big: either error will do */
	c.size = UINT64_MAX;
	ret = seg_create_raw(self->env.dev, &c);
	EXPECT_TRUE(ret == -EINVAL || ret == -EFBIG) TH_LOG("UINT64_MAX: %d", ret);
	if (ret >= 0)
		close(ret);
}

/* prot needs READ and nothing beyond READ, WRITE and EXEC. */
TEST_F(dev, create_bad_prot)
{
	static const __u32 prots[] = {
		0, SHMPOOL_PROT_WRITE, SHMPOOL_PROT_EXEC,
		SHMPOOL_PROT_WRITE | SHMPOOL_PROT_EXEC,
		SHMPOOL_PROT_READ | 0x8, RW | 0x80000000,
	};
	struct shmpool_create c = good_create();
	char what[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(prots); i++) {
		c.prot = prots[i];
		snprintf(what, sizeof(what), "prot %#x", prots[i]);
		create_fails(_metadata, self->env.dev, c, EINVAL, what);
	}
}

/* Flags, reserved fields, mode and cache mode: anything unknown is EINVAL. */
TEST_F(dev, create_bad_fields)
{
	static const __u32 flags[] = { 0x20, 0x80, 0x200, 0x80000000 };
	static const __u32 modes[] = { 01000, 04600, 07777, 0x10000, 0xffffffff };
	static const __u32 caches[] = { 3, 0x100, 0xffffffff };
	struct shmpool_create c;
	char what[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		c = good_create();
		c.flags = flags[i];
		snprintf(what, sizeof(what), "flags %#x", flags[i]);
		create_fails(_metadata, self->env.dev, c, EINVAL, what);
	}
	for (i = 0; i < 2; i++) {
		c = good_create();
		c.__reserved[i] = 1;
		snprintf(what, sizeof(what), "__reserved[%u]", i);
		create_fails(_metadata, self->env.dev, c, EINVAL, what);
	}
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		c = good_create();
		c.mode = modes[i];
		snprintf(what, sizeof(what), "mode %#o", modes[i]);
		create_fails(_metadata, self->env.dev, c, EINVAL, what);
	}
	for (i = 0; i < ARRAY_SIZE(caches); i++) {
		c = good_create();
		c.cache = caches[i];
		snprintf(what, sizeof(what), "cache %#x", caches[i]);
		create_fails(_metadata, self->env.dev, c, EINVAL, what);
	}
}

/*
 * Names: PERSIST needs one; 64 bytes without a NUL is ENAMETOOLONG (63
 * are fine); '/', blanks and non-printable bytes are EINVAL; a name in use
 * is EEXIST, persistent or not.
 */
TEST_F(dev, create_bad_names)
{
	static const char * const bad[] = {
		"a/b", "/", "a b", " ", "tab\there", "nl\n", "del\x7f", "high\x80",
		"\x01",
	};
	struct shmpool_create c = good_create();
	unsigned int i;
	int fd;

	c.flags = SHMPOOL_CREATE_PERSIST;
	create_fails(_metadata, self->env.dev, c, EINVAL, "PERSIST without a name");

	c = good_create();
	memset(c.name, 'n', sizeof(c.name));
	create_fails(_metadata, self->env.dev, c, ENAMETOOLONG, "64 bytes, no NUL");
	c.name[SHMPOOL_NAME_MAX - 1] = '\0';
	memcpy(c.name, self->env.name[0], strlen(self->env.name[0]));
	fd = seg_create_raw(self->env.dev, &c);
	EXPECT_GE(fd, 0) TH_LOG("a 63-byte name: %s", strerror(-fd));
	if (fd >= 0)
		close(fd);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		c = good_create();
		name_copy(c.name, bad[i]);
		create_fails(_metadata, self->env.dev, c, EINVAL, bad[i]);
	}

	c = good_create();
	name_copy(c.name, self->env.name[0]);
	fd = seg_create_raw(self->env.dev, &c);
	ASSERT_GE(fd, 0);
	create_fails(_metadata, self->env.dev, c, EEXIST, "same name");
	c.flags = SHMPOOL_CREATE_PERSIST;
	create_fails(_metadata, self->env.dev, c, EEXIST, "same name, persistent");
	close(fd);

	fd = seg_create_raw(self->env.dev, &c);
	ASSERT_GE(fd, 0);
	close(fd);
	c.flags = 0;
	create_fails(_metadata, self->env.dev, c, EEXIST, "name of a persistent one");
	EXPECT_EQ(0, seg_unlink(self->env.dev, self->env.name[0]));
}

static int create_without_fd_slot(void *arg)
{
	struct seg_env *env = arg;
	struct rlimit lim;

	lim.rlim_cur = next_free_fd();
	lim.rlim_max = lim.rlim_cur;
	CHILD_EQ(0, setrlimit(RLIMIT_NOFILE, &lim));
	CHILD_EQ(-EMFILE, seg_create(env->dev, env->name[0], 2 * ps, RW, 0600,
				     SHMPOOL_CREATE_PERSIST | SHMPOOL_CREATE_POPULATE));
	return 0;
}

/*
 * Without a free fd CREATE is EMFILE, and even a persistent, populated
 * segment is undone: no frame held, the name free.
 */
TEST_F(dev, create_emfile)
{
	long long named = seg_list(self->env.dev, 0, NULL);
	int fd;

	EXPECT_EQ(0, run_child(create_without_fd_slot, &self->env));
	EXPECT_USED(0);
	EXPECT_EQ(named, seg_list(self->env.dev, 0, NULL));
	EXPECT_EQ(-ENOENT, seg_open(self->env.dev, self->env.name[0], 0));
	fd = seg_create(self->env.dev, self->env.name[0], 2 * ps, RW, 0600, 0);
	EXPECT_GE(fd, 0);
	close(fd);
}

/*
 * OPEN and UNLINK: an empty name, unknown flags and reserved fields are
 * EINVAL, an unterminated name ENAMETOOLONG, a name nobody has ENOENT -
 * all while a segment of a real name exists, which stays.
 */
TEST_F(dev, open_and_unlink_bad_args)
{
	struct shmpool_open o = { };
	struct shmpool_unlink u;
	int next, fd, fd2;

	fd = seg_create(self->env.dev, self->env.name[0], ps, RW, 0600, 0);
	ASSERT_GE(fd, 0);
	next = next_free_fd();

	EXPECT_EQ(-EINVAL, seg_open(self->env.dev, "", 0));
	EXPECT_EQ(-EINVAL, seg_open(self->env.dev, self->env.name[0], 0x4));
	EXPECT_EQ(-EINVAL, seg_open(self->env.dev, self->env.name[0], 0x200));
	EXPECT_EQ(-EINVAL, seg_open(self->env.dev, self->env.name[0], 0x80000000));
	name_copy(o.name, self->env.name[0]);
	o.__reserved = 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->env.dev, SHMPOOL_IOC_OPEN, &o));
	EXPECT_EQ(EINVAL, errno);
	memset(&o, 0, sizeof(o));
	memset(o.name, 'n', sizeof(o.name));
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->env.dev, SHMPOOL_IOC_OPEN, &o));
	EXPECT_EQ(ENAMETOOLONG, errno);
	EXPECT_EQ(-ENOENT, seg_open(self->env.dev, self->env.name[1], 0));

	EXPECT_EQ(-EINVAL, seg_unlink(self->env.dev, ""));
	memset(u.name, 'n', sizeof(u.name));
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->env.dev, SHMPOOL_IOC_UNLINK, &u));
	EXPECT_EQ(ENAMETOOLONG, errno);
	EXPECT_EQ(-ENOENT, seg_unlink(self->env.dev, self->env.name[1]));

	EXPECT_EQ(next, next_free_fd());
	fd2 = seg_open(self->env.dev, self->env.name[0], 0);
	EXPECT_GE(fd2, 0);
	close(fd2);
	close(fd);
}

/* LIST: reserved field EINVAL; past the last id, ENOENT. */
TEST_F(dev, list_bad_args)
{
	struct shmpool_list l = { .__reserved = 1 };

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->env.dev, SHMPOOL_IOC_LIST, &l));
	EXPECT_EQ(EINVAL, errno);
	memset(&l, 0, sizeof(l));
	l.pos = UINT32_MAX;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->env.dev, SHMPOOL_IOC_LIST, &l));
	EXPECT_EQ(ENOENT, errno);
}

/*
 * Segment commands on /dev/shmpool and device commands on a segment fd are
 * ENOTTY, as are unknown numbers on a segment fd.
 */
TEST_F(dev, ioctl_on_the_wrong_fd)
{
	static const unsigned long dev_cmds[] = {
		SHMPOOL_IOC_VERSION, SHMPOOL_IOC_CREATE, SHMPOOL_IOC_OPEN,
		SHMPOOL_IOC_UNLINK, SHMPOOL_IOC_LIST,
	};
	static const unsigned long seg_cmds[] = {
		SHMPOOL_SEG_IOC_INFO, SHMPOOL_SEG_IOC_RESTRICT,
		SHMPOOL_SEG_IOC_ADD_SEALS, SHMPOOL_SEG_IOC_GET_SEALS,
		SHMPOOL_SEG_IOC_GIVE, SHMPOOL_SEG_IOC_ACCEPT,
	};
	struct { __u64 a, b, c; } big;
	const unsigned long unknown[] = {
		_IO(SHMPOOL_IOC_MAGIC, 0xff),
		_IO(SHMPOOL_IOC_MAGIC, 0x46),				/* next unused */
		_IOR(SHMPOOL_IOC_MAGIC, 0x40, big),			/* wrong size */
		_IOW(SHMPOOL_IOC_MAGIC, 0x43, __u32),			/* wrong dir */
		_IOR(0xB8, 0x40, struct shmpool_info),			/* other magic */
		TCGETS,
	};
	union {
		struct shmpool_create c;
		struct shmpool_list l;
		struct shmpool_info i;
		char raw[512];
	} arg;
	unsigned int i;
	int fd = seg_new(self->env.dev, ps);

	ASSERT_GE(fd, 0);
	for (i = 0; i < ARRAY_SIZE(seg_cmds); i++) {
		memset(&arg, 0, sizeof(arg));
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->env.dev, seg_cmds[i], &arg));
		EXPECT_EQ(ENOTTY, errno) TH_LOG("%#lx on /dev/shmpool", seg_cmds[i]);
	}
	for (i = 0; i < ARRAY_SIZE(dev_cmds); i++) {
		memset(&arg, 0, sizeof(arg));
		arg.c.size = ps;
		arg.c.prot = RW;
		errno = 0;
		EXPECT_EQ(-1, ioctl(fd, dev_cmds[i], &arg));
		EXPECT_EQ(ENOTTY, errno) TH_LOG("%#lx on a segment", dev_cmds[i]);
	}
	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		memset(&arg, 0, sizeof(arg));
		errno = 0;
		EXPECT_EQ(-1, ioctl(fd, unknown[i], &arg));
		EXPECT_EQ(ENOTTY, errno) TH_LOG("%#lx on a segment", unknown[i]);
	}
	close(fd);
}

/* A bad argument pointer is EFAULT, on either kind of fd, and changes nothing. */
TEST_F(dev, bad_pointers)
{
	static const unsigned long dev_cmds[] = {
		SHMPOOL_IOC_CREATE, SHMPOOL_IOC_OPEN, SHMPOOL_IOC_UNLINK,
		SHMPOOL_IOC_LIST,
	};
	static const unsigned long seg_cmds[] = {
		SHMPOOL_SEG_IOC_INFO, SHMPOOL_SEG_IOC_RESTRICT,
		SHMPOOL_SEG_IOC_ADD_SEALS, SHMPOOL_SEG_IOC_GET_SEALS,
		SHMPOOL_SEG_IOC_GIVE,
	};
	long long named = seg_list(self->env.dev, 0, NULL);
	int next, fd = seg_new(self->env.dev, ps);
	unsigned int i;

	ASSERT_GE(fd, 0);
	next = next_free_fd();
	for (i = 0; i < ARRAY_SIZE(dev_cmds); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->env.dev, dev_cmds[i], NULL));
		EXPECT_EQ(EFAULT, errno) TH_LOG("%#lx", dev_cmds[i]);
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->env.dev, dev_cmds[i], (void *)16));
		EXPECT_EQ(EFAULT, errno) TH_LOG("%#lx", dev_cmds[i]);
	}
	for (i = 0; i < ARRAY_SIZE(seg_cmds); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(fd, seg_cmds[i], NULL));
		EXPECT_EQ(EFAULT, errno) TH_LOG("%#lx", seg_cmds[i]);
	}
	EXPECT_EQ(0, seg_get_seals(fd));
	EXPECT_EQ(next, next_free_fd());
	EXPECT_EQ(named, seg_list(self->env.dev, 0, NULL));
	close(fd);
}

/*
 * An argument the kernel can read but not write back is EFAULT, and what
 * the call made is undone: CREATE leaves no fd, no frame and no name (of a
 * persistent, populated segment even); OPEN and RESTRICT leave no fd.
 */
TEST_F(dev, unwritable_argument)
{
	long long named = seg_list(self->env.dev, 0, NULL);
	struct shmpool_restrict *r;
	struct shmpool_create *c;
	struct shmpool_open *o;
	int next = next_free_fd();
	char *page;
	int fd;

	page = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	c = (struct shmpool_create *)page;
	*c = good_create();
	c->flags = SHMPOOL_CREATE_PERSIST | SHMPOOL_CREATE_POPULATE;
	name_copy(c->name, self->env.name[0]);
	ASSERT_EQ(0, mprotect(page, ps, PROT_READ));
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->env.dev, SHMPOOL_IOC_CREATE, c));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(next, next_free_fd());
	EXPECT_USED(0);
	EXPECT_EQ(named, seg_list(self->env.dev, 0, NULL));
	EXPECT_EQ(-ENOENT, seg_open(self->env.dev, self->env.name[0], 0));

	fd = seg_create(self->env.dev, self->env.name[1], ps, RW, 0600, 0);
	ASSERT_GE(fd, 0);
	next = next_free_fd();
	ASSERT_EQ(0, mprotect(page, ps, PROT_READ | PROT_WRITE));
	o = (struct shmpool_open *)page;
	memset(o, 0, sizeof(*o));
	name_copy(o->name, self->env.name[1]);
	ASSERT_EQ(0, mprotect(page, ps, PROT_READ));
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->env.dev, SHMPOOL_IOC_OPEN, o));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(next, next_free_fd());

	ASSERT_EQ(0, mprotect(page, ps, PROT_READ | PROT_WRITE));
	r = (struct shmpool_restrict *)page;
	memset(r, 0, sizeof(*r));
	r->prot = SHMPOOL_PROT_READ;
	ASSERT_EQ(0, mprotect(page, ps, PROT_READ));
	errno = 0;
	EXPECT_EQ(-1, ioctl(fd, SHMPOOL_SEG_IOC_RESTRICT, r));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(next, next_free_fd());
	close(fd);
	munmap(page, ps);
}

/* The module cannot be unloaded while a segment is in use. */
/* delete_module(2) as rmmod calls it: 0 or -errno. */
static int try_rmmod(void)
{
	return syscall(__NR_delete_module, "shmpool", O_NONBLOCK) ? -errno : 0;
}

/* Unloading is refused with EBUSY (or EWOULDBLOCK), and the module stays. */
static void expect_rmmod_refused(struct __test_metadata *_metadata,
				 const char *why)
{
	int ret = try_rmmod();

	ASSERT_NE(0, ret) TH_LOG("shmpool was unloaded under %s", why);
	EXPECT_TRUE(ret == -EBUSY || ret == -EWOULDBLOCK)
		TH_LOG("%s: %s", why, strerror(-ret));
	EXPECT_EQ(0, access(SHMPOOL_SYSFS, F_OK));
}

/*
 * A mapping alone, a segment fd alone and a persistent segment alone each
 * keep the module loaded: unloading is refused and the data is still there.
 * /dev/shmpool is closed each time, so that it is not what holds the module.
 */
TEST_F(dev, rmmod_refused_while_in_use)
{
	const char *name = self->env.name[0];
	char buf[16] = "";
	char *m;
	int fd;

	fd = seg_new(self->env.dev, 2 * ps);
	ASSERT_GE(fd, 0);
	m = map_shared(fd, 2 * ps, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);
	put_str(m, "still mapped");
	close(fd);
	close(self->env.dev);
	self->env.dev = -1;
	expect_rmmod_refused(_metadata, "a mapping");
	EXPECT_STREQ("still mapped", m);
	EXPECT_USED(1);

	self->env.dev = open(SHMPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->env.dev, 0);
	fd = seg_new(self->env.dev, ps);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(11, pwrite(fd, "still open", 11, 0));
	munmap(m, 2 * ps);
	close(self->env.dev);
	self->env.dev = -1;
	expect_rmmod_refused(_metadata, "an open segment");
	EXPECT_EQ(11, pread(fd, buf, 11, 0));
	EXPECT_STREQ("still open", buf);
	close(fd);
	EXPECT_USED(0);

	self->env.dev = open(SHMPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->env.dev, 0);
	fd = seg_create(self->env.dev, name, ps, RW, 0600, SHMPOOL_CREATE_PERSIST);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(5, pwrite(fd, "kept", 5, 0));
	close(fd);
	close(self->env.dev);
	self->env.dev = -1;
	expect_rmmod_refused(_metadata, "a persistent segment");

	self->env.dev = open(SHMPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->env.dev, 0);
	fd = seg_open(self->env.dev, name, 0);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(5, pread(fd, buf, 5, 0));
	EXPECT_STREQ("kept", buf);
	close(fd);
	EXPECT_EQ(0, seg_unlink(self->env.dev, name));
	EXPECT_USED(0);
}

/*
 * Huge segments: a first touch of a 2 MiB aligned stretch takes a whole
 * block of the pool and one PMD entry maps it; where the mapping does not
 * line up with the blocks, pages are mapped one by one, the same frames.
 */
FIXTURE(huge) {
	struct seg_env env;
	long hp;		/* 2 MiB: what one PMD entry maps */
};

FIXTURE_SETUP(huge)
{
	env_setup(_metadata, &self->env);
	self->hp = 512 * ps;
}

FIXTURE_TEARDOWN(huge)
{
	env_teardown(_metadata, &self->env);
}

static int huge_new(int dev, size_t size)
{
	return seg_create(dev, NULL, size, RW, 0600, SHMPOOL_CREATE_HUGE);
}

/* Page i of a test pattern holds the byte (i * 7 + 3) & 0xff, all of it. */
static char pattern(long i)
{
	return (char)((i * 7 + 3) & 0xff);
}

/* Write the test pattern into the first n pages at m. */
static void pattern_fill(char *m, long n)
{
	long i;

	for (i = 0; i < n; i++)
		memset(m + i * ps, pattern(i), ps);
}

/* A huge segment of size bytes mapped shared and writable at *m; or -1. */
static int huge_mapped(int dev, size_t size, char **m)
{
	int fd = huge_new(dev, size);

	if (fd < 0)
		return -1;
	*m = map_shared(fd, size, PROT_READ | PROT_WRITE);
	if (!*m) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether every page of [first, first + n) at m holds its pattern. */
static int pattern_ok(const char *m, long first, long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (!all_bytes(m + i * ps, ps, pattern(first + i)))
			return 0;
	return 1;
}

TEST_F(huge, one_fault_per_block)
{
	long long faults = faults_stat("faults"), pmds = faults_stat("faults_huge");
	size_t size = 4 * self->hp;
	struct shmpool_info info;
	char buf[16];
	char *m;
	long i;
	int fd;

	ASSERT_GE(pmds, 0);
	fd = huge_new(self->env.dev, size);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(SHMPOOL_INFO_HUGE, info.flags & SHMPOOL_INFO_HUGE);
	m = map_shared(fd, size, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);
	/* mmap() chose an address a PMD entry can map. */
	EXPECT_EQ(0, (unsigned long)m % self->hp);

	pattern_fill(m, size / ps);
	EXPECT_EQ(faults + 4, faults_stat("faults"));
	EXPECT_EQ(pmds + 4, faults_stat("faults_huge"));
	EXPECT_USED(size / ps);
	/* The auditor knows a huge segment's PFN mapping for what it is. */
	EXPECT_EQ(0, audit_findings());
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(size / ps, info.resident);

	/* The fd reads what the mapping wrote, page by page. */
	for (i = 0; i < (long)(size / ps); i += 97) {
		ASSERT_EQ(sizeof(buf), pread(fd, buf, sizeof(buf), i * ps));
		EXPECT_TRUE(all_bytes(buf, sizeof(buf), pattern(i)));
	}
	EXPECT_EQ(0, munmap(m, size));
	close(fd);
	EXPECT_USED(0);
}

TEST_F(huge, misaligned_mapping_maps_pages)
{
	size_t size = 2 * self->hp;
	long long faults, pmds;
	char *m, *off, *area;
	int fd;

	fd = huge_mapped(self->env.dev, size, &m);
	ASSERT_GE(fd, 0);
	pattern_fill(m, size / ps);

	/*
	 * One page in: mmap() lines offset 2 MiB up with a 2 MiB boundary,
	 * so the second block is one PMD entry, the first 511 pages.
	 */
	faults = faults_stat("faults");
	pmds = faults_stat("faults_huge");
	off = mmap(NULL, size - ps, PROT_READ, MAP_SHARED, fd, ps);
	ASSERT_NE(MAP_FAILED, off);
	EXPECT_EQ(0, ((unsigned long)off - ps) % self->hp);
	EXPECT_TRUE(pattern_ok(off, 1, size / ps - 1));
	EXPECT_EQ(faults + 512, faults_stat("faults"));
	EXPECT_EQ(pmds + 1, faults_stat("faults_huge"));
	munmap(off, size - ps);

	/* Put where no block lines up with a PMD: every page on its own. */
	area = mmap(NULL, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	area += self->hp - (unsigned long)area % self->hp + ps;
	faults = faults_stat("faults");
	off = mmap(area, size, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
	ASSERT_EQ(area, off);
	EXPECT_TRUE(pattern_ok(off, 0, size / ps));
	EXPECT_EQ(faults + (long long)(size / ps), faults_stat("faults"));
	EXPECT_EQ(pmds + 1, faults_stat("faults_huge"));

	/* A write through one mapping shows through the other. */
	m[5 * ps] = 'x';
	EXPECT_EQ('x', off[5 * ps]);
	EXPECT_USED(size / ps);
	munmap(off, size);
	munmap(m, size);
	close(fd);
}

TEST_F(huge, tail_short_of_a_block_maps_pages)
{
	size_t size = self->hp + 8 * ps;
	long long pmds = faults_stat("faults_huge");
	char *m;
	int fd;

	fd = huge_mapped(self->env.dev, size, &m);
	ASSERT_GE(fd, 0);
	pattern_fill(m, size / ps);
	EXPECT_EQ(pmds + 1, faults_stat("faults_huge"));
	EXPECT_TRUE(pattern_ok(m, 0, size / ps));
	EXPECT_USED(size / ps);
	munmap(m, size);
	close(fd);
}

TEST_F(huge, refusals)
{
	struct shmpool_create c = {
		.size = 2 * self->hp, .flags = SHMPOOL_CREATE_HUGE, .prot = RW,
		.mode = 0600, .cache = SHMPOOL_CACHE_WC,
	};
	struct iovec iov;
	int fd, p[2];
	char *m;

	/* A PMD entry has one cache mode: write-back only. */
	EXPECT_EQ(-EINVAL, seg_create_raw(self->env.dev, &c));

	fd = huge_new(self->env.dev, 2 * self->hp);
	ASSERT_GE(fd, 0);
	/* No copy-on-write of PFN mappings. */
	EXPECT_EQ(-EINVAL, try_mmap(fd, self->hp, PROT_READ, MAP_PRIVATE, 0));
	m = map_shared(fd, 2 * self->hp, PROT_READ | PROT_WRITE);
	ASSERT_NE(NULL, m);
	memset(m, 'h', self->hp);

	/* get_user_pages() cannot take the pages of a PFN mapping. */
	ASSERT_EQ(0, pipe(p));
	iov.iov_base = m;
	iov.iov_len = ps;
	EXPECT_EQ(-1, vmsplice(p[1], &iov, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	close(p[0]);
	close(p[1]);
	/* Nor can MADV_DONTNEED drop them: the fd's contents stay. */
	EXPECT_EQ(-1, madvise(m, self->hp, MADV_DONTNEED));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(all_bytes(m, self->hp, 'h'));
	EXPECT_USED(512);
	munmap(m, 2 * self->hp);
	close(fd);
}

static sigjmp_buf sig_jmp;

static void on_signal(int sig)
{
	siglongjmp(sig_jmp, sig);
}

/*
 * The signal a read (write 0) or a write (1) of p raises, tried in this
 * process, or 0: a child may not inherit a huge segment's mapping (see
 * child_maps_huge), so touch_signal() cannot tell.
 */
static int access_signal(char *p, int write)
{
	struct sigaction sa = { .sa_handler = on_signal }, segv, bus;
	int sig;

	sigaction(SIGSEGV, &sa, &segv);
	sigaction(SIGBUS, &sa, &bus);
	sig = sigsetjmp(sig_jmp, 1);
	/* atomics: accesses the compiler must really make */
	if (!sig) {
		if (write)
			__atomic_store_n(p, 1, __ATOMIC_RELAXED);
		else
			(void)__atomic_load_n(p, __ATOMIC_RELAXED);
	}
	sigaction(SIGSEGV, &segv, NULL);
	sigaction(SIGBUS, &bus, NULL);
	return sig;
}

/* A child of the test, with the segment's fd: map it anew and write. */
static int child_maps_huge(void *arg)
{
	int fd = *(int *)arg;
	long hp = 512 * ps;
	char *m = mmap(NULL, 2 * hp, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	CHILD_TRUE(m != MAP_FAILED);
	CHILD_TRUE((unsigned long)m % hp == 0);
	CHILD_EQ('a', m[hp]);
	m[hp + ps] = 'c';
	return 0;
}

TEST_F(huge, mprotect_and_fork)
{
	long long pmds = faults_stat("faults_huge");
	size_t size = 2 * self->hp;
	char *m;
	int fd;

	fd = huge_mapped(self->env.dev, size, &m);
	ASSERT_GE(fd, 0);
	memset(m, 'a', size);
	EXPECT_EQ(pmds + 2, faults_stat("faults_huge"));

	/* Read-only now: a write is SIGSEGV, a read works. */
	ASSERT_EQ(0, mprotect(m, size, PROT_READ));
	EXPECT_EQ(SIGSEGV, access_signal(m + 3 * ps, 1));
	EXPECT_EQ('a', m[self->hp]);
	/* Writable again: the same PMD entry, made writable. */
	ASSERT_EQ(0, mprotect(m, size, PROT_READ | PROT_WRITE));
	memset(m, 'b', self->hp);
	EXPECT_EQ('b', m[self->hp - 1]);
	EXPECT_EQ('a', m[self->hp]);

	/*
	 * A child maps the blocks itself.  (Whether it inherits the parent's
	 * mapping depends on the kernel: not where the entries are special,
	 * see Documentation/userspace-api.rst.)
	 */
	EXPECT_EQ(0, run_child(child_maps_huge, &fd));
	EXPECT_EQ('c', m[self->hp + ps]);
	EXPECT_EQ(pmds + 3, faults_stat("faults_huge"));
	munmap(m, size);
	close(fd);
}

TEST_F(huge, populated_blocks_map_whole)
{
	long long pmds = faults_stat("faults_huge");
	size_t size = 2 * self->hp;
	char *m;
	int fd;

	fd = seg_create(self->env.dev, NULL, size, RW, 0600,
			SHMPOOL_CREATE_HUGE | SHMPOOL_CREATE_POPULATE);
	ASSERT_GE(fd, 0);
	EXPECT_USED(1024);
	m = map_shared(fd, size, PROT_READ);
	ASSERT_NE(NULL, m);
	EXPECT_TRUE(all_bytes(m, size, 0));
	EXPECT_EQ(pmds + 2, faults_stat("faults_huge"));
	munmap(m, size);
	close(fd);
}

static int range_ioctl(int fd, unsigned long cmd, size_t offset, size_t len,
		       __u32 *result)
{
	struct shmpool_range r = { .offset = offset, .len = len };

	if (ioctl(fd, cmd, &r) < 0)
		return -errno;
	*result = r.result;
	return 0;
}

/*
 * A block's pages are one entry until something wants one of them alone:
 * unpinning part of it splits it into entries of a page each, which hold
 * the same frames, so the contents stay and the block still maps whole.
 */
TEST_F(huge, unpinned_range_splits_its_block)
{
	long long pmds = faults_stat("faults_huge");
	size_t size = 2 * self->hp;
	struct shmpool_info info;
	__u32 result = 1;
	char *m;
	int fd;

	fd = huge_mapped(self->env.dev, size, &m);
	ASSERT_GE(fd, 0);
	pattern_fill(m, size / ps);
	EXPECT_EQ(pmds + 2, faults_stat("faults_huge"));

	ASSERT_EQ(0, range_ioctl(fd, SHMPOOL_SEG_IOC_UNPIN, 10 * ps, 10 * ps,
				 &result));
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(10, info.purgeable);
	EXPECT_EQ(0, audit_findings());
	ASSERT_EQ(0, range_ioctl(fd, SHMPOOL_SEG_IOC_PIN, 0, size, &result));
	EXPECT_EQ(0, result);
	ASSERT_EQ(0, seg_info(fd, &info));
	EXPECT_EQ(0, info.purgeable);
	EXPECT_EQ(size / ps, info.resident);

	/* Mapped anew: both blocks by one PMD entry each, as they were. */
	munmap(m, size);
	m = map_shared(fd, size, PROT_READ);
	ASSERT_NE(NULL, m);
	EXPECT_TRUE(pattern_ok(m, 0, size / ps));
	EXPECT_EQ(pmds + 4, faults_stat("faults_huge"));
	EXPECT_USED(size / ps);
	munmap(m, size);
	close(fd);
	EXPECT_USED(0);
}

TEST_F(huge, truncation_takes_blocks_away)
{
	size_t size = 2 * self->hp;
	char *m;
	int fd;

	fd = huge_mapped(self->env.dev, size, &m);
	ASSERT_GE(fd, 0);
	pattern_fill(m, size / ps);
	EXPECT_USED(1024);

	/* Half of the second block goes; what is left of it maps by pages. */
	ASSERT_EQ(0, ftruncate(fd, self->hp + self->hp / 2));
	EXPECT_USED(768);
	EXPECT_EQ(SIGBUS, access_signal(m + self->hp + self->hp / 2, 0));
	EXPECT_TRUE(pattern_ok(m, 0, 768));
	/* Grown again: the tail reads as zeroes, a fresh page at a time. */
	ASSERT_EQ(0, ftruncate(fd, size));
	EXPECT_EQ(0, m[size - 1]);
	EXPECT_USED(769);
	munmap(m, size);
	close(fd);
}

TEST_HARNESS_MAIN
