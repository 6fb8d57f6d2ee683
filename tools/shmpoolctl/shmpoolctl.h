/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shmpoolctl: what its files share.  shmpoolctl.c holds main(), the
 * command table and the options; segment.c the device and its segments;
 * stats.c the statistics views; map.c the memory map; output.c the
 * tables and JSON, through libsmartcols.
 */
#ifndef SHMPOOLCTL_H
#define SHMPOOLCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <libsmartcols.h>
#include <linux/shmpool.h>

#define DEV_PATH "/dev/shmpool"
#define DEBUGFS "/sys/kernel/debug/shmpool"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define __printf(a, b) __attribute__((format(printf, a, b)))

extern const char *prog;

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
	OPT_RAW = 1 << 16,
	OPT_OUTPUT = 1 << 17,
	OPT_NOHEADINGS = 1 << 18,
	OPT_COLOR = 1 << 19,
};

/* The options of every command that prints a table. */
#define TABLE_OPTS \
	(OPT_JSON | OPT_RAW | OPT_OUTPUT | OPT_NOHEADINGS | OPT_COLOR)

struct command;

/* What main() parsed for a command. */
struct opts {
	const struct command *cmd;
	char **args; /* the positional arguments */
	int nargs;
	bool json, populate, has_length, write, overcommit, noswap, huge, list;
	bool raw, noheadings;
	bool color; /* --color, or auto: stdout a terminal, NO_COLOR unset */
	const char *columns; /* --output: names, comma-separated */
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

extern const struct name_val prots[4], caches[3], seals[5];

bool name_to_val(const struct name_val *t, size_t n, const char *name,
		 unsigned int *val);
const char *val_to_name(const struct name_val *t, size_t n, unsigned int val);

/* Messages and misuse (shmpoolctl.c) */
__printf(1, 2) void report_errno(const char *fmt, ...);
__printf(2, 3) int misuse(const struct command *cmd, const char *fmt, ...);
bool parse_size(const char *s, unsigned long long *size);
bool append(void **v, long *n, long *cap, const void *elem, size_t size);
FILE *open_debugfs_mode(const char *name, const char *mode);
FILE *open_debugfs(const char *name);

/*
 * A column a command can show: its name heads it and, lower-cased, is its
 * JSON key; @whint, @flags and @json_type are libsmartcols' (width hint,
 * SCOLS_FL_*, SCOLS_JSON_*); @dflt: shown without --output.
 */
struct coldesc {
	const char *name;
	double whint;
	int flags;
	int json_type;
	bool dflt;
};

/*
 * A table being filled (output.c).  @shown maps each of @cols to its
 * column in @tb, -1 when not shown; @ln is the line being filled.  The
 * table owns @tb, @shown and every cell's data until table_print().
 */
struct table {
	struct libscols_table *tb;
	struct libscols_line *ln;
	const struct opts *o;
	const struct coldesc *cols;
	size_t ncols;
	int *shown;
	int nshown;
};

int table_init(struct table *t, const struct opts *o, const char *name,
	       const struct coldesc *cols, size_t ncols, bool all);
void table_new_line(struct table *t);
__printf(3, 4) void table_set(struct table *t, size_t col, const char *fmt,
			      ...);
void table_set_color(struct table *t, const char *seq);
int table_print(struct table *t, bool record);
void table_free(struct table *t);

/* The commands */
int version_run(const struct opts *o);
int create_run(const struct opts *o);
int list_run(const struct opts *o);
int info_run(const struct opts *o);
int write_run(const struct opts *o);
int read_run(const struct opts *o);
int seal_run(const struct opts *o);
int resize_run(const struct opts *o);
int range_run(const struct opts *o);
int unlink_run(const struct opts *o);
int give_run(const struct opts *o);
int open_run(const struct opts *o);
int accept_run(const struct opts *o);
int stats_run(const struct opts *o);
int swap_run(const struct opts *o);
int compact_run(const struct opts *o);
int top_run(const struct opts *o);
int map_run(const struct opts *o);

#endif /* SHMPOOLCTL_H */
