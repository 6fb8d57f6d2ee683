/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the shmpool selftests.  The tests run as root inside the
 * test VM (tools/vm/run) with the module loaded.
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
static inline long long read_num(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fscanf(f, "%lli", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Write a string to a sysfs or cgroupfs file; 0 or -errno. */
static inline int write_str(const char *path, const char *str)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(str);
	int ret = 0;

	if (fd < 0)
		return -errno;
	errno = 0;
	if (write(fd, str, len) != (ssize_t)len)
		ret = errno ? -errno : -EIO;
	close(fd);
	return ret;
}

/* Write one number to a sysfs file (a module parameter); 0 or -errno. */
static inline int write_num(const char *path, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld\n", v);
	return write_str(path, buf);
}

#define AUDIT_FILE	SHMPOOL_DEBUGFS "/audit"

/*
 * Run the isolation auditor (Documentation/debugfs.rst, "audit"): its
 * findings, with the report on stderr when there are any; -1 when it could
 * not run.  Every fixture's teardown expects 0.
 */
static inline long long audit_findings(void)
{
	char report[8192];
	long long n = -1;
	const char *p;
	ssize_t len;
	int fd;

	if (write_str(AUDIT_FILE, "run"))
		return -1;
	fd = open(AUDIT_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = read(fd, report, sizeof(report) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	report[len] = 0;
	p = strstr(report, " findings=");
	if (p)
		n = strtoll(p + strlen(" findings="), NULL, 10);
	if (n)
		fprintf(stderr, "# audit: %s", report);
	return n;
}

/* In a teardown: no findings, where the module (and debugfs) is there. */
#define EXPECT_AUDIT_CLEAN() do {					\
	if (!access(AUDIT_FILE, W_OK))					\
		EXPECT_EQ(0, audit_findings());				\
} while (0)

/*
 * The value of one "name value" line of a debugfs statistics file, or -1.
 * Reading the whole file at once gives one consistent snapshot.
 */
static inline long long stat_value(const char *path, const char *name)
{
	char line[256], key[128];
	long long v, found = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lli", key, &v) == 2 && !strcmp(key, name)) {
			found = v;
			break;
		}
	}
	fclose(f);
	return found;
}

static inline long long pool_stat(const char *name)
{
	return stat_value(POOL_STATS, name);
}

/* Frames handed out by the pool now; freed frames come back synchronously. */
static inline long long frames_used(void)
{
	return pool_stat("frames_used");
}

/* Send one command to a pool test client; 0 or -errno. */
static inline int pool_cmd(int fd, const char *cmd)
{
	ssize_t n = write(fd, cmd, strlen(cmd));

	return n < 0 ? -errno : 0;
}

/*
 * Run fn() in a child that has dropped to uid/gid and every capability;
 * return the child's exit status (or 255 when it did not exit normally).
 */
static inline int run_as(uid_t uid, gid_t gid, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 255;
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
		    setresuid(uid, uid, uid))
			_exit(254);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 255;
	return WEXITSTATUS(status);
}

/*
 * Run fn() in a child process and return its raw wait status (-1 when fork
 * or wait failed).  The child dumps no core: tests use this to watch accesses
 * that must kill it with SIGBUS or SIGSEGV.
 */
static inline int run_child(int (*fn)(void *), void *arg)
{
	struct rlimit no_core = { 0, 0 };
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &no_core);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

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
static inline int unshare_errno(int flags)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0)
		_exit(unshare(flags) ? errno : 0);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -EIO;
	return -WEXITSTATUS(status);
}

/* The lowest free fd number: a failed call that leaked an fd moves it. */
static inline int next_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

static inline int fd_cloexec(int fd)
{
	return !!(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

/* mmap() and munmap() again: 0 if the mapping could be made, else -errno. */
static inline int try_mmap(int fd, size_t len, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, len);
	return 0;
}

/* Pass an fd over a Unix socket with SCM_RIGHTS; 0 or -errno. */
static inline int send_fd(int sock, int fd)
{
	char byte = 'F';
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cmsg;

	memset(&u, 0, sizeof(u));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

/* Receive an fd sent by send_fd(); the fd or -errno. */
static inline int recv_fd(int sock)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return errno ? -errno : -EPROTO;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/*
 * Segments.  Every helper returns an fd, 0 or a value on success and
 * -errno on failure, so that a test can compare against the documented
 * error in one EXPECT.
 */

/* Copy a segment name, cut to SHMPOOL_NAME_MAX - 1 bytes, into a zeroed field. */
static inline void name_copy(char *dst, const char *src)
{
	memcpy(dst, src, strnlen(src, SHMPOOL_NAME_MAX - 1));
}

/* SHMPOOL_IOC_CREATE with a filled-in argument; the new fd or -errno. */
static inline int seg_create_raw(int dev, struct shmpool_create *c)
{
	if (ioctl(dev, SHMPOOL_IOC_CREATE, c) < 0)
		return -errno;
	return c->fd;
}

/* Create a write-back segment; name "" or NULL for an anonymous one. */
static inline int seg_create(int dev, const char *name, __u64 size,
			     __u32 prot, __u32 mode, __u32 flags)
{
	struct shmpool_create c = {
		.size = size, .flags = flags, .prot = prot, .mode = mode,
		.cache = SHMPOOL_CACHE_WB,
	};

	if (name)
		name_copy(c.name, name);
	return seg_create_raw(dev, &c);
}

/* An anonymous read-write segment of size bytes, mode 0600. */
static inline int seg_new(int dev, __u64 size)
{
	return seg_create(dev, NULL, size, SHMPOOL_PROT_READ | SHMPOOL_PROT_WRITE,
			  0600, 0);
}

/* SHMPOOL_IOC_OPEN; the new fd or -errno. */
static inline int seg_open(int dev, const char *name, __u32 flags)
{
	struct shmpool_open o = { .flags = flags };

	name_copy(o.name, name);
	if (ioctl(dev, SHMPOOL_IOC_OPEN, &o) < 0)
		return -errno;
	return o.fd;
}

static inline int seg_unlink(int dev, const char *name)
{
	struct shmpool_unlink u = { };

	name_copy(u.name, name);
	return ioctl(dev, SHMPOOL_IOC_UNLINK, &u) < 0 ? -errno : 0;
}

static inline int seg_info(int fd, struct shmpool_info *info)
{
	memset(info, 0xa5, sizeof(*info));	/* so unset fields show */
	return ioctl(fd, SHMPOOL_SEG_IOC_INFO, info) < 0 ? -errno : 0;
}

/* The segment's id, or -errno. */
static inline long long seg_id(int fd)
{
	struct shmpool_info info;
	int ret = seg_info(fd, &info);

	if (ret)
		return ret;
	return info.id;
}

/* SHMPOOL_SEG_IOC_RESTRICT; the new fd or -errno. */
static inline int seg_restrict(int fd, __u32 prot, __u32 flags)
{
	struct shmpool_restrict r = { .prot = prot, .flags = flags };

	if (ioctl(fd, SHMPOOL_SEG_IOC_RESTRICT, &r) < 0)
		return -errno;
	return r.fd;
}

static inline int seg_add_seals(int fd, __u32 seals)
{
	return ioctl(fd, SHMPOOL_SEG_IOC_ADD_SEALS, &seals) < 0 ? -errno : 0;
}

/* The segment's seals, or -errno. */
static inline long long seg_get_seals(int fd)
{
	__u32 seals;

	if (ioctl(fd, SHMPOOL_SEG_IOC_GET_SEALS, &seals) < 0)
		return -errno;
	return seals;
}

static inline int seg_give(int fd, __u32 uid, __u32 gid)
{
	struct shmpool_give g = { .uid = uid, .gid = gid };

	return ioctl(fd, SHMPOOL_SEG_IOC_GIVE, &g) < 0 ? -errno : 0;
}

static inline int seg_accept(int fd)
{
	return ioctl(fd, SHMPOOL_SEG_IOC_ACCEPT) < 0 ? -errno : 0;
}

/*
 * Walk SHMPOOL_IOC_LIST from the start.  With id non-zero, stop at that
 * segment and copy it to *info (when info is not NULL) and return 0, or
 * -ENOENT when the walk ends without it; with id zero, return how many
 * segments the walk met.  -ELOOP when pos does not advance, else -errno.
 */
static inline long long seg_list(int dev, __u32 id, struct shmpool_info *info)
{
	struct shmpool_list l = { .pos = 0 };
	long long n = 0;
	__u32 prev;

	for (;;) {
		prev = l.pos;
		l.__reserved = 0;
		if (ioctl(dev, SHMPOOL_IOC_LIST, &l) < 0) {
			if (errno == ENOENT)
				return id ? -ENOENT : n;
			return -errno;
		}
		if (l.pos <= prev || l.info.id != l.pos)
			return -ELOOP;
		n++;
		if (id && l.pos == id) {
			if (info)
				*info = l.info;
			return 0;
		}
	}
}

#endif /* SHMPOOL_TEST_H */
