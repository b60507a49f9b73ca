/*
 * handlers.h — the route table (api/routes.c) and the handlers behind it,
 * with the checks upload and import routes make from the head before
 * their body is read.
 */
#ifndef SLATE_API_HANDLERS_H
#define SLATE_API_HANDLERS_H

#include <stddef.h>

#include "http/router.h"
#include "http/server.h"
#include "util/config.h"
#include "util/err.h"

/*
 * Uploads (api/attachments.c), in two steps. Before the body is read, from
 * the route's head check once the caller's right is known:
 * attachments_begin checks the Content-Type and ?name, creates the
 * encrypted file of an attachment of production_id (evidence of entry_id
 * when set) and streams the body into it; 0, or -1 after answering. Once
 * the body is in, attachments_accept seals and syncs the file and commits
 * its row; answers 201.
 */
int attachments_begin(struct http_req *r, const char *production_id, const char *entry_id);
void attachments_accept(struct http_req *r);
/*
 * The checks upload routes make from the head, before any byte of the body
 * (http_server_opts.before_body): api_before_body finds the route's own.
 */
int api_before_body(struct http_req *r);
/* 1 when the route has a check before its body (every ROUTE_UPLOAD and ROUTE_IMPORT route must). */
int api_route_checks_head(const struct route *rt);
int sustainability_evidence_head(struct http_req *r);
int sustainability_import_head(struct http_req *r);
/*
 * Sends attachment id of production_id, checked whole before the first byte;
 * 404 unless it is evidence exactly when evidence is 1.
 */
void attachments_send(struct http_req *r, const char *production_id, const char *id, int evidence);

extern const struct route api_routes[];
extern const size_t api_nroutes;

void exports_get(struct http_req *r);
void factor_sets_list(struct http_req *r);
void factor_sets_factors(struct http_req *r);
void sustainability_settings_get(struct http_req *r);
void sustainability_settings_put(struct http_req *r);
void sustainability_settings_patch(struct http_req *r);
void sustainability_factors_list(struct http_req *r);
void sustainability_factors_create(struct http_req *r);
void sustainability_entries_list(struct http_req *r);
void sustainability_entries_create(struct http_req *r);
void sustainability_entries_get(struct http_req *r);
void sustainability_entries_patch(struct http_req *r);
void sustainability_entries_delete(struct http_req *r);
void sustainability_evidence_put(struct http_req *r);
void sustainability_evidence_get(struct http_req *r);
void sustainability_import(struct http_req *r);
void sustainability_recalculate(struct http_req *r);
void sustainability_report_get(struct http_req *r);
/* The password-reset desk (api/reset.c): started by `slate serve` before the loops, stopped
   after them (serving what was asked before it stops). */
struct keyring;
int reset_desk_start(const struct config *c, const char *db_path, struct keyring *keys,
                     struct err *e);
void reset_desk_stop(void);
void productions_import(struct http_req *r);
int productions_import_head(struct http_req *r);
/* A crew list from CSV (api/people.c): the head's check, then the rows. */
void people_import(struct http_req *r);
int people_import_head(struct http_req *r);
/* The fields of a person's JSON body (POST/PATCH …/people), also a CSV import's columns. */
struct body_field;
extern const struct body_field api_person_fields[];
extern const size_t api_person_nfields;

#endif
