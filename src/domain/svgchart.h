/*
 * svgchart.h — the two charts of a carbon report as standalone SVG 1.1
 * documents, drawn by the server so the web UI and the exports need no chart
 * library: bars (one per label, each labelled with its value, the axis
 * scaled to the largest value) and a cumulative line (points in order, with
 * an optional budget line, labelled, the axis scaled to include it), each
 * with an optional footnote at its foot (the report's factor sources), in
 * as many lines as it takes to fit the chart's width. The
 * budget is a total, so the bars do not draw it: a category's bar set
 * against the whole budget would be a flat line at the foot.
 *
 * Text is XML-escaped; the document holds no script, no link, no external
 * reference and no style sheet, so it is safe to serve and to embed. Values
 * must be finite and at least 0. The result is malloc'd; the caller frees it.
 */
#ifndef SLATE_DOMAIN_SVGCHART_H
#define SLATE_DOMAIN_SVGCHART_H

#include <stddef.h>

struct svg_series {
	const char *title;        /* the chart's heading */
	const char *unit;         /* the value axis: "kg CO2e" */
	const char *const *label; /* n labels */
	const double *value;      /* n values */
	size_t n;
	double budget;        /* the line chart's budget line; below 0: none */
	const char *footnote; /* text at the foot, or NULL */
};

char *svgchart_bars(const struct svg_series *s);
char *svgchart_line(const struct svg_series *s);

#endif
