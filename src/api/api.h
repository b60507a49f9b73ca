/*
 * api.h — the route table and the handlers behind it.
 */
#ifndef SLATE_API_API_H
#define SLATE_API_API_H

#include <stddef.h>
#include <stdio.h>

#include "domain/policy.h"
#include "http/router.h"
#include "http/server.h"
#include "store/store.h"

/* What the caller may do in one production (api/productions.c). */
struct api_access {
	struct store_production production;
	struct store_membership me; /* valid when member */
	int member;
	int instance_admin;
};
/* Loads production {id} and the caller's standing in it; answers and returns -1 when refused. */
int api_production_access(struct http_req *r, struct api_access *a);
/* The caller's scope for resource × action, counting the instance admin's member right. */
enum policy_scope api_scope(const struct api_access *a, enum policy_resource res,
                            enum policy_action act);
/*
 * Who reads, for the view layer (api/view.c): the caller's standing in the
 * production, their own person record there (if any) and the shoot days
 * they are called on. Every record a handler returns goes through
 * api_allows with this.
 */
#define API_MAX_CALLED 512
struct api_reader {
	struct api_access a;
	int has_role;
	enum policy_role role;
	char person_id[STORE_ID_LEN + 8];     /* "" when the caller has no record here */
	char department_id[STORE_ID_LEN + 8]; /* the membership's department, else the record's */
	int self_confirmed; /* the caller confirmed that link: `self` opens its sealed groups */
	int published_only; /* a calendar feed's reader: published data only (api/published.c) */
	int called_loaded;
	size_t ncalled;
	char (*called)[STORE_ID_LEN + 8]; /* day ids with a call for person_id */
	/* where api_reader_load found or left it (api/cache.c); s NULL: not cached */
	struct {
		struct store *s;
		struct store_gen gen;
		char user_id[STORE_ID_LEN + 8];
		int instance_admin;
	} cache;
};
/* Loads the reader of production {id}; answers and returns -1 when refused. */
int api_reader_load(struct http_req *r, struct api_reader *rd);
void api_reader_free(struct api_reader *rd);
/* 1 when the caller has a call on day_id (loads their calls once); -1 after answering 503. */
int api_reader_called(struct http_req *r, struct api_reader *rd, const char *day_id);
/* The same over any store connection: -1 with e set on a store error, nothing answered. */
int api_reader_knows_calls(struct store *s, struct api_reader *rd, const char *day_id,
                           struct err *e);
/*
 * Loads rd->called, every day id the reader is called on, unless loaded (to
 * walk them; api_reader_knows_calls may answer without them): 0, or -1 with
 * e set on a store error.
 */
int api_reader_called_days(struct store *s, struct api_reader *rd, struct err *e);
/* The shell operator's reader (slate export): production admin of p, with no person record. */
void api_reader_operator(struct api_reader *rd, const struct store_production *p);
/*
 * 1 when the reader may do act on res for a record of person_id in
 * department_id (either may be NULL), `called` saying whether the reader
 * is called on the record's day.
 */
int api_allows(const struct api_reader *rd, enum policy_resource res, enum policy_action act,
               const char *person_id, const char *department_id, int called);
/* The role sits below AD (department heads, crew, cast): confidential locations stay hidden. */
int api_below_ad(const struct api_reader *rd);
/* A stored coordinate (decimal degrees as text) as a number: 0, or -1 when empty or not one. */
int api_coordinate(const char *s, double *out);
/*
 * 1 when a look-up found its record (found == 1); else answers 404 "there is
 * no such <what> in this production" (found == 0) or 503 (found == -1).
 */
int api_found(struct http_req *r, int found, const struct err *e, const char *what);
/* Day / person `id` of the reader's production (person: nothing opened): 1, or 0 after answering.
 */
int api_load_day(struct http_req *r, const struct api_reader *rd, const char *id,
                 struct store_day *d);
int api_load_person(struct http_req *r, const struct api_reader *rd, const char *id,
                    struct store_person *p);
/*
 * The view of each record type, shared by its handlers and by the exports
 * (api/export.c), so an export is shaped exactly like the API. A function
 * taking a store returns -2 (views) or -1 with e set on a store failure and
 * answers nothing.
 */
/* What rd may read of p: -1 nothing, else the STORE_PERSON_* groups to open. */
int api_person_readable(const struct api_reader *rd, const struct store_person *p);
json_t *api_person_json(const struct store_person *p);
/* What rd may see of l: -1 nothing, 0 the location, 1 with its site; -2 store error. */
int api_location_view(struct store *s, struct api_reader *rd, const struct store_location *l,
                      struct err *e);
json_t *api_location_json(const struct store_location *l);
/* Appends to arr the locations rd may see, each as api_location_json. */
int api_locations_view(struct store *s, struct api_reader *rd, json_t *arr, struct err *e);
/* rd may see shoot day day_id: 1 yes, 0 no, -1 store error. */
int api_day_visible(struct store *s, struct api_reader *rd, const char *day_id, struct err *e);
json_t *api_day_json(const struct store_day *d);
/* rd may read the synopsis of a scene of a day they are called on (called) or not. */
int api_scene_synopsis_readable(const struct api_reader *rd, int called);
/* The scene with its cast ids; NULL with e set on a store error. */
json_t *api_scene_json(struct store *s, const struct store_scene *sc, struct err *e);
/* Appends to arr the scenes rd may see (all, or those of the days they are called on). */
int api_scenes_view(struct store *s, struct api_reader *rd, json_t *arr, struct err *e);
int api_call_readable(const struct api_reader *rd, const struct store_call *c);
json_t *api_call_json(const struct store_call *c);
json_t *api_callsheet_json(const struct store_callsheet *cs);
/* The views of the export's other records (api/export.c), each as its GET answers it. */
json_t *api_member_json(const struct store_membership *m);
/* 1 when tz is an IANA zone this system knows, as POST /productions checks it. */
int api_timezone_ok(const char *tz);
json_t *api_invitation_json(const struct store_invitation *v);
json_t *api_carbon_entry_json(const struct store_carbon_entry *en);
/* GET …/sustainability/settings of a production: NULL with e set on a store error. */
json_t *api_carbon_settings_view(struct store *s, const char *production_id, struct err *e);
json_t *api_attachment_json(const struct store_attachment *a);
json_t *api_audit_event_json(const struct store_audit_event *ev);
/*
 * Adds actor_name and object_name to each event of arr (as api_audit_event_json
 * made them), looked up now: 0, or -1 with e set.
 */
int api_audit_name_events(struct store *s, const char *production_id, json_t *arr, struct err *e);
/* rd may read the call sheets of day d: 1 yes, 0 no, -1 store error. */
int api_callsheet_readable(struct store *s, struct api_reader *rd, const struct store_day *d,
                           struct err *e);

/*
 * Fills rd's own record (person_id, self_confirmed) and department from
 * the person record user_id has in rd's production (the membership's
 * department first): 0, or -1 with e set.
 */
int api_reader_own_record(struct store *s, const char *user_id, struct api_reader *rd,
                          struct err *e);

/*
 * The published view (api/published.c): below AD (and for a calendar feed)
 * the schedule and calls are read from the latest call sheet version of
 * each day, not from the working draft.
 */
int api_reads_published_schedule(const struct api_reader *rd);
int api_reads_published_calls(const struct api_reader *rd);
/* The latest version of day_id, parsed into *sheet (caller frees): 1, 0 none, -1 e set. */
int api_published_sheet(struct store *s, const char *production_id, const char *day_id,
                        int *version, json_t **sheet, struct err *e);
/* 1 when the sheet calls person_id. */
int api_published_called(const json_t *sheet, const char *person_id);
/* Day d as the sheet shows it, shaped as api_day_json. */
json_t *api_published_day_json(const struct store_day *d, const json_t *sheet);
/* Appends to arr the sheet's calls rd may read, shaped as api_call_json. */
void api_published_calls(const struct api_reader *rd, const char *day_id, const json_t *sheet,
                         json_t *arr);
/*
 * The schedule (person_id NULL) or person_id's calls as an iCalendar, in
 * the view rd reads (self_only: only the days rd is called on): 0, or -1
 * with e set.
 */
int calendar_write(FILE *f, struct store *s, struct api_reader *rd, const char *person_id,
                   int self_only, struct err *e);

/* A whole number query parameter in [lo, hi]; def when absent; -1 when malformed. */
long api_query_long(struct http_req *r, const char *name, long def, long lo, long hi);
/* 400 naming one field. */
void api_bad_field(struct http_req *r, const char *pointer, const char *detail);
/* Answers a store failure that carries a field (400/404/409) or 503. */
void api_refuse(struct http_req *r, const struct err *e, const char *title);

/* Logs e and answers 503. */
void api_unavailable(struct http_req *r, const struct err *e);

/* A time of the API (Unix seconds) as the API writes every time: an RFC 3339
 * UTC string to the second, "2027-03-01T06:30:00Z" (src/api/times.c). */
json_t *api_time_json(long long unix_seconds);

/*
 * The factor an entry of key in unit_code uses — the production's own factor
 * of that key, else the set's (flights: the variant include_rf says) — and
 * the CO2e of quantity in grams (api/sustainability.c): 0, or -1 with e
 * naming /factor, /unit or /quantity (400), or a store failure.
 */
int api_carbon_resolve(struct store *s, const char *production_id,
                       const struct store_factor_set *set, int include_rf, const char *key,
                       double quantity, const char *unit_code, struct store_factor *out,
                       long long *grams, struct err *e);
/* An emission factor as the API shows it (api/sustainability.c). */
json_t *api_factor_json(const struct store_factor *f);
/*
 * The carbon report of production p (api/carbon_report.c): totals by
 * category, department, shoot day and week, budget, sources. department_id
 * NULL: the whole production. NULL with e set on a store failure.
 */
json_t *carbon_report(struct store *s, const struct store_production *p, const char *department_id,
                      const struct store_carbon_settings *settings, struct err *e);
/* The report as CSV (section,key,label,kg_co2e,t_co2e,entries) and as an SVG chart
 * ("category" bars or the "cumulative" line); malloc'd. department: the name
 * of the department a department-scoped report covers (said in the chart's
 * title), else NULL. */
char *carbon_report_csv(const json_t *report);
char *carbon_report_svg(const json_t *report, const char *chart, const char *department);
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
int attachments_upload_head(struct http_req *r);
int carbon_evidence_head(struct http_req *r);
int carbon_import_head(struct http_req *r);
/*
 * Sends attachment id of production_id, checked whole before the first byte;
 * 404 unless it is evidence exactly when evidence is 1.
 */
void attachments_send(struct http_req *r, const char *production_id, const char *id, int evidence);

/*
 * 409 for a record others hold (api/undo.c): a problem document with
 * `held_by`, the [{kind, id, name}] holders (stolen).
 */
void api_refuse_held(struct http_req *r, const char *detail, json_t *held_by);

extern const struct route api_routes[];
extern const size_t api_nroutes;

void exports_get(struct http_req *r);
void factor_sets_list(struct http_req *r);
void factor_sets_factors(struct http_req *r);
void carbon_settings_get(struct http_req *r);
void carbon_settings_put(struct http_req *r);
void carbon_settings_patch(struct http_req *r);
void carbon_factors_list(struct http_req *r);
void carbon_factors_create(struct http_req *r);
void carbon_entries_list(struct http_req *r);
void carbon_entries_create(struct http_req *r);
void carbon_entries_get(struct http_req *r);
void carbon_entries_delete(struct http_req *r);
void carbon_evidence_put(struct http_req *r);
void carbon_evidence_get(struct http_req *r);
void carbon_import(struct http_req *r);
void carbon_recalculate(struct http_req *r);
void carbon_report_get(struct http_req *r);
void health_live(struct http_req *r);
void health_ready(struct http_req *r);
void health_security_txt(struct http_req *r);
void health_security_policy(struct http_req *r);
void health_metrics(struct http_req *r);
void auth_login(struct http_req *r);
void auth_logout(struct http_req *r);
void reset_request(struct http_req *r);
/* The password-reset desk (api/reset.c): started by `slate serve` before the loops, stopped
   after them (serving what was asked before it stops). */
struct keyring;
int reset_desk_start(const struct config *c, const char *db_path, struct keyring *keys,
                     struct err *e);
void reset_desk_stop(void);
void reset_complete(struct http_req *r);
void productions_create(struct http_req *r);
void productions_import(struct http_req *r);
int productions_import_head(struct http_req *r);
void productions_list(struct http_req *r);
void productions_get(struct http_req *r);
void productions_update(struct http_req *r);
void members_list(struct http_req *r);
void members_add(struct http_req *r);
void members_update(struct http_req *r);
void members_revoke(struct http_req *r);
void members_reinstate(struct http_req *r);
void invitations_create(struct http_req *r);
void invitations_list(struct http_req *r);
void invitations_accept(struct http_req *r);
void attachments_upload(struct http_req *r);
void attachments_list(struct http_req *r);
void attachments_download(struct http_req *r);
void people_list(struct http_req *r);
void people_get(struct http_req *r);

#endif
