// SPDX-License-Identifier: GPL-2.0
/*
 * shmpoolctl - inspect and drive the shmpool module from the shell.
 *
 * Subcommands in the spirit of util-linux ipcmk/ipcs/lsipc: one verb per
 * task, readable columns by default and --json for machines.  Every failure
 * names the operation and the errno and exits 1; misuse exits 2.
 *
 * The commands are described by one table: its options, its arguments and
 * its help text.  main() parses the options for every command, so a command
 * only does its work.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/shmpool.h>

#define DEV_PATH "/dev/shmpool"
#define DEBUGFS "/sys/kernel/debug/shmpool"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define __printf(a, b) __attribute__((format(printf, a, b)))

static const char *prog = "shmpoolctl";

/* Options the commands share; each command accepts a subset. */
enum {
	OPT_JSON = 1 << 0,
	OPT_MODE = 1 << 1,
	OPT_PROT = 1 << 2,
	OPT_CACHE = 1 << 3,
	OPT_POPULATE = 1 << 4,
	OPT_OFFSET = 1 << 5,
	OPT_LENGTH = 1 << 6,
	OPT_WRITE = 1 << 7,
	OPT_OVERCOMMIT = 1 << 8,
	OPT_NOSWAP = 1 << 9,
	OPT_WATCH = 1 << 10,
	OPT_SVG = 1 << 11,
	OPT_LIST = 1 << 12,
	OPT_SORT = 1 << 13,
	OPT_COUNT = 1 << 14,
	OPT_HUGE = 1 << 15,
};

static const struct optdesc {
	unsigned int bit;
	const char *name;
	int letter;
	const char *arg; /* metavariable, NULL for a flag */
	const char *help;
} optdescs[] = {
	{ OPT_MODE, "mode", 'm', "OCTAL", "permission bits (default 0600)" },
	{ OPT_PROT, "prot", 'p', "PROT",
	  "maximum protections: r, rw, rx or rwx (default rw)" },
	{ OPT_CACHE, "cache", 'c', "CACHE",
	  "cache mode: wb, wc or uc (default wb)" },
	{ OPT_POPULATE, "populate", 'P', NULL,
	  "allocate every frame now, not on first touch" },
	{ OPT_OVERCOMMIT, "overcommit", 'O', NULL,
	  "may be larger than the free pool (swapped when touched)" },
	{ OPT_NOSWAP, "noswap", 'N', NULL,
	  "never swap its frames out (as mlock)" },
	{ OPT_HUGE, "huge", 'H', NULL,
	  "2 MiB blocks, each mapped by one PMD entry where aligned" },
	{ OPT_OFFSET, "offset", 'o', "N",
	  "start N bytes into the segment (default 0)" },
	{ OPT_LENGTH, "length", 'l', "N",
	  "at most N bytes (default: to the end)" },
	{ OPT_WRITE, "write", 'w', NULL, "open it for writing too" },
	{ OPT_WATCH, "watch", 'W', "SEC",
	  "show it again every SEC seconds (0.1 to 3600)" },
	{ OPT_COUNT, "count", 'n', "N",
	  "with --watch or top: stop after N views (default: never)" },
	{ OPT_SORT, "sort", 'S', "KEY",
	  "sort by resident (default), swapped or faults (per second)" },
	{ OPT_SVG, "svg", 's', "FILE", "write the picture as SVG to FILE" },
	{ OPT_LIST, "list", 'L', NULL, "list the extents rather than draw" },
	{ OPT_JSON, "json", 'j', NULL, "print JSON" },
};

struct command;

/* What main() parsed for a command. */
struct opts {
	const struct command *cmd;
	char **args; /* the positional arguments */
	int nargs;
	bool json, populate, has_length, write, overcommit, noswap, huge, list;
	unsigned int mode, prot, cache;
	unsigned long long offset, length;
	double watch; /* seconds; 0: once */
	unsigned long count; /* views; 0: no end */
	const char *svg, *sort;
};

struct command {
	const char *name;
	const char *args; /* positional arguments, for the usage line */
	int min_args, max_args; /* max_args -1: any number */
	unsigned int opts; /* OPT_* */
	const char *summary;
	const char *description;
	int (*run)(const struct opts *o);
};

/* Names of values: protections, cache modes and seals. */
struct name_val {
	const char *name;
	unsigned int val;
};

static const struct name_val prots[] = {
	{ "r", SHMPOOL_PROT_READ },
	{ "rw", SHMPOOL_PROT_READ | SHMPOOL_PROT_WRITE },
	{ "rx", SHMPOOL_PROT_READ | SHMPOOL_PROT_EXEC },
	{ "rwx", SHMPOOL_PROT_ALL },
};

static const struct name_val caches[] = {
	{ "wb", SHMPOOL_CACHE_WB },
	{ "wc", SHMPOOL_CACHE_WC },
	{ "uc", SHMPOOL_CACHE_UC },
};

/* F_SEAL_* bits, in the order they are shown. */
static const struct name_val seals[] = {
	{ "seal", F_SEAL_SEAL },
	{ "shrink", F_SEAL_SHRINK },
	{ "grow", F_SEAL_GROW },
	{ "write", F_SEAL_WRITE },
	{ "future-write", F_SEAL_FUTURE_WRITE },
};

static bool name_to_val(const struct name_val *t, size_t n, const char *name,
			unsigned int *val)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(t[i].name, name)) {
			*val = t[i].val;
			return true;
		}
	}
	return false;
}

static const char *val_to_name(const struct name_val *t, size_t n,
			       unsigned int val)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (t[i].val == val)
			return t[i].name;
	}
	return "?";
}

/* Name the operation, the message and the errno's symbol: "... (EACCES)". */
static __printf(1, 2) void report_errno(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s (%s)\n", strerror(err),
		strerrorname_np(err) ?: "?");
	errno = err;
}

/* "Usage: shmpoolctl create NAME SIZE [--mode OCTAL] ..." */
static void synopsis(const struct command *cmd, FILE *out)
{
	const struct optdesc *d;

	fprintf(out, "Usage: %s %s", prog, cmd->name);
	if (*cmd->args)
		fprintf(out, " %s", cmd->args);
	for (d = optdescs; d < optdescs + ARRAY_SIZE(optdescs); d++) {
		if (cmd->opts & d->bit)
			fprintf(out, " [--%s%s%s]", d->name, d->arg ? " " : "",
				d->arg ?: "");
	}
	fputc('\n', out);
}

static void help(const struct command *cmd, FILE *out)
{
	const struct optdesc *d;
	char cell[32];

	synopsis(cmd, out);
	fprintf(out, "\n%s\n\nOptions:\n", cmd->description);
	for (d = optdescs; d < optdescs + ARRAY_SIZE(optdescs); d++) {
		if (!(cmd->opts & d->bit))
			continue;
		snprintf(cell, sizeof(cell), "-%c, --%s%s%s", d->letter,
			 d->name, d->arg ? " " : "", d->arg ?: "");
		fprintf(out, "  %-18s %s\n", cell, d->help);
	}
	fprintf(out, "  %-18s %s\n", "-h, --help", "show this help");
}

/* The usage line and where to learn more on stderr; the exit status of misuse. */
static int usage_error(const struct command *cmd)
{
	synopsis(cmd, stderr);
	fprintf(stderr, "Try '%s %s --help' for more information.\n", prog,
		cmd->name);
	return 2;
}

/* "shmpoolctl: CMD: message", then usage_error(). */
static __printf(2, 3) int misuse(const struct command *cmd, const char *fmt,
				 ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: ", prog, cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return usage_error(cmd);
}

/* Bytes, with an optional K, M or G suffix (powers of 1024). */
static bool parse_size(const char *s, unsigned long long *size)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (*s < '0' || *s > '9') /* strtoull() would take "-1" or " 1" */
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		break;
	case 'M':
	case 'm':
		shift = 20;
		break;
	case 'G':
	case 'g':
		shift = 30;
		break;
	case '\0':
		break;
	default:
		return false;
	}
	if (shift && end[1])
		return false;
	if (v > (unsigned long long)INT64_MAX >>
	    shift) /* an off_t must hold it */
		return false;
	*size = v << shift;
	return true;
}

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

static int version_run(const struct opts *o)
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

static FILE *open_debugfs_mode(const char *name, const char *mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), DEBUGFS "/%s", name);
	f = fopen(path, mode);
	if (!f) {
		report_errno("cannot read %s", path);
		fprintf(stderr,
			"%s: is the module loaded, debugfs mounted, are you root?\n",
			prog);
	}
	return f;
}

static FILE *open_debugfs(const char *name)
{
	return open_debugfs_mode(name, "r");
}

/* A debugfs file of "name value" lines as a table or one JSON object. */
static int show_stats(const struct opts *o, const char *file)
{
	char line[256], name[128], value[64];
	bool first = true;
	FILE *f;

	f = open_debugfs(file);
	if (!f)
		return 1;
	if (o->json)
		putchar('{');
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %63s", name, value) != 2)
			continue;
		if (o->json)
			printf("%s\"%s\": %s", first ? "" : ", ", name, value);
		else
			printf("%-24s %s\n", name, value);
		first = false;
	}
	if (o->json)
		puts("}");
	fclose(f);
	return 0;
}

/*
 * Before a view of --watch: clear the terminal (a table on a terminal
 * only: JSON and pipes get one view after the other).
 */
static void view_start(const struct opts *o)
{
	if (o->watch && !o->json && isatty(STDOUT_FILENO))
		fputs("\033[H\033[2J", stdout);
}

/* After a view: wait for the next one; false when there is none. */
static bool view_next(const struct opts *o, unsigned long *n)
{
	struct timespec ts;

	if (!o->watch || (o->count && ++*n >= o->count))
		return false;
	fflush(stdout);
	ts.tv_sec = (time_t)o->watch;
	ts.tv_nsec = (long)((o->watch - ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	return true;
}

static int stats_run(const struct opts *o)
{
	unsigned long n = 0;
	int ret;

	do {
		view_start(o);
		ret = show_stats(o, "stats");
	} while (!ret && view_next(o, &n));
	return ret;
}

static int swap_run(const struct opts *o)
{
	return show_stats(o, "swap");
}

/* Run one compaction and print what it did, as pool/compact says it. */
static int compact_run(const struct opts *o)
{
	FILE *f = open_debugfs_mode("pool/compact", "r+");
	char line[256], *tok;
	const char *quote;
	bool first = true;

	if (!f)
		return 1;
	if (fputs("1\n", f) == EOF || fflush(f) == EOF) {
		report_errno("compact");
		fclose(f);
		return 1;
	}
	rewind(f);
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	if (!o->json) {
		fputs(line, stdout);
		return 0;
	}
	/* key=value words; every value but result's is a number */
	line[strcspn(line, "\n")] = 0;
	for (tok = strtok(line, " "); tok; tok = strtok(NULL, " ")) {
		char *eq = strchr(tok, '=');

		if (!eq)
			continue;
		*eq = 0;
		quote = strcmp(tok, "result") ? "" : "\"";
		printf("%s\"%s\": %s%s%s", first ? "{" : ", ", tok, quote,
		       eq + 1, quote);
		first = false;
	}
	puts(first ? "{}" : "}");
	return 0;
}

#define JSON_EXTENT \
	"%s{\"pfn\": \"%s\", \"frames\": %lu, \"state\": \"%s\", \"order\": %u, \"owner\": %u, \"use\": \"%s\"}"

static int map_list(const struct opts *o)
{
	char line[256], pfn[64], state[16], use[16];
	unsigned long frames;
	unsigned int order, owner;
	bool first = true;
	FILE *f;

	f = open_debugfs("pool/map");
	if (!f)
		return 1;
	if (o->json)
		putchar('[');
	else
		printf("%-24s %8s %-8s %5s %6s %s\n", "PFN", "FRAMES", "STATE",
		       "ORDER", "OWNER", "USE");
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#') {
			if (!o->json)
				fputs(line, stdout);
			continue;
		}
		/* A module older than use= shows no use. */
		snprintf(use, sizeof(use), "-");
		if (sscanf(line,
			   "pfn=%63s frames=%lu state=%15s order=%u owner=%u use=%15s",
			   pfn, &frames, state, &order, &owner, use) < 5)
			continue;
		if (o->json)
			printf(JSON_EXTENT, first ? "" : ", ", pfn, frames,
			       state, order, owner, use);
		else
			printf("%-24s %8lu %-8s %5u %6u %s\n", pfn, frames,
			       state, order, owner, use);
		first = false;
	}
	if (o->json)
		puts("]");
	fclose(f);
	return 0;
}

/*
 * Append @elem, @size bytes, to the array *@v of *@n elements, growing it
 * (*@cap is its room); false, the array untouched, without memory.
 */
static bool append(void **v, long *n, long *cap, const void *elem, size_t size)
{
	if (*n == *cap) {
		long room = *cap ? 2 * *cap : 64;
		void *nv = realloc(*v, room * size);

		if (!nv)
			return false;
		*v = nv;
		*cap = room;
	}
	memcpy((char *)*v + *n * size, elem, size);
	(*n)++;
	return true;
}

/* One extent of the memory map, as pool/map gives it. */
struct extent {
	unsigned long frames;
	unsigned int owner;
	char state[16], use[16];
};

/* Read pool/map: its extents in *@ext (free() it); their number, or -1. */
static long read_map(struct extent **ext)
{
	char line[256], pfn[64];
	struct extent e, *v = NULL;
	long n = 0, cap = 0;
	unsigned int order;
	FILE *f;

	f = open_debugfs("pool/map");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		snprintf(e.use, sizeof(e.use), "-");
		if (sscanf(line,
			   "pfn=%63s frames=%lu state=%15s order=%u owner=%u use=%15s",
			   pfn, &e.frames, e.state, &order, &e.owner,
			   e.use) < 5)
			continue;
		if (!append((void **)&v, &n, &cap, &e, sizeof(e))) {
			free(v);
			fclose(f);
			report_errno("map");
			return -1;
		}
	}
	fclose(f);
	*ext = v;
	return n;
}

/* What a cell of the picture shows: a state, or a segment and its use. */
enum cell_kind { CELL_FREE, CELL_PCP, CELL_ISOLATED, CELL_LENT, CELL_USED };

struct cell {
	enum cell_kind kind;
	unsigned int owner;
	char use; /* 's'wappable, 'p'urgeable, 'P'inned, '-' */
};

static struct cell extent_cell(const struct extent *e)
{
	struct cell c = { CELL_USED, e->owner, '-' };

	if (!strcmp(e->state, "free"))
		c.kind = CELL_FREE;
	else if (!strcmp(e->state, "pcp"))
		c.kind = CELL_PCP;
	else if (!strcmp(e->state, "isolated"))
		c.kind = CELL_ISOLATED;
	else if (!strcmp(e->state, "lent"))
		c.kind = CELL_LENT;
	else if (!strcmp(e->use, "swappable"))
		c.use = 's';
	else if (!strcmp(e->use, "purgeable"))
		c.use = 'p';
	else if (!strcmp(e->use, "pinned"))
		c.use = 'P';
	if (c.kind != CELL_USED)
		c.owner = 0;
	return c;
}

static bool cell_eq(struct cell a, struct cell b)
{
	return a.kind == b.kind && a.owner == b.owner && a.use == b.use;
}

/*
 * The picture: @ncells cells of @per frames each, each showing what most
 * of its frames are.
 */
static struct cell *map_cells(const struct extent *ext, long n,
			      unsigned long per, unsigned long ncells)
{
	struct cell *cells = calloc(ncells, sizeof(*cells));
	struct {
		struct cell c;
		unsigned long n;
	} cand[8];
	unsigned long cell = 0, left = per, take;
	int ncand = 0, i, best;
	long k = 0;
	unsigned long rest = n ? ext[0].frames : 0;

	if (!cells)
		return NULL;
	while (k < n && cell < ncells) {
		struct cell c = extent_cell(&ext[k]);

		take = rest < left ? rest : left;
		for (i = 0; i < ncand && !cell_eq(cand[i].c, c); i++)
			;
		if (i == ncand && ncand < 8)
			cand[ncand++] = (typeof(cand[0])){ c, 0 };
		if (i < ncand)
			cand[i].n += take;
		rest -= take;
		left -= take;
		if (!rest && ++k < n)
			rest = ext[k].frames;
		if (!left || k == n) {
			for (best = 0, i = 1; i < ncand; i++)
				if (cand[i].n > cand[best].n)
					best = i;
			cells[cell++] = cand[best].c;
			ncand = 0;
			left = per;
		}
	}
	return cells;
}

/* The segments named in the picture, for its legend: id and name. */
struct legend {
	unsigned int owner[26];
	char name[26][40];
	int n;
};

/* The letter of segment @owner: a, b, ... in order of first appearance. */
static char owner_letter(struct legend *lg, unsigned int owner)
{
	int i;

	if (!owner)
		return '#';
	for (i = 0; i < lg->n; i++)
		if (lg->owner[i] == owner)
			return 'a' + i;
	if (lg->n == 26)
		return '*';
	lg->owner[lg->n] = owner;
	snprintf(lg->name[lg->n], sizeof(lg->name[0]), "-");
	return 'a' + lg->n++;
}

/* Fill in the legend's names from debugfs' segments. */
static void legend_names(struct legend *lg)
{
	char line[512], name[40];
	unsigned int id;
	FILE *f = fopen(DEBUGFS "/segments", "r");
	int i;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "id=%u name=%39s", &id, name) != 2)
			continue;
		for (i = 0; i < lg->n; i++)
			if (lg->owner[i] == id)
				snprintf(lg->name[i], sizeof(lg->name[0]), "%s",
					 name);
	}
	fclose(f);
}

static char cell_char(struct cell c, struct legend *lg, bool color)
{
	char ch;

	switch (c.kind) {
	case CELL_FREE:
		return '.';
	case CELL_PCP:
		return ',';
	case CELL_ISOLATED:
		return 'i';
	case CELL_LENT:
		return 'L';
	default:
		break;
	}
	ch = owner_letter(lg, c.owner);
	if (color || ch == '#' || ch == '*')
		return ch;
	/* Without colour: A-Z pinned, ~ purgeable, a-z swappable. */
	if (c.use == 'P')
		return ch - 'a' + 'A';
	return c.use == 'p' ? '~' : ch;
}

/* ANSI colours: by state, and for a segment's frames by their use. */
static const char *cell_color(struct cell c)
{
	switch (c.kind) {
	case CELL_FREE:
		return "\033[2m"; /* dim */
	case CELL_PCP:
		return "\033[36m"; /* cyan */
	case CELL_ISOLATED:
	case CELL_LENT:
		return "\033[35m"; /* magenta */
	default:
		break;
	}
	switch (c.use) {
	case 's':
		return "\033[1;32m"; /* green */
	case 'p':
		return "\033[1;33m"; /* yellow */
	case 'P':
		return "\033[1;31m"; /* red */
	default:
		return "\033[1;34m"; /* blue: not a segment's */
	}
}

static const char *cell_fill(struct cell c)
{
	switch (c.kind) {
	case CELL_FREE:
		return "#eeeeee";
	case CELL_PCP:
		return "#9ecae1";
	case CELL_ISOLATED:
	case CELL_LENT:
		return "#c994c7";
	default:
		break;
	}
	switch (c.use) {
	case 's':
		return "#74c476";
	case 'p':
		return "#fdd049";
	case 'P':
		return "#ef6548";
	default:
		return "#6baed6";
	}
}

#define MAP_COLS 64
#define MAP_MAX_ROWS 32
#define SVG_CELL 12

static int map_svg(const char *path, const struct cell *cells,
		   unsigned long ncells, unsigned long per, unsigned long total,
		   struct legend *lg)
{
	unsigned long rows = (ncells + MAP_COLS - 1) / MAP_COLS, i, run;
	int width = MAP_COLS * SVG_CELL + 20, height;
	FILE *f = fopen(path, "w");
	static const struct {
		const char *fill, *what;
	} keys[] = {
		{ "#eeeeee", "free (zeroed)" },
		{ "#9ecae1", "per-CPU cache" },
		{ "#74c476", "swappable" },
		{ "#fdd049", "purgeable" },
		{ "#ef6548", "pinned" },
		{ "#6baed6", "used, no segment" },
		{ "#c994c7", "isolated or lent" },
	};
	size_t k;
	int j;

	if (!f) {
		report_errno("cannot write %s", path);
		return 1;
	}
	height = 30 + rows * SVG_CELL + 30 +
		 16 * (int)(ARRAY_SIZE(keys) + lg->n);
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"monospace\" font-size=\"11\">\n",
		width, height);
	fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(f,
		"<text x=\"10\" y=\"18\">shmpool memory map: %lu frames, one cell = %lu frame%s</text>\n",
		total, per, per == 1 ? "" : "s");
	/* One rectangle per run of alike cells in a line, labelled once. */
	for (i = 0; i < ncells; i += run) {
		int x = 10 + (int)(i % MAP_COLS) * SVG_CELL;
		int y = 30 + (int)(i / MAP_COLS) * SVG_CELL;
		char ch = cell_char(cells[i], lg, true);

		run = 1;
		while (i + run < ncells && (i + run) % MAP_COLS &&
		       cell_eq(cells[i + run], cells[i]))
			run++;
		fprintf(f,
			"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"white\"/>",
			x, y, (int)run * SVG_CELL, SVG_CELL,
			cell_fill(cells[i]));
		if (cells[i].kind == CELL_USED && ch != '#')
			fprintf(f,
				"<text x=\"%d\" y=\"%d\" font-size=\"9\">%c</text>",
				x + 3, y + SVG_CELL - 3, ch);
		fputc('\n', f);
	}
	height = 30 + (int)rows * SVG_CELL + 20;
	for (k = 0; k < ARRAY_SIZE(keys); k++, height += 16) {
		fprintf(f,
			"<rect x=\"10\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>",
			height, keys[k].fill);
		fprintf(f, "<text x=\"26\" y=\"%d\">%s</text>\n", height + 9,
			keys[k].what);
	}
	for (j = 0; j < lg->n; j++, height += 16)
		fprintf(f,
			"<text x=\"10\" y=\"%d\">%c  segment %u (%s)</text>\n",
			height + 9, 'a' + j, lg->owner[j], lg->name[j]);
	fputs("</svg>\n", f);
	if (fclose(f)) {
		report_errno("cannot write %s", path);
		return 1;
	}
	return 0;
}

/* The memory map drawn: a grid of cells, a legend, and --svg. */
static int map_draw(const struct opts *o)
{
	unsigned long total = 0, per = 1, ncells, i;
	bool color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	struct legend lg = { .n = 0 };
	struct extent *ext;
	struct cell *cells;
	long n, k;
	int ret = 0, j;

	n = read_map(&ext);
	if (n < 0)
		return 1;
	for (k = 0; k < n; k++)
		total += ext[k].frames;
	while ((total + per - 1) / per > MAP_COLS * MAP_MAX_ROWS)
		per *= 2;
	/* At least one cell, so that an empty map is an empty picture. */
	ncells = (total + per - 1) / per ?: 1;
	cells = map_cells(ext, n, per, ncells);
	free(ext);
	if (!cells) {
		report_errno("map");
		return 1;
	}
	printf("%lu frames, one cell = %lu frame%s, in physical order\n", total,
	       per, per == 1 ? "" : "s");
	for (i = 0; i < ncells; i++) {
		char ch = cell_char(cells[i], &lg, color);

		if (!(i % MAP_COLS))
			printf("%8lu ", i * per);
		/* A colour where it changes, reset at each line's end. */
		if (color &&
		    (!(i % MAP_COLS) ||
		     strcmp(cell_color(cells[i]), cell_color(cells[i - 1]))))
			fputs(cell_color(cells[i]), stdout);
		putchar(ch);
		if (i % MAP_COLS == MAP_COLS - 1 || i == ncells - 1)
			fputs(color ? "\033[0m\n" : "\n", stdout);
	}
	legend_names(&lg);
	printf("\n. free (zeroed)  , per-CPU cache  i isolated  L lent  # used, no segment\n");
	if (color)
		printf("segments a-z: %sswappable%s %spurgeable%s %spinned%s\n",
		       "\033[1;32m", "\033[0m", "\033[1;33m", "\033[0m",
		       "\033[1;31m", "\033[0m");
	else
		printf("segments: a-z swappable, A-Z pinned, ~ purgeable\n");
	for (j = 0; j < lg.n; j++)
		printf("  %c  segment %u (%s)\n", 'a' + j, lg.owner[j],
		       lg.name[j]);
	if (o->svg)
		ret = map_svg(o->svg, cells, ncells, per, total, &lg);
	free(cells);
	return ret;
}

static int map_run(const struct opts *o)
{
	return o->json || o->list ? map_list(o) : map_draw(o);
}

/* One segment as top shows it, from debugfs' segments. */
struct top_seg {
	unsigned int id, uid, maps, files;
	char name[40];
	unsigned long long size, resident, swapped, faults;
	double rate;
};

static long read_segments(struct top_seg **segs)
{
	char line[512], *tok, *save;
	struct top_seg s, *v = NULL;
	long n = 0, cap = 0;
	FILE *f = open_debugfs("segments");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		memset(&s, 0, sizeof(s));
		for (tok = strtok_r(line, "\n ", &save); tok;
		     tok = strtok_r(NULL, "\n ", &save)) {
			char *eq = strchr(tok, '=');

			if (!eq)
				continue;
			*eq++ = 0;
			if (!strcmp(tok, "id"))
				s.id = strtoul(eq, NULL, 10);
			else if (!strcmp(tok, "name"))
				snprintf(s.name, sizeof(s.name), "%s", eq);
			else if (!strcmp(tok, "size"))
				s.size = strtoull(eq, NULL, 10);
			else if (!strcmp(tok, "resident"))
				s.resident = strtoull(eq, NULL, 10);
			else if (!strcmp(tok, "swapped"))
				s.swapped = strtoull(eq, NULL, 10);
			else if (!strcmp(tok, "faults"))
				s.faults = strtoull(eq, NULL, 10);
			else if (!strcmp(tok, "uid"))
				s.uid = strtoul(eq, NULL, 10);
			else if (!strcmp(tok, "maps"))
				s.maps = strtoul(eq, NULL, 10);
			else if (!strcmp(tok, "files"))
				s.files = strtoul(eq, NULL, 10);
		}
		if (!append((void **)&v, &n, &cap, &s, sizeof(s))) {
			free(v);
			fclose(f);
			report_errno("top");
			return -1;
		}
	}
	fclose(f);
	*segs = v;
	return n;
}

static const char *top_sort = "resident";

#define JSON_TOP_SEG                                                \
	"%s{\"id\": %u, \"name\": \"%s\", \"size\": %llu, "         \
	"\"resident\": %llu, \"swapped\": %llu, \"faults\": %llu, " \
	"\"faults_per_sec\": %.1f, \"maps\": %u, \"files\": %u, "   \
	"\"uid\": %u}"

static int top_cmp(const void *a, const void *b)
{
	const struct top_seg *x = a, *y = b;

	if (!strcmp(top_sort, "faults")) {
		if (x->rate != y->rate)
			return x->rate < y->rate ? 1 : -1;
	} else if (!strcmp(top_sort, "swapped")) {
		if (x->swapped != y->swapped)
			return x->swapped < y->swapped ? 1 : -1;
	} else if (x->resident != y->resident) {
		return x->resident < y->resident ? 1 : -1;
	}
	return x->id < y->id ? -1 : x->id > y->id;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Segments by resident memory (or swapped, or fault rate), refreshing. */
static int top_run(const struct opts *o)
{
	struct top_seg *cur = NULL, *prev = NULL;
	long ncur, nprev = 0, i, j;
	double t, tprev = 0;
	struct opts v = *o;
	unsigned long n = 0;
	long ps = sysconf(_SC_PAGESIZE);

	if (!v.watch)
		v.watch = 2;
	if (o->sort)
		top_sort = o->sort;
	do {
		ncur = read_segments(&cur);
		t = now();
		if (ncur < 0) {
			free(prev);
			return 1;
		}
		for (i = 0; i < ncur; i++) {
			cur[i].rate = 0;
			for (j = 0; j < nprev && prev; j++)
				/* An id reused meanwhile starts again. */
				if (prev[j].id == cur[i].id && t > tprev &&
				    cur[i].faults >= prev[j].faults)
					cur[i].rate = (cur[i].faults -
						       prev[j].faults) /
						      (t - tprev);
		}
		qsort(cur, ncur, sizeof(*cur), top_cmp);
		view_start(&v);
		if (o->json) {
			putchar('[');
			for (i = 0; i < ncur; i++)
				printf(JSON_TOP_SEG, i ? ", " : "", cur[i].id,
				       cur[i].name, cur[i].size,
				       cur[i].resident, cur[i].swapped,
				       cur[i].faults, cur[i].rate, cur[i].maps,
				       cur[i].files, cur[i].uid);
			puts("]");
		} else {
			printf("%d segments, sorted by %s; every %.1f s\n",
			       (int)ncur, top_sort, v.watch);
			printf("%6s %-20s %10s %10s %10s %9s %5s %5s %6s\n",
			       "ID", "NAME", "SIZE_KB", "RES_KB", "SWAP_KB",
			       "FAULTS/s", "MAPS", "FILES", "UID");
			for (i = 0; i < ncur; i++)
				printf("%6u %-20s %10llu %10llu %10llu %9.1f %5u %5u %6u\n",
				       cur[i].id, cur[i].name,
				       cur[i].size >> 10,
				       cur[i].resident * ps >> 10,
				       cur[i].swapped * ps >> 10, cur[i].rate,
				       cur[i].maps, cur[i].files, cur[i].uid);
		}
		free(prev);
		prev = cur;
		nprev = ncur;
		cur = NULL;
		tprev = t;
	} while (view_next(&v, &n));
	free(prev);
	return 0;
}

static int create_run(const struct opts *o)
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

static int list_run(const struct opts *o)
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

static int info_run(const struct opts *o)
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

static int write_run(const struct opts *o)
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

static int read_run(const struct opts *o)
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

static int seal_run(const struct opts *o)
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

static int resize_run(const struct opts *o)
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
static int range_run(const struct opts *o)
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

static int unlink_run(const struct opts *o)
{
	struct shmpool_unlink u;

	if (set_name(u.name, o->args[0]) < 0) {
		report_errno("unlink %s", o->args[0]);
		return 1;
	}
	return dev_ioctl(SHMPOOL_IOC_UNLINK, &u, "unlink", o->args[0]) < 0;
}

static int give_run(const struct opts *o)
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

static int open_run(const struct opts *o)
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

static int accept_run(const struct opts *o)
{
	return seg_ioctl(o->args[0], 0, SHMPOOL_SEG_IOC_ACCEPT, NULL,
			 "accept") < 0;
}

#define CREATE_OPTS                                                        \
	(OPT_MODE | OPT_PROT | OPT_CACHE | OPT_POPULATE | OPT_OVERCOMMIT | \
	 OPT_NOSWAP | OPT_HUGE | OPT_JSON)

static const struct command commands[] = {
	{ "version", "", 0, 0, OPT_JSON, "show the module's interface version",
	  "Show the interface version of the loaded module, its frame size\n"
	  "and the largest buddy order it allocates (JSON: abi, page_size,\n"
	  "max_order).",
	  version_run },
	{ "stats", "", 0, 0, OPT_JSON | OPT_WATCH | OPT_COUNT,
	  "show every statistic",
	  "Show every counter (" DEBUGFS "/stats): the pool's size, free\n"
	  "blocks and fragmentation index per order, per-CPU caches, reclaim,\n"
	  "swap and compaction, faults, segments and each user's share.\n"
	  "--watch SEC shows them again every SEC seconds (the terminal\n"
	  "cleared; with --json, one object per line).  JSON: one object,\n"
	  "name: value.  Needs root (debugfs).",
	  stats_run },
	{ "map", "", 0, 0, OPT_JSON | OPT_LIST | OPT_SVG,
	  "draw the pool's memory map",
	  "Draw the pool's memory map (" DEBUGFS "/pool/map): a grid of\n"
	  "cells in physical order, each a power-of-two number of frames\n"
	  "showing what most of them are: . free, , per-CPU cache, or a\n"
	  "letter per segment, coloured green (swappable), yellow\n"
	  "(purgeable) or red (pinned); without colour (not a terminal, or\n"
	  "NO_COLOR set) a-z swappable, ~ purgeable, A-Z pinned.  A legend\n"
	  "names the segments.  --svg FILE writes the same picture as SVG.\n"
	  "--list prints the extents instead, one line per run of frames with\n"
	  "the same state, order, owner and use; --json as an array.\n"
	  "Physical frame numbers only for CAP_SYS_ADMIN.",
	  map_run },
	{ "top", "", 0, 0, OPT_JSON | OPT_WATCH | OPT_COUNT | OPT_SORT,
	  "show the segments, busiest first, refreshing",
	  "Show the segments (" DEBUGFS "/segments) sorted by resident\n"
	  "memory (--sort resident), pages swapped out (swapped) or page\n"
	  "faults per second since the last view (faults; 0 in the first),\n"
	  "every 2 seconds or --watch SEC, until interrupted or --count N\n"
	  "views.  Columns: ID, NAME, SIZE_KB, RES_KB, SWAP_KB, FAULTS/s, MAPS,\n"
	  "FILES, UID.  JSON: one array of objects per view, one per line.\n"
	  "Needs root (debugfs).",
	  top_run },
	{ "swap", "", 0, 0, OPT_JSON, "show reclaim and the swap area",
	  "Show what reclaim and the swap area have done (" DEBUGFS "/swap):\n"
	  "slots in use and the limit, pages swapped out and in and the time\n"
	  "it took, and the clock sweep's counters.  JSON: one object, name:\n"
	  "value.  Needs root (debugfs).",
	  swap_run },
	{ "compact", "", 0, 0, OPT_JSON, "compact the pool",
	  "Move frames in use out of the most nearly free chunk so that it\n"
	  "becomes one free order-9 block, and print what was done: the\n"
	  "order-9 fragmentation index before and after, frames moved and\n"
	  "frames that could not be (" DEBUGFS "/pool/compact).  JSON: one\n"
	  "object with those keys.  Needs root.",
	  compact_run },
	{ "create", "NAME SIZE", 2, 2, CREATE_OPTS,
	  "create a persistent named segment",
	  "Create a segment NAME of SIZE bytes (K, M and G multiply by 1024;\n"
	  "a multiple of the page size) that lives until 'unlink', and print\n"
	  "its id (JSON: id, name, size).  Without --overcommit it must fit in\n"
	  "the free pool.",
	  create_run },
	{ "list", "", 0, 0, OPT_JSON, "list the named segments",
	  "List the named segments you could open: id, name, size in bytes,\n"
	  "resident frames, owner, group, mode, maximum protections, seals,\n"
	  "cache mode and number of mappings.  JSON: an array of the objects\n"
	  "'info --json' prints.",
	  list_run },
	{ "open", "NAME -- COMMAND [ARG...]", 2, -1, OPT_WRITE,
	  "run a command with a segment open on fd 3",
	  "Open segment NAME (read-only, or read-write with --write) and run\n"
	  "COMMAND with it on fd 3, so that plain tools work on it through\n"
	  "redirections (a segment cannot be reopened through /dev/fd/3):\n"
	  "  shmpoolctl open --write NAME -- sh -c 'dd if=img bs=64K >&3'\n"
	  "  shmpoolctl open NAME -- sh -c 'cat <&3'",
	  open_run },
	{ "info", "NAME", 1, 1, OPT_JSON, "describe a segment",
	  "Describe segment NAME, one 'key value' line each: id, name, size\n"
	  "(bytes), resident, swapped, purgeable and purged (pages), uid,\n"
	  "owner, gid, group, mode, prot, fd_prot (of a read-only fd), seals,\n"
	  "cache, maps, persist, offered_uid, overcommit, noswap and huge.\n"
	  "JSON: one object with those keys; mode is a string (\"0600\"),\n"
	  "seals an array of names, persist, overcommit, noswap and huge\n"
	  "booleans, offered_uid null unless the segment is offered.",
	  info_run },
	{ "write", "NAME", 1, 1, OPT_OFFSET, "copy stdin into a segment",
	  "Copy stdin into segment NAME.  Writes never grow a segment: input\n"
	  "longer than the room left fails with ENOSPC after filling it.",
	  write_run },
	{ "read", "NAME", 1, 1, OPT_OFFSET | OPT_LENGTH,
	  "copy a segment to stdout",
	  "Copy segment NAME, or part of it, to stdout.", read_run },
	{ "seal", "NAME SEAL...", 2, -1, 0, "add seals to a segment",
	  "Add seals to segment NAME, as fcntl(F_ADD_SEALS) does to a memfd;\n"
	  "they cannot be removed.  SEAL is one of: seal (no further seals),\n"
	  "shrink, grow (no resize smaller, larger), write (no writes nor\n"
	  "writable shared mappings), future-write (no new ones).",
	  seal_run },
	{ "resize", "NAME SIZE", 2, 2, 0, "change a segment's size",
	  "Change the size of segment NAME to SIZE bytes (K, M and G multiply\n"
	  "by 1024; a multiple of the page size).",
	  resize_run },
	{ "unpin", "NAME", 1, 1, OPT_OFFSET | OPT_LENGTH,
	  "let pressure purge a segment's pages",
	  "Unpin segment NAME, or --length bytes of it from --offset: under\n"
	  "memory pressure its pages may then be dropped (they read back as\n"
	  "zeroes) rather than swapped out.  Page-aligned.",
	  range_run },
	{ "pin", "NAME", 1, 1, OPT_OFFSET | OPT_LENGTH,
	  "pin an unpinned range again",
	  "Pin segment NAME, or --length bytes of it from --offset, again, and\n"
	  "print 'purged' if pressure dropped any of its pages meanwhile, else\n"
	  "'kept'.",
	  range_run },
	{ "unlink", "NAME", 1, 1, 0, "remove a segment's name",
	  "Remove the name NAME.  The segment goes, with its frames, when the\n"
	  "last fd and mapping of it go.  Only its owner may unlink it.",
	  unlink_run },
	{ "give", "NAME USER [GROUP]", 2, 3, 0,
	  "offer a segment to another user",
	  "Offer segment NAME to USER (a name or a number); it moves to USER\n"
	  "and GROUP (default: USER's login group) when USER runs 'accept'.\n"
	  "Only the owner may give.",
	  give_run },
	{ "accept", "NAME", 1, 1, 0, "take a segment offered to you",
	  "Take ownership of segment NAME, offered to you with 'give': its\n"
	  "owner, group and frame charge move to you.",
	  accept_run },
};

/* Returns -1 to run the command, else the exit status. */
static int parse_opts(const struct command *cmd, int argc, char **argv,
		      struct opts *o)
{
	struct option lopts[ARRAY_SIZE(optdescs) + 2] = {};
	char sopts[2 * ARRAY_SIZE(optdescs) + 2] = "h", *s = sopts + 1;
	const struct optdesc *d;
	static char argv0[32]; /* stays argv[0] */
	int n = 0, c;

	for (d = optdescs; d < optdescs + ARRAY_SIZE(optdescs); d++) {
		if (!(cmd->opts & d->bit))
			continue;
		lopts[n++] = (struct option){ d->name,
					      d->arg ? required_argument :
						       no_argument,
					      NULL, d->letter };
		*s++ = d->letter;
		if (d->arg)
			*s++ = ':';
	}
	lopts[n] = (struct option){ "help", no_argument, NULL, 'h' };

	*o = (struct opts){
		.cmd = cmd,
		.mode = 0600,
		.prot = SHMPOOL_PROT_READ | SHMPOOL_PROT_WRITE,
		.cache = SHMPOOL_CACHE_WB,
	};
	/* getopt's messages begin "shmpoolctl CMD: " */
	snprintf(argv0, sizeof(argv0), "%s %s", prog, cmd->name);
	argv[0] = argv0;
	optind = 1;
	while ((c = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		unsigned long v;
		char *end;

		switch (c) {
		case 'h':
			help(cmd, stdout);
			return 0;
		case 'j':
			o->json = true;
			break;
		case 'P':
			o->populate = true;
			break;
		case 'O':
			o->overcommit = true;
			break;
		case 'N':
			o->noswap = true;
			break;
		case 'H':
			o->huge = true;
			break;
		case 'w':
			o->write = true;
			break;
		case 'L':
			o->list = true;
			break;
		case 's':
			o->svg = optarg;
			break;
		case 'S':
			if (strcmp(optarg, "resident") &&
			    strcmp(optarg, "swapped") &&
			    strcmp(optarg, "faults"))
				return misuse(cmd, "invalid sort key '%s'",
					      optarg);
			o->sort = optarg;
			break;
		case 'W':
			errno = 0;
			o->watch = strtod(optarg, &end);
			if (*end || errno ||
			    !(o->watch >= 0.1 && o->watch <= 3600))
				return misuse(cmd, "invalid interval '%s'",
					      optarg);
			break;
		case 'n':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (*optarg < '1' || *optarg > '9' || *end || errno)
				return misuse(cmd, "invalid count '%s'",
					      optarg);
			o->count = v;
			break;
		case 'm':
			errno = 0;
			v = strtoul(optarg, &end, 8);
			if (*optarg < '0' || *optarg > '7' || *end || errno ||
			    v > 0777)
				return misuse(cmd, "invalid mode '%s' (octal)",
					      optarg);
			o->mode = v;
			break;
		case 'p':
			if (!name_to_val(prots, ARRAY_SIZE(prots), optarg,
					 &o->prot))
				return misuse(cmd, "invalid protections '%s'",
					      optarg);
			break;
		case 'c':
			if (!name_to_val(caches, ARRAY_SIZE(caches), optarg,
					 &o->cache))
				return misuse(cmd, "invalid cache mode '%s'",
					      optarg);
			break;
		case 'o':
			if (!parse_size(optarg, &o->offset))
				return misuse(cmd, "invalid offset '%s'",
					      optarg);
			break;
		case 'l':
			if (!parse_size(optarg, &o->length))
				return misuse(cmd, "invalid length '%s'",
					      optarg);
			o->has_length = true;
			break;
		default: /* getopt said what */
			return usage_error(cmd);
		}
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	if (o->nargs < cmd->min_args ||
	    (cmd->max_args >= 0 && o->nargs > cmd->max_args))
		return misuse(cmd, o->nargs < cmd->min_args ?
					   "missing arguments" :
					   "too many arguments");
	return -1;
}

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "Usage: %s COMMAND [OPTIONS]\n\nCommands:\n", prog);
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out, "\n'%s COMMAND --help' describes one command.\n", prog);
}

int main(int argc, char **argv)
{
	struct opts o;
	size_t i;
	int ret;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		ret = parse_opts(&commands[i], argc - 1, argv + 1, &o);
		return ret >= 0 ? ret : commands[i].run(&o);
	}
	fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
	usage(stderr);
	return 2;
}
