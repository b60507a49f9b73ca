/*
 * problem.h — RFC 9457 problem documents.
 *
 * {"type":"about:blank","title":<reason phrase>,"status":N,"detail":...,
 *  "request_id":..., "errors":[{"pointer","detail"}]?}. The detail is what
 * the client may read: never a path, a SQL message or a stack of internals.
 */
#ifndef SLATE_HTTP_PROBLEM_H
#define SLATE_HTTP_PROBLEM_H

#include <jansson.h>

/* The standard reason phrase of an HTTP status ("Unknown" for others). */
const char *http_reason(int status);

/* Returns a malloc'ed JSON text; errors (may be NULL) is stolen. */
char *problem_json(int status, const char *detail, const char *request_id, json_t *errors);

#endif
