// SPDX-License-Identifier: GPL-2.0
/*
 * shmpoolctl - inspect and drive the shmpool module from the shell.
 *
 * Subcommands in the spirit of util-linux ipcs/lsipc: one verb per task,
 * readable columns by default and --json for machines.  Every failure names
 * the operation and the errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/shmpool.h>

#define DEV_PATH	"/dev/shmpool"
#define DEBUGFS		"/sys/kernel/debug/shmpool"
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *prog = "shmpoolctl";

struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	void (*help)(FILE *out);
};

/* Name the operation, the message and the errno's symbol: "... (EACCES)". */
static void report_errno(const char *what)
{
	int err = errno;

	fprintf(stderr, "%s: %s: %s (%s)\n", prog, what, strerror(err),
		strerrorname_np(err) ?: "?");
}

static int open_dev(int flags)
{
	int fd = open(DEV_PATH, flags | O_CLOEXEC);

	if (fd < 0)
		report_errno("cannot open " DEV_PATH);
	return fd;
}

/* Parse "--json" / "--help" for the commands that take only those. */
static int parse_json_opt(int argc, char **argv, void (*help)(FILE *), bool *json)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int c;

	*json = false;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			*json = true;
			break;
		case 'h':
			help(stdout);
			return 0;
		default:
			help(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		help(stderr);
		return 2;
	}
	return -1;
}

static void version_help(FILE *out)
{
	fprintf(out,
		"Usage: %s version [--json]\n"
		"\n"
		"Show the interface version of the loaded module, its frame size\n"
		"and the largest buddy order it allocates.\n"
		"\n"
		"Options:\n"
		"  -j, --json   print one JSON object\n"
		"  -h, --help   show this help\n", prog);
}

static int version_run(int argc, char **argv)
{
	struct shmpool_version v;
	bool json;
	int fd, ret = parse_json_opt(argc, argv, version_help, &json);

	if (ret >= 0)
		return ret;
	fd = open_dev(O_RDONLY);
	if (fd < 0)
		return 1;
	if (ioctl(fd, SHMPOOL_IOC_VERSION, &v) < 0) {
		report_errno("SHMPOOL_IOC_VERSION");
		close(fd);
		return 1;
	}
	close(fd);

	if (json)
		printf("{\"abi\": %u, \"page_size\": %u, \"max_order\": %u}\n",
		       v.abi, v.page_size, v.max_order);
	else
		printf("abi %u\npage_size %u\nmax_order %u\n",
		       v.abi, v.page_size, v.max_order);
	return 0;
}

static FILE *open_debugfs(const char *name)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), DEBUGFS "/%s", name);
	f = fopen(path, "r");
	if (!f) {
		char what[sizeof(path) + 16];

		snprintf(what, sizeof(what), "cannot read %s", path);
		report_errno(what);
		fprintf(stderr, "%s: is the module loaded, debugfs mounted, are you root?\n",
			prog);
	}
	return f;
}

static void stats_help(FILE *out)
{
	fprintf(out,
		"Usage: %s stats [--json]\n"
		"\n"
		"Show the pool's statistics (" DEBUGFS "/pool/stats): its size,\n"
		"free blocks and fragmentation index per order, and its counters.\n"
		"Needs root (debugfs).\n"
		"\n"
		"Options:\n"
		"  -j, --json   print one JSON object, name: value\n"
		"  -h, --help   show this help\n", prog);
}

static int stats_run(int argc, char **argv)
{
	char line[256], name[128], value[64];
	bool json, first = true;
	int ret = parse_json_opt(argc, argv, stats_help, &json);
	FILE *f;

	if (ret >= 0)
		return ret;
	f = open_debugfs("pool/stats");
	if (!f)
		return 1;
	if (json)
		putchar('{');
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %63s", name, value) != 2)
			continue;
		if (json)
			printf("%s\"%s\": %s", first ? "" : ", ", name, value);
		else
			printf("%-24s %s\n", name, value);
		first = false;
	}
	if (json)
		puts("}");
	fclose(f);
	return 0;
}

static void map_help(FILE *out)
{
	fprintf(out,
		"Usage: %s map [--json]\n"
		"\n"
		"Show the pool's memory map (" DEBUGFS "/pool/map): one line per\n"
		"run of frames with the same state, order and owner, in physical\n"
		"order.  Physical frame numbers only for CAP_SYS_ADMIN.\n"
		"\n"
		"Options:\n"
		"  -j, --json   print a JSON array of extents\n"
		"  -h, --help   show this help\n", prog);
}

#define JSON_EXTENT \
	"%s{\"pfn\": \"%s\", \"frames\": %lu, \"state\": \"%s\", \"order\": %u, \"owner\": %u}"

static int map_run(int argc, char **argv)
{
	char line[256], pfn[64], state[16];
	unsigned long frames;
	unsigned int order, owner;
	bool json, first = true;
	int ret = parse_json_opt(argc, argv, map_help, &json);
	FILE *f;

	if (ret >= 0)
		return ret;
	f = open_debugfs("pool/map");
	if (!f)
		return 1;
	if (json)
		putchar('[');
	else
		printf("%-24s %8s %-5s %5s %6s\n", "PFN", "FRAMES", "STATE", "ORDER", "OWNER");
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#') {
			if (!json)
				fputs(line, stdout);
			continue;
		}
		if (sscanf(line, "pfn=%63s frames=%lu state=%15s order=%u owner=%u",
			   pfn, &frames, state, &order, &owner) != 5)
			continue;
		if (json)
			printf(JSON_EXTENT, first ? "" : ", ", pfn, frames, state,
			       order, owner);
		else
			printf("%-24s %8lu %-5s %5u %6u\n", pfn, frames, state, order, owner);
		first = false;
	}
	if (json)
		puts("]");
	fclose(f);
	return 0;
}

static const struct command commands[] = {
	{ "version", "show the module's interface version", version_run, version_help },
	{ "stats", "show the pool's statistics", stats_run, stats_help },
	{ "map", "show the pool's memory map", map_run, map_help },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "Usage: %s COMMAND [OPTIONS]\n\nCommands:\n", prog);
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'%s COMMAND --help' describes one command.\n", prog);
}

int main(int argc, char **argv)
{
	size_t i;

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
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
	usage(stderr);
	return 2;
}
