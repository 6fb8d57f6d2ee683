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

/*
 * The counters of a view: names and values, as debugfs gives them; the
 * record owns every string, record_free() frees them.
 */
struct record {
	struct coldesc *cols;
	char **values;
	long n, cap, vcap;
};

static void record_free(struct record *r)
{
	long i;

	for (i = 0; i < r->n; i++) {
		free((char *)r->cols[i].name);
		free(r->values[i]);
	}
	free(r->cols);
	free(r->values);
	*r = (struct record){};
}

/* Add counter @name of @value, a string if @string, else a number. */
static bool record_add(struct record *r, const char *name, const char *value,
		       bool string)
{
	struct coldesc d = { .name = strdup(name),
			     .flags = string ? 0 : SCOLS_FL_RIGHT,
			     .json_type = string ? SCOLS_JSON_STRING :
						   SCOLS_JSON_NUMBER,
			     .dflt = true };
	char *v = strdup(value);
	long n = r->n;

	if (d.name && v &&
	    append((void **)&r->values, &n, &r->vcap, &v, sizeof(v)) &&
	    append((void **)&r->cols, &r->n, &r->cap, &d, sizeof(d)))
		return true;
	free((char *)d.name);
	free(v);
	return false;
}

/* The record as one line of table @name: "name value" lines, or JSON. */
static int record_print(const struct opts *o, const char *name,
			struct record *r)
{
	struct table t;
	long i;

	if (table_init(&t, o, name, r->cols, r->n, true) < 0)
		return 1;
	table_new_line(&t);
	for (i = 0; i < r->n; i++)
		table_set(&t, i, "%s", r->values[i]);
	return table_print(&t, true);
}

/* A debugfs file of "name value" lines as "name value" lines, or JSON. */
static int show_stats(const struct opts *o, const char *file)
{
	char line[256], name[128], value[64];
	struct record r = {};
	int ret = 0;
	FILE *f;

	f = open_debugfs(file);
	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %63s", name, value) != 2)
			continue;
		if (!record_add(&r, name, value, false)) {
			report_errno("%s", o->cmd->name);
			ret = 1;
			break;
		}
	}
	fclose(f);
	if (!ret)
		ret = record_print(o, file, &r);
	record_free(&r);
	return ret;
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
	struct record r = {};
	char line[256], *tok;
	int ret = 0;

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
	/* key=value words; every value but result's is a number */
	line[strcspn(line, "\n")] = 0;
	for (tok = strtok(line, " "); tok; tok = strtok(NULL, " ")) {
		char *eq = strchr(tok, '=');

		if (!eq)
			continue;
		*eq = 0;
		if (!record_add(&r, tok, eq + 1, !strcmp(tok, "result"))) {
			report_errno("compact");
			ret = 1;
			break;
		}
	}
	if (!ret)
		ret = record_print(o, "compact", &r);
	record_free(&r);
	return ret;
}

/* One segment as top shows it, from debugfs' segments. */
struct top_seg {
	unsigned int id, uid, maps, files;
	char name[SHMPOOL_NAME_MAX];
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

enum {
	TOP_ID,
	TOP_NAME,
	TOP_SIZE,
	TOP_RESIDENT,
	TOP_SWAPPED,
	TOP_FAULTS,
	TOP_FAULTS_PER_SEC,
	TOP_MAPS,
	TOP_FILES,
	TOP_UID,
};

/* The table shows faults per second, not since creation; JSON both. */
static const struct coldesc top_cols[] = {
	[TOP_ID] = { "ID", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true },
	[TOP_NAME] = { "NAME", 0, 0, SCOLS_JSON_STRING, true },
	[TOP_SIZE] = { "SIZE", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true },
	[TOP_RESIDENT] = { "RESIDENT", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
			   true },
	[TOP_SWAPPED] = { "SWAPPED", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
			  true },
	[TOP_FAULTS] = { "FAULTS", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER,
			 false },
	[TOP_FAULTS_PER_SEC] = { "FAULTS_PER_SEC", 0, SCOLS_FL_RIGHT,
				 SCOLS_JSON_NUMBER, true },
	[TOP_MAPS] = { "MAPS", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true },
	[TOP_FILES] = { "FILES", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true },
	[TOP_UID] = { "UID", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true },
};

/* One view of top: @n segments, sorted. */
static int top_view(const struct opts *o, const struct top_seg *segs, long n)
{
	struct table t;
	long i;

	if (table_init(&t, o, "segments", top_cols, ARRAY_SIZE(top_cols),
		       o->json) < 0)
		return 1;
	for (i = 0; i < n; i++) {
		table_new_line(&t);
		table_set(&t, TOP_ID, "%u", segs[i].id);
		table_set(&t, TOP_NAME, "%s", segs[i].name);
		table_set(&t, TOP_SIZE, "%llu", segs[i].size);
		table_set(&t, TOP_RESIDENT, "%llu", segs[i].resident);
		table_set(&t, TOP_SWAPPED, "%llu", segs[i].swapped);
		table_set(&t, TOP_FAULTS, "%llu", segs[i].faults);
		table_set(&t, TOP_FAULTS_PER_SEC, "%.1f", segs[i].rate);
		table_set(&t, TOP_MAPS, "%u", segs[i].maps);
		table_set(&t, TOP_FILES, "%u", segs[i].files);
		table_set(&t, TOP_UID, "%u", segs[i].uid);
	}
	/* A summary above the table, which only a person reads. */
	if (!o->json && !o->raw && !o->noheadings)
		printf("%ld segments, sorted by %s; every %.1f s\n", n,
		       top_sort, o->watch);
	return table_print(&t, false);
}

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
	int ret;

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
		ret = top_view(&v, cur, ncur);
		free(prev);
		prev = cur;
		nprev = ncur;
		cur = NULL;
		tprev = t;
	} while (!ret && view_next(&v, &n));
	free(prev);
	return ret;
}
