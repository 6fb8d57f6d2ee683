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

/*
 * Output of fields, as "key value" lines or as the members of one JSON
 * object, so that each is written once for both.
 */
struct emit {
	bool json;
	bool first;
};

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void emit_key(struct emit *e, const char *key)
{
	if (e->json)
		printf("%s\"%s\": ", e->first ? "{" : ", ", key);
	else
		printf("%s ", key);
	e->first = false;
}

static void emit_end_field(struct emit *e)
{
	if (!e->json)
		putchar('\n');
}

static void emit_u64(struct emit *e, const char *key, unsigned long long v)
{
	emit_key(e, key);
	printf("%llu", v);
	emit_end_field(e);
}

static void emit_str(struct emit *e, const char *key, const char *s)
{
	emit_key(e, key);
	if (e->json)
		json_str(s);
	else
		fputs(*s ? s : "-", stdout);
	emit_end_field(e);
}

/* @json_val and @text_val verbatim: true/yes, null/- */
static void emit_raw(struct emit *e, const char *key, const char *json_val,
		     const char *text_val)
{
	emit_key(e, key);
	fputs(e->json ? json_val : text_val, stdout);
	emit_end_field(e);
}

static void emit_end(struct emit *e)
{
	if (e->json)
		fputs(e->first ? "{}" : "}", stdout);
}

/* Seal names: "shrink,grow" ("-" for none), or ["shrink", "grow"] for JSON. */
static const char *seal_names(unsigned int bits, bool json, char *buf,
			      size_t len)
{
	const char *sep = "", *q = json ? "\"" : "";
	size_t i, n = 0;

	if (json)
		n += snprintf(buf + n, len - n, "[");
	for (i = 0; i < ARRAY_SIZE(seals) && n < len; i++) {
		if (!(bits & seals[i].val))
			continue;
		n += snprintf(buf + n, len - n, "%s%s%s%s", sep, q,
			      seals[i].name, q);
		sep = json ? ", " : ",";
		bits &= ~seals[i].val;
	}
	if (bits && n < len) /* a seal newer than this tool */
		n += snprintf(buf + n, len - n, "%s%s0x%x%s", sep, q, bits, q);
	else if (!n && !json)
		n += snprintf(buf + n, len - n, "-");
	if (json && n < len)
		snprintf(buf + n, len - n, "]");
	return buf;
}

static void emit_info(const struct shmpool_info *in, bool json)
{
	struct emit e = { .json = json, .first = true };
	char buf[128], buf2[128];

	emit_u64(&e, "id", in->id);
	emit_str(&e, "name", in->name);
	emit_u64(&e, "size", in->size);
	emit_u64(&e, "resident", in->resident);
	emit_u64(&e, "swapped", in->swapped);
	emit_u64(&e, "purgeable", in->purgeable);
	emit_u64(&e, "purged", in->purged);
	emit_u64(&e, "uid", in->uid);
	emit_str(&e, "owner", user_name(in->uid, buf, sizeof(buf)));
	emit_u64(&e, "gid", in->gid);
	emit_str(&e, "group", group_name(in->gid, buf, sizeof(buf)));
	snprintf(buf, sizeof(buf), "%04o", in->mode);
	emit_str(&e, "mode", buf);
	emit_str(&e, "prot", val_to_name(prots, ARRAY_SIZE(prots), in->prot));
	emit_str(&e, "fd_prot",
		 val_to_name(prots, ARRAY_SIZE(prots), in->fd_prot));
	emit_raw(&e, "seals", seal_names(in->seals, true, buf, sizeof(buf)),
		 seal_names(in->seals, false, buf2, sizeof(buf2)));
	emit_str(&e, "cache",
		 val_to_name(caches, ARRAY_SIZE(caches), in->cache));
	emit_u64(&e, "maps", in->maps);
	emit_raw(&e, "persist",
		 in->flags & SHMPOOL_INFO_PERSIST ? "true" : "false",
		 in->flags & SHMPOOL_INFO_PERSIST ? "yes" : "no");
	if (in->flags & SHMPOOL_INFO_OFFERED)
		emit_u64(&e, "offered_uid", in->offered_uid);
	else
		emit_raw(&e, "offered_uid", "null", "-");
	emit_raw(&e, "overcommit",
		 in->flags & SHMPOOL_INFO_OVERCOMMIT ? "true" : "false",
		 in->flags & SHMPOOL_INFO_OVERCOMMIT ? "yes" : "no");
	emit_raw(&e, "noswap",
		 in->flags & SHMPOOL_INFO_NOSWAP ? "true" : "false",
		 in->flags & SHMPOOL_INFO_NOSWAP ? "yes" : "no");
	emit_raw(&e, "huge", in->flags & SHMPOOL_INFO_HUGE ? "true" : "false",
		 in->flags & SHMPOOL_INFO_HUGE ? "yes" : "no");
	emit_end(&e);
}

int version_run(const struct opts *o)
{
	struct shmpool_version v;
	struct emit e = { .json = o->json, .first = true };

	if (dev_ioctl(SHMPOOL_IOC_VERSION, &v, "version", DEV_PATH) < 0)
		return 1;
	emit_u64(&e, "abi", v.abi);
	emit_u64(&e, "page_size", v.page_size);
	emit_u64(&e, "max_order", v.max_order);
	emit_end(&e);
	if (o->json)
		putchar('\n');
	return 0;
}

int create_run(const struct opts *o)
{
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
	struct emit e = { .json = o->json, .first = true };
	unsigned long long size;

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
	emit_u64(&e, "id", c.id);
	emit_str(&e, "name", name);
	emit_u64(&e, "size", size);
	emit_end(&e);
	putchar('\n');
	return 0;
}

#define LIST_ROW "%5s %-16s %12s %8s %-8s %-8s %-4s %-4s %-12s %-5s %4s\n"

static void list_row(const struct shmpool_info *in)
{
	char id[16], size[24], resident[24], owner[64], group[64], mode[8];
	char seal[128], maps[16];

	snprintf(id, sizeof(id), "%u", in->id);
	snprintf(size, sizeof(size), "%llu", (unsigned long long)in->size);
	snprintf(resident, sizeof(resident), "%llu",
		 (unsigned long long)in->resident);
	snprintf(mode, sizeof(mode), "%04o", in->mode);
	snprintf(maps, sizeof(maps), "%u", in->maps);
	printf(LIST_ROW, id, *in->name ? in->name : "-", size, resident,
	       user_name(in->uid, owner, sizeof(owner)),
	       group_name(in->gid, group, sizeof(group)), mode,
	       val_to_name(prots, ARRAY_SIZE(prots), in->prot),
	       seal_names(in->seals, false, seal, sizeof(seal)),
	       val_to_name(caches, ARRAY_SIZE(caches), in->cache), maps);
}

int list_run(const struct opts *o)
{
	struct shmpool_list l = { .pos = 0 };
	int fd = open_dev(O_RDONLY), ret = 0;
	bool first = true;

	if (fd < 0)
		return 1;
	if (o->json)
		putchar('[');
	else
		printf(LIST_ROW, "ID", "NAME", "SIZE", "RESIDENT", "OWNER",
		       "GROUP", "MODE", "PROT", "SEALS", "CACHE", "MAPS");
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
		if (o->json) {
			fputs(first ? "" : ", ", stdout);
			emit_info(&l.info, true);
		} else {
			list_row(&l.info);
		}
		first = false;
	}
	if (o->json)
		puts("]");
	close(fd);
	return ret;
}

int info_run(const struct opts *o)
{
	struct shmpool_info in;

	if (seg_ioctl(o->args[0], 0, SHMPOOL_SEG_IOC_INFO, &in, "info") < 0)
		return 1;
	emit_info(&in, o->json);
	if (o->json)
		putchar('\n');
	return 0;
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
