// SPDX-License-Identifier: GPL-2.0
/*
 * seg_fuzz SEED CALLS - random calls on segment fds, the fuzzing trinity
 * cannot do: segment fds have no path, so trinity never holds one.
 *
 * A seeded xorshift generator drives CALLS calls, each picked at random:
 * CREATE and OPEN with random sizes, protections, flags, cache modes and
 * names (some malformed); the segment fd commands and random command
 * numbers with random bytes or bad pointers; mmap, mprotect, mremap,
 * madvise, munmap and touches of the mappings (SIGBUS and SIGSEGV are
 * caught); read, write, pread, pwrite, ftruncate, dup and close.  Errors
 * are expected and ignored: what counts is that the kernel stays sound
 * (the VM runner reads its log) and that the caller (selftests/fuzz.sh)
 * finds every frame back afterwards.  Run by fuzz.sh as nobody.
 */
#include "shmpool_test.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/stat.h>

#define NR_FDS		8
#define NR_MAPS		8
#define MAX_PAGES	64
/* Pages one PMD entry maps (2 MiB of 4 KiB pages). */
#define HUGE_PAGES	512

static long ps;
static __u64 rng;
static sigjmp_buf touch_jmp;

static __u64 rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void on_fault(int sig)
{
	siglongjmp(touch_jmp, 1);
}

struct map {
	char *addr;
	size_t len;
};

/* Names of the persistent segments made, to unlink at the end. */
#define NR_PERSIST	64
static char persist[NR_PERSIST][SHMPOOL_NAME_MAX];
static unsigned int nr_persist;

static int fds[NR_FDS];
static struct map maps[NR_MAPS];
static unsigned char junk[512];

/* Sizes around the interesting edges: 0, pages, off by one, huge. */
static __u64 rnd_size(void)
{
	switch (rnd() % 8) {
	case 0:
		return 0;
	case 1:
		return rnd();
	case 2:
		return (rnd() % MAX_PAGES) * ps + 1;
	default:
		return (1 + rnd() % MAX_PAGES) * ps;
	}
}

static void rnd_name(char *name)
{
	static const char *const names[] = { "fuzz.a", "fuzz.b", "fuzz/c", "" };

	if (rnd() % 8 == 0) {
		memcpy(name, junk, SHMPOOL_NAME_MAX);	/* maybe unterminated */
		return;
	}
	memset(name, 0, SHMPOOL_NAME_MAX);
	snprintf(name, SHMPOOL_NAME_MAX, "%s", names[rnd() % 4]);
}

static int *rnd_fd_slot(void)
{
	return &fds[rnd() % NR_FDS];
}

/* A segment fd, or sometimes something else. */
static int rnd_fd(int dev)
{
	switch (rnd() % 16) {
	case 0:
		return dev;
	case 1:
		return -1;
	default:
		return *rnd_fd_slot();
	}
}

static void keep_fd(int fd)
{
	int *slot = rnd_fd_slot();

	if (fd < 0)
		return;
	if (*slot >= 0)
		close(*slot);
	*slot = fd;
}

/* A pointer the kernel must refuse. */
static void *bad_ptr(void)
{
	static void *const bad[] = { NULL, (void *)1, (void *)-4096L };

	return bad[rnd() % 3];
}

/* Mostly junk (512 bytes: enough for any command's struct), or bad. */
static void *rnd_ptr(void)
{
	switch (rnd() % 16) {
	case 0:
		return NULL;
	case 1:
		return (void *)1;
	case 2:
		return (void *)-4096L;
	default:
		return junk;
	}
}

static void op_create(int dev)
{
	struct shmpool_create c;

	memcpy(&c, junk, sizeof(c));
	if (rnd() % 4) {
		memset(&c, 0, sizeof(c));
		c.size = rnd_size();
		c.prot = rnd() % 16;
		c.mode = rnd() % 2 ? 0600 : rnd() % 01000;
		c.cache = rnd() % 4;
		c.flags = rnd() % 8 ? rnd() % 4 : (__u32)rnd();
		if (rnd() % 2)
			c.flags |= SHMPOOL_FD_NOCLOEXEC;
		/* Huge ones of a block or two, which PMD entries map. */
		if (rnd() % 4 == 0) {
			c.flags |= SHMPOOL_CREATE_HUGE;
			if (rnd() % 2)
				c.size = (1 + rnd() % 2) * HUGE_PAGES * ps;
		}
		if (rnd() % 2)
			rnd_name(c.name);
	}
	if (ioctl(dev, SHMPOOL_IOC_CREATE, &c))
		return;
	/* its mode may hide it even from LIST: remember the name */
	if ((c.flags & SHMPOOL_CREATE_PERSIST) && nr_persist < NR_PERSIST)
		memcpy(persist[nr_persist++], c.name, SHMPOOL_NAME_MAX);
	keep_fd(c.fd);
}

static void op_open(int dev)
{
	struct shmpool_open o = { .flags = rnd() % 8 ? rnd() % 4 : (__u32)rnd() };

	rnd_name(o.name);
	if (ioctl(dev, SHMPOOL_IOC_OPEN, &o) == 0)
		keep_fd(o.fd);
	if (rnd() % 8 == 0) {
		struct shmpool_unlink u;

		rnd_name(u.name);
		ioctl(dev, SHMPOOL_IOC_UNLINK, &u);
	}
}

static void op_ioctl(int dev)
{
	static const unsigned long cmds[] = {
		SHMPOOL_IOC_VERSION, SHMPOOL_IOC_LIST, SHMPOOL_SEG_IOC_INFO,
		SHMPOOL_SEG_IOC_RESTRICT, SHMPOOL_SEG_IOC_ADD_SEALS,
		SHMPOOL_SEG_IOC_GET_SEALS, SHMPOOL_SEG_IOC_GIVE,
		SHMPOOL_SEG_IOC_ACCEPT,
	};
	unsigned long cmd = rnd() % 8 ? cmds[rnd() % 8] : (unsigned long)rnd();
	int fd = rnd_fd(dev);
	long ret;
	__u32 v;

	/* Mostly well-formed: small values in the fields that matter. */
	if (rnd() % 2) {
		v = rnd() % 32;
		if (cmd == SHMPOOL_SEG_IOC_GIVE)
			v = rnd() % 2 ? getuid() : 65533;
		memcpy(junk, &v, sizeof(v));
		memset(junk + 4, 0, 28);
	}
	ret = ioctl(fd, cmd, rnd_ptr());
	/* RESTRICT returns an fd in its struct */
	if (!ret && cmd == SHMPOOL_SEG_IOC_RESTRICT)
		keep_fd(((struct shmpool_restrict *)junk)->fd);
}

static struct map *rnd_map(void)
{
	return &maps[rnd() % NR_MAPS];
}

static void op_mmap(int dev)
{
	static const int prots[] = {
		PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC,
		PROT_READ | PROT_WRITE | PROT_EXEC, PROT_NONE,
	};
	struct map *m = rnd_map();
	size_t len = (1 + rnd() % MAX_PAGES) * ps;
	int flags = rnd() % 4 ? MAP_SHARED : MAP_PRIVATE;

	if (rnd() % 8 == 0)
		len = (1 + rnd() % 2) * HUGE_PAGES * ps;
	void *p;

	if (rnd() % 8 == 0)
		flags |= MAP_POPULATE;
	p = mmap(NULL, len, prots[rnd() % 5], flags, rnd_fd(dev),
		 (rnd() % 4 ? 0 : rnd() % MAX_PAGES) * ps);
	if (p == MAP_FAILED)
		return;
	if (m->addr)
		munmap(m->addr, m->len);
	m->addr = p;
	m->len = len;
}

static void op_vm(void)
{
	static const int advice[] = {
		MADV_DONTNEED, MADV_REMOVE, MADV_DONTFORK, MADV_DOFORK,
		MADV_WILLNEED, MADV_COLD, MADV_PAGEOUT, MADV_FREE,
		22 /* MADV_POPULATE_READ */, 23 /* MADV_POPULATE_WRITE */,
		MADV_NORMAL, MADV_SEQUENTIAL,
	};
	struct map *m = rnd_map();
	size_t off, len;
	void *p;

	if (!m->addr)
		return;
	/* Within the mapping: the ones next to it are the fuzzer's own. */
	off = (rnd() % (m->len / ps)) * ps;
	len = (1 + rnd() % ((m->len - off) / ps)) * ps;
	switch (rnd() % 5) {
	case 0:
		mprotect(m->addr + off, len, rnd() % 8);
		break;
	case 1:
		p = mremap(m->addr, m->len, (1 + rnd() % MAX_PAGES) * ps,
			   rnd() % 2 ? MREMAP_MAYMOVE : 0);
		if (p != MAP_FAILED) {
			/* the new length is what was asked; keep it simple */
			munmap(p, ps);
			m->addr = NULL;
		}
		break;
	case 2:
		madvise(m->addr + off, len, advice[rnd() % 12]);
		break;
	case 3:
		munmap(m->addr, m->len);
		m->addr = NULL;
		break;
	default:
		/* Touch: a read or a write, SIGBUS/SIGSEGV when not allowed. */
		if (!sigsetjmp(touch_jmp, 1)) {
			char *c = m->addr + rnd() % m->len;

			/* atomics: accesses the compiler must really make */
			if (rnd() % 2)
				__atomic_store_n(c, (char)rnd(), __ATOMIC_RELAXED);
			else
				(void)__atomic_load_n(c, __ATOMIC_RELAXED);
		}
		break;
	}
}

static void op_file(int dev)
{
	static char buf[(MAX_PAGES + 1) * 4096];
	int fd = rnd_fd(dev);
	size_t len = rnd() % sizeof(buf);
	off_t off = rnd() % 2 ? (off_t)(rnd() % ((MAX_PAGES + 1) * ps)) : (off_t)rnd();

	switch (rnd() % 7) {
	case 0:
		pread(fd, buf, len, off);
		break;
	case 1:
		pwrite(fd, buf, len, off);
		break;
	case 2:
		read(fd, rnd() % 4 ? buf : bad_ptr(), len);
		break;
	case 3:
		write(fd, rnd() % 4 ? buf : bad_ptr(), len);
		break;
	case 4:
		ftruncate(fd, rnd() % 4 ? (off_t)rnd_size() : (off_t)rnd());
		break;
	case 5:
		keep_fd(dup(fd));
		break;
	default: {
		int *slot = rnd_fd_slot();

		if (*slot >= 0)
			close(*slot);
		*slot = -1;
	}
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_fault };
	unsigned long calls, i;
	int dev;

	if (argc != 3) {
		fprintf(stderr, "usage: seg_fuzz SEED CALLS\n");
		return 2;
	}
	rng = strtoull(argv[1], NULL, 0) | 1;
	calls = strtoul(argv[2], NULL, 0);
	ps = sysconf(_SC_PAGESIZE);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (unsigned char)rnd();
	for (i = 0; i < NR_FDS; i++)
		fds[i] = -1;

	dev = open(SHMPOOL_DEV, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		perror(SHMPOOL_DEV);
		return 1;
	}
	for (i = 0; i < calls; i++) {
		switch (rnd() % 8) {
		case 0:
			op_create(dev);
			break;
		case 1:
			op_open(dev);
			break;
		case 2:
			op_ioctl(dev);
			break;
		case 3:
			op_mmap(dev);
			break;
		case 4:
		case 5:
			op_vm();
			break;
		default:
			op_file(dev);
			break;
		}
	}
	/*
	 * Names this run made persistent (junk makes some too) must not
	 * outlive it: unlink the ones it made, then every persistent segment
	 * the caller can see.
	 */
	for (i = 0; i < nr_persist; i++) {
		struct shmpool_unlink u;

		memcpy(u.name, persist[i], sizeof(u.name));
		ioctl(dev, SHMPOOL_IOC_UNLINK, &u);
	}
	for (;;) {
		struct shmpool_list l = { .pos = 0 };
		struct shmpool_unlink u = { };
		int found = 0;

		while (ioctl(dev, SHMPOOL_IOC_LIST, &l) == 0) {
			if (l.info.flags & SHMPOOL_INFO_PERSIST) {
				memcpy(u.name, l.info.name, sizeof(u.name));
				found = !ioctl(dev, SHMPOOL_IOC_UNLINK, &u);
				break;
			}
			l.__reserved = 0;
		}
		if (!found)
			break;
	}
	printf("# seg_fuzz: %lu calls, seed %s\n", calls, argv[1]);
	return 0;
}
