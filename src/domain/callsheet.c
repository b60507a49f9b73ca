/*
 * callsheet.c — see callsheet.h.
 */
#include <stdlib.h>
#include <string.h>

#include "domain/callsheet.h"
#include "domain/validate.h"

const char *
callsheet_effective_call(const char *own, const char *department_call, int *from_department)
{
	*from_department = 0;
	if (own != NULL && own[0] != '\0')
		return own;
	if (department_call != NULL && department_call[0] != '\0') {
		*from_department = 1;
		return department_call;
	}
	return "";
}

static int
by_sheet_order(const void *pa, const void *pb)
{
	const struct callsheet_line *a = pa, *b = pb;
	/* no department sorts after every department */
	unsigned da = a->department_position < 0 ? (unsigned)-1 : (unsigned)a->department_position;
	unsigned db = b->department_position < 0 ? (unsigned)-1 : (unsigned)b->department_position;
	int ta = validate_time(a->call), tb = validate_time(b->call);
	if (da != db)
		return da < db ? -1 : 1;
	if (ta != tb) /* a line with no call (-1) first: it stands out */
		return ta < tb ? -1 : 1;
	return strcmp(a->name, b->name);
}

void
callsheet_order(struct callsheet_line *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		lines[i].call = callsheet_effective_call(
		    lines[i].own_call, lines[i].department_call, &lines[i].from_department);
	if (n > 1)
		qsort(lines, n, sizeof(*lines), by_sheet_order);
}
