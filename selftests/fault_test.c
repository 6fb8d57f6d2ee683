// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: every call into shmpool is walked with fail-nth
 * (/proc/thread-self/fail-nth), so that each allocation, user copy and
 * pool allocation inside it fails once, in turn, until the call completes
 * with nothing left to fail.  Each failure must come back as a clean errno
 * (ENOMEM for memory, EFAULT for a failed user copy; SIGBUS for a page
 * fault), leave no frame behind, and leave the module working.  kmemleak,
 * read by the VM runner after the run, checks that nothing else leaked.
 *
 * It needs a kernel with fault injection (the debug kernel): failslab,
 * fail_page_alloc, fail_usercopy and fail_function, whose debugfs knobs it
 * sets so that sleeping allocations fail too, and restores afterwards.
 * Elsewhere every test is skipped, with the reason.
 */
#include "shmpool_test.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/stat.h>

#include "kselftest_harness.h"

#define RW		(SHMPOOL_PROT_READ | SHMPOOL_PROT_WRITE)
#define FAULT_DEBUGFS	"/sys/kernel/debug"
/* No call of ours has nearly this many fault sites. */
#define MAX_NTH		4000
#define SEG_PAGES	8

static long ps;
/* /proc/thread-self/fail-nth, kept open: opening and closing it are calls too. */
static int nth_fd = -1;
/*
 * The buffer read() and write() use, touched before injection starts: the
 * test's own page faults must not consume the fault sites being walked.
 */
static char *iobuf;

/* What one walk step works on; prepared before injection starts. */
struct fctx {
	int dev;
	int fd;			/* the segment under test */
	int out;		/* an fd the call made, closed by the walk */
	char *map;
	char name[SHMPOOL_NAME_MAX];
};

struct fault_op {
	const char *name;
	int (*prepare)(struct fctx *c);
	int (*run)(struct fctx *c);	/* 0 or -errno, under injection */
};

/* debugfs knobs of the fault attributes, and what they were before. */
static const char *const knobs[][2] = {
	{ "failslab/ignore-gfp-wait", "N" },
	{ "failslab/verbose", "0" },
	{ "fail_page_alloc/ignore-gfp-wait", "N" },
	{ "fail_page_alloc/ignore-gfp-highmem", "N" },
	{ "fail_page_alloc/min-order", "0" },
	{ "fail_page_alloc/verbose", "0" },
	{ "fail_usercopy/verbose", "0" },
	{ "fail_function/verbose", "0" },
	/* shmpool_alloc_frames() returning NULL: the pool is exhausted. */
	{ "fail_function/inject", "shmpool_alloc_frames" },
	{ "fail_function/shmpool_alloc_frames/retval", "0" },
};

#define NR_KNOBS ARRAY_SIZE(knobs)

static int read_knob(const char *knob, char *buf, size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), FAULT_DEBUGFS "/%s", knob);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int write_knob(const char *knob, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), FAULT_DEBUGFS "/%s", knob);
	return write_str(path, val);
}

/* Arm the task's fail-nth counter: the nth fault site from now fails. */
static int set_nth(int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	return pwrite(nth_fd, buf, len, 0) == len ? 0 : -errno;
}

/*
 * Whether the armed fault fired, and disarm it.  The counter reads 0 once
 * it fired.  Reading and writing it copy from and to user space, which are
 * fault sites themselves: while a fault is still pending, either copy may
 * be the one that fails (EFAULT), and then the counter is spent anyway.
 */
static int nth_fired(void)
{
	char buf[16] = "";
	ssize_t n;
	int err, ret;

	n = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	err = errno;
	ret = set_nth(0);
	if (ret && ret != -EFAULT)
		return -1;
	if (n < 0)
		return err == EFAULT ? 0 : -1;
	return atoi(buf) == 0;
}

static sigjmp_buf fault_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(fault_jmp, 1);
}

/* The ops: prepare outside injection, run under it. */

static int prep_none(struct fctx *c)
{
	return 0;
}

static int prep_seg(struct fctx *c)
{
	c->fd = seg_create(c->dev, c->name, SEG_PAGES * ps, RW, 0600, 0);
	return c->fd < 0 ? c->fd : 0;
}

static int prep_populated(struct fctx *c)
{
	c->fd = seg_create(c->dev, c->name, SEG_PAGES * ps, RW, 0600,
			   SHMPOOL_CREATE_POPULATE);
	return c->fd < 0 ? c->fd : 0;
}

static int prep_mapped(struct fctx *c)
{
	int ret = prep_seg(c);
	void *p;

	if (ret)
		return ret;
	p = mmap(NULL, SEG_PAGES * ps, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	c->map = p;
	return 0;
}

/* A persistent segment that only its name holds. */
static int prep_persistent(struct fctx *c)
{
	int fd = seg_create(c->dev, c->name, SEG_PAGES * ps, RW, 0600,
			    SHMPOOL_CREATE_PERSIST | SHMPOOL_CREATE_POPULATE);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static int run_version(struct fctx *c)
{
	struct shmpool_version v;

	return ioctl(c->dev, SHMPOOL_IOC_VERSION, &v) < 0 ? -errno : 0;
}

static int run_create(struct fctx *c)
{
	c->out = seg_create(c->dev, c->name, SEG_PAGES * ps, RW, 0600,
			    SHMPOOL_CREATE_POPULATE);
	return c->out < 0 ? c->out : 0;
}

static int run_create_persistent(struct fctx *c)
{
	c->out = seg_create(c->dev, c->name, SEG_PAGES * ps, RW, 0600,
			    SHMPOOL_CREATE_PERSIST);
	return c->out < 0 ? c->out : 0;
}

static int run_open(struct fctx *c)
{
	c->out = seg_open(c->dev, c->name, SHMPOOL_OPEN_WRITE);
	return c->out < 0 ? c->out : 0;
}

static int run_unlink(struct fctx *c)
{
	return seg_unlink(c->dev, c->name);
}

static int run_list(struct fctx *c)
{
	long long n = seg_list(c->dev, 0, NULL);

	return n < 0 ? (int)n : 0;
}

static int run_info(struct fctx *c)
{
	struct shmpool_info info;

	return seg_info(c->fd, &info);
}

static int run_restrict(struct fctx *c)
{
	c->out = seg_restrict(c->fd, SHMPOOL_PROT_READ, 0);
	return c->out < 0 ? c->out : 0;
}

static int run_seals(struct fctx *c)
{
	long long seals;
	int ret = seg_add_seals(c->fd, F_SEAL_GROW | F_SEAL_SHRINK);

	if (ret)
		return ret;
	seals = seg_get_seals(c->fd);
	return seals < 0 ? (int)seals : 0;
}

static int run_unpin_pin(struct fctx *c)
{
	struct shmpool_range r = { .offset = 0, .len = SEG_PAGES * ps };

	if (ioctl(c->fd, SHMPOOL_SEG_IOC_UNPIN, &r) < 0 ||
	    ioctl(c->fd, SHMPOOL_SEG_IOC_PIN, &r) < 0)
		return -errno;
	return 0;
}

static int run_give(struct fctx *c)
{
	return seg_give(c->fd, TEST_UID, TEST_GID);
}

/* Offered to ourselves (an owner may: it moves only the group). */
static int prep_offered(struct fctx *c)
{
	int ret = prep_seg(c);

	return ret ? ret : seg_give(c->fd, geteuid(), getegid());
}

static int run_accept(struct fctx *c)
{
	return seg_accept(c->fd);
}

static int run_mmap(struct fctx *c)
{
	void *p = mmap(NULL, SEG_PAGES * ps, PROT_READ | PROT_WRITE,
		       MAP_SHARED, c->fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	c->map = p;
	return 0;
}

/* Touch every page; a fault that cannot get its frame is SIGBUS. */
static int run_fault(struct fctx *c)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	int ret = 0;	/* set only after the jump: no need for volatile */
	int i;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(fault_jmp, 1))
		ret = -ENOMEM;
	else
		for (i = 0; i < SEG_PAGES; i++)
			c->map[i * ps] = 1;
	sigaction(SIGBUS, &old, NULL);
	return ret;
}

static int run_write(struct fctx *c)
{
	/* a short write is a success that failed further on */
	return pwrite(c->fd, iobuf, SEG_PAGES * ps, 0) < 0 ? -errno : 0;
}

static int run_read(struct fctx *c)
{
	return pread(c->fd, iobuf, SEG_PAGES * ps, 0) < 0 ? -errno : 0;
}

static int run_truncate(struct fctx *c)
{
	if (ftruncate(c->fd, 2 * SEG_PAGES * ps))
		return -errno;
	return ftruncate(c->fd, ps) ? -errno : 0;
}

/* The last reference goes: eviction gives every frame back. */
static int run_close(struct fctx *c)
{
	int fd = c->fd;

	c->fd = -1;
	return close(fd) ? -errno : 0;
}

static const struct fault_op ops[] = {
	{ "VERSION", prep_none, run_version },
	{ "CREATE", prep_none, run_create },
	{ "CREATE persistent", prep_none, run_create_persistent },
	{ "OPEN", prep_seg, run_open },
	{ "UNLINK", prep_persistent, run_unlink },
	{ "LIST", prep_seg, run_list },
	{ "INFO", prep_seg, run_info },
	{ "RESTRICT", prep_seg, run_restrict },
	{ "ADD_SEALS, GET_SEALS", prep_seg, run_seals },
	{ "UNPIN, PIN", prep_populated, run_unpin_pin },
	{ "GIVE", prep_seg, run_give },
	{ "ACCEPT", prep_offered, run_accept },
	{ "mmap", prep_seg, run_mmap },
	{ "fault", prep_mapped, run_fault },
	{ "write", prep_seg, run_write },
	{ "read", prep_populated, run_read },
	{ "ftruncate", prep_populated, run_truncate },
	{ "close (eviction)", prep_populated, run_close },
};

FIXTURE(fault) {
	int dev;
	long long used;
	char saved[NR_KNOBS][128];
	int nsaved;
};

FIXTURE_SETUP(fault)
{
	int i;

	ps = sysconf(_SC_PAGESIZE);
	self->nsaved = 0;
	self->dev = open(SHMPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->dev, 0);
	if (access("/proc/thread-self/fail-nth", W_OK) ||
	    access(FAULT_DEBUGFS "/fail_function/inject", W_OK))
		SKIP(return, "no fail-nth or fail_function here: make check-debug");
	for (i = 0; i < (int)NR_KNOBS; i++) {
		/* inject lists what is armed; the retval knob exists after it */
		if (i < (int)NR_KNOBS - 2)
			ASSERT_EQ(0, read_knob(knobs[i][0], self->saved[i],
					       sizeof(self->saved[i])))
				TH_LOG("%s", knobs[i][0]);
		ASSERT_EQ(0, write_knob(knobs[i][0], knobs[i][1]))
			TH_LOG("%s <- %s", knobs[i][0], knobs[i][1]);
		self->nsaved = i + 1;
	}
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_GE(nth_fd, 0);
	iobuf = malloc(SEG_PAGES * ps);
	ASSERT_NE(NULL, iobuf);
	memset(iobuf, 0x3c, SEG_PAGES * ps);
	self->used = frames_used();
	ASSERT_GE(self->used, 0);
}

FIXTURE_TEARDOWN(fault)
{
	int i;

	if (nth_fd >= 0) {
		set_nth(0);
		close(nth_fd);
	}
	if (self->nsaved == (int)NR_KNOBS)
		write_knob("fail_function/inject", "!shmpool_alloc_frames");
	for (i = 0; i < self->nsaved && i < (int)NR_KNOBS - 2; i++)
		write_knob(knobs[i][0], self->saved[i]);
	if (self->dev >= 0)
		close(self->dev);
	/* Isolation holds after every test. */
	EXPECT_AUDIT_CLEAN();
}

static void undo(struct fctx *c)
{
	if (c->map)
		munmap(c->map, SEG_PAGES * ps);
	if (c->out >= 0)
		close(c->out);
	if (c->fd >= 0)
		close(c->fd);
	seg_unlink(c->dev, c->name);
}

/*
 * Walk fail-nth over one op until it runs to the end without the armed
 * fault firing; every step must fail cleanly and give back every frame.
 */
static void walk(struct __test_metadata *_metadata, int dev, long long used,
		 const struct fault_op *op)
{
	int n, ret, fired, failed = 0;

	for (n = 1; n < MAX_NTH; n++) {
		struct fctx c = { .dev = dev, .fd = -1, .out = -1 };

		snprintf(c.name, sizeof(c.name), "fault.%d", (int)getpid());
		ASSERT_EQ(0, op->prepare(&c)) TH_LOG("%s: prepare", op->name);
		ASSERT_EQ(0, set_nth(n));
		ret = op->run(&c);
		fired = nth_fired();
		undo(&c);
		ASSERT_GE(fired, 0);
		EXPECT_EQ(used, frames_used())
			TH_LOG("%s: fail-nth %d left frames behind", op->name, n);
		if (!fired) {
			EXPECT_EQ(0, ret) TH_LOG("%s fails with nothing injected", op->name);
			break;
		}
		/* An injected failure may also be absorbed (a fallback). */
		EXPECT_TRUE(ret == 0 || ret == -ENOMEM || ret == -EFAULT)
			TH_LOG("%s: fail-nth %d: %s", op->name, n, strerror(-ret));
		failed += ret != 0;
	}
	EXPECT_LT(n, MAX_NTH) TH_LOG("%s: fail-nth never ran out", op->name);
	ksft_print_msg("%s: %d fault sites, %d failed the call\n", op->name,
		       n - 1, failed);
}

TEST_F_TIMEOUT(fault, every_call, 1800)
{
	struct fctx c = { .dev = self->dev, .fd = -1, .out = -1 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		walk(_metadata, self->dev, self->used, &ops[i]);

	/* The module still works: a segment, its frames, and back. */
	snprintf(c.name, sizeof(c.name), "fault.%d", (int)getpid());
	ASSERT_EQ(0, prep_mapped(&c));
	ASSERT_EQ(0, run_fault(&c));
	EXPECT_EQ(self->used + SEG_PAGES, frames_used());
	undo(&c);
	EXPECT_EQ(self->used, frames_used());
}

TEST_HARNESS_MAIN
