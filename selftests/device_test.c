// SPDX-License-Identifier: GPL-2.0
/*
 * The device node and its ioctl entry point: the node has the documented
 * mode, opening follows it, and the ioctl dispatcher answers what it knows
 * and refuses the rest with the documented errno.
 */
#include "shmpool_test.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include "kselftest_harness.h"

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(SHMPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->fd, 0) TH_LOG("open %s: %m", SHMPOOL_DEV);
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
	/* Isolation holds after every test. */
	EXPECT_AUDIT_CLEAN();
}

/* The node is a character device with the mode the dev_mode parameter says
 * and the numbers the misc class registered.
 */
TEST(node_mode_and_numbers)
{
	unsigned int major, minor;
	long long mode;
	struct stat st;
	FILE *f;

	mode = read_num(SHMPOOL_SYSFS "/parameters/dev_mode");
	ASSERT_GE(mode, 0);
	ASSERT_EQ(0, stat(SHMPOOL_DEV, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(mode, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);

	f = fopen("/sys/class/misc/shmpool/dev", "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(2, fscanf(f, "%u:%u", &major, &minor));
	fclose(f);
	EXPECT_EQ(major, major(st.st_rdev));
	EXPECT_EQ(minor, minor(st.st_rdev));
}

TEST_F(dev, version)
{
	struct shmpool_version v;

	memset(&v, 0xff, sizeof(v));
	ASSERT_EQ(0, ioctl(self->fd, SHMPOOL_IOC_VERSION, &v));
	EXPECT_EQ(SHMPOOL_ABI_VERSION, v.abi);
	EXPECT_EQ(sysconf(_SC_PAGESIZE), v.page_size);
	EXPECT_LE(9, v.max_order);
	EXPECT_EQ(0, v.__reserved);
}

/* Unknown commands are -ENOTTY, whatever part of the number is wrong. */
TEST_F(dev, unknown_ioctl_is_enotty)
{
	struct { __u64 a, b, c; } big;
	unsigned long cmds[] = {
		_IO(SHMPOOL_IOC_MAGIC, 0xff),			/* unused number */
		_IOR(SHMPOOL_IOC_MAGIC, 0x00, big),		/* wrong size */
		_IOW(SHMPOOL_IOC_MAGIC, 0x00, struct shmpool_version), /* wrong dir */
		TCGETS,						/* a tty ioctl */
		_IOR(0xB8, 0x00, struct shmpool_version),	/* other magic */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(self->fd, cmds[i], &big));
		EXPECT_EQ(ENOTTY, errno) TH_LOG("cmd %#lx", cmds[i]);
	}
}

TEST_F(dev, bad_pointer_is_efault)
{
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, SHMPOOL_IOC_VERSION, NULL));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->fd, SHMPOOL_IOC_VERSION, (void *)16));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dev, not_seekable)
{
	errno = 0;
	EXPECT_EQ(-1, lseek(self->fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
}

/* A read-only open is enough to ask for the version. */
TEST(readonly_open)
{
	struct shmpool_version v;
	int fd = open(SHMPOOL_DEV, O_RDONLY | O_CLOEXEC);

	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, ioctl(fd, SHMPOOL_IOC_VERSION, &v));
	close(fd);
}

static int try_open(void *arg)
{
	int fd = open(SHMPOOL_DEV, O_RDWR | O_CLOEXEC);

	(void)arg;
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno;
}

/* Without "other" permission bits, a user who is neither owner nor in the
 * group cannot open the device at all.
 */
TEST(other_user_obeys_mode)
{
	long long mode = read_num(SHMPOOL_SYSFS "/parameters/dev_mode");
	int expect;

	ASSERT_GE(mode, 0);
	expect = (mode & 0006) == 0006 ? 0 : EACCES;
	EXPECT_EQ(expect, run_as(TEST_UID, TEST_GID, try_open, NULL));
}

TEST_HARNESS_MAIN
