// SPDX-License-Identifier: GPL-2.0
/*
 * Many mappings of one segment: debugfs "mappings" and the auditor must
 * stay linear in the mappings and frames, and must not hold the segment's
 * lock for long, however many VMAs a process splits a mapping into.
 *
 * One mmap() of a segment is split into one VMA per page by mprotect() on
 * every other page, as many as vm.max_map_count allows (raised for the
 * test, and put back).  The read-write pages are touched.  Then, while a
 * second thread takes page faults on the same segment (each one allocates
 * a frame, which takes the segment's lock), "mappings" is read and the
 * auditor run: the read must list every VMA, each with its pages and
 * protections, and the audit must count them all and find nothing.
 *
 * A walk that holds the lock too long shows as a kernel splat (soft
 * lockup, RCU stall, hung task), which fails the run in tools/vm/run; the
 * times are printed for comparison, not checked, as a loaded host would
 * make them flaky.  Each test's harness timeout is a hang bound, some 200
 * times what the linear walks take under TCG with 65536 VMAs: the
 * quadratic ones took 199 s for the read, and failed it.
 * SHMPOOL_MAPS_VMAS overrides the number of VMAs (8192 by default on the
 * debug kernel).
 */
#include "shmpool_test.h"

#include <pthread.h>
#include <time.h>

#include "kselftest_harness.h"

#define RW		(SHMPOOL_PROT_READ | SHMPOOL_PROT_WRITE)
#define MAX_MAP_COUNT	"/proc/sys/vm/max_map_count"
#define MAPPINGS_FILE	SHMPOOL_DEBUGFS "/mappings"
/* One line of it (Documentation/debugfs.rst), comm skipped. */
#define MAPPINGS_LINE	"seg=%u pid=%d comm=%*s start=%lx end=%lx pgoff=%lu " \
			"prot=%4s max=%3s resident=%lu"
/* VMAs by default: the kernel's default max_map_count, rounded up. */
#define DEFAULT_VMAS	65536
/*
 * On the debug kernel (kmemleak marks it, as for tools/vm/guest), whose
 * KASAN and lockdep make every VMA operation many times dearer: enough to
 * show a walk linear, within the same hang bound.
 */
#define DEBUG_VMAS	8192
/* Pages past the split mapping that the faulting thread cycles through. */
#define FAULT_PAGES	64
/* Mappings a process has besides ours (text, heap, stacks, libraries). */
#define OTHER_MAPS	1024

static long ps;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The faulting thread: its segment, and what it saw while it ran. */
struct faulter {
	int fd;
	long first;			/* its pages: [first, first + FAULT_PAGES) */
	int stop;			/* set once, at the end: __atomic */
	pthread_t thread;
	unsigned long faults;		/* pages written (faults): __atomic */
	unsigned long long max_ns;	/* the slowest of them */
	int err;			/* __atomic */
};

/*
 * Map the pages past the split mapping, write each (a fault that
 * allocates), then give the frames back by truncating and growing the
 * segment again, until told to stop.  A mapping of its own, so that the
 * split one stays as it is.
 */
static void *fault_loop(void *arg)
{
	struct faulter *f = arg;
	off_t size = (f->first + FAULT_PAGES) * ps;

	while (!__atomic_load_n(&f->stop, __ATOMIC_RELAXED)) {
		char *p = mmap(NULL, FAULT_PAGES * ps, PROT_READ | PROT_WRITE,
			       MAP_SHARED, f->fd, f->first * ps);
		long i;

		if (p == MAP_FAILED) {
			__atomic_store_n(&f->err, errno, __ATOMIC_RELAXED);
			break;
		}
		for (i = 0; i < FAULT_PAGES; i++) {
			unsigned long long t = now_ns();

			p[i * ps] = 1;
			t = now_ns() - t;
			if (t > f->max_ns)
				f->max_ns = t;
			__atomic_store_n(&f->faults, f->faults + 1, __ATOMIC_RELAXED);
		}
		munmap(p, FAULT_PAGES * ps);
		if (ftruncate(f->fd, f->first * ps) || ftruncate(f->fd, size)) {
			__atomic_store_n(&f->err, errno, __ATOMIC_RELAXED);
			break;
		}
	}
	return NULL;
}

/* Read a whole file; its length, or -errno.  *buf is malloc()ed. */
static ssize_t read_all(const char *path, char **buf)
{
	size_t size = 1 << 20, len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	*buf = malloc(size + 1);
	for (;;) {
		if (!*buf) {
			close(fd);
			return -ENOMEM;
		}
		n = read(fd, *buf + len, size - len);
		if (n <= 0)
			break;
		len += n;
		if (len == size) {
			size *= 2;
			*buf = realloc(*buf, size + 1);
		}
	}
	close(fd);
	if (n < 0)
		return -errno;
	(*buf)[len] = 0;
	return len;
}

FIXTURE(many) {
	int dev, fd;
	long vmas;
	long long max_map_count, user_max_kb;
	char *map;
	struct faulter f;
};

FIXTURE_SETUP(many)
{
	const char *env = getenv("SHMPOOL_MAPS_VMAS");
	long long need_kb;
	long i;

	ps = sysconf(_SC_PAGESIZE);
	self->fd = -1;
	self->map = MAP_FAILED;
	self->vmas = env ? atol(env) :
		     access("/sys/kernel/debug/kmemleak", F_OK) ? DEFAULT_VMAS :
		     DEBUG_VMAS;
	ASSERT_GT(self->vmas, 1);
	self->vmas &= ~1L;	/* pairs of a read-write and a read-only page */

	self->max_map_count = read_num(MAX_MAP_COUNT);
	ASSERT_GT(self->max_map_count, 0);
	if (self->max_map_count < self->vmas + OTHER_MAPS)
		ASSERT_EQ(0, write_num(MAX_MAP_COUNT, self->vmas + OTHER_MAPS));
	/* The touched half, the faulting thread's pages, and room. */
	self->user_max_kb = read_num(SHMPOOL_PARAM("user_max_kb"));
	ASSERT_GT(self->user_max_kb, 0);
	need_kb = (self->vmas / 2 + FAULT_PAGES) * (ps / 1024) * 2;
	if (self->user_max_kb < need_kb)
		ASSERT_EQ(0, write_num(SHMPOOL_PARAM("user_max_kb"), need_kb));

	self->dev = open(SHMPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->dev, 0);
	/* Overcommitted: it may be larger than the pool, as only half is touched. */
	self->fd = seg_create(self->dev, NULL, (self->vmas + FAULT_PAGES) * ps,
			      RW, 0600, SHMPOOL_CREATE_OVERCOMMIT);
	ASSERT_GE(self->fd, 0);
	self->map = mmap(NULL, self->vmas * ps, PROT_READ | PROT_WRITE,
			 MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->map);
	/* Split first, so that no fault of one page maps its neighbour. */
	for (i = 1; i < self->vmas; i += 2)
		ASSERT_EQ(0, mprotect(self->map + i * ps, ps, PROT_READ))
			TH_LOG("mprotect of page %ld: %m", i);
	for (i = 0; i < self->vmas; i += 2)
		self->map[i * ps] = 1;
}

FIXTURE_TEARDOWN(many)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, self->vmas * ps);
	if (self->fd >= 0)
		close(self->fd);
	close(self->dev);
	EXPECT_EQ(0, write_num(MAX_MAP_COUNT, self->max_map_count));
	EXPECT_EQ(0, write_num(SHMPOOL_PARAM("user_max_kb"), self->user_max_kb));
	EXPECT_AUDIT_CLEAN();
}

/* Start faulting pages of @fd from page @first on; 0 or an errno. */
static int faulter_start(struct faulter *f, int fd, long first)
{
	int err;

	memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->first = first;
	err = pthread_create(&f->thread, NULL, fault_loop, f);
	/* Faulting before the walk starts. */
	while (!err && !__atomic_load_n(&f->faults, __ATOMIC_RELAXED) &&
	       !__atomic_load_n(&f->err, __ATOMIC_RELAXED))
		usleep(1000);
	return err;
}

/* Stop it, say what it saw @during the walk; the errno it met, or 0. */
static int faulter_stop(struct faulter *f, const char *during)
{
	__atomic_store_n(&f->stop, 1, __ATOMIC_RELAXED);
	pthread_join(f->thread, NULL);
	ksft_print_msg("%s: %lu faults meanwhile, the slowest %.3f ms\n",
		       during, f->faults, f->max_ns / 1e6);
	return f->err;
}

/*
 * Every VMA of the split mapping is listed once, with its range, offset,
 * protections and resident page.
 */
TEST_F_TIMEOUT(many, mappings_lists_every_vma, 120)
{
	long long id = seg_id(self->fd);
	unsigned long start, end, pgoff, resident;
	long listed = 0, ours = 0, bad = -1;
	char prot[5], max[4], *buf, *line;
	unsigned long long t;
	ssize_t len;
	int pid, n;
	unsigned int seg;

	ASSERT_GT(id, 0);
	ASSERT_EQ(0, faulter_start(&self->f, self->fd, self->vmas));
	t = now_ns();
	len = read_all(MAPPINGS_FILE, &buf);
	t = now_ns() - t;
	EXPECT_EQ(0, faulter_stop(&self->f, "mappings read"));
	ASSERT_GT(len, 0) TH_LOG("read %s: %s", MAPPINGS_FILE, strerror(-len));
	ksft_print_msg("mappings: %zd bytes in %.3f s\n", len, t / 1e9);

	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		long i;

		listed++;
		n = sscanf(line, MAPPINGS_LINE, &seg, &pid, &start, &end,
			   &pgoff, prot, max, &resident);
		ASSERT_EQ(8, n) TH_LOG("malformed: %s", line);
		if (seg != id || start < (unsigned long)self->map ||
		    start >= (unsigned long)self->map + self->vmas * ps)
			continue;
		i = (start - (unsigned long)self->map) / ps;
		if (bad < 0 && (pid != getpid() || end != start + ps ||
				pgoff != (unsigned long)i ||
				strcmp(prot, i & 1 ? "r--s" : "rw-s") ||
				strcmp(max, "rw-") || resident != !(i & 1)))
			bad = listed;
		if (bad == listed)
			TH_LOG("wrong for page %ld: %s", i, line);
		ours++;
	}
	free(buf);
	EXPECT_EQ(-1, bad);
	EXPECT_EQ(self->vmas, ours);
}

/* The auditor counts every VMA and finds nothing. */
TEST_F_TIMEOUT(many, audit_counts_every_vma, 120)
{
	long mappings = -1, findings = -1;
	char *report;
	int n;
	unsigned long long t;
	ssize_t len;

	ASSERT_EQ(0, faulter_start(&self->f, self->fd, self->vmas));
	t = now_ns();
	ASSERT_EQ(0, write_str(AUDIT_FILE, "run"));
	t = now_ns() - t;
	EXPECT_EQ(0, faulter_stop(&self->f, "audit run"));
	ksft_print_msg("audit: %.3f s\n", t / 1e9);
	len = read_all(AUDIT_FILE, &report);
	ASSERT_GT(len, 0);
	n = sscanf(report, "run=%*u segments=%*u mappings=%ld frames=%*u findings=%ld",
		   &mappings, &findings);
	ASSERT_EQ(2, n) TH_LOG("%s", report);
	EXPECT_EQ(0, findings) TH_LOG("%s", report);
	/* Ours, and the faulting thread's while it was mapped. */
	EXPECT_GE(mappings, self->vmas) TH_LOG("%s", report);
	EXPECT_LE(mappings, self->vmas + 1) TH_LOG("%s", report);
	free(report);
}

TEST_HARNESS_MAIN
