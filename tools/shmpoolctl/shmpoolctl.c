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
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shmpoolctl.h"

const char *prog = "shmpoolctl";

/*
 * Every option, each a bit of a command's opts.  A letter is unique among
 * the options of one command, not of all: -o is --offset to the commands
 * that copy and --output to those that print a table.
 */
static const struct optdesc {
	unsigned int bit;
	const char *name;
	int letter; /* 0: a long option only */
	const char *arg; /* metavariable, NULL for a flag; "[=ARG]": optional */
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
	{ OPT_RAW, "raw", 'r', NULL, "print the table unaligned" },
	{ OPT_OUTPUT, "output", 'o', "COLUMNS",
	  "show these columns (names, comma-separated)" },
	{ OPT_NOHEADINGS, "noheadings", 0, NULL,
	  "leave out the headings (the names of the values)" },
	{ OPT_COLOR, "color", 0, "[=WHEN]",
	  "colour: auto (on a terminal, the default), always or never" },
};

const struct name_val prots[4] = {
	{ "r", SHMPOOL_PROT_READ },
	{ "rw", SHMPOOL_PROT_READ | SHMPOOL_PROT_WRITE },
	{ "rx", SHMPOOL_PROT_READ | SHMPOOL_PROT_EXEC },
	{ "rwx", SHMPOOL_PROT_ALL },
};

const struct name_val caches[3] = {
	{ "wb", SHMPOOL_CACHE_WB },
	{ "wc", SHMPOOL_CACHE_WC },
	{ "uc", SHMPOOL_CACHE_UC },
};

/* F_SEAL_* bits, in the order they are shown. */
const struct name_val seals[5] = {
	{ "seal", F_SEAL_SEAL },
	{ "shrink", F_SEAL_SHRINK },
	{ "grow", F_SEAL_GROW },
	{ "write", F_SEAL_WRITE },
	{ "future-write", F_SEAL_FUTURE_WRITE },
};

bool name_to_val(const struct name_val *t, size_t n, const char *name,
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

const char *val_to_name(const struct name_val *t, size_t n, unsigned int val)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (t[i].val == val)
			return t[i].name;
	}
	return "?";
}

/* Name the operation, the message and the errno's symbol: "... (EACCES)". */
__printf(1, 2) void report_errno(const char *fmt, ...)
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

/* What separates an option from its argument in a synopsis. */
static const char *arg_sep(const struct optdesc *d)
{
	return d->arg && d->arg[0] != '[' ? " " : "";
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
			fprintf(out, " [--%s%s%s]", d->name, arg_sep(d),
				d->arg ?: "");
	}
	fputc('\n', out);
}

static void help(const struct command *cmd, FILE *out)
{
	const struct optdesc *d;
	char cell[40];

	synopsis(cmd, out);
	fprintf(out, "\n%s\n\nOptions:\n", cmd->description);
	for (d = optdescs; d < optdescs + ARRAY_SIZE(optdescs); d++) {
		if (!(cmd->opts & d->bit))
			continue;
		/* "-o, --output COLUMNS", "    --color[=WHEN]" */
		snprintf(cell, sizeof(cell), "%c%c%s--%s%s%s",
			 d->letter ? '-' : ' ', d->letter ?: ' ',
			 d->letter ? ", " : "  ", d->name, arg_sep(d),
			 d->arg ?: "");
		fprintf(out, "  %-20s %s\n", cell, d->help);
	}
	fprintf(out, "  %-20s %s\n", "-h, --help", "show this help");
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
__printf(2, 3) int misuse(const struct command *cmd, const char *fmt, ...)
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
bool parse_size(const char *s, unsigned long long *size)
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

/*
 * Append @elem, @size bytes, to the array *@v of *@n elements, growing it
 * (*@cap is its room); false, the array untouched, without memory.
 */
bool append(void **v, long *n, long *cap, const void *elem, size_t size)
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

FILE *open_debugfs_mode(const char *name, const char *mode)
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

FILE *open_debugfs(const char *name)
{
	return open_debugfs_mode(name, "r");
}

#define CREATE_OPTS                                                        \
	(OPT_MODE | OPT_PROT | OPT_CACHE | OPT_POPULATE | OPT_OVERCOMMIT | \
	 OPT_NOSWAP | OPT_HUGE | OPT_JSON)

/*
 * Every table and record is libsmartcols' (output.c): --json prints
 * {"NAME": [objects]}, the keys the column names in lower case.
 */
static const struct command commands[] = {
	{ "version", "", 0, 0, TABLE_OPTS,
	  "show the module's interface version",
	  "Show the interface version of the loaded module, its frame size\n"
	  "and the largest buddy order it allocates, one 'key value' line each\n"
	  "(columns ABI, PAGE_SIZE, MAX_ORDER; JSON: {\"version\": [{...}]}).",
	  version_run },
	{ "stats", "", 0, 0, TABLE_OPTS | OPT_WATCH | OPT_COUNT,
	  "show every statistic",
	  "Show every counter (" DEBUGFS "/stats): the pool's size, free\n"
	  "blocks and fragmentation index per order, per-CPU caches, reclaim,\n"
	  "swap and compaction, faults, segments and each user's share, one\n"
	  "'name value' line each; --output picks counters by name.  --watch\n"
	  "SEC shows them again every SEC seconds (the terminal cleared; with\n"
	  "--json, each view on one line).  JSON: {\"stats\": [{name: value,\n"
	  "...}]}, every value a number.  Needs root (debugfs).",
	  stats_run },
	{ "map", "", 0, 0, TABLE_OPTS | OPT_LIST | OPT_SVG,
	  "draw the pool's memory map",
	  "Draw the pool's memory map (" DEBUGFS "/pool/map): a grid of\n"
	  "cells in physical order, each a power-of-two number of frames\n"
	  "showing what most of them are: . free, , per-CPU cache, or a\n"
	  "letter per segment, coloured green (swappable), yellow\n"
	  "(purgeable) or red (pinned); without colour (not a terminal,\n"
	  "NO_COLOR set, or --color=never) a-z swappable, ~ purgeable, A-Z\n"
	  "pinned.  A legend names the segments.  --svg FILE writes the same\n"
	  "picture as SVG.  --list (or --json, --raw, --output, --noheadings)\n"
	  "prints the extents instead, one line per run of frames with the same\n"
	  "state, order, owner and use: columns PFN, FRAMES, STATE, ORDER,\n"
	  "OWNER, USE; JSON: {\"map\": [...]}.  Physical frame numbers only\n"
	  "for CAP_SYS_ADMIN.",
	  map_run },
	{ "top", "", 0, 0, TABLE_OPTS | OPT_WATCH | OPT_COUNT | OPT_SORT,
	  "show the segments, busiest first, refreshing",
	  "Show the segments (" DEBUGFS "/segments) sorted by resident\n"
	  "memory (--sort resident), pages swapped out (swapped) or page\n"
	  "faults per second since the last view (faults; 0 in the first),\n"
	  "every 2 seconds or --watch SEC, until interrupted or --count N\n"
	  "views.  Columns: ID, NAME, SIZE (bytes), RESIDENT, SWAPPED (pages),\n"
	  "FAULTS (since creation; not shown by default), FAULTS_PER_SEC, MAPS,\n"
	  "FILES, UID.  JSON: every column, {\"segments\": [...]}, one view a\n"
	  "line.  Needs root (debugfs).",
	  top_run },
	{ "swap", "", 0, 0, TABLE_OPTS, "show reclaim and the swap area",
	  "Show what reclaim and the swap area have done (" DEBUGFS "/swap):\n"
	  "slots in use and the limit, pages swapped out and in and the time\n"
	  "it took, and the clock sweep's counters, one 'name value' line\n"
	  "each.  JSON: {\"swap\": [{name: value, ...}]}.  Needs root\n"
	  "(debugfs).",
	  swap_run },
	{ "compact", "", 0, 0, TABLE_OPTS, "compact the pool",
	  "Move frames in use out of the most nearly free chunk so that it\n"
	  "becomes one free order-9 block, and print what was done, one 'name\n"
	  "value' line each: the result, the order-9 fragmentation index before\n"
	  "and after, frames moved and frames that could not be\n"
	  "(" DEBUGFS "/pool/compact).  JSON: {\"compact\": [{...}]}.\n"
	  "Needs root.",
	  compact_run },
	{ "create", "NAME SIZE", 2, 2, CREATE_OPTS,
	  "create a persistent named segment",
	  "Create a segment NAME of SIZE bytes (K, M and G multiply by 1024;\n"
	  "a multiple of the page size) that lives until 'unlink', and print\n"
	  "its id (JSON: {\"segments\": [{id, name, size}]}).  Without\n"
	  "--overcommit it must fit in the free pool.",
	  create_run },
	{ "list", "", 0, 0, TABLE_OPTS, "list the named segments",
	  "List the named segments you could open: id, name, size in bytes,\n"
	  "resident frames, owner, group, mode, maximum protections, seals,\n"
	  "cache mode and number of mappings (columns ID, NAME, SIZE,\n"
	  "RESIDENT, OWNER, GROUP, MODE, PROT, SEALS, CACHE, MAPS; --output\n"
	  "takes any of 'info'). JSON: every column of 'info', {\"segments\":\n"
	  "[...]}.",
	  list_run },
	{ "open", "NAME -- COMMAND [ARG...]", 2, -1, OPT_WRITE,
	  "run a command with a segment open on fd 3",
	  "Open segment NAME (read-only, or read-write with --write) and run\n"
	  "COMMAND with it on fd 3, so that plain tools work on it through\n"
	  "redirections (a segment cannot be reopened through /dev/fd/3):\n"
	  "  shmpoolctl open --write NAME -- sh -c 'dd if=img bs=64K >&3'\n"
	  "  shmpoolctl open NAME -- sh -c 'cat <&3'",
	  open_run },
	{ "info", "NAME", 1, 1, TABLE_OPTS, "describe a segment",
	  "Describe segment NAME, one 'key value' line each: id, name, size\n"
	  "(bytes), resident, swapped, purgeable and purged (pages), uid,\n"
	  "owner, gid, group, mode, prot, fd_prot (of a read-only fd), seals,\n"
	  "cache, maps, persist, offered_uid, overcommit, noswap and huge\n"
	  "(the columns, upper-cased).  JSON: {\"segments\": [{...}]} with\n"
	  "those keys; mode is a string (\"0600\"), seals an array of names,\n"
	  "persist, overcommit, noswap and huge booleans, offered_uid null\n"
	  "unless the segment is offered.",
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
/* getopt_long()'s value for a long option without a letter. */
#define LONG_ONLY 0x100

/* The option of @cmd that getopt_long() returned @c for, or NULL. */
static const struct optdesc *find_opt(const struct command *cmd, int c)
{
	const struct optdesc *d;

	for (d = optdescs; d < optdescs + ARRAY_SIZE(optdescs); d++) {
		if ((cmd->opts & d->bit) &&
		    (d->letter ? d->letter == c :
				 c == LONG_ONLY + (int)(d - optdescs)))
			return d;
	}
	return NULL;
}

static int parse_opts(const struct command *cmd, int argc, char **argv,
		      struct opts *o)
{
	struct option lopts[ARRAY_SIZE(optdescs) + 2] = {};
	char sopts[2 * ARRAY_SIZE(optdescs) + 2] = "h", *s = sopts + 1;
	const struct optdesc *d;
	static char argv0[32]; /* stays argv[0] */
	const char *when;
	int n = 0, c;

	/* getopt_long() returns the letter, or for a long option only its
	 * index in optdescs above any character.
	 */
	for (d = optdescs; d < optdescs + ARRAY_SIZE(optdescs); d++) {
		if (!(cmd->opts & d->bit))
			continue;
		lopts[n++] = (struct option){
			d->name,
			!d->arg		 ? no_argument :
			d->arg[0] == '[' ? optional_argument :
					   required_argument,
			NULL, d->letter ?: LONG_ONLY + (int)(d - optdescs)
		};
		if (!d->letter)
			continue;
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
	when = "auto";
	/* getopt's messages begin "shmpoolctl CMD: " */
	snprintf(argv0, sizeof(argv0), "%s %s", prog, cmd->name);
	argv[0] = argv0;
	optind = 1;
	while ((c = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		unsigned long v;
		char *end;

		if (c == 'h') {
			help(cmd, stdout);
			return 0;
		}
		d = find_opt(cmd, c);
		if (!d) /* getopt said what */
			return usage_error(cmd);
		switch (d->bit) {
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_POPULATE:
			o->populate = true;
			break;
		case OPT_OVERCOMMIT:
			o->overcommit = true;
			break;
		case OPT_NOSWAP:
			o->noswap = true;
			break;
		case OPT_HUGE:
			o->huge = true;
			break;
		case OPT_WRITE:
			o->write = true;
			break;
		case OPT_LIST:
			o->list = true;
			break;
		case OPT_SVG:
			o->svg = optarg;
			break;
		case OPT_SORT:
			if (strcmp(optarg, "resident") &&
			    strcmp(optarg, "swapped") &&
			    strcmp(optarg, "faults"))
				return misuse(cmd, "invalid sort key '%s'",
					      optarg);
			o->sort = optarg;
			break;
		case OPT_WATCH:
			errno = 0;
			o->watch = strtod(optarg, &end);
			if (*end || errno ||
			    !(o->watch >= 0.1 && o->watch <= 3600))
				return misuse(cmd, "invalid interval '%s'",
					      optarg);
			break;
		case OPT_COUNT:
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (*optarg < '1' || *optarg > '9' || *end || errno)
				return misuse(cmd, "invalid count '%s'",
					      optarg);
			o->count = v;
			break;
		case OPT_MODE:
			errno = 0;
			v = strtoul(optarg, &end, 8);
			if (*optarg < '0' || *optarg > '7' || *end || errno ||
			    v > 0777)
				return misuse(cmd, "invalid mode '%s' (octal)",
					      optarg);
			o->mode = v;
			break;
		case OPT_PROT:
			if (!name_to_val(prots, ARRAY_SIZE(prots), optarg,
					 &o->prot))
				return misuse(cmd, "invalid protections '%s'",
					      optarg);
			break;
		case OPT_CACHE:
			if (!name_to_val(caches, ARRAY_SIZE(caches), optarg,
					 &o->cache))
				return misuse(cmd, "invalid cache mode '%s'",
					      optarg);
			break;
		case OPT_OFFSET:
			if (!parse_size(optarg, &o->offset))
				return misuse(cmd, "invalid offset '%s'",
					      optarg);
			break;
		case OPT_LENGTH:
			if (!parse_size(optarg, &o->length))
				return misuse(cmd, "invalid length '%s'",
					      optarg);
			o->has_length = true;
			break;
		case OPT_RAW:
			o->raw = true;
			break;
		case OPT_OUTPUT:
			o->columns = optarg;
			break;
		case OPT_NOHEADINGS:
			o->noheadings = true;
			break;
		case OPT_COLOR:
			when = optarg ?: "always";
			if (strcmp(when, "auto") && strcmp(when, "always") &&
			    strcmp(when, "never"))
				return misuse(cmd, "invalid colour mode '%s'",
					      when);
			break;
		}
	}
	/* As NO_COLOR (no-color.org) asks: off by default, not if asked for. */
	o->color = !strcmp(when, "always") ||
		   (!strcmp(when, "auto") && isatty(STDOUT_FILENO) &&
		    !getenv("NO_COLOR"));
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
