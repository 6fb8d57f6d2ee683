// SPDX-License-Identifier: GPL-2.0
/*
 * Segments seen from a user namespace, as module/uapi/linux/shmpool.h,
 * Documentation/userspace-api.rst and Documentation/security.rst promise:
 * the namespace's root holds CAP_IPC_OWNER in its namespace only, which
 * overrides no segment's mode; INFO, LIST and debugfs show owners, groups
 * and offered users as the caller's namespace maps them (65534 when it
 * does not); GIVE refuses ids the caller's namespace does not map; with
 * an IPC namespace of its own too, the namespace has names of its own.
 *
 * The test runs as root in the initial namespace.  Each case forks a child
 * that unshares its user namespace (the IPC and mount namespaces stay the
 * host's, so names are shared with the parent, but for the IPC case's)
 * and becomes its root, host uid and gid NS_HOST_ID.  The parent writes
 * the maps:
 *
 *   namespace id   host id
 *   0              NS_HOST_ID   (the namespace's root)
 *   NS_OTHER       HOST_OTHER   (another user, mapped)
 *
 * Host root, HOST_STRANGER and the overflow id itself are not mapped.
 * The child uses the device and debugfs fds the parent opened: neither
 * the node (root's, dev_mode) nor debugfs (root's 0700 directory) would
 * let the namespace's root open them.
 */
#include "shmpool_test.h"

#include <sched.h>
#include <sys/stat.h>

#include "kselftest_harness.h"

#define RW		(SHMPOOL_PROT_READ | SHMPOOL_PROT_WRITE)
#define NS_HOST_ID	1000	/* the namespace's root, on the host */
#define NS_OTHER	100	/* another user, in the namespace ... */
#define HOST_OTHER	2000	/* ... and on the host */
#define HOST_STRANGER	3000	/* a host user the namespace does not map */
#define OVERFLOW_ID	65534	/* what an unmapped id reads as */
#define CAP_IPC_OWNER_BIT 15	/* CAP_IPC_OWNER in <linux/capability.h> */

#define ID_MAP		"0 1000 1\n100 2000 1\n"
#define NR_NAMES	4

FIXTURE(userns) {
	int dev;			/* /dev/shmpool, opened by host root */
	int dbg;			/* debugfs "segments", or -1 */
	long long used;			/* frames_used when the test began */
	char name[NR_NAMES][SHMPOOL_NAME_MAX];
};

FIXTURE_SETUP(userns)
{
	int err, i;

	self->dev = -1;
	self->dbg = -1;
	ASSERT_EQ(0, geteuid()) TH_LOG("the test runs as root");
	err = unshare_errno(CLONE_NEWUSER);
	if (err)
		SKIP(return, "no user namespace for a child: %s", strerror(-err));
	self->dev = open(SHMPOOL_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->dev, 0) TH_LOG("open %s: %m", SHMPOOL_DEV);
	self->used = frames_used();
	ASSERT_GE(self->used, 0) TH_LOG("cannot read %s", POOL_STATS);
	for (i = 0; i < NR_NAMES; i++)
		snprintf(self->name[i], SHMPOOL_NAME_MAX, "userns.%d.%d",
			 (int)getpid(), i);
}

/*
 * Host root may unlink any name (CAP_IPC_OWNER, initial namespace).  The
 * teardown does; so does every ASSERT in a test body, in its handler
 * block: built with -O2, the 6.12 harness skips the teardown after a
 * failed ASSERT in a TEST_F body (the wrapper's child pid is not volatile
 * across the longjmp), and a persistent segment would keep the module.
 */
static void unlink_names(int dev, char (*name)[SHMPOOL_NAME_MAX])
{
	int i;

	for (i = 0; i < NR_NAMES; i++)
		seg_unlink(dev, name[i]);
}

#define UNLINK_NAMES()	unlink_names(self->dev, self->name)

FIXTURE_TEARDOWN(userns)
{
	if (self->dev < 0)
		return;
	UNLINK_NAMES();
	close(self->dev);
	if (self->dbg >= 0)
		close(self->dbg);
	if (_metadata->exit_code == KSFT_PASS) {
		EXPECT_EQ(self->used, frames_used())
			TH_LOG("the test's frames did not all come back");
		EXPECT_AUDIT_CLEAN();
	}
}

static int write_id_map(pid_t pid, const char *file, const char *map)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	return write_str(path, map);
}

/*
 * Run fn() as the root of a new user namespace whose maps are ID_MAP, for
 * uids and gids alike: the child unshares, the parent writes the maps, the
 * child becomes the namespace's uid and gid 0 (host NS_HOST_ID) with every
 * capability in the namespace and none outside.  The child's exit status,
 * 255 when it did not exit, 250-253 when the namespace could not be made.
 */
static int in_userns(int (*fn)(void *), void *arg)
{
	int ready[2], go[2], status, ok;
	char c = 0;
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC))
		return 255;
	if (pipe2(go, O_CLOEXEC)) {
		close(ready[0]);
		close(ready[1]);
		return 255;
	}
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		if (setgroups(0, NULL) || unshare(CLONE_NEWUSER))
			_exit(253);
		if (write(ready[1], "r", 1) != 1)
			_exit(252);
		if (read(go[0], &c, 1) != 1 || c != 'g')
			_exit(251);
		if (setresgid(0, 0, 0) || setresuid(0, 0, 0))
			_exit(250);
		_exit(fn(arg));
	}
	close(ready[1]);
	close(go[0]);
	ok = pid > 0 && read(ready[0], &c, 1) == 1 &&
	     !write_id_map(pid, "uid_map", ID_MAP) &&
	     !write_id_map(pid, "gid_map", ID_MAP);
	if (pid > 0 && write(go[1], ok ? "g" : "x", 1) != 1)
		ok = 0;
	close(ready[0]);
	close(go[1]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 255;
	return ok ? WEXITSTATUS(status) : 255;
}

/* Whether the caller's effective set holds CAP_IPC_OWNER (in its namespace). */
static int has_cap_ipc_owner(void)
{
	unsigned long long eff = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return !!(eff & (1ULL << CAP_IPC_OWNER_BIT));
}

/* In the child: it is the namespace's root, with CAP_IPC_OWNER there. */
#define CHILD_IS_NS_ROOT() do {						\
	CHILD_EQ(0, geteuid());						\
	CHILD_EQ(0, getegid());						\
	CHILD_TRUE(has_cap_ipc_owner());				\
} while (0)

/* A persistent named segment of one page with mode, owned by the caller. */
static int make_named(int dev, const char *name, __u32 mode)
{
	int fd = seg_create(dev, name, sysconf(_SC_PAGESIZE), RW, mode,
			    SHMPOOL_CREATE_PERSIST);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? fd : 0;
}

struct named {
	int dev;
	const char *name;
	__u32 mode;
};

static int make_named_fn(void *arg)
{
	struct named *n = arg;

	return make_named(n->dev, n->name, n->mode) ? 1 : 0;
}

/* The segment's INFO through a fresh fd opened by name; 0 or -errno. */
static int info_by_name(int dev, const char *name, struct shmpool_info *info)
{
	int fd = seg_open(dev, name, 0);
	int ret;

	if (fd < 0)
		return fd;
	ret = seg_info(fd, info);
	close(fd);
	return ret;
}

/*
 * (a) The namespace's root is not CAP_IPC_OWNER for segments.
 */

struct others {
	int dev;
	const char *root_0600;		/* host root's, mode 0600 */
	const char *other_0600;		/* HOST_OTHER's (mapped), 0600 */
	const char *other_0644;		/* HOST_OTHER's, 0644 */
	__u32 id_0600, id_0644;
};

static int ns_root_opens_nothing_fn(void *arg)
{
	struct others *o = arg;
	const char * const hidden[] = { o->root_0600, o->other_0600 };
	int fd, i;

	CHILD_IS_NS_ROOT();
	for (i = 0; i < 2; i++) {
		/* OPEN: as a missing name, whatever is asked. */
		CHILD_EQ(-ENOENT, seg_open(o->dev, hidden[i], 0));
		CHILD_EQ(-ENOENT, seg_open(o->dev, hidden[i], SHMPOOL_OPEN_WRITE));
		/* UNLINK: "could not open it at all" is ENOENT. */
		CHILD_EQ(-ENOENT, seg_unlink(o->dev, hidden[i]));
	}
	/* LIST does not show what the caller could not open. */
	CHILD_EQ(-ENOENT, seg_list(o->dev, o->id_0600, NULL));

	/* Readable by others: opens read-only, not for writing, no unlink. */
	fd = seg_open(o->dev, o->other_0644, 0);
	CHILD_TRUE(fd >= 0);
	close(fd);
	CHILD_EQ(-ENOENT, seg_open(o->dev, o->other_0644, SHMPOOL_OPEN_WRITE));
	CHILD_EQ(-EPERM, seg_unlink(o->dev, o->other_0644));
	CHILD_EQ(0, seg_list(o->dev, o->id_0644, NULL));
	return 0;
}

/*
 * Host root's 0600 segment (owner not mapped in the namespace) and a
 * mapped user's (whose files the namespace's root could open, by the
 * VFS's rule): the namespace's root opens neither and unlinks neither,
 * with the errors userspace-api.rst gives.  Host root still may: its
 * CAP_IPC_OWNER is in the initial namespace.
 */
TEST_F(userns, ns_root_is_not_ipc_owner)
{
	struct named n = { self->dev, self->name[1], 0600 };
	struct others o = {
		.dev = self->dev, .root_0600 = self->name[0],
		.other_0600 = self->name[1], .other_0644 = self->name[2],
	};
	struct shmpool_info info;
	int fd;

	ASSERT_EQ(0, make_named(self->dev, o.root_0600, 0600)) UNLINK_NAMES();
	ASSERT_EQ(0, run_as(HOST_OTHER, HOST_OTHER, make_named_fn, &n)) UNLINK_NAMES();
	n.name = o.other_0644;
	n.mode = 0644;
	ASSERT_EQ(0, run_as(HOST_OTHER, HOST_OTHER, make_named_fn, &n)) UNLINK_NAMES();
	ASSERT_EQ(0, info_by_name(self->dev, o.other_0600, &info)) UNLINK_NAMES();
	EXPECT_EQ(HOST_OTHER, info.uid);
	o.id_0600 = info.id;
	ASSERT_EQ(0, info_by_name(self->dev, o.other_0644, &info)) UNLINK_NAMES();
	o.id_0644 = info.id;

	EXPECT_EQ(0, in_userns(ns_root_opens_nothing_fn, &o));

	/* Every name is still there, and host root opens the 0600 ones. */
	fd = seg_open(self->dev, o.root_0600, SHMPOOL_OPEN_WRITE);
	EXPECT_LE(0, fd);
	close(fd);
	fd = seg_open(self->dev, o.other_0600, SHMPOOL_OPEN_WRITE);
	EXPECT_LE(0, fd) TH_LOG("CAP_IPC_OWNER in the initial namespace: %d", fd);
	close(fd);
	fd = seg_open(self->dev, o.other_0644, 0);
	EXPECT_LE(0, fd);
	close(fd);
}

/*
 * (b) Ids as the caller's namespace maps them.
 */

struct seen {
	__u32 id, uid, gid, offered_uid;	/* as the namespace should see it */
	int fd;					/* an fd the parent opened */
	int listed;				/* LIST shows it to the child */
};

struct ids {
	int dev;
	int dbg;
	struct seen seg[3];
	const char *own_name;		/* the child creates it */
};

/* A segment's "uid=" and "gid=" in debugfs "segments"; 0 or -1. */
static int debugfs_ids(const char *text, __u32 id, __u32 *uid, __u32 *gid)
{
	char key[32];
	const char *line, *p;

	snprintf(key, sizeof(key), "id=%u ", id);
	for (line = text; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, key, strlen(key)))
			continue;
		p = strstr(line, " uid=");
		if (!p || sscanf(p, " uid=%u gid=%u", uid, gid) != 2)
			return -1;
		return 0;
	}
	return -1;
}

static int ids_fn(void *arg)
{
	static char text[1 << 16];
	struct ids *s = arg;
	struct shmpool_info info;
	size_t len = 0;
	ssize_t n;
	__u32 uid, gid;
	int i, fd;

	CHILD_IS_NS_ROOT();
	/* The first read runs the show function, as this task. */
	if (s->dbg >= 0) {
		while ((n = read(s->dbg, text + len, sizeof(text) - 1 - len)) > 0)
			len += n;
		CHILD_TRUE(n == 0);
		text[len] = 0;
	}
	for (i = 0; i < 3; i++) {
		struct seen *e = &s->seg[i];

		CHILD_EQ(0, seg_info(e->fd, &info));
		CHILD_EQ(e->id, info.id);
		CHILD_EQ(e->uid, info.uid);
		CHILD_EQ(e->gid, info.gid);
		CHILD_EQ(!!e->offered_uid, !!(info.flags & SHMPOOL_INFO_OFFERED));
		if (e->offered_uid)
			CHILD_EQ(e->offered_uid, info.offered_uid);
		if (e->listed) {
			CHILD_EQ(0, seg_list(s->dev, e->id, &info));
			CHILD_EQ(e->uid, info.uid);
			CHILD_EQ(e->gid, info.gid);
			if (e->offered_uid)
				CHILD_EQ(e->offered_uid, info.offered_uid);
		}
		if (s->dbg >= 0) {
			CHILD_EQ(0, debugfs_ids(text, e->id, &uid, &gid));
			CHILD_EQ(e->uid, uid);
			CHILD_EQ(e->gid, gid);
		}
	}

	/* What the namespace's root creates is its own: 0 and 0 here. */
	CHILD_EQ(0, make_named(s->dev, s->own_name, 0644));
	fd = seg_open(s->dev, s->own_name, 0);
	CHILD_TRUE(fd >= 0);
	CHILD_EQ(0, seg_info(fd, &info));
	close(fd);
	CHILD_EQ(0, info.uid);
	CHILD_EQ(0, info.gid);
	return 0;
}

/*
 * INFO (on fds the host opened), LIST and debugfs show a host root's
 * segment as 65534:65534, a mapped user's by its namespace ids, and an
 * offer by the offered user's namespace id (65534 when not mapped).  What
 * the namespace's root creates is 0:0 to it and NS_HOST_ID to the host.
 */
TEST_F(userns, ids_as_the_namespace_maps_them)
{
	struct named n = { self->dev, self->name[1], 0644 };
	struct ids s = { .dev = self->dev, .own_name = self->name[3] };
	struct shmpool_info info;
	int i;

	self->dbg = open(SHMPOOL_DEBUGFS "/segments", O_RDONLY | O_CLOEXEC);
	if (self->dbg < 0)
		TH_LOG("no debugfs segments file (%m): INFO and LIST only");
	s.dbg = self->dbg;

	/* Host root's, offered to the mapped user: 0600, not listed. */
	ASSERT_EQ(0, make_named(self->dev, self->name[0], 0600)) UNLINK_NAMES();
	ASSERT_EQ(0, run_as(HOST_OTHER, HOST_OTHER, make_named_fn, &n)) UNLINK_NAMES();
	/* Host root's, 0644, offered to a user the namespace does not map. */
	ASSERT_EQ(0, make_named(self->dev, self->name[2], 0644)) UNLINK_NAMES();
	for (i = 0; i < 3; i++) {
		s.seg[i].fd = seg_open(self->dev, self->name[i], 0);
		ASSERT_LE(0, s.seg[i].fd) UNLINK_NAMES();
		ASSERT_EQ(0, seg_info(s.seg[i].fd, &info)) UNLINK_NAMES();
		s.seg[i].id = info.id;
	}
	ASSERT_EQ(0, seg_give(s.seg[0].fd, HOST_OTHER, HOST_OTHER)) UNLINK_NAMES();
	ASSERT_EQ(0, seg_give(s.seg[2].fd, HOST_STRANGER, HOST_STRANGER)) UNLINK_NAMES();

	s.seg[0].uid = OVERFLOW_ID;
	s.seg[0].gid = OVERFLOW_ID;
	s.seg[0].offered_uid = NS_OTHER;
	s.seg[1].uid = NS_OTHER;
	s.seg[1].gid = NS_OTHER;
	s.seg[1].listed = 1;
	s.seg[2].uid = OVERFLOW_ID;
	s.seg[2].gid = OVERFLOW_ID;
	s.seg[2].offered_uid = OVERFLOW_ID;
	s.seg[2].listed = 1;

	EXPECT_EQ(0, in_userns(ids_fn, &s));

	/* The host sees the namespace root's segment as NS_HOST_ID's. */
	ASSERT_EQ(0, info_by_name(self->dev, self->name[3], &info)) UNLINK_NAMES();
	EXPECT_EQ(NS_HOST_ID, info.uid);
	EXPECT_EQ(NS_HOST_ID, info.gid);
	/* And its own ids as they are. */
	ASSERT_EQ(0, seg_info(s.seg[0].fd, &info)) UNLINK_NAMES();
	EXPECT_EQ(0, info.uid);
	EXPECT_EQ(HOST_OTHER, info.offered_uid);
	for (i = 0; i < 3; i++)
		close(s.seg[i].fd);
}

/*
 * (c) GIVE to an id the caller's namespace does not map is EINVAL.
 */

struct give {
	int dev;
	const char *name;
};

static int give_fn(void *arg)
{
	struct give *g = arg;
	struct shmpool_info info;
	int fd;

	CHILD_IS_NS_ROOT();
	fd = seg_create(g->dev, g->name, sysconf(_SC_PAGESIZE), RW, 0644,
			SHMPOOL_CREATE_PERSIST);
	CHILD_TRUE(fd >= 0);

	/* Unmapped uid, unmapped gid, the overflow id itself: refused. */
	CHILD_EQ(-EINVAL, seg_give(fd, HOST_OTHER, NS_OTHER));
	CHILD_EQ(-EINVAL, seg_give(fd, NS_OTHER, HOST_OTHER));
	CHILD_EQ(-EINVAL, seg_give(fd, OVERFLOW_ID, NS_OTHER));
	CHILD_EQ(-EINVAL, seg_give(fd, NS_OTHER, OVERFLOW_ID));
	CHILD_EQ(-EINVAL, seg_give(fd, 1, 0));
	CHILD_EQ(0, seg_info(fd, &info));
	CHILD_EQ(0, info.flags & SHMPOOL_INFO_OFFERED);

	/* A mapped one is offered; (__u32)-1 withdraws whatever the gid. */
	CHILD_EQ(0, seg_give(fd, NS_OTHER, NS_OTHER));
	CHILD_EQ(0, seg_info(fd, &info));
	CHILD_TRUE(info.flags & SHMPOOL_INFO_OFFERED);
	CHILD_EQ(NS_OTHER, info.offered_uid);
	CHILD_EQ(0, seg_give(fd, (__u32)-1, HOST_OTHER));
	CHILD_EQ(0, seg_info(fd, &info));
	CHILD_EQ(0, info.flags & SHMPOOL_INFO_OFFERED);
	/* Offered again, for the host to see. */
	CHILD_EQ(0, seg_give(fd, NS_OTHER, NS_OTHER));
	close(fd);
	return 0;
}

/*
 * The namespace's root owns a segment and offers it: to ids its namespace
 * does not map (host ids, the overflow id) GIVE is EINVAL and changes
 * nothing; to a mapped user it works, and the host sees the offer as the
 * host id.
 */
TEST_F(userns, give_to_unmapped_id_is_einval)
{
	struct give g = { self->dev, self->name[0] };
	struct shmpool_info info;

	EXPECT_EQ(0, in_userns(give_fn, &g));
	ASSERT_EQ(0, info_by_name(self->dev, g.name, &info)) UNLINK_NAMES();
	EXPECT_EQ(NS_HOST_ID, info.uid);
	EXPECT_TRUE(info.flags & SHMPOOL_INFO_OFFERED);
	EXPECT_EQ(HOST_OTHER, info.offered_uid);
}

struct ipc_peer {
	int dev;
	int dbg;		/* debugfs "segments", opened by host root */
	const char *name;	/* host root's 0666 persistent segment */
};

/* Lines of debugfs "segments" naming @name, read through @dbg. */
static int count_named(int dbg, const char *name)
{
	char text[65536], key[SHMPOOL_NAME_MAX + 8], *p;
	ssize_t n, len = 0;
	int count = 0;

	if (lseek(dbg, 0, SEEK_SET))
		return -1;
	while ((n = read(dbg, text + len, sizeof(text) - 1 - len)) > 0)
		len += n;
	text[len] = '\0';
	snprintf(key, sizeof(key), " name=%s ", name);
	for (p = strstr(text, key); p; p = strstr(p + 1, key))
		count++;
	return count;
}

static int ipc_fn(void *arg)
{
	struct ipc_peer *p = arg;
	int fd;

	CHILD_IS_NS_ROOT();
	CHILD_EQ(0, unshare(CLONE_NEWIPC));
	/* The host's name, open to all by its mode, is not in this namespace. */
	CHILD_EQ(-ENOENT, seg_open(p->dev, p->name, 0));
	CHILD_EQ(-ENOENT, seg_unlink(p->dev, p->name));
	CHILD_EQ(0, seg_list(p->dev, 0, NULL));
	/* The same name is free here, and is this namespace's alone. */
	fd = seg_create(p->dev, p->name, sysconf(_SC_PAGESIZE), RW, 0600,
			SHMPOOL_CREATE_PERSIST);
	CHILD_TRUE(fd >= 0);
	close(fd);
	CHILD_EQ(1, seg_list(p->dev, 0, NULL));
	fd = seg_open(p->dev, p->name, SHMPOOL_OPEN_WRITE);
	CHILD_TRUE(fd >= 0);
	close(fd);
	if (p->dbg >= 0)
		CHILD_EQ(2, count_named(p->dbg, p->name));
	/* Unlinked before the namespace goes: nobody could, after. */
	CHILD_EQ(0, seg_unlink(p->dev, p->name));
	return 0;
}

/*
 * A container's root with an IPC namespace of its own (unshare --user
 * --map-root-user --ipc): the host's names are not there, even one the
 * mode opens to all, and the same name can be had for a segment of the
 * container's own; debugfs (host root) shows both.
 */
TEST_F(userns, ipc_namespace_has_its_own_names)
{
	struct ipc_peer p = { self->dev, -1, self->name[0] };
	struct shmpool_info info;

	if (unshare_errno(CLONE_NEWIPC))
		SKIP(return, "no IPC namespace for a child: %s",
		     strerror(-unshare_errno(CLONE_NEWIPC)));
	ASSERT_EQ(0, make_named(self->dev, p.name, 0666));
	self->dbg = open(SHMPOOL_DEBUGFS "/segments", O_RDONLY | O_CLOEXEC);
	p.dbg = self->dbg;
	EXPECT_EQ(0, in_userns(ipc_fn, &p));
	ASSERT_EQ(0, info_by_name(self->dev, p.name, &info)) UNLINK_NAMES();
	EXPECT_EQ(0, info.uid);
	if (self->dbg >= 0)
		EXPECT_EQ(1, count_named(self->dbg, p.name));
}

TEST_HARNESS_MAIN
