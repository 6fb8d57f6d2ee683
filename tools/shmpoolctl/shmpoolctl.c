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
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/shmpool.h>

#define DEV_PATH	"/dev/shmpool"
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
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	struct shmpool_version v;
	int json = 0, c, fd;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			version_help(stdout);
			return 0;
		default:
			version_help(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		version_help(stderr);
		return 2;
	}

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

static const struct command commands[] = {
	{ "version", "show the module's interface version", version_run, version_help },
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
