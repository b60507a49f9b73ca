/*
 * reply.h — the answers every handler gives alike (api/reply.c): a look-up
 * that found nothing, a bad field, a store failure; and a query parameter
 * read the same way everywhere. Each answering function ends the request
 * (http_end_*, http/server.h).
 */
#ifndef SLATE_API_REPLY_H
#define SLATE_API_REPLY_H

#include <jansson.h>

#include "http/server.h"
#include "util/err.h"

/*
 * 1 when a look-up found its record (found == 1); else answers 404 "there is
 * no such <what> in this production" (found == 0) or 503 (found == -1).
 */
int api_found(struct http_req *r, int found, const struct err *e, const char *what);
/* A whole number query parameter in [lo, hi]; def when absent; -1 when malformed. */
long api_query_long(struct http_req *r, const char *name, long def, long lo, long hi);
/* 400 naming one field. */
void api_bad_field(struct http_req *r, const char *pointer, const char *detail);
/* Answers a store failure that carries a field (400/404/409) or 503. */
void api_refuse(struct http_req *r, const struct err *e, const char *title);

/* Logs e and answers 503. */
void api_unavailable(struct http_req *r, const struct err *e);

/*
 * 409 for a record others hold (api/undo.c): a problem document with
 * `held_by`, the [{kind, id, name}] holders (stolen).
 */
void api_refuse_held(struct http_req *r, const char *detail, json_t *held_by);
/* Answers a problem+json with one more member, name: value (value taken). */
void api_end_problem_with(struct http_req *r, int status, const char *detail, const char *name,
                          json_t *value);

#endif
