// SPDX-License-Identifier: GPL-2.0
/*
 * shmpoolctl: the memory map - its extents listed, or drawn as a picture
 * in the terminal and as SVG.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shmpoolctl.h"

/* One extent of the memory map, as pool/map gives it. */
struct extent {
	unsigned long frames;
	unsigned int owner;
	char state[16], use[16];
};

/*
 * One line of pool/map into @e, its pfn (or "-") into @pfn (64 bytes) and
 * its order; false for a line that is not an extent.  A module older than
 * use= shows no use: "-".
 */
static bool parse_extent(const char *line, struct extent *e, char *pfn,
			 unsigned int *order)
{
	snprintf(e->use, sizeof(e->use), "-");
	return sscanf(line,
		      "pfn=%63s frames=%lu state=%15s order=%u owner=%u use=%15s",
		      pfn, &e->frames, e->state, order, &e->owner, e->use) >= 5;
}

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
		if (!parse_extent(line, &e, pfn, &order))
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
	char name[26][SHMPOOL_NAME_MAX];
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
	char line[512], name[SHMPOOL_NAME_MAX];
	unsigned int id;
	FILE *f = fopen(DEBUGFS "/segments", "r");
	int i;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "id=%u name=%63s", &id, name) != 2)
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

/* The extents of pool/map, a line each coloured as the picture's cells. */
static int map_list(const struct opts *o)
{
	static const struct coldesc cols[] = {
		{ "PFN", 0, 0, SCOLS_JSON_STRING, true },
		{ "FRAMES", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true },
		{ "STATE", 0, 0, SCOLS_JSON_STRING, true },
		{ "ORDER", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true },
		{ "OWNER", 0, SCOLS_FL_RIGHT, SCOLS_JSON_NUMBER, true },
		{ "USE", 0, 0, SCOLS_JSON_STRING, true },
	};
	char line[256], pfn[64];
	struct extent e;
	unsigned int order;
	struct table t;
	FILE *f;

	if (table_init(&t, o, "map", cols, ARRAY_SIZE(cols), true) < 0)
		return 1;
	f = open_debugfs("pool/map");
	if (!f) {
		table_free(&t);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		/* The pool's summary, for a person: above the table. */
		if (line[0] == '#') {
			if (!o->json && !o->raw && !o->noheadings)
				fputs(line, stdout);
			continue;
		}
		if (!parse_extent(line, &e, pfn, &order))
			continue;
		table_new_line(&t);
		table_set_color(&t, cell_color(extent_cell(&e)));
		table_set(&t, 0, "%s", pfn);
		table_set(&t, 1, "%lu", e.frames);
		table_set(&t, 2, "%s", e.state);
		table_set(&t, 3, "%u", order);
		table_set(&t, 4, "%u", e.owner);
		table_set(&t, 5, "%s", e.use);
	}
	fclose(f);
	return table_print(&t, false);
}

/* @s as XML text: a name may hold '<' and '&', which markup would take. */
static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else
			fputc(*s, f);
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
	for (j = 0; j < lg->n; j++, height += 16) {
		fprintf(f, "<text x=\"10\" y=\"%d\">%c  segment %u (",
			height + 9, 'a' + j, lg->owner[j]);
		xml_text(f, lg->name[j]);
		fputs(")</text>\n", f);
	}
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
	bool color = o->color;
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

int map_run(const struct opts *o)
{
	/* Options of a table ask for the list. */
	return o->list || o->json || o->raw || o->columns || o->noheadings ?
		       map_list(o) :
		       map_draw(o);
}
