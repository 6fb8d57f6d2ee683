// SPDX-License-Identifier: GPL-2.0
/*
 * The helpers shared by the shmpool selftests; shmpool_test.h says what
 * each does.  Linked into every test program (Makefile), they are built
 * once per program but written once.
 */
#include "shmpool_test.h"

long long read_num(const char *path)
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

int write_str(const char *path, const char *str)
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

int write_num(const char *path, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld\n", v);
	return write_str(path, buf);
}

long long audit_findings(void)
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

long long stat_value(const char *path, const char *name)
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

long long pool_stat(const char *name)
{
	return stat_value(POOL_STATS, name);
}

long long frames_used(void)
{
	return pool_stat("frames_used");
}

int pool_cmd(int fd, const char *cmd)
{
	ssize_t n = write(fd, cmd, strlen(cmd));

	return n < 0 ? -errno : 0;
}

int run_as(uid_t uid, gid_t gid, int (*fn)(void *), void *arg)
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

int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

int run_child(int (*fn)(void *), void *arg)
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

int unshare_errno(int flags)
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

int next_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

int fd_cloexec(int fd)
{
	return !!(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

int try_mmap(int fd, size_t len, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, len);
	return 0;
}

int send_fd(int sock, int fd)
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

int recv_fd(int sock)
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

void name_copy(char *dst, const char *src)
{
	memcpy(dst, src, strnlen(src, SHMPOOL_NAME_MAX - 1));
}

int seg_create_raw(int dev, struct shmpool_create *c)
{
	if (ioctl(dev, SHMPOOL_IOC_CREATE, c) < 0)
		return -errno;
	return c->fd;
}

int seg_create(int dev, const char *name, __u64 size, __u32 prot, __u32 mode,
	       __u32 flags)
{
	struct shmpool_create c = {
		.size = size, .flags = flags, .prot = prot, .mode = mode,
		.cache = SHMPOOL_CACHE_WB,
	};

	if (name)
		name_copy(c.name, name);
	return seg_create_raw(dev, &c);
}

int seg_new(int dev, __u64 size)
{
	return seg_create(dev, NULL, size, SHMPOOL_PROT_READ | SHMPOOL_PROT_WRITE,
			  0600, 0);
}

int seg_open(int dev, const char *name, __u32 flags)
{
	struct shmpool_open o = { .flags = flags };

	name_copy(o.name, name);
	if (ioctl(dev, SHMPOOL_IOC_OPEN, &o) < 0)
		return -errno;
	return o.fd;
}

int seg_unlink(int dev, const char *name)
{
	struct shmpool_unlink u = { };

	name_copy(u.name, name);
	return ioctl(dev, SHMPOOL_IOC_UNLINK, &u) < 0 ? -errno : 0;
}

int seg_info(int fd, struct shmpool_info *info)
{
	memset(info, 0xa5, sizeof(*info));	/* so unset fields show */
	return ioctl(fd, SHMPOOL_SEG_IOC_INFO, info) < 0 ? -errno : 0;
}

long long seg_id(int fd)
{
	struct shmpool_info info;
	int ret = seg_info(fd, &info);

	if (ret)
		return ret;
	return info.id;
}

int seg_restrict(int fd, __u32 prot, __u32 flags)
{
	struct shmpool_restrict r = { .prot = prot, .flags = flags };

	if (ioctl(fd, SHMPOOL_SEG_IOC_RESTRICT, &r) < 0)
		return -errno;
	return r.fd;
}

int seg_add_seals(int fd, __u32 seals)
{
	return ioctl(fd, SHMPOOL_SEG_IOC_ADD_SEALS, &seals) < 0 ? -errno : 0;
}

long long seg_get_seals(int fd)
{
	__u32 seals;

	if (ioctl(fd, SHMPOOL_SEG_IOC_GET_SEALS, &seals) < 0)
		return -errno;
	return seals;
}

int seg_give(int fd, __u32 uid, __u32 gid)
{
	struct shmpool_give g = { .uid = uid, .gid = gid };

	return ioctl(fd, SHMPOOL_SEG_IOC_GIVE, &g) < 0 ? -errno : 0;
}

int seg_accept(int fd)
{
	return ioctl(fd, SHMPOOL_SEG_IOC_ACCEPT) < 0 ? -errno : 0;
}

long long seg_list(int dev, __u32 id, struct shmpool_info *info)
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
