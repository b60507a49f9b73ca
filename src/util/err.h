/*
 * err.h — the one error convention of Slate.
 *
 * A function that can fail returns int (0 ok, -1 error) or a pointer (NULL on
 * error) and fills a struct err the caller passes in. `msg` is for logs and
 * for the CLI's one line; `status` is the HTTP status a handler should answer
 * with. Messages never carry secrets or personal data.
 */
#ifndef SLATE_UTIL_ERR_H
#define SLATE_UTIL_ERR_H

#include <stdarg.h>

struct err {
	int status;     /* HTTP status to answer with; 500 when unknown */
	char msg[256];  /* one line, no secrets */
	char field[64]; /* the input at fault as a JSON pointer ("/role"), or "" */
};

__attribute__((format(printf, 3, 4))) int err_set(struct err *e, int status, const char *fmt, ...);
void err_clear(struct err *e);
/* err_set, naming the input at fault (a JSON pointer such as "/role"). */
__attribute__((format(printf, 4, 5))) int err_field(struct err *e, int status, const char *field,
                                                    const char *fmt, ...);

#endif
