// SPDX-License-Identifier: GPL-2.0
/*
 * share: a worked example of the shmpool interface, <linux/shmpool.h>.
 *
 * A parent creates an anonymous segment on /dev/shmpool, writes a message
 * into it through a read-write mapping, narrows its fd to read-only and
 * passes that fd to a child over a Unix socket.  The child reads the
 * message and is refused write access twice, with EACCES: once by mmap()
 * and once by mprotect().  Nothing is left behind: an anonymous segment
 * dies with its last fd and mapping, and its frames go back to the pool.
 *
 * Build: make -C tools/examples.  Run as a user who may open /dev/shmpool.
 * Exit status: 0 when everything happened as described, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/shmpool.h>

#define MSG "hello from the writer"

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* Send @fd over the Unix socket @sock as SCM_RIGHTS ancillary data. */
static void send_fd(int sock, int fd)
{
	char byte = 0, buf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = buf,
			      .msg_controllen = sizeof(buf) };
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	if (sendmsg(sock, &msg, 0) != 1)
		die("sendmsg");
}

/* Receive one fd from @sock; the byte sent with it is not used. */
static int recv_fd(int sock)
{
	char byte, buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = buf,
			      .msg_controllen = sizeof(buf) };
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	int fd;

	if (n < 0)
		die("recvmsg");
	/* Nothing (n == 0) when the parent failed first, saying why. */
	if (n != 1 || !cmsg || cmsg->cmsg_type != SCM_RIGHTS) {
		fprintf(stderr, "child: no fd received\n");
		exit(1);
	}
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/* Exit unless the call just made was refused (@refused) with EACCES. */
static void expect_eacces(const char *what, int refused)
{
	if (!refused || errno != EACCES) {
		fprintf(stderr, "child: %s: expected EACCES, got %s\n", what,
			refused ? strerror(errno) : "success");
		exit(1);
	}
	printf("child: %s refused: %s\n", what, strerror(errno));
}

/* The reader: it holds only the socket until the parent sends the fd. */
static int reader(int sock, size_t size)
{
	int fd = recv_fd(sock);
	char *p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		die("child: mmap(PROT_READ)");
	printf("child: read \"%s\"\n", p);
	if (strcmp(p, MSG)) {
		fprintf(stderr, "child: expected \"%s\"\n", MSG);
		return 1;
	}

	/* The fd allows reading only: no writable mapping of it... */
	expect_eacces("mmap(PROT_WRITE)",
		      mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			   0) == MAP_FAILED);
	/* ...and no upgrading the read-only mapping it has. */
	expect_eacces("mprotect(PROT_WRITE)",
		      mprotect(p, size, PROT_READ | PROT_WRITE) != 0);
	return 0;
}

int main(void)
{
	struct shmpool_create c = {
		.prot = SHMPOOL_PROT_READ | SHMPOOL_PROT_WRITE,
	};
	struct shmpool_restrict r = { .prot = SHMPOOL_PROT_READ };
	int dev, sv[2], status;
	pid_t pid;
	char *p;

	/* One line at a time, so the two processes' lines come in order. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	/*
	 * Fork first, so the child starts with nothing of the segment: had it
	 * inherited the read-write fd or mapping, it could write through them.
	 */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	c.size = sysconf(_SC_PAGESIZE);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(sv[0]);
		exit(reader(sv[1], c.size));
	}
	close(sv[1]);

	/* An anonymous segment (name ""): it lives while an fd or map does. */
	dev = open("/dev/shmpool", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("open /dev/shmpool");
	if (ioctl(dev, SHMPOOL_IOC_CREATE, &c))
		die("SHMPOOL_IOC_CREATE");
	/* The segment's fd works without the device's. */
	if (close(dev))
		die("close /dev/shmpool");
	printf("parent: created segment %u, %llu bytes\n", c.id,
	       (unsigned long long)c.size);

	/* Its frame is allocated, zeroed, on the first touch. */
	p = mmap(NULL, c.size, PROT_READ | PROT_WRITE, MAP_SHARED, c.fd, 0);
	if (p == MAP_FAILED)
		die("mmap(PROT_READ | PROT_WRITE)");
	memcpy(p, MSG, sizeof(MSG));
	printf("parent: wrote \"%s\"\n", p);

	/* A second fd that can never be widened back to writing. */
	if (ioctl(c.fd, SHMPOOL_SEG_IOC_RESTRICT, &r))
		die("SHMPOOL_SEG_IOC_RESTRICT");
	printf("parent: sending the child a read-only fd\n");
	send_fd(sv[0], r.fd);
	if (close(r.fd))
		die("close");

	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "parent: the child failed (status %#x)\n",
			status);
		return 1;
	}
	/* The last mapping and fd go: the frame goes back to the pool. */
	if (munmap(p, c.size) || close(c.fd))
		die("munmap/close");
	printf("parent: done, the segment is gone with its last fd\n");
	return 0;
}
