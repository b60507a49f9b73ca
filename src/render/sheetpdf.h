/*
 * sheetpdf.h — a published call sheet drawn as a print-quality PDF
 * (render/sheetpdf.c: cairo and pango, fonts embedded from fonts-dejavu).
 *
 * The input is the sheet as GET …/callsheets/{cid} answers it to the
 * reader ("sheet": the frozen body written at publishing): the PDF holds
 * exactly what that JSON holds, nothing read from elsewhere, so a reader's
 * PDF never shows a field the reader could not GET. The reader's own call
 * (their person id among the sheet's calls) is drawn first, highlighted.
 */
#ifndef SLATE_RENDER_SHEETPDF_H
#define SLATE_RENDER_SHEETPDF_H

#include <stddef.h>

#include <jansson.h>

#include "util/err.h"

enum sheetpdf_paper { SHEETPDF_A4, SHEETPDF_LETTER };

struct sheetpdf_opts {
	enum sheetpdf_paper paper;
	const char *person_id;    /* the reader's person id; NULL or "": nobody highlighted */
	int version;              /* the call sheet's version */
	const char *published_at; /* when it was published (RFC 3339) */
};

/* "a4" or "letter" (NULL: a4): 0, or -1 for any other name. */
int sheetpdf_paper_named(const char *name, enum sheetpdf_paper *out);

/*
 * Draws sheet: 0 with *out malloc'd (*len bytes, the caller frees it), or
 * -1 with e set (500: the sheet has not the shape publishing gives it, or
 * cairo failed).
 */
int sheetpdf_render(const json_t *sheet, const struct sheetpdf_opts *o, unsigned char **out,
                    size_t *len, struct err *e);

#endif
