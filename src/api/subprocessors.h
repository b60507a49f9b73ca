/*
 * subprocessors.h — the instance's subprocessors, announced and shown
 * (see subprocessors.c).
 */
#ifndef SLATE_API_SUBPROCESSORS_H
#define SLATE_API_SUBPROCESSORS_H

#include "domain/subproc.h"
#include "store/store.h"
#include "util/config.h"
#include "util/err.h"

/*
 * At serve's start, before any thread: reads c->subprocessors_file and
 * announces every entry not announced yet. 0, or -1 e set (serve stops).
 */
int subprocessors_prepare(const struct config *c, struct store *s, struct err *e);
void subprocessors_free(void);
/* /security-policy (Markdown): docs/SECURITY.md, then the subprocessors (the document alone
   before prepare). */
const char *subprocessors_policy(void);

#endif
