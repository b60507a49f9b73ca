/*
 * view.h — who reads (struct api_reader, api/view.c) and the view of each
 * record type: what a reader may see of a record and the JSON it is shown
 * as, shared by the handlers and the exports.
 */
#ifndef SLATE_API_VIEW_H
#define SLATE_API_VIEW_H

#include <stddef.h>
#include <stdio.h>

#include "api/access.h"
#include "domain/policy.h"
#include "http/server.h"
#include "store/store.h"

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
 * The answer of GET .../callsheets/{id} of production_id, exactly as that
 * route gives it (from the loop's cache when it holds it, else opened,
 * built and kept there; g as api/cache.h takes it), with the version's row
 * (no body) and its shoot day. Checks no right: the caller has checked
 * api_callsheet_readable for the day. 1 with *out malloc'd (*len bytes,
 * NUL-terminated; the caller wipes and frees it), 0 no such version, -1 e set.
 */
int api_callsheet_answer(struct store *s, const struct store_gen *g, const char *production_id,
                         const char *id, struct store_callsheet *cs, struct store_day *d,
                         char **out, size_t *len, struct err *e);
/*
 * Sends version cs (its sheet parsed) to its recipients inside the caller's
 * transaction (api/distribution.c): a message and a delivery row each, or a
 * not_sent row; reminder: only to those who have not acknowledged. 0 with
 * *out {queued, not_sent: [{person_id, name, reason}]}, or -1 e set.
 */
int api_distribution_send(struct store *s, const char *public_url, const struct store_production *p,
                          const struct store_callsheet *cs, const json_t *sheet, int reminder,
                          json_t **out, struct err *e);

/*
 * Publishes the next version of day d of production p as actor (inside the
 * caller's transaction; no audit event): 0 with cs filled (no body) and,
 * when sheet_out is not NULL, the sheet (the caller drops it), or -1 e set.
 */
int api_callsheet_publish_now(struct store *s, const struct store_production *p,
                              const struct store_day *d, const char *actor,
                              struct store_callsheet *cs, json_t **sheet_out, struct err *e);

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

/* A time of the API (Unix seconds) as the API writes every time: an RFC 3339
 * UTC string to the second, "2027-03-01T06:30:00Z" (src/api/times.c). */
json_t *api_time_json(long long unix_seconds);
/* The same, or null for 0 (a time that has not come: a production's end, say). */
json_t *api_time_or_null(long long unix_seconds);

#endif
