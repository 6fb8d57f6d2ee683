// SPDX-License-Identifier: GPL-2.0
/*
 * shmpoolctl: output, through libsmartcols as util-linux's lsipc prints
 * it.  A command describes the columns it can show (struct coldesc);
 * --output picks some of them, and the library lays them out as a table,
 * as --raw lines or as JSON, escaping what needs it, coloured on request.
 *
 * A view of one record (info, stats, ...) is one line of such a table,
 * shown by default as "key value" lines (lsipc's --id view does the same)
 * and as one object in an array with --json.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shmpoolctl.h"

#define COLOR_HEADER "\033[1m" /* bold */

/* The columns --output names, comma-separated; false, said why, if any is unknown. */
static bool pick_columns(struct table *t, const char *list)
{
	const char *p = list;
	size_t i, len;

	while (*p) {
		len = strcspn(p, ",");
		for (i = 0; i < t->ncols; i++)
			if (strlen(t->cols[i].name) == len &&
			    !strncasecmp(t->cols[i].name, p, len))
				break;
		if (i == t->ncols) {
			fprintf(stderr,
				"%s: %s: unknown column '%.*s'; the columns are:",
				prog, t->o->cmd->name, (int)len, p);
			for (i = 0; i < t->ncols; i++)
				fprintf(stderr, "%s%s", i ? "," : " ",
					t->cols[i].name);
			fputc('\n', stderr);
			return false;
		}
		if (t->shown[i] < 0)
			t->shown[i] = t->nshown++;
		p += len + !!p[len];
	}
	return true;
}

static void add_column(struct table *t, size_t i)
{
	const struct coldesc *d = &t->cols[i];
	bool array = d->json_type == SCOLS_JSON_ARRAY_STRING && t->o->json;
	struct libscols_column *cl;

	/* An array's elements, one a line: a cell "a\nb" is ["a", "b"]. */
	cl = scols_table_new_column(t->tb, d->name, d->whint,
				    d->flags | (array ? SCOLS_FL_WRAP : 0));
	if (!cl)
		return;
	scols_column_set_json_type(cl, d->json_type);
	if (array)
		scols_column_set_wrapfunc(cl, scols_wrapnl_chunksize,
					  scols_wrapnl_nextchunk, NULL);
	if (t->o->color)
		scols_cell_set_color(scols_column_get_header(cl), COLOR_HEADER);
}

int table_init(struct table *t, const struct opts *o, const char *name,
	       const struct coldesc *cols, size_t ncols, bool all)
{
	size_t i;
	int k;

	*t = (struct table){ .o = o, .cols = cols, .ncols = ncols };
	t->shown = calloc(ncols ?: 1, sizeof(*t->shown));
	t->tb = scols_new_table();
	if (!t->shown || !t->tb) {
		report_errno("%s", o->cmd->name);
		goto fail;
	}
	for (i = 0; i < ncols; i++)
		t->shown[i] = -1;
	if (o->columns) {
		if (!pick_columns(t, o->columns))
			goto fail;
	} else {
		for (i = 0; i < ncols; i++)
			if (all || cols[i].dflt)
				t->shown[i] = t->nshown++;
	}
	/* Columns in the order --output gives them. */
	for (k = 0; k < t->nshown; k++)
		for (i = 0; i < ncols; i++)
			if (t->shown[i] == k)
				add_column(t, i);
	scols_table_set_name(t->tb, name);
	scols_table_enable_json(t->tb, o->json);
	scols_table_enable_raw(t->tb, o->raw && !o->json);
	scols_table_enable_noheadings(t->tb, o->noheadings);
	scols_table_enable_colors(t->tb, o->color);
	return 0;
fail:
	table_free(t);
	return -1;
}

void table_free(struct table *t)
{
	scols_unref_table(t->tb);
	free(t->shown);
	t->tb = NULL;
	t->shown = NULL;
}

void table_new_line(struct table *t)
{
	t->ln = scols_table_new_line(t->tb, NULL);
	if (!t->ln)
		report_errno("%s", t->o->cmd->name);
}

void table_set(struct table *t, size_t col, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (!t->ln || col >= t->ncols || t->shown[col] < 0)
		return;
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0 || scols_line_refer_data(t->ln, t->shown[col], s) < 0)
		report_errno("%s", t->o->cmd->name);
}

void table_set_color(struct table *t, const char *seq)
{
	if (t->ln && t->o->color)
		scols_line_set_color(t->ln, seq);
}

/*
 * One record as "key value" lines: a table of two columns, the names
 * lower-cased as JSON has them; --noheadings leaves the values alone.
 */
static int print_pretty(struct table *t)
{
	struct libscols_table *kv = scols_new_table();
	struct libscols_column *cl;
	struct libscols_line *ln, *row = scols_table_get_line(t->tb, 0);
	struct libscols_cell *key;
	const char *data;
	int k, ret = 0;
	size_t i;

	if (!kv)
		return -1;
	scols_table_enable_noheadings(kv, 1);
	scols_table_enable_colors(kv, t->o->color);
	if (!t->o->noheadings)
		scols_table_new_column(kv, "KEY", 0, 0);
	scols_table_new_column(kv, "VALUE", 0, 0);
	for (k = 0; row && k < t->nshown; k++) {
		cl = scols_table_get_column(t->tb, k);
		data = scols_cell_get_data(scols_line_get_cell(row, k));
		ln = scols_table_new_line(kv, NULL);
		if (!ln) {
			ret = -1;
			break;
		}
		if (!t->o->noheadings) {
			char *name = strdup(scols_column_get_name(cl) ?: "");

			for (i = 0; name && name[i]; i++)
				name[i] = tolower((unsigned char)name[i]);
			scols_line_refer_data(ln, 0, name);
			key = scols_line_get_cell(ln, 0);
			if (t->o->color)
				scols_cell_set_color(key, COLOR_HEADER);
		}
		scols_line_set_data(ln, t->o->noheadings ? 0 : 1,
				    data && *data ? data : "-");
	}
	if (!ret)
		ret = scols_print_table(kv);
	scols_unref_table(kv);
	return ret;
}

/*
 * JSON on one line, for a view of --watch (JSON Lines): libsmartcols
 * indents its JSON over several lines, and a newline there is never
 * inside a string (strings escape theirs), so it and the indent after it
 * can go.
 */
static int print_json_line(struct table *t)
{
	char *buf = NULL, *p;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int ret;

	if (!mem)
		return -1;
	scols_table_set_stream(t->tb, mem);
	ret = scols_print_table(t->tb);
	if (fclose(mem) || ret) {
		free(buf);
		return -1;
	}
	for (p = buf; *p; p++) {
		if (*p != '\n') {
			putchar(*p);
			continue;
		}
		while (p[1] == ' ' || p[1] == '\t')
			p++;
	}
	putchar('\n');
	free(buf);
	return 0;
}

int table_print(struct table *t, bool record)
{
	int ret;

	if (t->o->json && t->o->watch)
		ret = print_json_line(t);
	else if (record && !t->o->json && !t->o->raw)
		ret = print_pretty(t);
	else
		ret = scols_print_table(t->tb);
	table_free(t);
	if (ret) {
		errno = ret < 0 ? -ret : EIO;
		report_errno("%s: output", t->o->cmd->name);
		return 1;
	}
	return 0;
}
