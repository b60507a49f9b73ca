/*
 * err.c — filling a struct err. err_set always returns -1 so that a failing
 * path can read `return err_set(e, 400, "...")`.
 */
#include "util/err.h"

#include <stdio.h>
#include <string.h>

int
err_set(struct err *e, int status, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->status = status;
	e->field[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
err_field(struct err *e, int status, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->status = status;
	snprintf(e->field, sizeof(e->field), "%s", field);
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void
err_clear(struct err *e)
{
	e->status = 0;
	e->msg[0] = '\0';
	e->field[0] = '\0';
}
