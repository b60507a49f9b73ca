/*
 * sheetpdf.c — see sheetpdf.h.
 *
 * One page layout, two passes. The first pass lays every block out
 * without drawing, only to count the pages, so the footer can say
 * "page 2 of 3"; the second draws the same layout. Both passes measure
 * text with the same pango layouts, so they break pages at the same rows.
 *
 * The page, top to bottom:
 *   - the header: the production, "Call sheet", the date with its weekday,
 *     the unit, "Day X of Y"; at the right, general call, wrap, sunrise and
 *     sunset (and where), the version and when it was published; a
 *     cancelled day says so in a band across the page;
 *   - "Your call", when the reader is among the calls: their name, call,
 *     pick-up, hair and make-up, on set, in a tinted box;
 *   - tables: locations (address, parking, nearest hospital, access notes),
 *     scenes (number, INT/EXT, D/N, set, pages in eighths, cast), department
 *     calls, the calls by department (the reader's row tinted), and the key
 *     contacts with their work numbers;
 *   - on every page a footer: production, version, published, page n of m.
 * A table row never splits across pages: a row that does not fit starts the
 * next page, under the table's heading and column titles again. Cells wrap
 * inside their column (words, then characters), so no text overlaps
 * another; a row taller than a whole page (thousands of characters in one
 * cell) is cut at the page's foot rather than drawn over the footer.
 *
 * Text is set as text, never as pango markup, so a name such as
 * "<b>Eve</b>" is printed as written. Fonts: DejaVu Sans (fonts-dejavu-core,
 * wide Unicode coverage; fontconfig falls back to another installed font
 * for a script it lacks). cairo embeds the glyphs it uses as font subsets.
 *
 * Memory: the PDF grows in one buffer owned by struct out and handed to
 * the caller; every cairo and pango object is released before returning,
 * the font map too: each drawing makes its own rather than use the thread's
 * default, which pango keeps for the life of a thread (a worker's, or the
 * CLI's main thread) and never frees. It costs a few milliseconds a drawing
 * (bench/sheetpdf_bench.c); fontconfig's configuration, loaded once, stays.
 * Threads: every cairo and pango object belongs to one call, so drawings
 * on several workers (and the notifier) at once share nothing but
 * fontconfig's configuration, which is thread-safe (pango loads it once, on a
 * thread of its own; tests/tsan.supp says why ThreadSanitizer cannot see
 * that synchronisation).
 */
#include "render/sheetpdf.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include "util/xalloc.h"

#define PT_PER_MM (72.0 / 25.4)
#define MARGIN    (12.0 * PT_PER_MM)
#define FOOTER_H  16.0
#define CELL_PAD  2.5
#define FONT      "DejaVu Sans"

int
sheetpdf_paper_named(const char *name, enum sheetpdf_paper *out)
{
	if (name == NULL || strcmp(name, "a4") == 0)
		*out = SHEETPDF_A4;
	else if (strcmp(name, "letter") == 0)
		*out = SHEETPDF_LETTER;
	else
		return -1;
	return 0;
}

/* ---- the bytes ---- */

struct out {
	unsigned char *p;
	size_t len, cap;
};

static cairo_status_t
out_write(void *arg, const unsigned char *data, unsigned int n)
{
	struct out *o = arg;
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2;
		o->p = xrealloc(o->p, o->cap);
	}
	memcpy(o->p + o->len, data, n);
	o->len += n;
	return CAIRO_STATUS_SUCCESS;
}

/* ---- the pen: where the next block goes ---- */

struct pen {
	cairo_t *cr;
	int draw;            /* 0: the counting pass */
	double w, h;         /* the page */
	double left, right;  /* the content's x range */
	double y, bottom;    /* the next free y; the last y content may use */
	int page, pages;     /* this page (1-based); the count from the first pass */
	const json_t *sheet; /* for the footer */
	const struct sheetpdf_opts *o;
	PangoLayout *lay; /* reused for every piece of text */
};

static const char *
str(const json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));
	return s != NULL ? s : "";
}

/* Sets the layout's text, font and wrap width (<= 0: no wrapping); its height in points. */
static double
set_text(struct pen *p, const char *text, double size, int bold, double width)
{
	PangoFontDescription *fd = pango_font_description_new();
	int h = 0;

	pango_font_description_set_family(fd, FONT);
	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_layout_set_font_description(p->lay, fd);
	pango_font_description_free(fd);
	pango_layout_set_width(p->lay, width > 0 ? (int)(width * PANGO_SCALE) : -1);
	pango_layout_set_wrap(p->lay, PANGO_WRAP_WORD_CHAR);
	pango_layout_set_alignment(p->lay, PANGO_ALIGN_LEFT);
	pango_layout_set_text(p->lay, text, -1);
	pango_layout_get_size(p->lay, NULL, &h);
	return (double)h / PANGO_SCALE;
}

static void
show_at(struct pen *p, double x, double y)
{
	if (!p->draw)
		return;
	cairo_move_to(p->cr, x, y);
	pango_cairo_show_layout(p->cr, p->lay);
}

/* Text at (x, y) in width w (<= 0: one line); its height. */
static double
text_at(struct pen *p, double x, double y, const char *text, double size, int bold, double w)
{
	double h = set_text(p, text, size, bold, w);
	show_at(p, x, y);
	return h;
}

/* Text ending at x (right-aligned), one line; its height. */
static double
text_right(struct pen *p, double x, double y, const char *text, double size, int bold)
{
	int w = 0;
	double h = set_text(p, text, size, bold, 0);
	pango_layout_get_size(p->lay, &w, NULL);
	show_at(p, x - (double)w / PANGO_SCALE, y);
	return h;
}

static void
fill_rect(struct pen *p, double x, double y, double w, double h, double grey)
{
	if (!p->draw)
		return;
	cairo_set_source_rgb(p->cr, grey, grey, grey);
	cairo_rectangle(p->cr, x, y, w, h);
	cairo_fill(p->cr);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
}

static void
tint_rect(struct pen *p, double x, double y, double w, double h)
{
	if (!p->draw)
		return;
	cairo_set_source_rgb(p->cr, 1.0, 0.95, 0.70); /* a highlighter's yellow, prints in grey */
	cairo_rectangle(p->cr, x, y, w, h);
	cairo_fill(p->cr);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
}

static void
rule(struct pen *p, double y, double width)
{
	if (!p->draw)
		return;
	cairo_set_line_width(p->cr, width);
	cairo_move_to(p->cr, p->left, y);
	cairo_line_to(p->cr, p->right, y);
	cairo_stroke(p->cr);
}

static void
footer(struct pen *p)
{
	char left[512], right[64];
	double y = p->h - MARGIN - FOOTER_H + 4;

	snprintf(left, sizeof(left), "%s · call sheet version %d · published %s",
	         str(json_object_get(p->sheet, "production"), "name"), p->o->version,
	         p->o->published_at != NULL ? p->o->published_at : "");
	snprintf(right, sizeof(right), "page %d of %d", p->page, p->pages > 0 ? p->pages : p->page);
	rule(p, y - 3, 0.4);
	text_at(p, p->left, y, left, 7.5, 0, p->right - p->left - 70);
	text_right(p, p->right, y, right, 7.5, 0);
}

static void
next_page(struct pen *p)
{
	footer(p);
	if (p->draw)
		cairo_show_page(p->cr);
	p->page++;
	p->y = MARGIN;
}

/* Makes room for h points (a new page when they do not fit and the page is not fresh). */
static void
need(struct pen *p, double h)
{
	if (p->y + h > p->bottom && p->y > MARGIN + 0.5)
		next_page(p);
}

/* ---- tables ---- */

struct col {
	const char *title;
	double share;    /* of the content width */
	const char *key; /* keyed_table: the member the cells show */
};

struct table {
	const char *heading;
	const struct col *cols;
	size_t ncols;
};

static double
col_x(const struct pen *p, const struct table *t, size_t i, double *w)
{
	double x = p->left, width = p->right - p->left;
	for (size_t k = 0; k < i; k++)
		x += t->cols[k].share * width;
	*w = t->cols[i].share * width;
	return x;
}

static double
row_height(struct pen *p, const struct table *t, const char *const *cells, int bold)
{
	double h = 0;
	for (size_t i = 0; i < t->ncols; i++) {
		double w, ch;
		col_x(p, t, i, &w);
		ch = set_text(p, cells[i], 8.0, bold, w - 2 * CELL_PAD);
		if (ch > h)
			h = ch;
	}
	return h + 2 * CELL_PAD;
}

static void
draw_row(struct pen *p, const struct table *t, const char *const *cells, int bold, double h)
{
	if (p->draw) {
		cairo_save(p->cr);
		cairo_rectangle(p->cr, p->left, p->y, p->right - p->left, p->bottom - p->y);
		cairo_clip(p->cr);
	}
	for (size_t i = 0; i < t->ncols; i++) {
		double w, x = col_x(p, t, i, &w);
		text_at(p, x + CELL_PAD, p->y + CELL_PAD, cells[i], 8.0, bold, w - 2 * CELL_PAD);
	}
	if (p->draw)
		cairo_restore(p->cr);
	p->y += h;
	if (p->y > p->bottom)
		p->y = p->bottom;
	rule(p, p->y, 0.25);
}

static void
table_heading(struct pen *p, const struct table *t, int again)
{
	const char *titles[16];
	char heading[128];
	double h;

	snprintf(heading, sizeof(heading), "%s%s", t->heading, again ? " (continued)" : "");
	for (size_t i = 0; i < t->ncols && i < 16; i++)
		titles[i] = t->cols[i].title;
	h = row_height(p, t, titles, 1);
	need(p, 16 + h + 14); /* the heading never ends a page alone */
	p->y += text_at(p, p->left, p->y, heading, 10.5, 1, 0) + 2;
	fill_rect(p, p->left, p->y, p->right - p->left, h, 0.88);
	draw_row(p, t, titles, 1, h);
}

/*
 * One row of t: on this page when it fits, else under the heading again
 * on the next. tint: the reader's own row. `group`: a sub-heading drawn
 * before the row ("Camera"), kept on the row's page.
 */
static void
table_row(struct pen *p, const struct table *t, const char *const *cells, int tint,
          const char *group)
{
	double gh = 0, h = row_height(p, t, cells, 0);

	if (group != NULL)
		gh = set_text(p, group, 8.5, 1, 0) + 3;
	if (p->y + gh + h > p->bottom) {
		next_page(p);
		table_heading(p, t, 1);
	}
	if (group != NULL) {
		text_at(p, p->left + CELL_PAD, p->y + 2, group, 8.5, 1, 0);
		p->y += gh;
	}
	if (tint)
		tint_rect(p, p->left, p->y, p->right - p->left, h);
	draw_row(p, t, cells, 0, h);
}

static void
table_end(struct pen *p)
{
	p->y += 10;
}

/* ---- the blocks ---- */

static const char *
weekday(const char *date)
{
	static const char *const names[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
	                                    "Thursday", "Friday", "Saturday"};
	struct tm tm = {0};
	if (strlen(date) != 10)
		return "";
	tm.tm_year = (int)strtol(date, NULL, 10) - 1900;
	tm.tm_mon = (int)strtol(date + 5, NULL, 10) - 1;
	tm.tm_mday = (int)strtol(date + 8, NULL, 10);
	tm.tm_hour = 12;
	if (timegm(&tm) == (time_t)-1 || tm.tm_wday < 0 || tm.tm_wday > 6)
		return "";
	return names[tm.tm_wday];
}

static void
header(struct pen *p)
{
	const json_t *s = p->sheet;
	char line[512], sun[256];
	double y0 = p->y, ly = y0, ry = y0;
	double lw = (p->right - p->left) * 0.6;

	ly += text_at(p, p->left, ly, str(json_object_get(s, "production"), "name"), 17, 1, lw);
	ly += text_at(p, p->left, ly + 1, "Call sheet", 11, 0, lw) + 3;
	snprintf(line, sizeof(line), "%s %s", weekday(str(s, "date")), str(s, "date"));
	ly += text_at(p, p->left, ly, line, 11, 1, lw);
	snprintf(line, sizeof(line), "Day %lld of %lld%s%s",
	         json_integer_value(json_object_get(s, "day")),
	         json_integer_value(json_object_get(s, "of")), str(s, "unit")[0] ? " · " : "",
	         str(s, "unit"));
	ly += text_at(p, p->left, ly, line, 10, 0, lw);

	ry += text_right(p, p->right, ry, "General call", 8, 0);
	ry += text_right(p, p->right, ry, str(s, "general_call"), 22, 1);
	if (str(s, "wrap_estimate")[0] != '\0') {
		snprintf(line, sizeof(line), "Wrap (estimate) %s", str(s, "wrap_estimate"));
		ry += text_right(p, p->right, ry, line, 9, 0);
	}
	if (json_object_get(s, "sun_at") != NULL) {
		if (json_is_string(json_object_get(s, "sunrise")))
			snprintf(sun, sizeof(sun), "Sunrise %s · sunset %s", str(s, "sunrise"),
			         str(s, "sunset"));
		else
			snprintf(sun, sizeof(sun), "The sun %s", str(s, "sun"));
		ry += text_right(p, p->right, ry, sun, 9, 0);
		snprintf(sun, sizeof(sun), "at %s", str(s, "sun_at"));
		ry += text_right(p, p->right, ry, sun, 7.5, 0);
	}
	snprintf(line, sizeof(line), "Version %d", p->o->version);
	ry += text_right(p, p->right, ry + 2, line, 9, 1) + 2;
	if (p->o->published_at != NULL && p->o->published_at[0] != '\0') {
		snprintf(line, sizeof(line), "published %s", p->o->published_at);
		ry += text_right(p, p->right, ry, line, 7.5, 0);
	}
	p->y = (ly > ry ? ly : ry) + 6;
	rule(p, p->y, 1.2);
	p->y += 8;
	if (json_is_true(json_object_get(s, "cancelled"))) {
		double h = set_text(p, "This shoot day is CANCELLED", 13, 1, 0) + 8;
		fill_rect(p, p->left, p->y, p->right - p->left, h, 0.2);
		if (p->draw)
			cairo_set_source_rgb(p->cr, 1, 1, 1);
		show_at(p, p->left + 6, p->y + 4);
		if (p->draw)
			cairo_set_source_rgb(p->cr, 0, 0, 0);
		p->y += h + 8;
	}
}

static const json_t *
own_call(const struct pen *p)
{
	size_t i;
	const json_t *c;
	if (p->o->person_id == NULL || p->o->person_id[0] == '\0')
		return NULL;
	json_array_foreach (json_object_get(p->sheet, "calls"), i, c)
		if (strcmp(str(c, "person_id"), p->o->person_id) == 0)
			return c;
	return NULL;
}

static void
your_call(struct pen *p)
{
	static const struct {
		const char *key, *label;
	} times[] = {
	    {"pickup", "Pick-up"}, {"hair_makeup", "hair and make-up"}, {"on_set", "on set"}};
	const json_t *c = own_call(p);
	char line[512];
	double h, x = p->left + 8, w = p->right - p->left - 16;

	if (c == NULL)
		return;
	/* the times the reader has beyond the call, those they have only */
	line[0] = '\0';
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
		if (str(c, times[i].key)[0] != '\0')
			snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s %s",
			         line[0] ? " · " : "", times[i].label, str(c, times[i].key));
	h = 8 + set_text(p, "Your call", 8, 0, 0) + set_text(p, str(c, "name"), 11, 1, w) +
	    set_text(p, str(c, "call"), 20, 1, 0) + set_text(p, line, 9, 0, w) + 8;
	need(p, h);
	tint_rect(p, p->left, p->y, p->right - p->left, h);
	p->y += 4;
	p->y += text_at(p, x, p->y, "Your call", 8, 0, 0);
	p->y += text_at(p, x, p->y, str(c, "name"), 11, 1, w);
	p->y += text_at(p, x, p->y, str(c, "call"), 20, 1, 0);
	p->y += text_at(p, x, p->y, line, 9, 0, w) + 4;
	p->y += 10;
}

/*
 * A table whose cells are string members of the sheet's array `array`, one
 * column per key (the columns' `key`): nothing drawn for an empty array.
 */
static void
keyed_table(struct pen *p, const struct table *t, const char *array)
{
	const json_t *all = json_object_get(p->sheet, array), *item;
	const char *cells[8];
	size_t i;

	assert(t->ncols <= sizeof(cells) / sizeof(cells[0]));
	if (json_array_size(all) == 0)
		return;
	table_heading(p, t, 0);
	json_array_foreach (all, i, item) {
		for (size_t k = 0; k < t->ncols; k++)
			cells[k] = str(item, t->cols[k].key);
		table_row(p, t, cells, 0, NULL);
	}
	table_end(p);
}

static void
locations(struct pen *p)
{
	static const struct col cols[] = {{"Location", 0.18, "name"},
	                                  {"Address", 0.24, "address"},
	                                  {"Parking", 0.18, "parking"},
	                                  {"Nearest hospital", 0.20, "nearest_hospital"},
	                                  {"Access notes", 0.20, "access_notes"}};
	const struct table t = {"Locations", cols, 5};
	keyed_table(p, &t, "locations");
}

static void
eighths(long long n, char *out, size_t size)
{
	long long whole = n / 8, part = n % 8;
	if (whole > 0 && part > 0)
		snprintf(out, size, "%lld %lld/8", whole, part);
	else if (whole > 0)
		snprintf(out, size, "%lld", whole);
	else
		snprintf(out, size, "%lld/8", part);
}

static void
scenes(struct pen *p)
{
	static const struct col cols[] = {{"Scene", 0.08, NULL}, {"I/E", 0.08, NULL},
	                                  {"D/N", 0.08, NULL},   {"Set", 0.36, NULL},
	                                  {"Pages", 0.1, NULL},  {"Cast", 0.30, NULL}};
	const struct table t = {"Scenes", cols, 6};
	const json_t *all = json_object_get(p->sheet, "scenes"), *sc, *who;
	size_t i, k;

	if (json_array_size(all) == 0)
		return;
	table_heading(p, &t, 0);
	json_array_foreach (all, i, sc) {
		char pages[32], *cast = xstrdup("");
		eighths(json_integer_value(json_object_get(sc, "eighths")), pages, sizeof(pages));
		json_array_foreach (json_object_get(sc, "cast"), k, who) {
			char *more =
			    xasprintf("%s%s%s", cast, k ? ", " : "",
			              json_string_value(who) ? json_string_value(who) : "");
			free(cast);
			cast = more;
		}
		const char *cells[] = {str(sc, "number"),
		                       str(sc, "int_ext"),
		                       str(sc, "day_night"),
		                       str(sc, "set"),
		                       pages,
		                       cast};
		table_row(p, &t, cells, 0, NULL);
		free(cast);
	}
	table_end(p);
}

static void
department_calls(struct pen *p)
{
	static const struct col cols[] = {{"Department", 0.5, "department"}, {"Call", 0.5, "call"}};
	const struct table t = {"Department calls", cols, 2};
	keyed_table(p, &t, "department_calls");
}

static void
calls(struct pen *p)
{
	static const struct col cols[] = {{"Name", 0.22, NULL},  {"Role", 0.22, NULL},
	                                  {"Call", 0.10, NULL},  {"Pick-up", 0.10, NULL},
	                                  {"HMU", 0.09, NULL},   {"On set", 0.10, NULL},
	                                  {"Status", 0.17, NULL}};
	const struct table t = {"Calls", cols, 7};
	const json_t *all = json_object_get(p->sheet, "calls"), *c;
	const char *dept = NULL;
	size_t i;

	if (json_array_size(all) == 0)
		return;
	table_heading(p, &t, 0);
	json_array_foreach (all, i, c) {
		const char *d = json_is_string(json_object_get(c, "department"))
		                    ? str(c, "department")
		                    : "No department";
		const char *role =
		    str(c, "character_name")[0] ? str(c, "character_name") : str(c, "job_title");
		const char *cells[] = {str(c, "name"),        role,
		                       str(c, "call"),        str(c, "pickup"),
		                       str(c, "hair_makeup"), str(c, "on_set"),
		                       str(c, "cast_status")};
		int mine = p->o->person_id != NULL && p->o->person_id[0] != '\0' &&
		           strcmp(str(c, "person_id"), p->o->person_id) == 0;
		table_row(p, &t, cells, mine, dept == NULL || strcmp(dept, d) != 0 ? d : NULL);
		dept = d;
	}
	table_end(p);
}

static void
contacts(struct pen *p)
{
	static const struct col cols[] = {{"Key contact", 0.25, "name"},
	                                  {"Role", 0.25, "job_title"},
	                                  {"Work phone", 0.2, "work_phone"},
	                                  {"Work email", 0.3, "work_email"}};
	const struct table t = {"Key contacts", cols, 4};
	keyed_table(p, &t, "key_contacts");
}

/* One pass over the whole sheet; the number of pages it took. */
static int
lay_out(struct pen *p)
{
	p->page = 1;
	p->y = MARGIN;
	header(p);
	your_call(p);
	locations(p);
	scenes(p);
	department_calls(p);
	calls(p);
	contacts(p);
	footer(p);
	if (p->draw)
		cairo_show_page(p->cr);
	return p->page;
}

static int
sheet_shaped(const json_t *s)
{
	static const char *const arrays[] = {"locations", "scenes", "calls", "key_contacts"};
	if (!json_is_object(s) || !json_is_object(json_object_get(s, "production")) ||
	    !json_is_string(json_object_get(s, "date")) ||
	    !json_is_integer(json_object_get(s, "day")))
		return 0;
	for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++)
		if (!json_is_array(json_object_get(s, arrays[i])))
			return 0;
	return 1;
}

int
sheetpdf_render(const json_t *sheet, const struct sheetpdf_opts *o, unsigned char **out,
                size_t *len, struct err *e)
{
	struct out buf = {0};
	struct pen p = {.sheet = sheet, .o = o};
	cairo_surface_t *surface = NULL;
	PangoFontMap *fonts;
	PangoContext *ctx;
	char title[512];
	int rc = -1;

	*out = NULL;
	*len = 0;
	if (!sheet_shaped(sheet))
		return err_set(e, 500, "the call sheet has not the shape of a published sheet");
	p.w = o->paper == SHEETPDF_LETTER ? 612.0 : 595.2756;
	p.h = o->paper == SHEETPDF_LETTER ? 792.0 : 841.8898;
	p.left = MARGIN;
	p.right = p.w - MARGIN;
	p.bottom = p.h - MARGIN - FOOTER_H - 4;

	surface = cairo_pdf_surface_create_for_stream(out_write, &buf, p.w, p.h);
	snprintf(title, sizeof(title), "Call sheet — %s — Day %lld, %s",
	         str(json_object_get(sheet, "production"), "name"),
	         json_integer_value(json_object_get(sheet, "day")), str(sheet, "date"));
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title);
	cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Slate");
	p.cr = cairo_create(surface);
	/* a font map of this drawing's own, not the thread's default: nothing of it outlives the
	 * call */
	fonts = pango_cairo_font_map_new();
	ctx = pango_font_map_create_context(fonts);
	pango_cairo_update_context(p.cr, ctx);
	p.lay = pango_layout_new(ctx);

	p.draw = 0;
	p.pages = lay_out(&p);
	p.draw = 1;
	lay_out(&p);

	g_object_unref(p.lay);
	g_object_unref(ctx);
	g_object_unref(fonts);
	cairo_destroy(p.cr);
	cairo_surface_finish(surface);
	if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
		err_set(e, 500, "the PDF could not be drawn: %s",
		        cairo_status_to_string(cairo_surface_status(surface)));
		goto out;
	}
	*out = buf.p;
	*len = buf.len;
	buf.p = NULL;
	rc = 0;
out:
	cairo_surface_destroy(surface);
	free(buf.p);
	return rc;
}
