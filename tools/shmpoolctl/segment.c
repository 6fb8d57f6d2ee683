// SPDX-License-Identifier: GPL-2.0
/*
 * shmpoolctl: the device and its segments - version, create, list, info,
 * write, read, seal, resize, unpin, pin, unlink, give, open and accept.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "shmpoolctl.h"

/* A uid or gid given as a number; (__u32)-1 is not one. */
static bool parse_id(const char *s, __u32 *id)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v >= (__u32)-1)
		return false;
	*id = v;
	return true;
}

/* A user by name, else by number; @gid gets their login group if known. */
static bool parse_user(const char *s, __u32 *uid, __u32 *gid, bool *has_gid)
{
	struct passwd *pw = getpwnam(s);

	if (pw)
		*uid = pw->pw_uid;
	else if (parse_id(s, uid))
		pw = getpwuid(*uid);
	else
		return false;
	*has_gid = !!pw;
	if (pw)
		*gid = pw->pw_gid;
	return true;
}

/* A group by name, else by number. */
static bool parse_group(const char *s, __u32 *gid)
{
	struct group *gr = getgrnam(s);

	if (gr)
		*gid = gr->gr_gid;
	return gr || parse_id(s, gid);
}

static const char *user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%u", uid);
	return buf;
}

static const char *group_name(gid_t gid, char *buf, size_t len)
{
	struct group *gr = getgrgid(gid);

	if (gr)
		snprintf(buf, len, "%s", gr->gr_name);
	else
		snprintf(buf, len, "%u", gid);
	return buf;
}

static int open_dev(int flags)
{
	int fd = open(DEV_PATH, flags | O_CLOEXEC);

	if (fd < 0)
		report_errno("cannot open %s", DEV_PATH);
	return fd;
}

/* Copy a segment name into an ioctl argument; ENAMETOOLONG if it won't fit. */
static int set_name(char dst[SHMPOOL_NAME_MAX], const char *name)
{
	size_t len = strlen(name);

	if (len >= SHMPOOL_NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dst, name, len + 1);
	return 0;
}

/* One ioctl on /dev/shmpool; "VERB NAME: message (EXXX)" when it fails. */
static int dev_ioctl(unsigned long req, void *arg, const char *verb,
		     const char *name)
{
	int fd = open_dev(O_RDONLY), ret;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, req, arg);
	if (ret < 0)
		report_errno("%s %s", verb, name);
	close(fd);
	return ret;
}

/* Open a named segment; @flags are SHMPOOL_OPEN_*.  Returns the fd or -1. */
static int open_seg(const char *name, unsigned int flags)
{
	struct shmpool_open op = { .flags = flags };

	if (set_name(op.name, name) < 0) {
		report_errno("open %s", name);
		return -1;
	}
	if (dev_ioctl(SHMPOOL_IOC_OPEN, &op, "open", name) < 0)
		return -1;
	return op.fd;
}

/* One ioctl on a segment opened by name. */
static int seg_ioctl(const char *name, unsigned int open_flags,
		     unsigned long req, void *arg, const char *verb)
{
	int fd = open_seg(name, open_flags), ret;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, req, arg);
	if (ret < 0)
		report_errno("%s %s", verb, name);
	close(fd);
	return ret;
}

/* After EINVAL from create or resize: the likeliest cause. */
static void size_hint(unsigned long long size)
{
	long page = sysconf(_SC_PAGESIZE);

	if (errno == EINVAL && page > 0 && (!size || size % page))
		fprintf(stderr,
			"%s: SIZE must be a non-zero multiple of the page size (%ld)\n",
			prog, page);
}

/* write() or, with @off, pwrite() all of @len; the bytes written. */
static size_t write_all(int fd, const char *buf, size_t len,
			unsigned long long *off)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (off)
			n = pwrite(fd, buf + done, len - done, *off);
		else
			n = write(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!n) /* no progress: no room */
				errno = ENOSPC;
			break;
		}
		done += n;
		if (off)
			*off += n;
	}
	return done;
}

/* Seal names, one a line for a JSON array, else "shrink,grow" ("-": none). */
static void seal_names(unsigned int bits, bool json, char *buf, size_t len)
{
	const char *sep = "";
	size_t i, n = 0;

	buf[0] = 0;
	for (i = 0; i < ARRAY_SIZE(seals) && n < len; i++) {
		if (!(bits & seals[i].val))
			continue;
		n += snprintf(buf + n, len - n, "%s%s", sep, seals[i].name);
		sep = json ? "\n" : ",";
		bits &= ~seals[i].val;
	}
	if (bits && n < len) /* a seal newer than this tool */
		n += snprintf(buf + n, len - n, "%s0x%x", sep, bits);
	if (!n && !json)
		snprintf(buf, len, "-");
}

/* What info and list show of a segment; list's table only the defaults. */
enum {
	COL_ID,
	COL_NAME,
	COL_SIZE,
	COL_RESIDENT,
	COL_SWAPPED,
	COL_PURGEABLE,
	COL_PURGED,
	COL_UID,
	COL_OWNER,
	COL_GID,
	COL_GROUP,
	COL_MODE,
	COL_PROT,
	COL_FD_PROT,
	COL_SEALS,
	COL_CACHE,
	COL_MAPS,
	COL_PERSIST,
	COL_OFFERED_UID,
	COL_OVERCOMMIT,
	COL_NOSWAP,
	COL_HUGE,
};

static const struct coldesc info_cols[] = {
	[COL_ID] = { "ID", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true },
	[COL_NAME] = { "NAME", 0, 0, SCOLS_JSON_STRING, true },
	[COL_SIZE] = { "SIZE", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true },
	[COL_RESIDENT] = { "RESIDENT", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
			   true },
	[COL_SWAPPED] = { "SWAPPED", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
			  false },
	[COL_PURGEABLE] = { "PURGEABLE", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
			    false },
	[COL_PURGED] = { "PURGED", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
			 false },
	[COL_UID] = { "UID", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false },
	[COL_OWNER] = { "OWNER", 0, 0, SCOLS_JSON_STRING, true },
	[COL_GID] = { "GID", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, false },
	[COL_GROUP] = { "GROUP", 0, 0, SCOLS_JSON_STRING, true },
	[COL_MODE] = { "MODE", 0, 0, SCOLS_JSON_STRING, true },
	[COL_PROT] = { "PROT", 0, 0, SCOLS_JSON_STRING, true },
	[COL_FD_PROT] = { "FD_PROT", 0, 0, SCOLS_JSON_STRING, false },
	[COL_SEALS] = { "SEALS", 0, 0, SCOLS_JSON_ARRAY_STRING, true },
	[COL_CACHE] = { "CACHE", 0, 0, SCOLS_JSON_STRING, true },
	[COL_MAPS] = { "MAPS", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true },
	[COL_PERSIST] = { "PERSIST", 0, 0, SCOLS_JSON_BOOLEAN, false },
	[COL_OFFERED_UID] = { "OFFERED_UID", 0, SCOLS_FL_RIGHT,
			      SCOLS_JSON_NUMBER, false },
	[COL_OVERCOMMIT] = { "OVERCOMMIT", 0, 0, SCOLS_JSON_BOOLEAN, false },
	[COL_NOSWAP] = { "NOSWAP", 0, 0, SCOLS_JSON_BOOLEAN, false },
	[COL_HUGE] = { "HUGE", 0, 0, SCOLS_JSON_BOOLEAN, false },
};

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

/* One line of @t: segment @in. */
static void info_line(struct table *t, const struct shmpool_info *in)
{
	char buf[128];

	table_new_line(t);
	table_set(t, COL_ID, "%u", in->id);
	table_set(t, COL_NAME, "%s", *in->name ? in->name : "-");
	table_set(t, COL_SIZE, "%llu", (unsigned long long)in->size);
	table_set(t, COL_RESIDENT, "%llu", (unsigned long long)in->resident);
	table_set(t, COL_SWAPPED, "%llu", (unsigned long long)in->swapped);
	table_set(t, COL_PURGEABLE, "%llu", (unsigned long long)in->purgeable);
	table_set(t, COL_PURGED, "%llu", (unsigned long long)in->purged);
	table_set(t, COL_UID, "%u", in->uid);
	table_set(t, COL_OWNER, "%s", user_name(in->uid, buf, sizeof(buf)));
	table_set(t, COL_GID, "%u", in->gid);
	table_set(t, COL_GROUP, "%s", group_name(in->gid, buf, sizeof(buf)));
	table_set(t, COL_MODE, "%04o", in->mode);
	table_set(t, COL_PROT, "%s",
		  val_to_name(prots, ARRAY_SIZE(prots), in->prot));
	table_set(t, COL_FD_PROT, "%s",
		  val_to_name(prots, ARRAY_SIZE(prots), in->fd_prot));
	seal_names(in->seals, t->o->json, buf, sizeof(buf));
	table_set(t, COL_SEALS, "%s", buf);
	table_set(t, COL_CACHE, "%s",
		  val_to_name(caches, ARRAY_SIZE(caches), in->cache));
	table_set(t, COL_MAPS, "%u", in->maps);
	table_set(t, COL_PERSIST, "%s",
		  yes_no(in->flags & SHMPOOL_INFO_PERSIST));
	/* JSON's null is an empty number; a table shows "-". */
	if (in->flags & SHMPOOL_INFO_OFFERED)
		table_set(t, COL_OFFERED_UID, "%u", in->offered_uid);
	else if (!t->o->json)
		table_set(t, COL_OFFERED_UID, "-");
	table_set(t, COL_OVERCOMMIT, "%s",
		  yes_no(in->flags & SHMPOOL_INFO_OVERCOMMIT));
	table_set(t, COL_NOSWAP, "%s", yes_no(in->flags & SHMPOOL_INFO_NOSWAP));
	table_set(t, COL_HUGE, "%s", yes_no(in->flags & SHMPOOL_INFO_HUGE));
}

int version_run(const struct opts *o)
{
	static const struct coldesc cols[] = {
		{ "ABI", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true },
		{ "PAGE_SIZE", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true },
		{ "MAX_ORDER", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true },
	};
	struct shmpool_version v;
	struct table t;

	if (table_init(&t, o, "version", cols, ARRAY_SIZE(cols), true) < 0)
		return 1;
	if (dev_ioctl(SHMPOOL_IOC_VERSION, &v, "version", DEV_PATH) < 0) {
		table_free(&t);
		return 1;
	}
	table_new_line(&t);
	table_set(&t, 0, "%u", v.abi);
	table_set(&t, 1, "%u", v.page_size);
	table_set(&t, 2, "%u", v.max_order);
	return table_print(&t, true);
}

int create_run(const struct opts *o)
{
	static const struct coldesc cols[] = {
		{ "ID", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true },
		{ "NAME", 0, 0, SCOLS_JSON_STRING, true },
		{ "SIZE", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true },
	};
	const char *name = o->args[0];
	struct shmpool_create c = {
		.flags = SHMPOOL_CREATE_PERSIST |
			 (o->populate ? SHMPOOL_CREATE_POPULATE : 0) |
			 (o->overcommit ? SHMPOOL_CREATE_OVERCOMMIT : 0) |
			 (o->noswap ? SHMPOOL_CREATE_NOSWAP : 0) |
			 (o->huge ? SHMPOOL_CREATE_HUGE : 0),
		.prot = o->prot,
		.mode = o->mode,
		.cache = o->cache,
	};
	unsigned long long size;
	struct table t;

	if (!parse_size(o->args[1], &size))
		return misuse(o->cmd, "invalid size '%s'", o->args[1]);
	c.size = size;
	if (set_name(c.name, name) < 0) {
		report_errno("create %s", name);
		return 1;
	}
	if (dev_ioctl(SHMPOOL_IOC_CREATE, &c, "create", name) < 0) {
		size_hint(size);
		return 1;
	}
	close(c.fd); /* the name holds it until unlink */

	if (!o->json) {
		printf("%u\n", c.id);
		return 0;
	}
	if (table_init(&t, o, "segments", cols, ARRAY_SIZE(cols), true) < 0)
		return 1;
	table_new_line(&t);
	table_set(&t, 0, "%u", c.id);
	table_set(&t, 1, "%s", name);
	table_set(&t, 2, "%llu", size);
	return table_print(&t, false);
}

int list_run(const struct opts *o)
{
	struct shmpool_list l = { .pos = 0 };
	int fd, ret = 0;
	bool first = true;
	struct table t;

	if (table_init(&t, o, "segments", info_cols, ARRAY_SIZE(info_cols),
		       o->json) < 0)
		return 1;
	fd = open_dev(O_RDONLY);
	if (fd < 0) {
		table_free(&t);
		return 1;
	}
	for (;;) {
		__u32 prev = l.pos;

		if (ioctl(fd, SHMPOOL_IOC_LIST, &l) < 0) {
			if (errno != ENOENT) {
				report_errno("list");
				ret = 1;
			}
			break;
		}
		if (!first && l.pos <= prev) { /* would loop for ever */
			fprintf(stderr,
				"%s: list: ids do not increase (%u after %u)\n",
				prog, l.pos, prev);
			ret = 1;
			break;
		}
		info_line(&t, &l.info);
		first = false;
	}
	close(fd);
	if (ret) {
		table_free(&t);
		return ret;
	}
	return table_print(&t, false);
}

int info_run(const struct opts *o)
{
	struct shmpool_info in;
	struct table t;

	if (table_init(&t, o, "segments", info_cols, ARRAY_SIZE(info_cols),
		       true) < 0)
		return 1;
	if (seg_ioctl(o->args[0], 0, SHMPOOL_SEG_IOC_INFO, &in, "info") < 0) {
		table_free(&t);
		return 1;
	}
	info_line(&t, &in);
	return table_print(&t, true);
}

static char iobuf[64 * 1024];

int write_run(const struct opts *o)
{
	const char *name = o->args[0];
	unsigned long long off = o->offset;
	int fd = open_seg(name, SHMPOOL_OPEN_WRITE), ret = 1;
	ssize_t n;

	if (fd < 0)
		return 1;
	for (;;) {
		n = read(STDIN_FILENO, iobuf, sizeof(iobuf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			report_errno("write %s: reading stdin", name);
			break;
		}
		if (!n) {
			ret = 0;
			break;
		}
		if (write_all(fd, iobuf, n, &off) < (size_t)n) {
			report_errno("write %s", name);
			if (errno == ENOSPC)
				fprintf(stderr,
					"%s: stdin does not fit in %s: it took %llu bytes from offset %llu, up to its end\n",
					prog, name, off - o->offset, o->offset);
			break;
		}
	}
	close(fd);
	return ret;
}

int read_run(const struct opts *o)
{
	const char *name = o->args[0];
	unsigned long long off = o->offset, left;
	struct shmpool_info in;
	int fd = open_seg(name, 0), ret = 1;
	ssize_t n;

	if (fd < 0)
		return 1;
	if (ioctl(fd, SHMPOOL_SEG_IOC_INFO, &in) < 0) {
		report_errno("read %s", name);
		goto out;
	}
	if (off > in.size) {
		fprintf(stderr,
			"%s: read %s: offset %llu is beyond its size %llu\n",
			prog, name, off, (unsigned long long)in.size);
		goto out;
	}
	left = in.size - off;
	if (o->has_length && o->length < left)
		left = o->length;
	while (left) {
		n = pread(fd, iobuf,
			  left < sizeof(iobuf) ? left : sizeof(iobuf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			report_errno("read %s", name);
			goto out;
		}
		if (!n) /* the end, or it shrank */
			break;
		if (write_all(STDOUT_FILENO, iobuf, n, NULL) < (size_t)n) {
			report_errno("read %s: writing stdout", name);
			goto out;
		}
		off += n;
		left -= n;
	}
	ret = 0;
out:
	close(fd);
	return ret;
}

int seal_run(const struct opts *o)
{
	__u32 bits = 0;
	unsigned int v;
	int i;

	for (i = 1; i < o->nargs; i++) {
		if (!name_to_val(seals, ARRAY_SIZE(seals), o->args[i], &v))
			return misuse(o->cmd, "unknown seal '%s'", o->args[i]);
		bits |= v;
	}
	if (seg_ioctl(o->args[0], SHMPOOL_OPEN_WRITE, SHMPOOL_SEG_IOC_ADD_SEALS,
		      &bits, "seal") < 0)
		return 1;
	return 0;
}

int resize_run(const struct opts *o)
{
	const char *name = o->args[0];
	unsigned long long size;
	int fd, ret = 0;

	if (!parse_size(o->args[1], &size))
		return misuse(o->cmd, "invalid size '%s'", o->args[1]);
	fd = open_seg(name, SHMPOOL_OPEN_WRITE);
	if (fd < 0)
		return 1;
	if (ftruncate(fd, size) < 0) {
		report_errno("resize %s", name);
		size_hint(size);
		ret = 1;
	}
	close(fd);
	return ret;
}

/*
 * unpin and pin: the range --offset/--length (default: the whole segment);
 * pin prints whether pressure purged any of it meanwhile.
 */
int range_run(const struct opts *o)
{
	bool pin = !strcmp(o->cmd->name, "pin");
	unsigned long cmd = pin ? SHMPOOL_SEG_IOC_PIN : SHMPOOL_SEG_IOC_UNPIN;
	const char *name = o->args[0];
	struct shmpool_range r = { .offset = o->offset };
	struct shmpool_info in;
	int fd = open_seg(name, SHMPOOL_OPEN_WRITE), ret = 1;

	if (fd < 0)
		return 1;
	if (ioctl(fd, SHMPOOL_SEG_IOC_INFO, &in) < 0) {
		report_errno("%s %s", o->cmd->name, name);
		goto out;
	}
	if (o->has_length)
		r.len = o->length;
	else if (in.size > o->offset)
		r.len = in.size - o->offset;
	if (ioctl(fd, cmd, &r) < 0) {
		report_errno("%s %s", o->cmd->name, name);
		goto out;
	}
	if (pin)
		puts(r.result & SHMPOOL_RANGE_PURGED ? "purged" : "kept");
	ret = 0;
out:
	close(fd);
	return ret;
}

int unlink_run(const struct opts *o)
{
	struct shmpool_unlink u;

	if (set_name(u.name, o->args[0]) < 0) {
		report_errno("unlink %s", o->args[0]);
		return 1;
	}
	return dev_ioctl(SHMPOOL_IOC_UNLINK, &u, "unlink", o->args[0]) < 0;
}

int give_run(const struct opts *o)
{
	struct shmpool_give g = {};
	bool has_gid;

	if (!parse_user(o->args[1], &g.uid, &g.gid, &has_gid))
		return misuse(o->cmd, "unknown user '%s'", o->args[1]);
	if (o->nargs > 2 && !parse_group(o->args[2], &g.gid))
		return misuse(o->cmd, "unknown group '%s'", o->args[2]);
	if (o->nargs == 2 && !has_gid)
		return misuse(o->cmd,
			      "user %s has no login group: name a GROUP",
			      o->args[1]);
	return seg_ioctl(o->args[0], 0, SHMPOOL_SEG_IOC_GIVE, &g, "give") < 0;
}

/* The fd "open" hands its command: the first after stdin, stdout, stderr. */
#define OPEN_FD 3

int open_run(const struct opts *o)
{
	int fd = open_seg(o->args[0], (o->write ? SHMPOOL_OPEN_WRITE : 0) |
					      SHMPOOL_FD_NOCLOEXEC);

	if (fd < 0)
		return 1;
	/* dup2() leaves the new fd open across exec. */
	if (fd != OPEN_FD && (dup2(fd, OPEN_FD) < 0 || close(fd))) {
		report_errno("open %s: fd %d", o->args[0], OPEN_FD);
		return 1;
	}
	execvp(o->args[1], o->args + 1);
	report_errno("open %s: run %s", o->args[0], o->args[1]);
	return 127;
}

int accept_run(const struct opts *o)
{
	return seg_ioctl(o->args[0], 0, SHMPOOL_SEG_IOC_ACCEPT, NULL,
			 "accept") < 0;
}
