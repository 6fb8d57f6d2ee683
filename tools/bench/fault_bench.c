// SPDX-License-Identifier: GPL-2.0
/*
 * fault_bench - what a page of shared memory costs a program, for a
 * shmpool segment against what it would use instead: a memfd (shmem) or
 * anonymous memory.  In the manner of will-it-scale's page_fault tests: map,
 * touch every page, unmap, timed as a whole and divided by the pages.
 *
 *   fault_bench CASE MIB [PROCS [REPS]]
 *
 * CASE is one of the rows of cases[] below.  PROCS processes (1) run the
 * case at once, each on its own object of MIB MiB, started together; each
 * round is run once to warm up and then REPS (5) times, each printing
 *
 *   result fault CASE PROCS MIB REP NS-PER-PAGE     (tab-separated)
 *
 * NS-PER-PAGE being the processes' mean.  What the timed part holds is
 * what a program pays for the memory to be there: for the "write" cases
 * the object's whole life, its creation and its close (a shmpool frame is
 * cleared when freed, a shmem or anonymous page when allocated, so either
 * way the clear is inside); for "read" and "shared", pages made resident
 * beforehand and only their mapping; "populate" allocates explicitly
 * (SHMPOOL_CREATE_POPULATE, fallocate()) and maps with MAP_POPULATE, and
 * "teardown" is the munmap() and close() of that; "touch" is the fault
 * path alone: the map and the first write of every page of a new object,
 * which is where a shmem or anonymous page is cleared (a shmpool frame was
 * cleared when its last owner freed it); "access" is no fault at all, a
 * write to every page of a mapping populated beforehand: under plain TCG,
 * what the emulator itself charges per 4 KiB page, a fill of its own TLB,
 * which holds 4 KiB entries only, whatever size of page maps them (a
 * 2 MiB mapping pays it 512 times, where hardware fills one TLB entry).
 * Not for huge segments: MAP_POPULATE, through get_user_pages(), skips
 * their VM_PFNMAP mappings.  The "huge" cases are 2 MiB
 * pages: a SHMPOOL_CREATE_HUGE segment, a memfd of MFD_HUGETLB (needs free
 * pages in /proc/sys/vm/nr_hugepages: skipped, with a line saying so,
 * without them) and a memfd mapped with MADV_HUGEPAGE (shmem's transparent
 * huge pages, with shmem_enabled at "advise" or "always").  Under
 * tools/vm/run --icount the guest's clock counts instructions, so
 * NS-PER-PAGE is instructions per (4 KiB) page.
 *
 * Run by tools/bench/run inside the test VM; the figures are printed,
 * never asserted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/shmpool.h>

enum kind { SHMPOOL, SHMPOOL_HUGE, MEMFD, MEMFD_HUGETLB, MEMFD_THP, ANON };

/* 2 MiB: what one PMD entry maps, one huge page. */
#define HUGE_SIZE (2UL << 20)

/* What is done before the clock starts, and what is timed. */
enum op {
	OP_LIFE, /* create, map, write every page, unmap, close */
	OP_READ, /* resident pages: map, read every page, unmap */
	OP_SHARED, /* resident pages mapped elsewhere: map, write, unmap */
	OP_POPULATE, /* create and map with MAP_POPULATE */
	OP_TEARDOWN, /* unmap and close what OP_POPULATE made */
	OP_TOUCH, /* a new object: map, write every page (the faults alone) */
	OP_ACCESS, /* mapped and populated: write every page (no fault at all) */
};

struct bench_case {
	const char *name;
	enum kind kind;
	enum op op;
};

static const struct bench_case cases[] = {
	{ "shmpool-write", SHMPOOL, OP_LIFE },
	{ "memfd-write", MEMFD, OP_LIFE },
	{ "anon-write", ANON, OP_LIFE },
	{ "shmpool-read", SHMPOOL, OP_READ },
	{ "memfd-read", MEMFD, OP_READ },
	{ "anon-read", ANON, OP_READ },
	{ "shmpool-shared", SHMPOOL, OP_SHARED },
	{ "memfd-shared", MEMFD, OP_SHARED },
	{ "shmpool-populate", SHMPOOL, OP_POPULATE },
	{ "memfd-populate", MEMFD, OP_POPULATE },
	{ "shmpool-teardown", SHMPOOL, OP_TEARDOWN },
	{ "memfd-teardown", MEMFD, OP_TEARDOWN },
	{ "shmpool-huge-write", SHMPOOL_HUGE, OP_LIFE },
	{ "memfd-hugetlb-write", MEMFD_HUGETLB, OP_LIFE },
	{ "memfd-thp-write", MEMFD_THP, OP_LIFE },
	{ "shmpool-touch", SHMPOOL, OP_TOUCH },
	{ "shmpool-huge-touch", SHMPOOL_HUGE, OP_TOUCH },
	{ "memfd-touch", MEMFD, OP_TOUCH },
	{ "memfd-hugetlb-touch", MEMFD_HUGETLB, OP_TOUCH },
	{ "memfd-thp-touch", MEMFD_THP, OP_TOUCH },
	{ "shmpool-access", SHMPOOL, OP_ACCESS },
};

static size_t page_size;
/* Where reads go, so that the compiler keeps them: visible outside. */
unsigned long fault_bench_sink;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void die(const char *what)
{
	fprintf(stderr, "fault_bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void write_pages(char *m, size_t size)
{
	size_t off;

	for (off = 0; off < size; off += page_size)
		m[off] = (char)off;
}

/* How much of a new object is there before it is mapped. */
enum fill {
	EMPTY, /* nothing: pages come with the first touch */
	ALLOCATED, /* SHMPOOL_CREATE_POPULATE, fallocate() */
	WRITTEN, /* allocated and written once, as by earlier use */
};

/* A new object of @size bytes, filled as @fill says. */
static int object_create(enum kind kind, size_t size, enum fill fill)
{
	struct shmpool_create c = {
		.size = size,
		.flags = (fill != EMPTY ? SHMPOOL_CREATE_POPULATE : 0) |
			 (kind == SHMPOOL_HUGE ? SHMPOOL_CREATE_HUGE : 0),
		.prot = SHMPOOL_PROT_READ | SHMPOOL_PROT_WRITE,
		.mode = 0600,
	};
	int fd, dev;

	if (kind == SHMPOOL || kind == SHMPOOL_HUGE) {
		dev = open("/dev/shmpool", O_RDWR | O_CLOEXEC);
		if (dev < 0 || ioctl(dev, SHMPOOL_IOC_CREATE, &c) < 0)
			die("creating a segment");
		close(dev);
		return c.fd;
	}
	fd = memfd_create("fault_bench", MFD_CLOEXEC |
			  (kind == MEMFD_HUGETLB ? MFD_HUGETLB : 0));
	if (fd < 0 || ftruncate(fd, size) < 0)
		die("creating a memfd");
	if (fill != EMPTY && fallocate(fd, 0, 0, size) < 0)
		die("fallocate");
	if (fill == WRITTEN) {
		/*
		 * Pages fallocate() leaves are not uptodate: a read fault
		 * would clear each, and fault-around would skip them.  Written
		 * once, they are what a program finds in a memfd it has used.
		 * A populated segment's frames are clear already.
		 */
		char *m;

		m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			die("mmap");
		write_pages(m, size);
		munmap(m, size);
	}
	return fd;
}

static char *map(enum kind kind, int fd, size_t size, int flags)
{
	char *m;

	if (kind == ANON)
		m = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	else
		m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | flags,
			 fd, 0);
	if (m == MAP_FAILED)
		die("mmap");
	if (kind == MEMFD_THP && madvise(m, size, MADV_HUGEPAGE) < 0)
		die("madvise(MADV_HUGEPAGE)");
	return m;
}

static void read_pages(const char *m, size_t size)
{
	unsigned long sum = 0;
	size_t off;

	for (off = 0; off < size; off += page_size)
		sum += m[off];
	fault_bench_sink += sum;
}

/* One round of @bc on @size bytes; the nanoseconds its timed part took. */
static unsigned long long run_once(const struct bench_case *bc, size_t size)
{
	char *held = NULL, *m = NULL;
	unsigned long long t;
	int fd = -1;

	/* Untimed set-up: resident pages, and a second mapping of them. */
	if (bc->op == OP_READ || bc->op == OP_SHARED) {
		if (bc->kind != ANON)
			fd = object_create(bc->kind, size, WRITTEN);
		if (bc->op == OP_SHARED) {
			held = map(bc->kind, fd, size, 0);
			write_pages(held, size);
		}
	}
	if (bc->op == OP_TOUCH && bc->kind != ANON)
		fd = object_create(bc->kind, size, EMPTY);
	if (bc->op == OP_TEARDOWN || bc->op == OP_ACCESS) {
		fd = object_create(bc->kind, size, ALLOCATED);
		m = map(bc->kind, fd, size, MAP_POPULATE);
	}

	t = now_ns();
	switch (bc->op) {
	case OP_LIFE:
		if (bc->kind != ANON)
			fd = object_create(bc->kind, size, EMPTY);
		m = map(bc->kind, fd, size, 0);
		write_pages(m, size);
		munmap(m, size);
		if (fd >= 0)
			close(fd);
		fd = -1;
		break;
	case OP_TOUCH:
		m = map(bc->kind, fd, size, 0);
		write_pages(m, size);
		t = now_ns() - t;
		munmap(m, size);
		close(fd);
		return t;
	case OP_READ:
		m = map(bc->kind, fd, size, 0);
		read_pages(m, size);
		munmap(m, size);
		break;
	case OP_SHARED:
		m = map(bc->kind, fd, size, 0);
		write_pages(m, size);
		munmap(m, size);
		break;
	case OP_POPULATE:
		fd = object_create(bc->kind, size, ALLOCATED);
		m = map(bc->kind, fd, size, MAP_POPULATE);
		t = now_ns() - t;
		munmap(m, size);
		close(fd);
		return t;
	case OP_TEARDOWN:
		munmap(m, size);
		close(fd);
		fd = -1;
		break;
	case OP_ACCESS:
		write_pages(m, size);
		t = now_ns() - t;
		munmap(m, size);
		close(fd);
		return t;
	}
	t = now_ns() - t;

	if (held)
		munmap(held, size);
	if (fd >= 0)
		close(fd);
	return t;
}

/* Whether /proc/meminfo has @need huge pages free, as MFD_HUGETLB needs. */
static int huge_pages_free(unsigned long need)
{
	unsigned long nr = 0;
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %lu", &nr) == 1)
			break;
	fclose(f);
	return nr >= need;
}

/*
 * @procs processes run one round each, released together once all are
 * set up to start; the mean of their ns per page.
 */
static double run_round(const struct bench_case *bc, size_t size, int procs)
{
	int go[2], res[2], i, status;
	unsigned long long ns, sum = 0;
	char c = 0;

	if (pipe(go) < 0 || pipe(res) < 0)
		die("pipe");
	for (i = 0; i < procs; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid) {
			close(go[1]);
			if (read(go[0], &c, 1) != 0)
				_exit(1);
			ns = run_once(bc, size);
			if (write(res[1], &ns, sizeof(ns)) != sizeof(ns))
				_exit(1);
			_exit(0);
		}
	}
	/* Closing the write end is the starting signal: every read sees EOF. */
	close(go[0]);
	close(go[1]);
	close(res[1]);
	for (i = 0; i < procs; i++) {
		if (read(res[0], &ns, sizeof(ns)) != sizeof(ns)) {
			fprintf(stderr, "fault_bench: a worker failed\n");
			exit(1);
		}
		sum += ns;
	}
	close(res[0]);
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			exit(1);
	return (double)sum / procs / (size / page_size);
}

int main(int argc, char **argv)
{
	const struct bench_case *bc = NULL;
	int procs = 1, reps = 5, r;
	unsigned int i;
	size_t size;

	page_size = sysconf(_SC_PAGESIZE);
	if (argc >= 3) {
		for (i = 0; i < ARRAY_SIZE(cases); i++)
			if (!strcmp(argv[1], cases[i].name))
				bc = &cases[i];
	}
	if (argc >= 4)
		procs = atoi(argv[3]);
	if (argc >= 5)
		reps = atoi(argv[4]);
	if (!bc || argc > 5 || atoi(argv[2]) <= 0 || procs <= 0 || reps <= 0) {
		fprintf(stderr,
			"usage: fault_bench CASE MIB [PROCS [REPS]]\ncases:");
		for (i = 0; i < ARRAY_SIZE(cases); i++)
			fprintf(stderr, " %s", cases[i].name);
		fputc('\n', stderr);
		return 2;
	}
	size = (size_t)atoi(argv[2]) << 20;
	if (bc->kind == MEMFD_HUGETLB &&
	    !huge_pages_free(procs * size / HUGE_SIZE)) {
		printf("# %s: fewer than %zu huge pages free: skipped\n",
		       bc->name, procs * size / HUGE_SIZE);
		return 0;
	}

	run_round(bc, size, procs); /* warm-up */
	for (r = 0; r < reps; r++) {
		printf("result\tfault\t%s\t%d\t%s\t%d\t%.1f\n", bc->name, procs,
		       argv[2], r, run_round(bc, size, procs));
		fflush(stdout);
	}
	return 0;
}
