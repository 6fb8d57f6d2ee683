// SPDX-License-Identifier: GPL-2.0
/*
 * swap_bench - swap-out and page-in through a mapping, for shmpool and
 * for the kernel's own path (a memfd in a memory cgroup over zram).
 *
 *   swap_bench shmpool MIB     an OVERCOMMIT segment of MIB MiB
 *   swap_bench memfd MIB       a memfd of MIB MiB; run it in a cgroup
 *                              whose memory.max is below MIB, with swap
 *
 * It maps the memory, writes every page (the pages beyond what fits are
 * swapped out to make room: the swap-out pass), then reads every page
 * twice in order (each page is paged back in, pushing another out: the
 * page-in passes), and prints one line per pass:
 *
 *   PASS MiB/s NS-PER-PAGE
 *
 * and for shmpool, last, the swap area's pages and memory as its debugfs
 * counters show them with the segment still there:
 *
 *   area PAGES KIB
 *
 * Run by tools/bench/swap inside the test VM; the figures are printed,
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
#include <time.h>
#include <unistd.h>

#include <linux/shmpool.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_shmpool(size_t size)
{
	struct shmpool_create c = {
		.size = size,
		.flags = SHMPOOL_CREATE_OVERCOMMIT,
		.prot = SHMPOOL_PROT_READ | SHMPOOL_PROT_WRITE,
		.mode = 0600,
	};
	int dev = open("/dev/shmpool", O_RDWR | O_CLOEXEC);

	if (dev < 0 || ioctl(dev, SHMPOOL_IOC_CREATE, &c) < 0)
		return -1;
	close(dev);
	return c.fd;
}

static int open_memfd(size_t size)
{
	int fd = memfd_create("swap_bench", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, size) < 0)
		return -1;
	return fd;
}

static void report(const char *pass, size_t size, size_t pages, double s)
{
	printf("%-9s %8.1f %8.0f\n", pass, size / s / (1 << 20), s * 1e9 / pages);
	fflush(stdout);
}

/* The swap area's size now, from debugfs (root only). */
static void report_area(void)
{
	FILE *f = fopen("/sys/kernel/debug/shmpool/swap", "r");
	unsigned long long v, slots = 0, bytes = 0;
	char name[64];

	if (!f)
		return;
	while (fscanf(f, "%63s %llu", name, &v) == 2) {
		if (!strcmp(name, "swap_slots"))
			slots = v;
		else if (!strcmp(name, "swap_bytes"))
			bytes = v;
	}
	fclose(f);
	printf("area %llu %llu\n", slots, bytes >> 10);
}

int main(int argc, char **argv)
{
	size_t size, pages, i, ps = sysconf(_SC_PAGESIZE);
	unsigned long sum = 0;
	char *m;
	double t;
	int fd, round;

	if (argc != 3 || atoi(argv[2]) <= 0) {
		fprintf(stderr, "usage: swap_bench shmpool|memfd MIB\n");
		return 2;
	}
	size = (size_t)atoi(argv[2]) << 20;
	pages = size / ps;
	fd = strcmp(argv[1], "memfd") ? open_shmpool(size) : open_memfd(size);
	if (fd < 0) {
		fprintf(stderr, "swap_bench: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		perror("swap_bench: mmap");
		return 1;
	}

	t = now();
	for (i = 0; i < pages; i++)
		m[i * ps] = (char)i;
	report("swap-out", size, pages, now() - t);
	for (round = 1; round <= 2; round++) {
		t = now();
		for (i = 0; i < pages; i++)
			sum += m[i * ps];
		report("page-in", size, pages, now() - t);
	}
	if (strcmp(argv[1], "memfd"))
		report_area();
	return sum == (unsigned long)-1;
}
