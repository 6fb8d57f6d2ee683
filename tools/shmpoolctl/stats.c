// SPDX-License-Identifier: GPL-2.0
/*
 * shmpoolctl: the statistics views - stats, swap, compact and top, read
 * from debugfs, once or every --watch seconds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shmpoolctl.h"

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

int stats_run(const struct opts *o)
{
	unsigned long n = 0;
	int ret;

	do {
		view_start(o);
		ret = show_stats(o, "stats");
	} while (!ret && view_next(o, &n));
	return ret;
}

int swap_run(const struct opts *o)
{
	return show_stats(o, "swap");
}

/* Run one compaction and print what it did, as pool/compact says it. */
int compact_run(const struct opts *o)
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
int top_run(const struct opts *o)
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
