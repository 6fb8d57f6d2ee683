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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/shmpool.h>

#define SHMPOOL_DEV	"/dev/shmpool"
#define SHMPOOL_SYSFS	"/sys/module/shmpool"
#define SHMPOOL_DEBUGFS	"/sys/kernel/debug/shmpool"
#define POOL_STATS	SHMPOOL_DEBUGFS "/pool/stats"
#define POOL_TEST	SHMPOOL_DEBUGFS "/pool/test"

/* An unprivileged identity the tests switch to ("nobody"). */
#define TEST_UID	65534
#define TEST_GID	65534

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

#endif /* SHMPOOL_TEST_H */
