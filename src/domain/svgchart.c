/*
 * svgchart.c — see svgchart.h. Fixed geometry: a 720 × 360 view box, a plot
 * area inset for the axis labels, five horizontal grid lines at round
 * values. A footnote goes below all that, broken at spaces into lines of
 * FOOT_CHARS at most, the view box taller by a line for each (the slanted
 * labels of the bars reach down to the chart's foot). Written to an
 * open_memstream buffer.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/svgchart.h"
#include "util/xalloc.h"

#define W      720.0
#define H      360.0
#define LEFT   80.0
#define RIGHT  20.0
#define TOP    40.0
#define BOTTOM 90.0

/* A footnote line: 100 characters of 10 px sans-serif (6 px wide at most on
   average, capitals and all) fit the 700 px from its left inset to the edge. */
#define FOOT_CHARS 100
#define FOOT_LINE  12.0

/* n bytes of s as XML text */
static void
text_n(FILE *f, const char *s, size_t n)
{
	for (; n > 0; s++, n--) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void
text(FILE *f, const char *s)
{
	text_n(f, s, strlen(s));
}

/*
 * The footnote's line that starts at s: its length in *len, at most
 * FOOT_CHARS bytes, broken after the last word that fits (a word longer
 * than a line is cut, between UTF-8 characters). Returns where the next
 * line starts, or NULL when this one is the last.
 */
static const char *
foot_line(const char *s, size_t *len)
{
	size_t cut = strlen(s);

	if (cut <= FOOT_CHARS) {
		*len = cut;
		return NULL;
	}
	for (cut = FOOT_CHARS; cut > 0 && s[cut] != ' '; cut--)
		;
	if (cut == 0)
		for (cut = FOOT_CHARS; ((unsigned char)s[cut] & 0xC0) == 0x80; cut--)
			;
	*len = cut;
	for (s += cut; *s == ' '; s++)
		;
	return *s ? s : NULL;
}

/* The view box's height: the chart's, and a line for each line of the footnote. */
static double
height_of(const struct svg_series *s)
{
	double h = H;
	size_t len;

	for (const char *p = s->footnote; p != NULL; p = foot_line(p, &len))
		h += FOOT_LINE;
	return h;
}

/* A round top for the value axis: 1, 2 or 5 × 10^k at or above max. */
static double
axis_top(double max)
{
	double p;
	if (!(max > 0))
		return 1;
	p = pow(10, floor(log10(max)));
	if (max <= p)
		return p;
	if (max <= 2 * p)
		return 2 * p;
	if (max <= 5 * p)
		return 5 * p;
	return 10 * p;
}

static double
y_of(double v, double top)
{
	return TOP + (H - TOP - BOTTOM) * (1 - v / top);
}

static FILE *
begin(const struct svg_series *s, double top, char **buf, size_t *len)
{
	FILE *f = xopen_memstream(buf, len);
	double h = height_of(s);
	fprintf(
	    f,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
	    "height=\"%.0f\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\">\n<title>",
	    W, h, W, h);
	text(f, s->title);
	fputs("</title>\n<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">", f);
	text(f, s->title);
	fputs("</text>\n", f);
	for (int i = 0; i <= 5; i++) {
		double v = top * i / 5, y = y_of(v, top);
		fprintf(f,
		        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
		        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
		        LEFT, y, W - RIGHT, y, LEFT - 6, y + 4, v);
	}
	fprintf(
	    f,
	    "<text x=\"12\" y=\"%.1f\" transform=\"rotate(-90 12 %.1f)\" text-anchor=\"middle\">",
	    (TOP + H - BOTTOM) / 2, (TOP + H - BOTTOM) / 2);
	text(f, s->unit);
	fputs("</text>\n", f);
	return f;
}

static char *
end(FILE *f, const struct svg_series *s, char **buf)
{
	if (s->footnote != NULL) {
		const char *p = s->footnote;
		size_t len;
		fprintf(f, "<text x=\"10\" y=\"%.0f\" font-size=\"10\">", H + FOOT_LINE - 4);
		for (int first = 1; p != NULL; first = 0) {
			const char *line = p;
			p = foot_line(line, &len);
			fprintf(f, "<tspan x=\"10\" dy=\"%.0f\">", first ? 0 : FOOT_LINE);
			text_n(f, line, len);
			fputs("</tspan>", f);
		}
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
	fclose(f);
	return *buf;
}

static void
label_at(FILE *f, double x, const char *label)
{
	fprintf(f,
	        "<text x=\"%.1f\" y=\"%.1f\" transform=\"rotate(-40 %.1f %.1f)\" "
	        "text-anchor=\"end\">",
	        x, H - BOTTOM + 14, x, H - BOTTOM + 14);
	text(f, label);
	fputs("</text>\n", f);
}

/* The largest value, and the budget when the chart draws it (with_budget). */
static double
max_of(const struct svg_series *s, int with_budget)
{
	double m = with_budget && s->budget > 0 ? s->budget : 0;
	for (size_t i = 0; i < s->n; i++)
		m = s->value[i] > m ? s->value[i] : m;
	return m;
}

/* A value as a label: whole above 100, else to one or two decimals. */
static void
value_text(FILE *f, double v)
{
	fprintf(f, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
}

char *
svgchart_bars(const struct svg_series *s)
{
	char *buf = NULL;
	size_t len = 0;
	double top = axis_top(max_of(s, 0)), slot = (W - LEFT - RIGHT) / (double)(s->n ? s->n : 1);
	FILE *f = begin(s, top, &buf, &len);

	for (size_t i = 0; i < s->n; i++) {
		double x = LEFT + slot * (double)i, y = y_of(s->value[i], top);
		fprintf(
		    f,
		    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#2f7d4f\">"
		    "<title>",
		    x + slot * 0.15, y, slot * 0.7, H - BOTTOM - y);
		text(f, s->label[i]);
		fprintf(f, ": %.3f</title></rect>\n", s->value[i]);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">",
		        x + slot / 2, y - 4);
		value_text(f, s->value[i]);
		fputs("</text>\n", f);
		label_at(f, x + slot / 2, s->label[i]);
	}
	return end(f, s, &buf);
}

char *
svgchart_line(const struct svg_series *s)
{
	char *buf = NULL;
	size_t len = 0;
	double top = axis_top(max_of(s, 1));
	double step = s->n > 1 ? (W - LEFT - RIGHT) / (double)(s->n - 1) : 0;
	size_t every = s->n > 12 ? (s->n + 11) / 12 : 1;
	FILE *f = begin(s, top, &buf, &len);

	if (s->budget >= 0)
		fprintf(f,
		        "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#b3261e\" "
		        "stroke-dasharray=\"6 4\"><title>budget: %.3f</title></line>\n",
		        LEFT, y_of(s->budget, top), W - RIGHT, y_of(s->budget, top), s->budget);
	if (s->budget >= 0) {
		fprintf(f,
		        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#b3261e\">Budget ",
		        W - RIGHT, y_of(s->budget, top) - 4);
		value_text(f, s->budget);
		fputc(' ', f);
		text(f, s->unit);
		fputs("</text>\n", f);
	}
	fputs("<polyline fill=\"none\" stroke=\"#2f7d4f\" stroke-width=\"2\" points=\"", f);
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "%s%.1f,%.1f", i ? " " : "", LEFT + step * (double)i,
		        y_of(s->value[i], top));
	fputs("\"/>\n", f);
	for (size_t i = 0; i < s->n; i++) {
		double x = LEFT + step * (double)i;
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#2f7d4f\"><title>", x,
		        y_of(s->value[i], top));
		text(f, s->label[i]);
		fprintf(f, ": %.3f</title></circle>\n", s->value[i]);
		if (i % every == 0 || i + 1 == s->n)
			label_at(f, x, s->label[i]);
	}
	return end(f, s, &buf);
}
