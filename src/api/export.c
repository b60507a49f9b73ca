/*
 * export.c — a production's data, taken away whole: the data is the
 * customer's.
 *
 * GET /api/v1/productions/{id}/export?format=FORMAT[&table=T][&person=P][&callsheet=C]
 *
 *   json       the whole data set: {format:"slate-export", version:2, scope,
 *              exported_at, production, departments, people, locations, days,
 *              scenes, calls, callsheets (each version with its sheet)}, and for
 *              scope all the parts api/export_v2.c adds (the days' locations,
 *              scenes and department calls, members, invitations,
 *              sustainability, attachments, audit)
 *   csv        one table of it (table=departments|people|locations|days|
 *              scenes|calls|callsheets), RFC 4180, formula cells neutralised
 *              (domain/csv.h); without a table, every table as a ZIP archive
 *              of CSV files (api/export_tables.c)
 *   ics        the shoot days as iCalendar events in the production's zone;
 *              with person=ID (or person=me) that person's calls instead
 *   vcf        the people as vCard 4.0 (domain/vcard.h)
 *   callsheet  one published call sheet (callsheet=ID) as JSON
 *   pdf        the same call sheet drawn as a PDF (render/sheetpdf.h; paper=a4 or
 *              letter), the exporter's own call (or person=ID's) highlighted
 *
 * `slate export` (cli/export.c) writes the same bytes from the shell.
 *
 * Shape. The data set is assembled through the very views the API answers
 * with (api/view.h: api_person_readable, api_location_view, …), so an export
 * never holds a field the exporter could not GET. The `export` row of the
 * policy table then narrows it: scope all (production admins, producers)
 * exports everything the role reads; scope self (everyone else) exports
 * only what is about the exporter — their own person record, their calls,
 * the days they are called on and those days' call sheets they may read.
 * Every export is audited (`production.export`, object "FORMAT[:detail]").
 *
 * Memory: the data set is one jansson tree owned by the caller of
 * export_dataset; the rendered bytes live in an open_memstream buffer that
 * is wiped before it is freed, once copied into the answer's buffer. The work runs on a worker
 * (exports_get): store reads over the worker's own connection, about 10 ms for the demo production,
 * seconds for a large one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>
#include <sodium.h>

#include "api/audit_read.h"
#include "api/call.h"
#include "api/export.h"
#include "api/handlers.h"
#include "api/reply.h"
#include "api/session.h"
#include "api/view.h"
#include "domain/csv.h"
#include "domain/ical.h"
#include "domain/vcard.h"
#include "render/sheetpdf.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

/* ---- the data set ---- */

struct set_build {
	struct store *s;
	struct api_reader *rd;
	int self_only;
	json_t *arr;
	struct err e;
	int failed;
};

static void
add_department(const char *id, const char *name, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s, s:s}", "id", id, "name", name));
}

static int
person_want(const struct store_person *p, void *arg)
{
	struct set_build *b = arg;
	if (b->self_only && strcmp(p->id, b->rd->person_id) != 0)
		return -1;
	return api_person_readable(b->rd, p);
}

static void
person_add(const struct store_person *p, void *arg)
{
	struct set_build *b = arg;
	json_array_append_new(b->arr, api_person_json(p));
}

/*
 * Days go into b->arr and, as store_day copies, into *kept (for the call
 * sheets). Below AD (api_reads_published_schedule) a day is exported as its
 * latest call sheet shows it, with that sheet in *sheets (for the calls),
 * and a day never published is not exported, exactly as GET …/days.
 */
struct day_build {
	struct set_build b;
	struct store_day *kept;
	json_t *sheets; /* each kept day's sheet, or null (the draft) */
	size_t n;
};

static void
day_add(const struct store_day *d, void *arg)
{
	struct day_build *db = arg;
	struct api_reader *rd = db->b.rd;
	json_t *sheet = NULL;
	int v, version;
	if (db->b.failed)
		return;
	if (api_reads_published_schedule(rd)) {
		v = api_published_sheet(db->b.s, rd->a.production.id, d->id, &version, &sheet,
		                        &db->b.e);
		if (v == 1)
			v = api_allows(rd, POLICY_RESOURCE_SCHEDULE, POLICY_ACTION_READ, NULL, NULL,
			               api_published_called(sheet, rd->person_id));
		if (v == 1 && db->b.self_only)
			v = api_published_called(sheet, rd->person_id);
	} else {
		v = api_day_visible(db->b.s, rd, d->id, &db->b.e);
		if (v == 1 && db->b.self_only)
			v = api_reader_knows_calls(db->b.s, rd, d->id, &db->b.e);
	}
	if (v == -1)
		db->b.failed = 1;
	if (v != 1) {
		json_decref(sheet);
		return;
	}
	json_array_append_new(db->b.arr,
	                      sheet != NULL ? api_published_day_json(d, sheet) : api_day_json(d));
	db->kept = xrealloc(db->kept, (db->n + 1) * sizeof(*db->kept));
	db->kept[db->n++] = *d;
	json_array_append_new(db->sheets, sheet != NULL ? sheet : json_null());
}

static void
call_add(const struct store_call *c, void *arg)
{
	struct set_build *b = arg;
	if (api_call_readable(b->rd, c))
		json_array_append_new(b->arr, api_call_json(c));
}

static void
version_add(const struct store_callsheet *cs, void *arg)
{
	json_array_append_new(arg, api_callsheet_json(cs));
}

/* The sheet of a listed version, opened: appended to the version's object. */
static int
with_sheet(struct store *s, const char *production_id, json_t *version, struct err *e)
{
	struct store_callsheet cs;
	json_t *sheet;
	int found = store_callsheet_get(
	    s, production_id, json_string_value(json_object_get(version, "id")), 1, &cs, e);
	if (found != 1)
		return found == 0 ? 0 : -1;
	sheet = json_loads(cs.body, 0, NULL);
	sodium_memzero(cs.body, strlen(cs.body));
	free(cs.body);
	json_object_set_new(version, "sheet", sheet ? sheet : json_null());
	return 0;
}

static int
callsheets_of(struct store *s, struct api_reader *rd, const struct store_day *days, size_t n,
              json_t *arr, struct err *e)
{
	for (size_t i = 0; i < n; i++) {
		json_t *versions, *v;
		size_t k;
		int ok = api_callsheet_readable(s, rd, &days[i], e);
		if (ok == -1)
			return -1;
		if (!ok)
			continue;
		versions = json_array();
		if (store_callsheet_list(s, rd->a.production.id, days[i].id, version_add, versions,
		                         e) == -1) {
			json_decref(versions);
			return -1;
		}
		json_array_foreach (versions, k, v) {
			if (with_sheet(s, rd->a.production.id, v, e) == -1) {
				json_decref(versions);
				return -1;
			}
		}
		json_array_extend(arr, versions);
		json_decref(versions);
	}
	return 0;
}

json_t *
export_dataset(struct store *s, struct api_reader *rd, int self_only, struct err *e)
{
	const char *prod = rd->a.production.id;
	struct store_person_filter any = {NULL, NULL, NULL};
	char now[TIMEFMT_LEN];
	struct day_build db = {.b = {s, rd, self_only, NULL, {0}, 0}, NULL, json_array(), 0};
	struct set_build b = {s, rd, self_only, NULL, {0}, 0};
	json_t *set, *departments, *people, *locations, *days, *scenes, *calls, *sheets;
	int rc = 0;

	time_rfc3339(time(NULL), now);
	departments = json_array();
	people = json_array();
	locations = json_array();
	days = json_array();
	scenes = json_array();
	calls = json_array();
	sheets = json_array();
	set = json_pack(
	    "{s:s, s:i, s:s, s:s, s:{s:s, s:s, s:s}, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "format",
	    "slate-export", "version", 2, "scope", self_only ? "self" : "all", "exported_at", now,
	    "production", "id", prod, "name", rd->a.production.name, "timezone",
	    rd->a.production.timezone, "departments", departments, "people", people, "locations",
	    locations, "days", days, "scenes", scenes, "calls", calls, "callsheets", sheets);

	if (!self_only)
		rc = store_department_list(s, prod, add_department, departments, e);
	if (rc == 0 && (!self_only || rd->person_id[0])) {
		b.arr = people;
		rc = store_person_list(s, prod, &any, person_want, person_add, &b, e);
	}
	if (rc == 0 && !self_only)
		rc = api_locations_view(s, rd, locations, e);
	if (rc == 0) {
		db.b.arr = days;
		rc = store_day_list(s, prod, day_add, &db, e);
		if (rc == 0 && db.b.failed) {
			*e = db.b.e;
			rc = -1;
		}
	}
	if (rc == 0 && !self_only)
		rc = api_scenes_view(s, rd, scenes, e);
	if (rc == 0 && (!self_only || rd->person_id[0])) {
		b.arr = calls;
		if (api_reads_published_calls(rd)) {
			/* the calls of the days exported, as their latest sheets give them */
			for (size_t i = 0; i < db.n; i++) {
				const json_t *sheet = json_array_get(db.sheets, i);
				if (!json_is_null(sheet))
					api_published_calls(rd, db.kept[i].id, sheet, calls);
			}
		} else {
			rc = store_call_list(s, prod, NULL, self_only ? rd->person_id : NULL,
			                     call_add, &b, e);
		}
	}
	if (rc == 0)
		rc = callsheets_of(s, rd, db.kept, db.n, sheets, e);
	if (rc == 0 && !self_only)
		rc = export_dataset_more(s, rd, set, e);
	json_decref(db.sheets);
	free(db.kept);
	if (rc == -1) {
		json_decref(set);
		return NULL;
	}
	return set;
}

/* ---- formats ---- */

static const char *
text(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v != NULL ? v : "";
}

static void
write_vcf(FILE *f, const json_t *set)
{
	const char *org = text(json_object_get(set, "production"), "name");
	size_t i;
	const json_t *p;
	json_array_foreach (json_object_get(set, "people"), i, p) {
		struct vcard v = {text(p, "id"),
		                  text(p, "name"),
		                  org,
		                  text(p, "department"),
		                  text(p, "job_title"),
		                  text(p, "character_name"),
		                  text(p, "work_phone"),
		                  text(p, "work_email"),
		                  text(p, "personal_phone"),
		                  text(p, "personal_email"),
		                  text(p, "home_address"),
		                  text(p, "date_of_birth")};
		vcard_write(f, &v);
	}
}

/* Version v of a call sheet (as the data set holds it: its fields and "sheet") as a PDF. */
static int
write_pdf(FILE *f, const json_t *v, const struct export_query *q, const struct api_reader *rd,
          struct err *e)
{
	struct sheetpdf_opts o = {.person_id = q->person != NULL && strcmp(q->person, "me") != 0
	                                           ? q->person
	                                           : rd->person_id,
	                          .version = (int)json_integer_value(json_object_get(v, "version")),
	                          .published_at = text(v, "published_at")};
	unsigned char *pdf = NULL;
	size_t len = 0;
	int rc;

	if (sheetpdf_paper_named(q->paper, &o.paper) == -1 ||
	    sheetpdf_render(json_object_get(v, "sheet"), &o, &pdf, &len, e) == -1)
		return -1;
	rc = fwrite(pdf, 1, len, f) == len ? 0 : err_set(e, 500, "the PDF could not be written");
	free(pdf);
	return rc;
}

int
export_check(const struct export_query *q, struct err *e)
{
	static const char *const formats[] = {"json",      "csv", "ics", "vcf",
	                                      "callsheet", "pdf", NULL};
	enum sheetpdf_paper paper;
	int known = 0;
	for (size_t i = 0; formats[i] != NULL; i++)
		known |= strcmp(q->format, formats[i]) == 0;
	if (!known) {
		err_field(e, 400, "?format", "json, csv, ics, vcf, callsheet or pdf");
		return -1;
	}
	if (q->paper != NULL &&
	    (strcmp(q->format, "pdf") != 0 || sheetpdf_paper_named(q->paper, &paper) == -1)) {
		err_field(e, 400, "?paper", "a4 or letter, with format=pdf");
		return -1;
	}
	if (strcmp(q->format, "csv") == 0) {
		if (q->table == NULL || export_csv_table_known(q->table))
			return 0;
		err_field(e, 400, "?table",
		          "departments, people, locations, days, scenes, calls or callsheets with "
		          "format=csv (or no table: every table, as a ZIP archive)");
		return -1;
	}
	if ((strcmp(q->format, "callsheet") == 0 || strcmp(q->format, "pdf") == 0) &&
	    (q->callsheet == NULL || q->callsheet[0] == 0)) {
		err_field(e, 400, "?callsheet", "a call sheet's id with format=callsheet or pdf");
		return -1;
	}
	return 0;
}

const char *
export_content_type(const struct export_query *q)
{
	if (strcmp(q->format, "csv") == 0)
		return q->table != NULL ? "text/csv; charset=utf-8; header=present"
		                        : "application/zip";
	if (strcmp(q->format, "ics") == 0)
		return "text/calendar; charset=utf-8";
	if (strcmp(q->format, "vcf") == 0)
		return "text/vcard; charset=utf-8";
	if (strcmp(q->format, "pdf") == 0)
		return "application/pdf";
	return "application/json";
}

int
export_write(FILE *f, struct store *s, struct api_reader *rd, const json_t *set,
             const struct export_query *q, struct err *e)
{
	if (strcmp(q->format, "json") == 0) {
		return json_dumpf(set, f, JSON_INDENT(1) | JSON_SORT_KEYS) == 0 ? 0 : -1;
	}
	if (strcmp(q->format, "csv") == 0)
		return export_csv(f, s, set, q->table, e);
	if (strcmp(q->format, "vcf") == 0) {
		write_vcf(f, set);
		return 0;
	}
	if (strcmp(q->format, "ics") == 0) {
		const char *who = q->person;
		if (who != NULL && strcmp(who, "me") == 0) {
			if (rd->person_id[0] == '\0') {
				err_field(e, 404, "?person",
				          "you have no person record in this production");
				return -1;
			}
			who = rd->person_id;
		}
		if (who != NULL) {
			struct store_person p;
			int found = store_person_get(s, rd->a.production.id, who, 0, &p, e);
			if (found != 1) {
				if (found == 0)
					err_field(e, 404, "?person",
					          "there is no such person in this production");
				return -1;
			}
			if (!api_allows(rd, POLICY_RESOURCE_CALL, POLICY_ACTION_READ, p.id,
			                p.department_id[0] ? p.department_id : NULL, 0) ||
			    (strcmp(text(set, "scope"), "self") == 0 &&
			     strcmp(p.id, rd->person_id) != 0)) {
				err_field(e, 403, "?person",
				          "your role does not see this person's calls");
				return -1;
			}
		}
		/* from the store, in the view rd reads (api/published.c), not from set */
		return calendar_write(f, s, rd, who, strcmp(text(set, "scope"), "self") == 0, e);
	}
	/* callsheet, pdf: one version, if the data set holds it */
	{
		size_t i;
		const json_t *v;
		json_array_foreach (json_object_get(set, "callsheets"), i, v) {
			if (strcmp(text(v, "id"), q->callsheet) != 0)
				continue;
			if (strcmp(q->format, "pdf") == 0)
				return write_pdf(f, v, q, rd, e);
			return json_dumpf(v, f, JSON_INDENT(1) | JSON_SORT_KEYS) == 0 ? 0 : -1;
		}
		err_field(e, 404, "?callsheet", "there is no such call sheet in your export");
		return -1;
	}
}

/* ---- the route ---- */

/*
 * One `person.read_private` event (api/audit_read.c) naming the people whose
 * personal or private fields the export carries: the formats that render the
 * data set's people (json, vcf, csv of people or of every table), never a
 * calendar or a single call sheet.
 */
static void
export_audit_people(struct http_req *r, const json_t *people, const struct export_query *q)
{
	struct audit_read ar = {0};
	int rendered = strcmp(q->format, "json") == 0 || strcmp(q->format, "vcf") == 0 ||
	               (strcmp(q->format, "csv") == 0 &&
	                (q->table == NULL || strcmp(q->table, "people") == 0));
	if (rendered)
		audit_read_add_all(&ar, people);
	audit_read_done(r, &ar);
}

static int
query_text(struct http_req *r, const char *name, char *buf, size_t cap, const char **out)
{
	int got = router_query_param(r->query, name, buf, cap);
	*out = got == 1 ? buf : NULL;
	return got == -1 ? -1 : 0;
}

/*
 * An export's work, done on a worker: reading a large production and
 * rendering it takes long enough to stall every connection of a loop. The
 * loop loads the reader and checks the query and the scope; the worker
 * builds the data set and renders it over its own store connection
 * (http_worker_store; the reader's cache is the loop's and is left alone
 * when another connection reads, api_reader_knows_calls); the loop audits
 * and answers when the job comes home.
 */
#define EXPORT_PIECE ((size_t)256 * 1024)

struct export_job {
	struct job job;
	struct http_req *r;
	struct api_reader rd; /* used by the worker; freed on the loop (its cache lives there) */
	struct export_query q;
	char format[16], table[16], person[STORE_ID_LEN + 8], callsheet[STORE_ID_LEN + 8],
	    paper[16];
	int self_only;
	/*
	 * The outcome. Everything that grows with the production is made and
	 * freed on the worker: the data set (but its people, for the audit),
	 * the rendered bytes (copied into `body`, the answer's buffer, and
	 * wiped), so the loop only moves the buffer onto the connection.
	 */
	int read;              /* the data set was read (else e says why) */
	json_t *people;        /* the data set's people, for the audit of private reads */
	struct evbuffer *body; /* the whole export, when it was rendered */
	int memstream;         /* open_memstream worked */
	struct err e;
};

static void
export_work(struct job *j)
{
	struct export_job *x = (struct export_job *)j;
	struct store *s = http_worker_store(&x->e);
	json_t *set;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int ok;

	if (s == NULL || (set = export_dataset(s, &x->rd, x->self_only, &x->e)) == NULL)
		return;
	x->read = 1;
	x->people = json_incref(json_object_get(set, "people"));
	if ((f = open_memstream(&out, &len)) != NULL) {
		x->memstream = 1;
		ok = export_write(f, s, &x->rd, set, &x->q, &x->e) == 0;
		ok = fclose(f) == 0 && ok;
		if (ok) {
			/* in pieces: each is freed on the loop as it leaves, none a long munmap */
			x->body = evbuffer_new();
			for (size_t o = 0; o < len; o += EXPORT_PIECE)
				evbuffer_add(x->body, out + o,
				             len - o < EXPORT_PIECE ? len - o : EXPORT_PIECE);
		}
		if (out != NULL)
			sodium_memzero(out, len);
		free(out);
	}
	json_decref(set);
}

static void
export_done(struct job *j)
{
	struct export_job *x = (struct export_job *)j;
	struct http_req *r = x->r;
	const struct export_query *q = &x->q;
	char object[64], cd[160];

	if (!x->read) {
		api_unavailable(r, &x->e);
	} else if (!x->memstream) {
		http_end_problem(r, 503, "the export could not be made right now");
	} else if (x->body == NULL) {
		if (x->e.status == 400 || x->e.status == 403 || x->e.status == 404)
			http_end_problem_errors(
			    r, x->e.status, "the export cannot be made so",
			    json_pack("[{s:s, s:s}]", "pointer", x->e.field, "detail", x->e.msg));
		else
			api_unavailable(r, &x->e);
	} else {
		snprintf(object, sizeof(object), "%s:%s%s%s", x->rd.a.production.id, q->format,
		         q->table ? ":" : "", q->table ? q->table : "");
		api_audit_caller(r, "production.export", object, "success");
		export_audit_people(r, x->people, q);
		snprintf(cd, sizeof(cd), "attachment; filename=\"slate-%s%s%s.%s\"",
		         x->rd.a.production.id, q->table ? "-" : "", q->table ? q->table : "",
		         strcmp(q->format, "callsheet") == 0                 ? "json"
		         : strcmp(q->format, "csv") == 0 && q->table == NULL ? "zip"
		                                                             : q->format);
		http_add_header(r, "Content-Disposition", cd);
		http_end_reply_buffer(r, 200, export_content_type(q), x->body);
	}
	if (x->body != NULL)
		evbuffer_free(x->body);
	json_decref(x->people);
	api_reader_free(&x->rd);
	free(x);
}

void
exports_get(struct http_req *r)
{
	struct export_job *x;
	struct export_query *q;
	enum policy_scope scope;
	struct err e;

	x = xcalloc(1, sizeof(*x));
	q = &x->q;
	if (api_reader_load(r, &x->rd) == -1) {
		free(x);
		return;
	}
	if (query_text(r, "format", x->format, sizeof(x->format), &q->format) == -1 ||
	    query_text(r, "table", x->table, sizeof(x->table), &q->table) == -1 ||
	    query_text(r, "person", x->person, sizeof(x->person), &q->person) == -1 ||
	    query_text(r, "callsheet", x->callsheet, sizeof(x->callsheet), &q->callsheet) == -1 ||
	    query_text(r, "paper", x->paper, sizeof(x->paper), &q->paper) == -1) {
		api_bad_field(r, "?format", "a query parameter is malformed or too long");
		goto refused;
	}
	if (q->format == NULL)
		q->format = "json";
	if (export_check(q, &e) == -1) {
		api_refuse(r, &e, "the export cannot be made so");
		goto refused;
	}
	scope = x->rd.has_role
	            ? policy_scope(x->rd.role, POLICY_RESOURCE_EXPORT, POLICY_ACTION_READ)
	            : POLICY_SCOPE_NONE;
	if (scope != POLICY_SCOPE_ALL && scope != POLICY_SCOPE_SELF) {
		http_end_problem(r, 403, "your role cannot export this production's data");
		goto refused;
	}
	x->self_only = scope == POLICY_SCOPE_SELF;
	x->r = r;
	x->job.work = export_work;
	x->job.done = export_done;
	http_defer(r, &x->job);
	return;
refused:
	api_reader_free(&x->rd);
	free(x);
}
