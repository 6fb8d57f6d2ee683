/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the shmpool selftests, defined in shmpool_test.c, which
 * the Makefile links into every test program.  The tests run as root inside
 * the test VM (tools/vm/run) with the module loaded.
 *
 * Every helper that makes a call returns what it made (an fd, a count) or 0
 * on success and -errno on failure, so that a test compares against the
 * documented error in one EXPECT; the readers of numbers return -1 when
 * they cannot read.  The macros stay here: they expand to the harness's
 * EXPECT_EQ() or end a forked child, in the test's own file.
 */
#ifndef SHMPOOL_TEST_H
#define SHMPOOL_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/shmpool.h>

#define SHMPOOL_DEV	"/dev/shmpool"
#define SHMPOOL_SYSFS	"/sys/module/shmpool"
#define SHMPOOL_DEBUGFS	"/sys/kernel/debug/shmpool"
#define POOL_STATS	SHMPOOL_DEBUGFS "/pool/stats"
#define ALL_STATS	SHMPOOL_DEBUGFS "/stats"
#define POOL_TEST	SHMPOOL_DEBUGFS "/pool/test"
#define SHMPOOL_PARAM(name)	SHMPOOL_SYSFS "/parameters/" name

/* An unprivileged identity the tests switch to ("nobody"). */
#define TEST_UID	65534
#define TEST_GID	65534
/* A second one, for "someone else again" (need not exist in /etc/passwd). */
#define TEST_UID2	65533
#define TEST_GID2	65533

/* Read one unsigned number from a sysfs/debugfs file; -1 if unreadable. */
long long read_num(const char *path);

/* Write a string to a sysfs or cgroupfs file; 0 or -errno. */
int write_str(const char *path, const char *str);

/* Write one number to a sysfs file (a module parameter); 0 or -errno. */
int write_num(const char *path, long long v);

#define AUDIT_FILE	SHMPOOL_DEBUGFS "/audit"

/*
 * Run the isolation auditor (Documentation/debugfs.rst, "audit"): its
 * findings, with the report on stderr when there are any; -1 when it could
 * not run.  Every fixture's teardown expects 0.
 */
long long audit_findings(void);

/* In a teardown: no findings, where the module (and debugfs) is there. */
#define EXPECT_AUDIT_CLEAN() do {					\
	if (!access(AUDIT_FILE, W_OK))					\
		EXPECT_EQ(0, audit_findings());				\
} while (0)

/*
 * The value of one "name value" line of a debugfs statistics file, or -1.
 * Reading the whole file at once gives one consistent snapshot.
 */
long long stat_value(const char *path, const char *name);

/* One line of the pool's own statistics (pool/stats), or -1. */
long long pool_stat(const char *name);

/* Frames handed out by the pool now; freed frames come back synchronously. */
long long frames_used(void);

/* Send one command to a pool test client; 0 or -errno. */
int pool_cmd(int fd, const char *cmd);

/*
 * Run fn() in a child that has dropped to uid/gid and every capability;
 * return the child's exit status (or 255 when it did not exit normally).
 */
int run_as(uid_t uid, gid_t gid, int (*fn)(void *), void *arg);

/*
 * Run fn() in a child process and return its raw wait status (-1 when fork
 * or wait failed).  The child dumps no core: tests use this to watch accesses
 * that must kill it with SIGBUS or SIGSEGV.
 */
int run_child(int (*fn)(void *), void *arg);

/* Run the calling thread on @cpu only: 0, or -errno. */
int pin_to_cpu(int cpu);

/*
 * Checks for the functions run_as() and run_child() run, and only for them:
 * the harness's EXPECT and ASSERT must not be used in a forked child (a
 * failing ASSERT would run the fixture's teardown there), so these print
 * what failed and end the child with exit status 1.
 */
#define CHILD_EQ(expected, seen) do {						\
	long long __e = (long long)(expected), __s = (long long)(seen);	\
	if (__e != __s) {							\
		fprintf(stderr, "# %s:%d: child: %s is %lld, expected %s (%lld)\n", \
			__FILE__, __LINE__, #seen, __s, #expected, __e);	\
		_exit(1);							\
	}									\
} while (0)

#define CHILD_TRUE(cond) do {							\
	if (!(cond)) {								\
		fprintf(stderr, "# %s:%d: child: %s is false (errno %d)\n",	\
			__FILE__, __LINE__, #cond, errno);			\
		_exit(1);							\
	}									\
} while (0)

/*
 * Can a child of ours unshare @flags (CLONE_NEWUSER, CLONE_NEWIPC)?  Not
 * on a kernel without those namespaces, nor in a chroot for a user
 * namespace.  0 or -errno.
 */
int unshare_errno(int flags);

/* The lowest free fd number: a failed call that leaked an fd moves it. */
int next_free_fd(void);

/* Whether fd is close-on-exec. */
int fd_cloexec(int fd);

/* mmap() and munmap() again: 0 if the mapping could be made, else -errno. */
int try_mmap(int fd, size_t len, int prot, int flags, off_t off);

/* Pass an fd over a Unix socket with SCM_RIGHTS; 0 or -errno. */
int send_fd(int sock, int fd);

/* Receive an fd sent by send_fd(); the fd or -errno. */
int recv_fd(int sock);

/*
 * Segments.  Every helper returns an fd, 0 or a value on success and
 * -errno on failure, so that a test can compare against the documented
 * error in one EXPECT.
 */

/* Copy a segment name, cut to SHMPOOL_NAME_MAX - 1 bytes, into a zeroed field. */
void name_copy(char *dst, const char *src);

/* SHMPOOL_IOC_CREATE with a filled-in argument; the new fd or -errno. */
int seg_create_raw(int dev, struct shmpool_create *c);

/* Create a write-back segment; name "" or NULL for an anonymous one. */
int seg_create(int dev, const char *name, __u64 size, __u32 prot, __u32 mode,
	       __u32 flags);

/* An anonymous read-write segment of size bytes, mode 0600. */
int seg_new(int dev, __u64 size);

/* SHMPOOL_IOC_OPEN; the new fd or -errno. */
int seg_open(int dev, const char *name, __u32 flags);

/* SHMPOOL_IOC_UNLINK; 0 or -errno. */
int seg_unlink(int dev, const char *name);

/*
 * SHMPOOL_SEG_IOC_INFO into *info, filled with 0xa5 first so that a field
 * the module leaves unset shows; 0 or -errno.
 */
int seg_info(int fd, struct shmpool_info *info);

/* The segment's id, or -errno. */
long long seg_id(int fd);

/* SHMPOOL_SEG_IOC_RESTRICT; the new fd or -errno. */
int seg_restrict(int fd, __u32 prot, __u32 flags);

/* SHMPOOL_SEG_IOC_ADD_SEALS; 0 or -errno. */
int seg_add_seals(int fd, __u32 seals);

/* The segment's seals, or -errno. */
long long seg_get_seals(int fd);

/* SHMPOOL_SEG_IOC_GIVE to uid and gid; 0 or -errno. */
int seg_give(int fd, __u32 uid, __u32 gid);

/* SHMPOOL_SEG_IOC_ACCEPT; 0 or -errno. */
int seg_accept(int fd);

/*
 * Walk SHMPOOL_IOC_LIST from the start.  With id non-zero, stop at that
 * segment and copy it to *info (when info is not NULL) and return 0, or
 * -ENOENT when the walk ends without it; with id zero, return how many
 * segments the walk met.  -ELOOP when pos does not advance, else -errno.
 */
long long seg_list(int dev, __u32 id, struct shmpool_info *info);

#endif /* SHMPOOL_TEST_H */
