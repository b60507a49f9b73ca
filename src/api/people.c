/*
 * people.c — the crew and cast of a production, and its departments.
 *
 * GET    /api/v1/productions/{id}/departments
 * POST   /api/v1/productions/{id}/departments        {name}
 * PATCH  /api/v1/productions/{id}/departments/{did}  {name}   rename
 * GET    /api/v1/productions/{id}/people              ?q=&department=&kind=&day=&limit=&offset=
 * POST   /api/v1/productions/{id}/people              {name, kind, department?, …}
 * GET    /api/v1/productions/{id}/people/{pid}
 * PATCH  /api/v1/productions/{id}/people/{pid}        any subset of the fields
 * DELETE /api/v1/productions/{id}/people/{pid}        also destroys the person key
 * POST   /api/v1/productions/{id}/people/{pid}/confirm-link   by the linked account only
 *
 * A person is one flat JSON object. Its fields fall into the policy
 * resources of docs/ROLES.md:
 *
 *   person                 id, name, kind, department, job_title,
 *                          character_name, key_contact, linked
 *   person_work_contact    work_phone, work_email
 *   person_personal_phone  personal_phone, personal_email
 *   person_private         home_address, emergency_contact, date_of_birth,
 *                          dietary, medical, id_numbers
 *
 * A reader gets exactly the fields the matrix gives their role for that
 * person (self, department or all); a field they may not see is absent,
 * and its sealed group is not even decrypted. Key contacts (key_contact:
 * true) are shown to everyone with their work contact, as on a call sheet.
 *
 * Writes check each field's resource for the write action: a field the
 * caller may not write is refused with 403 naming it, and nothing is
 * written. Changing a person's department, kind, key-contact flag or
 * account link is a directory change that needs person:write beyond self.
 *
 * Whose record it is. `self` is the record linked to the reader's account
 * (person.user_id), so the link is an identity decision: only those who
 * manage members (member:write all — production admins and producers) set
 * or change `account_email`, and anyone else is refused naming it, even
 * when the value would not change. A link alone never opens what someone
 * else wrote into the record: `self` reaches a record's sealed groups
 * (work contact, personal contact, private fields) only while the link is
 * confirmed (person.link_confirmed). A new link is confirmed at once when
 * the record holds no sealed field yet or the linker links their own
 * account; otherwise it waits for the linked account to confirm it with
 * confirm-link (audited). Until then `self` reads and writes of those groups
 * are refused as if the record were someone else's; the directory entry,
 * calls and acknowledgements follow the link as before. See
 * docs/ROLES.md, "Whose record is it".
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <jansson.h>
#include <sodium.h>

#include "api/access.h"
#include "api/audit_read.h"
#include "api/cache.h"
#include "api/handlers.h"
#include "api/reply.h"
#include "api/call.h"
#include "api/session.h"
#include "api/view.h"
#include "backup/erasure.h"
#include "audit/audit.h"
#include "domain/csv.h"
#include "domain/validate.h"
#include "util/email.h"
#include "util/utf8.h"
#include "util/wipe.h"
#include "util/workq.h"
#include "util/xalloc.h"
#include "util/nitems.h"

/* ---- departments ---- */

static void
add_department(const char *id, const char *name, void *arg)
{
	json_array_append_new(arg, json_pack("{s:s, s:s}", "id", id, "name", name));
}

/* Production read (api/routes.c); the instance administrator's right counts. */
void
departments_list(struct api_call *c)
{
	struct err e;
	json_t *arr = json_array();

	api_end_list(c, "departments", arr,
	             store_department_list(api_call_store(c), c->rd.a.production.id, add_department,
	                                   arr, &e),
	             &e);
}

/*
 * Departments are production settings: production write, checked by
 * dispatch; the body's name was checked there too (required, not blank).
 */
void
departments_create(struct api_call *c)
{
	const char *name = json_string_value(json_object_get(c->body, "name"));
	char id[STORE_ID_LEN + 8];
	struct err e;

	if (api_call_begin(c) == -1)
		return;
	if (store_department_create(api_call_store(c), c->rd.a.production.id, name, id, sizeof(id),
	                            &e) == -1) {
		api_call_abort(c);
		api_refuse(c->r, &e, "the department cannot be created");
		return;
	}
	if (api_call_commit(c, NULL, id) == 0)
		http_end_reply_json(c->r, 201, json_pack("{s:s, s:s}", "id", id, "name", name));
}

void
departments_update(struct api_call *c)
{
	const char *id = router_param(&c->r->match, "did");
	const char *name = json_string_value(json_object_get(c->body, "name"));
	struct err e;
	int done;

	if (api_call_begin(c) == -1)
		return;
	done = store_department_rename(api_call_store(c), c->rd.a.production.id, id, name, &e);
	if (done == -1) {
		api_call_abort(c);
		api_refuse(c->r, &e, "the department cannot be renamed");
		return;
	}
	if (done == 0) {
		api_call_abort(c);
		http_end_problem(c->r, 404, "there is no such department in this production");
		return;
	}
	if (api_call_commit(c, NULL, id) == 0)
		http_end_reply_json(c->r, 200, json_pack("{s:s, s:s}", "id", id, "name", name));
}

/* ---- the fields of a person ---- */

enum check { CHECK_TEXT, CHECK_PHONE, CHECK_EMAIL, CHECK_DATE };

static const struct person_field {
	const char *name;
	enum policy_resource res;
	unsigned group; /* STORE_PERSON_* or 0 for directory fields */
	size_t off, cap;
	enum check check;
} person_fields[] = {
#define F(n, r, g, m, c)                                                                           \
	{                                                                                          \
		n, r, g, offsetof(struct store_person, m), sizeof(((struct store_person *)0)->m),  \
		    c                                                                              \
	}
    F("name", POLICY_RESOURCE_PERSON, 0, name, CHECK_TEXT),
    F("job_title", POLICY_RESOURCE_PERSON, 0, job_title, CHECK_TEXT),
    F("character_name", POLICY_RESOURCE_PERSON, 0, character_name, CHECK_TEXT),
    F("work_phone", POLICY_RESOURCE_PERSON_WORK_CONTACT, STORE_PERSON_WORK, work_phone,
      CHECK_PHONE),
    F("work_email", POLICY_RESOURCE_PERSON_WORK_CONTACT, STORE_PERSON_WORK, work_email,
      CHECK_EMAIL),
    F("personal_phone", POLICY_RESOURCE_PERSON_PERSONAL_PHONE, STORE_PERSON_PERSONAL,
      personal_phone, CHECK_PHONE),
    F("personal_email", POLICY_RESOURCE_PERSON_PERSONAL_PHONE, STORE_PERSON_PERSONAL,
      personal_email, CHECK_EMAIL),
    F("home_address", POLICY_RESOURCE_PERSON_PRIVATE, STORE_PERSON_PRIVATE, home_address,
      CHECK_TEXT),
    F("emergency_contact", POLICY_RESOURCE_PERSON_PRIVATE, STORE_PERSON_PRIVATE, emergency_contact,
      CHECK_TEXT),
    F("date_of_birth", POLICY_RESOURCE_PERSON_PRIVATE, STORE_PERSON_PRIVATE, date_of_birth,
      CHECK_DATE),
    F("dietary", POLICY_RESOURCE_PERSON_PRIVATE, STORE_PERSON_PRIVATE, dietary, CHECK_TEXT),
    F("medical", POLICY_RESOURCE_PERSON_PRIVATE, STORE_PERSON_PRIVATE, medical, CHECK_TEXT),
    F("id_numbers", POLICY_RESOURCE_PERSON_PRIVATE, STORE_PERSON_PRIVATE, id_numbers, CHECK_TEXT),
#undef F
};
#define NFIELDS nitems(person_fields)

static char *
field_of(struct store_person *p, const struct person_field *f)
{
	return (char *)p + f->off;
}

static const char *
field_in(const struct store_person *p, const struct person_field *f)
{
	return (const char *)p + f->off;
}

/*
 * 1 when the reader's right to res × act on p comes from `self` alone while
 * their link to p is not confirmed: such a right does not reach p's sealed
 * groups. (The scope being self, the right can only be about their own record.)
 */
static int
self_unconfirmed(const struct api_reader *rd, enum policy_resource res, enum policy_action act)
{
	return rd->has_role && !rd->self_confirmed &&
	       policy_scope(rd->role, res, act) == POLICY_SCOPE_SELF;
}

/* api_allows for one sealed group of p: a `self` right needs a confirmed link. */
static int
group_allows(const struct api_reader *rd, enum policy_resource res, enum policy_action act,
             const struct store_person *p, const char *dept)
{
	return api_allows(rd, res, act, p->id, dept, 0) && !self_unconfirmed(rd, res, act);
}

int
api_person_readable(const struct api_reader *rd, const struct store_person *p)
{
	const char *dept = p->department_id[0] ? p->department_id : NULL;
	int key = p->key_contact &&
	          api_allows(rd, POLICY_RESOURCE_KEY_CONTACT, POLICY_ACTION_READ, p->id, dept, 0);
	unsigned open = 0;

	if (!key && !api_allows(rd, POLICY_RESOURCE_PERSON, POLICY_ACTION_READ, p->id, dept, 0))
		return -1;
	if (key ||
	    group_allows(rd, POLICY_RESOURCE_PERSON_WORK_CONTACT, POLICY_ACTION_READ, p, dept))
		open |= STORE_PERSON_WORK;
	if (group_allows(rd, POLICY_RESOURCE_PERSON_PERSONAL_PHONE, POLICY_ACTION_READ, p, dept))
		open |= STORE_PERSON_PERSONAL;
	if (group_allows(rd, POLICY_RESOURCE_PERSON_PRIVATE, POLICY_ACTION_READ, p, dept))
		open |= STORE_PERSON_PRIVATE;
	return (int)open;
}

/*
 * The person view, in one place: the keys a person is shown with, in their
 * order, the sealed ones only for the groups opened (p->opened). It drives
 * both shapes of a person: a jansson object (api_person_json: single reads,
 * writes, exports) and JSON text written straight into a page of the list
 * (person_text), which skips building and dumping a tree per person. The
 * text is byte for byte what jansson would dump of the object.
 */
struct person_out {
	/* v NULL: null; group: the sealed group the field is of (STORE_PERSON_*), 0 for none */
	void (*str)(struct person_out *o, const char *key, const char *v, unsigned group);
	void (*boolean)(struct person_out *o, const char *key, int v);
};

static void
person_view(const struct store_person *p, struct person_out *o)
{
	o->str(o, "id", p->id, 0);
	o->str(o, "name", p->name, 0);
	o->str(o, "kind", p->kind, 0);
	o->boolean(o, "key_contact", p->key_contact);
	o->boolean(o, "linked", p->user_id[0] != 0);
	o->boolean(o, "link_confirmed", p->user_id[0] != 0 && p->link_confirmed);
	o->str(o, "department", p->department[0] ? p->department : NULL, 0);
	o->str(o, "job_title", p->job_title, 0);
	if (strcmp(p->kind, "cast") == 0)
		o->str(o, "character_name", p->character_name, 0);
	for (size_t i = 0; i < NFIELDS; i++)
		if (person_fields[i].group != 0 && (p->opened & person_fields[i].group))
			o->str(o, person_fields[i].name, field_in(p, &person_fields[i]),
			       person_fields[i].group);
}

struct person_obj {
	struct person_out out;
	json_t *j;
};

static void
obj_str(struct person_out *o, const char *key, const char *v, unsigned group)
{
	(void)group; /* the object is audited by its keys (audit_read_add) */
	/* json_string refuses text that is not UTF-8: the key is then absent */
	json_object_set_new(((struct person_obj *)o)->j, key, v ? json_string(v) : json_null());
}

static void
obj_bool(struct person_out *o, const char *key, int v)
{
	json_object_set_new(((struct person_obj *)o)->j, key, json_boolean(v));
}

/* The person as the reader may see them (p->opened says which groups were opened). */
json_t *
api_person_json(const struct store_person *p)
{
	struct person_obj o = {{obj_str, obj_bool}, json_object()};
	person_view(p, &o.out);
	return o.j;
}

/* JSON text growing in one block, wiped as it moves and when freed (it holds personal data). */
struct text {
	char *p;
	size_t len, cap;
};

static void
text_add(struct text *t, const char *s, size_t n)
{
	if (t->len + n > t->cap) {
		size_t cap = t->cap ? t->cap : 16384;
		while (cap < t->len + n)
			cap *= 2;
		if ((t->p = wipe_realloc(t->p, cap)) == NULL)
			abort(); /* out of memory, as xalloc */
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
}

#define TEXT_LIT(t, lit) text_add((t), (lit), sizeof(lit) - 1)

/* s as jansson dumps a string (no flags): ", \ and control characters escaped, the rest as is. */
static void
text_string(struct text *t, const char *s)
{
	const char *run = s;
	char esc[8];

	TEXT_LIT(t, "\"");
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		text_add(t, run, (size_t)(s - run));
		switch (ch) {
		case '"': TEXT_LIT(t, "\\\""); break;
		case '\\': TEXT_LIT(t, "\\\\"); break;
		case '\b': TEXT_LIT(t, "\\b"); break;
		case '\f': TEXT_LIT(t, "\\f"); break;
		case '\n': TEXT_LIT(t, "\\n"); break;
		case '\r': TEXT_LIT(t, "\\r"); break;
		case '\t': TEXT_LIT(t, "\\t"); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)ch);
			text_add(t, esc, 6);
			break;
		}
		run = s + 1;
	}
	text_add(t, run, (size_t)(s - run));
	TEXT_LIT(t, "\"");
}

struct person_txt {
	struct person_out out;
	struct text *t;
	int first;   /* no key written yet */
	int carries; /* a personal or private field was written (api/audit_read.c) */
};

static void
txt_key(struct person_txt *o, const char *key)
{
	if (!o->first)
		TEXT_LIT(o->t, ",");
	o->first = 0;
	text_string(o->t, key);
	TEXT_LIT(o->t, ":");
}

static void
txt_str(struct person_out *out, const char *key, const char *v, unsigned group)
{
	struct person_txt *o = (struct person_txt *)out;
	if (v != NULL && !utf8_valid(v, strlen(v)))
		return; /* as the object: absent */
	txt_key(o, key);
	/* by the field's group, not its name: the name list is the object's (audit_read_carries) */
	assert(audit_read_field(key) == ((group & AUDIT_READ_GROUPS) != 0));
	if (group & AUDIT_READ_GROUPS)
		o->carries = 1;
	if (v == NULL)
		TEXT_LIT(o->t, "null");
	else
		text_string(o->t, v);
}

static void
txt_bool(struct person_out *out, const char *key, int v)
{
	struct person_txt *o = (struct person_txt *)out;
	txt_key(o, key);
	if (v)
		TEXT_LIT(o->t, "true");
	else
		TEXT_LIT(o->t, "false");
}

/* Appends p as api_person_json would dump it (compact); adds p to ar when it carries personal
 * or private fields, as audit_read_add would of the object. */
static void
person_text(struct text *t, const struct store_person *p, struct audit_read *ar)
{
	struct person_txt o = {{txt_str, txt_bool}, t, 1, 0};
	TEXT_LIT(t, "{");
	person_view(p, &o.out);
	TEXT_LIT(t, "}");
	if (o.carries)
		audit_read_add_id(ar, p->id);
}

/* ---- list ---- */

/*
 * The list runs on the worker pool. A page of a hundred people with their
 * contacts takes milliseconds of CPU (rows, envelopes opened, JSON built and
 * written); on the loop thread that time would stall every light request of
 * the loop's other connections. So the loop checks the query (its look-ups
 * of a department or a day are single rows) and hands the worker a job
 * holding all it needs: a copy of the reader (its role and its own record;
 * never its cache, its calls or the loop's store connection), the filter
 * and the page. The worker reads over its own store connection
 * (http_worker_store), decides each person through the one person view
 * (api_person_readable, person_view), writes them as JSON text straight
 * into the page (person_text: no tree built and dumped per person) and
 * collects the ids the read-audit names; the loop, when the job comes home,
 * writes that audit event (api/audit_read.c) and answers with the page. The
 * bytes are those http_end_reply_json wrote of the jansson page before.
 *
 * The loop then keeps the page (api/cache.c), with the ids its audit event
 * named, under the store generation its request started at and a key of
 * who read it and what they asked (page_key). The same reader asking the
 * same again while no data was written gets the kept page without a worker,
 * and the read is audited as the first one was: the event is written for
 * every response, kept or not. Any write of data (a person, a membership,
 * a role, a key shredded) moves the generation and the next request reads
 * again. The reader is a function of the account and the data (the reader
 * cache keys it the same way), and whether the caller may read the
 * production at all is decided before the cache is asked (api_reader_load,
 * the archive's clock included).
 */
#define PAGE_DEFAULT 100
#define PAGE_MAX     500

#define Q_MAX 100 /* characters of ?q */

struct people_page {
	const struct api_reader *rd;
	struct text *t;        /* the page's JSON text */
	struct audit_read *ar; /* whose personal or private fields it holds */
	const char *q;         /* ?q folded (utf8_fold), or NULL: every name */
	long offset, limit, seen, n;
	int more;
};

/* 1 when p's name holds q (folded) without regard to case; only the name is searched. */
static int
name_matches(const struct store_person *p, const char *q)
{
	char name[sizeof(p->name)];
	int found;

	snprintf(name, sizeof(name), "%s", p->name);
	utf8_fold(name);
	found = strstr(name, q) != NULL;
	sodium_memzero(name, sizeof(name));
	return found;
}

static int
page_want(const struct store_person *p, void *arg)
{
	struct people_page *pg = arg;
	int open = api_person_readable(pg->rd, p);
	if (open < 0)
		return -1;
	/* matched before the page is counted: offset and limit count matches only */
	if (pg->q != NULL && !name_matches(p, pg->q))
		return -1;
	if (pg->seen++ < pg->offset)
		return -1;
	if (pg->n >= pg->limit) {
		pg->more = 1;
		return STORE_PERSON_STOP; /* the page is full: no need to read the rest */
	}
	return open;
}

static void
page_add(const struct store_person *p, void *arg)
{
	struct people_page *pg = arg;
	if (pg->n++ > 0)
		TEXT_LIT(pg->t, ",");
	person_text(pg->t, p, pg->ar);
}

struct people_job {
	struct job job;
	struct http_req *r;
	struct api_reader
	    rd; /* a copy without cache or calls: the worker reads its standing only */
	struct store_person_filter f;
	char dept_id[STORE_ID_LEN + 8], day_id[STORE_ID_LEN + 8], kind[16];
	char q[Q_MAX * 4 + 1]; /* folded; "" matches every name */
	long offset, limit;
	char *key; /* the page's key in the loop's cache (page_key) */
	/* the outcome, made on the worker */
	int read;             /* the page was read (else e says why) */
	struct text t;        /* the answer's JSON text */
	struct audit_read ar; /* whose personal or private fields the page holds */
	struct err e;
};

static void
people_list_work(struct job *j)
{
	struct people_job *pj = (struct people_job *)j;
	struct people_page pg = {
	    &pj->rd, &pj->t, &pj->ar, pj->q[0] ? pj->q : NULL, pj->offset, pj->limit, 0, 0, 0};
	struct store *s = http_worker_store(&pj->e);
	char tail[64];
	int k;

	/* as http_end_reply_json would write {"people": [...], "next_offset": n} */
	TEXT_LIT(&pj->t, "{\"people\":[");
	if (s == NULL || store_person_list(s, pj->rd.a.production.id, &pj->f, page_want, page_add,
	                                   &pg, &pj->e) == -1)
		return; /* the text, read or not, is wiped when the job is done */
	pj->read = 1;
	if (pg.more)
		k = snprintf(tail, sizeof(tail), "],\"next_offset\":%ld}", pg.offset + pg.limit);
	else
		k = snprintf(tail, sizeof(tail), "],\"next_offset\":null}");
	text_add(&pj->t, tail, (size_t)k);
}

static void
people_list_done(struct job *j)
{
	struct people_job *pj = (struct people_job *)j;
	struct http_req *r = pj->r;

	if (!pj->read) {
		api_unavailable(r, &pj->e);
	} else {
		/* under the generation the request started at: the reader is of then */
		cache_people_put(http_req_store(r), session_gen(r), pj->key, pj->t.p, pj->t.len,
		                 pj->ar.ids);
		audit_read_done(r, &pj->ar);
		http_end_reply(r, 200, "application/json", pj->t.p, pj->t.len);
	}
	wipe_free(pj->t.p);
	free(pj->key);
	free(pj->ar.ids);
	api_reader_free(&pj->rd);
	free(pj);
}

/* Checks the query into pj (filter, page): 0, or -1 after answering. */
static int
list_query(struct api_call *c, struct people_job *pj)
{
	struct http_req *r = c->r;
	struct store_day day;
	char dept[128];
	struct err e;
	int got;

	pj->limit = api_query_long(r, "limit", PAGE_DEFAULT, 1, PAGE_MAX);
	pj->offset = api_query_long(r, "offset", 0, 0, 1000000);
	if (pj->limit < 0 || pj->offset < 0) {
		api_bad_field(r, pj->limit < 0 ? "?limit" : "?offset",
		              pj->limit < 0 ? "a whole number from 1 to 500"
		                            : "a whole number from 0");
		return -1;
	}
	got = router_query_param(r->query, "department", dept, sizeof(dept));
	if (got == -1) {
		api_bad_field(r, "?department", "a department name");
		return -1;
	}
	if (got == 1) {
		got = store_department_find(api_call_store(c), c->rd.a.production.id, dept,
		                            pj->dept_id, sizeof(pj->dept_id), &e);
		if (got == -1) {
			api_unavailable(r, &e);
			return -1;
		}
		if (got == 0) {
			api_bad_field(r, "?department",
			              "no department of this production has that name");
			return -1;
		}
		pj->f.department_id = pj->dept_id;
	}
	if ((got = router_query_param(r->query, "day", pj->day_id, sizeof(pj->day_id))) != 0) {
		if (got == -1 || (got = store_day_get(api_call_store(c), c->rd.a.production.id,
		                                      pj->day_id, &day, &e)) == 0) {
			api_bad_field(r, "?day", "a shoot day of this production");
			return -1;
		}
		if (got == -1) {
			api_unavailable(r, &e);
			return -1;
		}
		snprintf(pj->day_id, sizeof(pj->day_id), "%s", day.id);
		pj->f.called_on = pj->day_id;
	}
	if ((got = router_query_param(r->query, "kind", pj->kind, sizeof(pj->kind))) != 0) {
		if (got == -1 || (strcmp(pj->kind, "crew") != 0 && strcmp(pj->kind, "cast") != 0)) {
			api_bad_field(r, "?kind", "crew or cast");
			return -1;
		}
		pj->f.kind = pj->kind;
	}
	/* the name only: a field the reader may not see is never searched (it is not read here) */
	if ((got = router_query_param(r->query, "q", pj->q, sizeof(pj->q))) != 0) {
		if (got == -1 || !utf8_valid(pj->q, strlen(pj->q)) || utf8_chars(pj->q) > Q_MAX) {
			pj->q[0] = '\0';
			api_bad_field(r, "?q", "at most 100 characters of a name");
			return -1;
		}
		utf8_fold(pj->q);
	}
	return 0;
}

/* The page's key in the loop's cache: the account that reads and all it asked. */
static char *
page_key(struct api_call *c, const struct people_job *pj)
{
	const struct api_auth *a = session_of(c->r);
	const struct store_person_filter *f = &pj->f;

	return xasprintf("%s\x1f%d\x1f%s\x1f%d\x1f%s\x1f%s\x1f%s\x1f%s\x1f%ld\x1f%ld",
	                 a->session.user.id, a->session.user.is_instance_admin,
	                 c->rd.a.production.id, c->rd.published_only,
	                 f->department_id ? f->department_id : "", f->called_on ? f->called_on : "",
	                 f->kind ? f->kind : "", pj->q, pj->offset, pj->limit);
}

/* A view route (api/routes.c): each person goes through the view on the worker. */
void
people_list(struct api_call *c)
{
	struct people_job *pj = xcalloc(1, sizeof(*pj));
	struct http_req *r = c->r;
	const char *kept, *ids;
	size_t len;

	if (list_query(c, pj) == -1) {
		free(pj);
		return;
	}
	pj->key = page_key(c, pj);
	if (cache_people_get(http_req_store(r), session_gen(r), pj->key, &kept, &len, &ids)) {
		audit_read_ids(r, ids);
		http_end_reply(r, 200, "application/json", kept, len);
		free(pj->key);
		free(pj);
		return;
	}
	/* the reader's standing only: its calls and cache stay with the loop (dispatch frees
	   them when this returns) */
	pj->rd = c->rd;
	pj->rd.called = NULL;
	pj->rd.ncalled = 0;
	pj->rd.called_loaded = 0;
	memset(&pj->rd.cache, 0, sizeof(pj->rd.cache));
	pj->r = c->r;
	pj->job.work = people_list_work;
	pj->job.done = people_list_done;
	http_defer(c->r, &pj->job);
}

/* Loads {pid} as the reader may see it: 1, or 0 after answering (404 / 403 / 503). */
static int
load_person(struct http_req *r, struct api_reader *rd, unsigned extra, struct store_person *p)
{
	struct err e;
	int found, open;

	if (!api_load_person(r, rd, router_param(&r->match, "pid"), p))
		return 0;
	if ((open = api_person_readable(rd, p)) < 0) {
		http_end_problem(r, 403, "your role does not see this person");
		return 0;
	}
	found = store_person_get(http_req_store(r), rd->a.production.id, p->id,
	                         (unsigned)open | extra, p, &e);
	if (found != 1) {
		api_unavailable(r, &e);
		return 0;
	}
	return 1;
}

/* Answers p as the API shows it, auditing the read when it carries personal or private fields. */
static void
reply_person(struct http_req *r, int status, const struct store_person *p)
{
	json_t *j = api_person_json(p);
	struct audit_read ar = {0};
	audit_read_add(&ar, j);
	audit_read_done(r, &ar);
	http_end_reply_json(r, status, j);
}

/* store_person_read's want for people_get: the groups the reader may see (-1: none of it). */
static int
readable_groups(const struct store_person *p, void *rd)
{
	return api_person_readable(rd, p);
}

/*
 * A view route: one row, read on the loop (a single person is cheaper than
 * the hand-off to a worker would be).
 */
void
people_get(struct api_call *c)
{
	struct http_req *r = c->r;
	struct store_person *p;
	struct err e;

	p = xmalloc(sizeof(*p));
	/* one read: the row, and only the groups the reader may see opened */
	if (api_found(r,
	              store_person_read(api_call_store(c), c->rd.a.production.id,
	                                router_param(&r->match, "pid"), readable_groups, &c->rd, p,
	                                &e),
	              &e, "person")) {
		if (api_person_readable(&c->rd, p) < 0)
			http_end_problem(r, 403, "your role does not see this person");
		else
			reply_person(r, 200, p);
	}
	sodium_memzero(p, sizeof(*p));
	free(p);
}

/* ---- writes ---- */

/*
 * Today's date at the far end of the date line (UTC+14): the latest date
 * anywhere, so a person born today wherever they are is not "in the future".
 */
static void
latest_today(char out[11])
{
	time_t t = time(NULL) + (time_t)14 * 3600;
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || strftime(out, 11, "%Y-%m-%d", &tm) != 10)
		snprintf(out, 11, "9999-12-31"); /* cannot happen; refuse no date for it */
}

/* Checks one field's shape; 0 after adding a field error. */
static int
field_ok(struct http_req *r, const struct person_field *f, const char *v)
{
	const char *why = NULL;
	char ptr[64], today[11];
	if (v[0] == '\0')
		return 1; /* empty clears the field */
	switch (f->check) {
	case CHECK_PHONE: why = validate_phone(v) ? NULL : "a telephone number"; break;
	case CHECK_EMAIL: why = email_plausible(v) ? NULL : "an email address"; break;
	case CHECK_DATE:
		latest_today(today);
		switch (validate_date_not_after(v, today)) {
		case -1: why = "a date YYYY-MM-DD"; break;
		case 0: why = "must not be in the future"; break;
		default: break;
		}
		break;
	case CHECK_TEXT: break;
	}
	if (why == NULL)
		return 1;
	snprintf(ptr, sizeof(ptr), "/%s", f->name);
	http_field_error(r, ptr, why);
	return 0;
}

/* 0 after answering 403 naming the field the caller may not write. */
static int
may_write(struct http_req *r, const struct api_reader *rd, enum policy_resource res,
          const struct store_person *p, const char *field)
{
	const char *dept = p->department_id[0] ? p->department_id : NULL;
	int sealed = res == POLICY_RESOURCE_PERSON_WORK_CONTACT ||
	             res == POLICY_RESOURCE_PERSON_PERSONAL_PHONE ||
	             res == POLICY_RESOURCE_PERSON_PRIVATE;
	int unconfirmed = sealed && api_allows(rd, res, POLICY_ACTION_WRITE, p->id, dept, 0) &&
	                  self_unconfirmed(rd, res, POLICY_ACTION_WRITE);
	if (!unconfirmed && api_allows(rd, res, POLICY_ACTION_WRITE, p->id, dept, 0))
		return 1;
	api_audit_caller(r, "person.write", p->id[0] ? p->id : "-", "denied");
	http_end_problem_errors(r, 403, "your role cannot write this field of this person",
	                        json_pack("[{s:s+, s:s}]", "pointer", "/", field, "detail",
	                                  unconfirmed
	                                      ? "confirm the link to this record first"
	                                      : "not writable by your role for this person"));
	return 0;
}

/*
 * Setting or changing a record's account link is an identity decision: it
 * needs member:write all (production admins and producers), whatever the
 * caller's person rights. 0 after answering 403 naming /account_email.
 */
static int
may_link(struct http_req *r, const struct api_reader *rd, const struct store_person *p)
{
	if (rd->has_role &&
	    policy_scope(rd->role, POLICY_RESOURCE_MEMBER, POLICY_ACTION_WRITE) == POLICY_SCOPE_ALL)
		return 1;
	api_audit_caller(r, "person.link", p->id[0] ? p->id : "-", "denied");
	http_end_problem_errors(
	    r, 403, "only production admins and producers link a person record to an account",
	    json_pack("[{s:s, s:s}]", "pointer", "/account_email", "detail",
	              "linking a record to an account needs the right to manage members"));
	return 0;
}

/*
 * Whether a link just made to p is confirmed at once: when nothing sealed
 * is in the record yet (nothing to disclose), or when the linker linked
 * their own account. Otherwise the linked account confirms it (confirm-link).
 * p must have every sealed group opened (as people_update loads it), or be
 * new; an unlinked record counts as confirmed.
 */
static int
link_confirmed_now(struct http_req *r, const struct store_person *p)
{
	if (p->user_id[0] == '\0' || strcmp(p->user_id, session_of(r)->session.user.id) == 0)
		return 1;
	for (size_t i = 0; i < NFIELDS; i++)
		if (person_fields[i].group != 0 && field_in(p, &person_fields[i])[0] != '\0')
			return 0;
	return 1;
}

/* The department's name as stored (a name is found without regard to case). */
static void
stored_name(const char *id, const char *name, void *arg)
{
	struct store_person *p = arg;
	if (strcmp(id, p->department_id) == 0)
		snprintf(p->department, sizeof(p->department), "%s", name);
}

/*
 * Applies body to p: directory changes first (they decide the department the
 * other checks see), then each field. *groups gets the sealed groups touched.
 * A field's problem waits on r (http_field_error) with those body_check
 * found; a right refused or a store failure is answered at once. 1 (check
 * r's waiting errors before acting on p), or 0 after answering. The one
 * check of a person's fields: a JSON body (apply_body) and each row of a
 * CSV import (import_row) both come through here.
 */
static int
check_body(struct http_req *r, const struct api_reader *rd, json_t *body, struct store_person *p,
           int creating, unsigned *groups)
{
	struct store *s = http_req_store(r);
	struct store_person before = *p; /* the record as it stood: its department counts too */
	const char *v;
	struct err e;
	int found, ok = 1;

	*groups = 0;
	before.id[0] = '\0'; /* a directory change is never a `self` right */
	/* The department, kind, key-contact flag and account link: beyond self. */
	if ((v = json_string_value(json_object_get(body, "department"))) != NULL) {
		if (v[0] == '\0') {
			p->department_id[0] = '\0';
			p->department[0] = '\0';
		} else if ((found =
		                store_department_find(s, rd->a.production.id, v, p->department_id,
		                                      sizeof(p->department_id), &e)) != 1) {
			if (found == -1) {
				api_unavailable(r, &e);
				return 0;
			}
			http_field_error(r, "/department",
			                 "no department of this production has that name");
		} else if (store_department_list(s, rd->a.production.id, stored_name, p, &e) ==
		           -1) {
			api_unavailable(r, &e);
			return 0;
		}
	}
	if ((v = json_string_value(json_object_get(body, "kind"))) != NULL) {
		if (strcmp(v, "crew") != 0 && strcmp(v, "cast") != 0)
			http_field_error(r, "/kind", "crew or cast");
		else
			snprintf(p->kind, sizeof(p->kind), "%s", v);
	}
	if (json_object_get(body, "key_contact") != NULL) {
		p->key_contact = json_is_true(json_object_get(body, "key_contact"));
		if (!may_write(r, rd, POLICY_RESOURCE_KEY_CONTACT, p, "key_contact"))
			return 0;
	}
	if ((v = json_string_value(json_object_get(body, "account_email"))) != NULL) {
		struct store_user u;
		if (!may_link(r, rd, p))
			return 0;
		if (v[0] == '\0') {
			p->user_id[0] = '\0';
		} else if ((found = store_user_by_email(s, v, &u, &e)) != 1) {
			if (found == -1) {
				api_unavailable(r, &e);
				return 0;
			}
			http_field_error(r, "/account_email", "no account has that email");
		} else {
			snprintf(p->user_id, sizeof(p->user_id), "%s", u.id);
		}
	}
	if (json_object_get(body, "department") || json_object_get(body, "kind") ||
	    json_object_get(body, "account_email") || creating) {
		/* a directory change the caller could not make for themselves alone */
		struct store_person probe = *p;
		probe.id[0] = '\0';
		ok = may_write(r, rd, POLICY_RESOURCE_PERSON, &probe, "department") &&
		     (creating || may_write(r, rd, POLICY_RESOURCE_PERSON, &before, "department"));
		sodium_memzero(&probe, sizeof(probe));
	}
	if (!ok) {
		sodium_memzero(&before, sizeof(before));
		return 0;
	}
	for (size_t i = 0; i < NFIELDS; i++) {
		const struct person_field *f = &person_fields[i];
		if ((v = json_string_value(json_object_get(body, f->name))) == NULL)
			continue;
		if (!may_write(r, rd, f->res, p, f->name)) {
			sodium_memzero(&before, sizeof(before));
			return 0;
		}
		if (!field_ok(r, f, v))
			continue;
		snprintf(field_of(p, f), f->cap, "%s", v);
		*groups |= f->group;
	}
	/* only cast play a character: a crew person's would be dropped unseen */
	if (strcmp(p->kind, "crew") == 0 && p->character_name[0] != '\0') {
		if ((v = json_string_value(json_object_get(body, "character_name"))) != NULL &&
		    v[0] != '\0')
			http_field_error(r, "/character_name",
			                 "only cast have a character name; this person is crew");
		else
			http_field_error(
			    r, "/kind",
			    "this person has a character name: send \"character_name\": "
			    "\"\" with \"kind\": \"crew\"");
	}
	if (creating || strcmp(p->user_id, before.user_id) != 0)
		p->link_confirmed = link_confirmed_now(r, p);
	sodium_memzero(&before, sizeof(before));
	return 1;
}

/* check_body, then every field error answered at once: 1, or 0 after answering. */
static int
apply_body(struct http_req *r, const struct api_reader *rd, json_t *body, struct store_person *p,
           int creating, unsigned *groups)
{
	return check_body(r, rd, body, p, creating, groups) && !http_field_errors_answer(r);
}

/* What a new person needs beyond the fields' own checks, waiting on r with them. */
static void
new_person_needs(struct http_req *r, const json_t *body)
{
	if (json_object_get(body, "name") == NULL)
		http_field_error(r, "/name", "a new person needs a name and a kind (crew or cast)");
	if (json_object_get(body, "kind") == NULL)
		http_field_error(r, "/kind", "a new person needs a name and a kind (crew or cast)");
}

/*
 * The rights are per field and per record (a person's own fields, their
 * department's): apply_body checks each against the matrix and refuses
 * naming the field. The write and its audit event commit together.
 */
void
people_create(struct api_call *c)
{
	struct http_req *r = c->r;
	struct store_person *p;
	unsigned groups;
	struct err e;

	/* named with the rest: apply_body answers every field error at its end */
	new_person_needs(r, c->body);
	p = xcalloc(1, sizeof(*p));
	snprintf(p->production_id, sizeof(p->production_id), "%s", c->rd.a.production.id);
	if (apply_body(r, &c->rd, c->body, p, 1, &groups) && api_call_begin(c) == 0) {
		if (store_person_create(api_call_store(c), p, &e) == -1) {
			api_call_abort(c);
			api_refuse(r, &e, "the person cannot be created");
		} else if (api_call_commit(c, NULL, p->id) == 0) {
			p->opened = (unsigned)api_person_readable(&c->rd, p);
			reply_person(r, 201, p);
		}
	}
	sodium_memzero(p, sizeof(*p));
	free(p);
}

void
people_update(struct api_call *c)
{
	struct http_req *r = c->r;
	struct store *s = api_call_store(c);
	struct store_person *p;
	unsigned groups;
	struct err e;
	int open;

	p = xmalloc(sizeof(*p));
	/* every group is opened: a group is rewritten whole, so its other fields must be kept */
	if (!load_person(r, &c->rd, STORE_PERSON_ALL, p) ||
	    !apply_body(r, &c->rd, c->body, p, 0, &groups) || api_call_begin(c) == -1)
		goto out;
	if (store_person_update(s, p, groups, &e) == -1) {
		api_call_abort(c);
		api_refuse(r, &e, "the person cannot be changed");
		goto out;
	}
	if (api_call_commit(c, NULL, p->id) == -1)
		goto out;
	open = api_person_readable(&c->rd, p);
	if (open < 0)
		http_end_reply(r, 204, NULL, NULL, 0); /* moved out of the caller's sight */
	else if (store_person_get(s, c->rd.a.production.id, p->id, (unsigned)open, p, &e) != 1)
		api_unavailable(r, &e);
	else
		reply_person(r, 200, p);
out:
	sodium_memzero(p, sizeof(*p));
	free(p);
}

/* The scenes whose cast a person is in, as [{kind: "scene", id, name: number}]. */
static void
add_cast_scene(const char *kind, const char *id, const char *name, void *arg)
{
	json_array_append_new(arg,
	                      json_pack("{s:s, s:s, s:s}", "kind", kind, "id", id, "name", name));
}

/*
 * Deleting a person takes them out of every scene's cast. That is refused
 * (409 naming the scenes) unless ?force=true; forced, each scene they leave
 * is audited (scene.cast_remove) with the delete, in its transaction.
 */
void
people_delete(struct api_call *c)
{
	struct http_req *r = c->r;
	struct api_reader *rd = &c->rd;
	struct store *s = api_call_store(c);
	const char *pid = router_param(&r->match, "pid");
	struct store_person p;
	struct err e;
	json_t *scenes;
	char force[8] = "";
	int done;

	if (!load_person(r, rd, 0, &p))
		return;
	p.id[0] = '\0'; /* deleting a record is never a `self` right */
	if (!may_write(r, rd, POLICY_RESOURCE_PERSON, &p, "id")) {
		sodium_memzero(&p, sizeof(p));
		return;
	}
	sodium_memzero(&p, sizeof(p));
	if (router_query_param(r->query, "force", force, sizeof(force)) == 1 &&
	    strcmp(force, "true") != 0 && strcmp(force, "false") != 0) {
		api_bad_field(r, "?force", "true or false");
		return;
	}
	if (api_call_begin(c) == -1)
		return;
	scenes = json_array();
	if (store_person_scenes(s, rd->a.production.id, pid, add_cast_scene, scenes, &e) == -1)
		goto fail;
	if (json_array_size(scenes) > 0 && strcmp(force, "true") != 0) {
		api_call_abort(c);
		api_refuse_held(r,
		                "the person is in the cast of scenes (see held_by); take them off "
		                "the scenes, or delete with ?force=true to remove them from each",
		                scenes);
		return;
	}
	if ((done = store_person_delete(s, rd->a.production.id, pid, &e)) == -1)
		goto fail;
	if (done == 0) {
		api_call_abort(c);
		json_decref(scenes);
		http_end_problem(r, 404, "there is no such person in this production");
		return;
	}
	/* in the deletion log before it commits: a restore from before it deletes it again */
	if (erasure_log_person(http_req_config(r)->data_dir, http_req_keys(r), pid,
	                       rd->a.production.id, (long long)time(NULL), &e) == -1)
		goto fail;
	for (size_t i = 0; i < json_array_size(scenes); i++)
		if (api_call_audit(c, "scene.cast_remove",
		                   json_string_value(
		                       json_object_get(json_array_get(scenes, i), "id"))) == -1) {
			json_decref(scenes);
			return;
		}
	json_decref(scenes);
	if (api_call_commit(c, NULL, pid) == 0)
		http_end_reply(r, 204, NULL, NULL, 0);
	return;
fail:
	api_call_abort(c);
	json_decref(scenes);
	api_unavailable(r, &e);
}

/*
 * The linked account accepts the record as its own, and with it the sealed
 * fields others wrote into it. Only that account may, in a production where
 * it holds a live role; idempotent.
 */
void
people_confirm_link(struct api_call *c)
{
	struct http_req *r = c->r;
	struct store_person *p;
	const char *me = c->actor;
	struct err e;
	int done;

	p = xmalloc(sizeof(*p));
	if (!api_load_person(r, &c->rd, router_param(&r->match, "pid"), p))
		goto out;
	if (!c->rd.has_role || p->user_id[0] == '\0' || strcmp(p->user_id, me) != 0) {
		session_audit(r, me, "person.confirm_link", p->id, "denied");
		http_end_problem(r, 403,
		                 "only the account linked to this record can confirm the link");
		goto out;
	}
	if (!p->link_confirmed) {
		if (api_call_begin(c) == -1)
			goto out;
		/* only while still linked to me: a link changed since the read stays unconfirmed */
		if ((done = store_person_confirm_link(api_call_store(c), c->rd.a.production.id,
		                                      p->id, me, &e)) == -1) {
			api_call_abort(c);
			api_unavailable(r, &e);
			goto out;
		}
		if (done == 0) {
			api_call_abort(c);
			http_end_problem(r, 409, "the record's link changed; read it again");
			goto out;
		}
		if (api_call_commit(c, NULL, p->id) == -1)
			goto out;
	}
	http_end_reply(r, 204, NULL, NULL, 0);
out:
	sodium_memzero(p, sizeof(*p));
	free(p);
}

/* ---- import ---- */

/*
 * POST …/people/import?dry_run=true|false: a crew list as CSV, all rows or
 * none, as the sustainability import takes entries (api/sustainability.c).
 *
 * The header line names the columns, any of the fields of a person's JSON
 * body (api_person_fields: name, kind, department, job_title, …,
 * account_email), in any order; name and kind are needed. Each row becomes
 * the JSON body POST …/people would take (an empty cell: the field absent;
 * key_contact "true" or "false" a boolean) and is checked by the same code:
 * body_check against the same field list, new_person_needs, check_body
 * with its rights per field and per department. So a department head
 * imports into their own department only, and a field the caller may not
 * write is refused 403 naming it, as for one person. Two rows with the same
 * work or personal email (without regard to case) are refused naming both.
 *
 * Every bad cell of every row is named ({row, line, column, pointer,
 * detail}; row 1 is the header, so a row is the spreadsheet's row) and then
 * nothing is written (422). A dry run answers the people as they would be
 * stored (200); otherwise they are created in one transaction with one audit
 * event, person.import, whose object is "<production>:<n> people" (no name
 * or other personal data), and the answer is each row's new id (201).
 *
 * Where it runs. The rows are checked on the loop: check_body answers on
 * the request and audits a refusal there, and the department look-ups are
 * single rows; at most IMPORT_ROWS rows (5000, two to three times a large
 * feature's crew and cast), which holds the loop some 240 ms (a dry run,
 * which also builds the preview, some 500 ms; measured with 5000 people of
 * ten fields each on the 2-core test machine). The write, which makes a
 * person key and seals the groups of each person (some 0.7 ms a person),
 * runs on a worker (import_write). The checked rows are kept as struct
 * store_person (about 5 KB each) until they are written, and wiped when
 * freed.
 */
#define IMPORT_ROWS   5000
#define IMPORT_ERRORS 1000

/* The caller may create people in some department, or 403 (audited). 0, or -1 after answering. */
static int
import_may(struct http_req *r, struct api_reader *rd)
{
	enum policy_scope scope;

	if (api_reader_load(r, rd) == -1)
		return -1;
	scope = rd->has_role ? policy_scope(rd->role, POLICY_RESOURCE_PERSON, POLICY_ACTION_WRITE)
	                     : POLICY_SCOPE_NONE;
	if (scope == POLICY_SCOPE_ALL ||
	    (scope == POLICY_SCOPE_DEPARTMENT && rd->department_id[0] != '\0'))
		return 0;
	api_audit_caller(r, "person.import", rd->a.production.id, "denied");
	http_end_problem(r, 403, "your role cannot add people to this production");
	api_reader_free(rd);
	return -1;
}

static int
import_content_type(struct http_req *r)
{
	size_t ctlen = 0;
	const char *ct = http_req_header(r, "Content-Type", &ctlen);
	if (ct == NULL || ctlen < 8 || strncasecmp(ct, "text/csv", 8) != 0) {
		http_end_problem(r, 415, "send the people as text/csv");
		return -1;
	}
	return 0;
}

/*
 * Before the body (api_before_body): who may import, and that it is CSV.
 * The body is kept whole, so the route is ROUTE_IMPORT: at most
 * HTTP_IMPORT_MAX_BYTES, counted against body_memory_budget while read.
 */
int
people_import_head(struct http_req *r)
{
	struct api_reader rd;

	if (import_may(r, &rd) == -1)
		return -1;
	api_reader_free(&rd);
	return import_content_type(r);
}

struct import {
	struct http_req *r;
	const struct api_reader *rd;
	int col[32]; /* the header's columns: an index into api_person_fields */
	size_t ncol;
	json_t *errs;   /* every bad cell: {row, line, column, pointer, detail} */
	json_t *emails; /* "work_email:x@y" (folded) -> the row that has it */
	struct store_person *rows;
	size_t nrows, cap;
};

static void
import_error(struct import *im, long row, long line, const char *column, const char *detail)
{
	json_t *e;
	if (json_array_size(im->errs) >= IMPORT_ERRORS)
		return;
	e = json_pack("{s:I, s:I, s:s+, s:s}", "row", (json_int_t)row, "line", (json_int_t)line,
	              "pointer", "/", column ? column : "", "detail", detail);
	if (e == NULL) /* a column that is not UTF-8 cannot come from csv_read; never drop it */
		e = json_pack("{s:I, s:I, s:s, s:s}", "row", (json_int_t)row, "line",
		              (json_int_t)line, "pointer", "/", "detail", detail);
	if (column != NULL && column[0] != '\0')
		json_object_set_new(e, "column", json_string(column));
	json_array_append_new(im->errs, e);
}

/* The header line: each column a person field, once; name and kind there. 0, or -1 (errors). */
static int
import_header(struct import *im, char **f, size_t n)
{
	char detail[160];
	int have_name = 0, have_kind = 0, bad = 0;

	if (n > nitems(im->col)) {
		import_error(im, 1, 1, "", "too many columns for a person");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		size_t k;
		for (k = 0; k < api_person_nfields && strcmp(f[i], api_person_fields[k].name) != 0;
		     k++)
			;
		if (k == api_person_nfields) {
			snprintf(detail, sizeof(detail),
			         "'%.60s' is not a field of a person (docs/openapi.yaml, Person)",
			         f[i]);
			import_error(im, 1, 1, f[i][0] && utf8_chars(f[i]) <= 60 ? f[i] : "",
			             detail);
			bad = 1;
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (im->col[j] == (int)k) {
				import_error(im, 1, 1, f[i], "this column appears twice");
				bad = 1;
			}
		im->col[i] = (int)k;
		have_name |= strcmp(f[i], "name") == 0;
		have_kind |= strcmp(f[i], "kind") == 0;
	}
	im->ncol = n;
	if (!have_name)
		import_error(im, 1, 1, "name", "the header needs a column name");
	if (!have_kind)
		import_error(im, 1, 1, "kind", "the header needs a column kind (crew or cast)");
	return bad || !have_name || !have_kind ? -1 : 0;
}

/* The row as the JSON body POST …/people would take: an empty cell is an absent field. */
static json_t *
row_body(const struct import *im, char **f, size_t n)
{
	json_t *body = json_object();
	for (size_t i = 0; i < n && i < im->ncol; i++) {
		const struct body_field *bf = &api_person_fields[im->col[i]];
		if (f[i][0] == '\0')
			continue;
		if (bf->type == JF_BOOLEAN && strcmp(f[i], "true") == 0)
			json_object_set_new(body, bf->name, json_true());
		else if (bf->type == JF_BOOLEAN && strcmp(f[i], "false") == 0)
			json_object_set_new(body, bf->name, json_false());
		else /* UTF-8 (csv_read); other text in key_contact: "must be boolean" */
			json_object_set_new(body, bf->name, json_string(f[i]));
	}
	return body;
}

/*
 * A second row with the same work or personal email, or linked to the same
 * account (a second record of one account, 409 for one person): named with
 * the first.
 */
static void
import_duplicates(struct import *im, const struct store_person *p, long row, long line)
{
	static const char *const cols[] = {"work_email", "personal_email", "account_email"};
	const char *vals[] = {p->work_email, p->personal_email, p->user_id};
	char key[300], detail[96];

	for (size_t i = 0; i < nitems(cols); i++) {
		const char *v = vals[i];
		json_t *seen;
		if (v[0] == '\0')
			continue;
		snprintf(key, sizeof(key), "%s:%s", cols[i], v);
		for (char *c = key; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		if ((seen = json_object_get(im->emails, key)) != NULL) {
			snprintf(detail, sizeof(detail), "row %lld has the same %s",
			         (long long)json_integer_value(seen), cols[i]);
			import_error(im, row, line, cols[i], detail);
		} else {
			json_object_set_new(im->emails, key, json_integer(row));
		}
		sodium_memzero(key, sizeof(key));
	}
}

/*
 * One row, checked as POST …/people checks a body; kept when the file is
 * clean so far. 1, or 0 after answering (a right refused: 403; the store: 503).
 */
static int
import_row(struct import *im, char **f, size_t n, long row, long line)
{
	struct http_req *r = im->r;
	struct store_person *p;
	json_t *body = row_body(im, f, n), *fe, *v;
	unsigned groups;
	size_t i;

	if (im->nrows == im->cap) {
		im->cap = im->cap ? im->cap * 2 : 64;
		im->rows = wipe_realloc(im->rows, im->cap * sizeof(*im->rows));
		if (im->rows == NULL)
			abort(); /* out of memory, as xalloc */
	}
	if (n > im->ncol)
		import_error(im, row, line, "",
		             "this row has more cells than the header has columns");
	p = &im->rows[im->nrows];
	memset(p, 0, sizeof(*p));
	snprintf(p->production_id, sizeof(p->production_id), "%s", im->rd->a.production.id);
	assert(r->field_errors == NULL);
	r->field_errors = body_check(body, api_person_fields, api_person_nfields);
	new_person_needs(r, body);
	if (!check_body(r, im->rd, body, p, 1, &groups)) {
		json_decref(body);
		return 0; /* answered: r is gone */
	}
	json_decref(body);
	fe = r->field_errors;
	r->field_errors = NULL;
	json_array_foreach (fe, i, v) {
		const char *ptr = json_string_value(json_object_get(v, "pointer"));
		import_error(im, row, line, ptr[0] == '/' ? ptr + 1 : ptr,
		             json_string_value(json_object_get(v, "detail")));
	}
	json_decref(fe);
	import_duplicates(im, p, row, line);
	if (json_array_size(im->errs) == 0)
		im->nrows++; /* after a bad row, only checking */
	else
		sodium_memzero(p, sizeof(*p));
	return 1;
}

/* Reads and checks every row: 1 (im->errs says whether all are clean), or 0 after answering. */
static int
import_read(struct import *im, const char *body, size_t len)
{
	struct csv_reader rd;
	struct err e;
	char **f;
	size_t n;
	long line, row = 1;
	int got, ok = 1;

	csv_reader_init(&rd, body, len);
	if ((got = csv_read(&rd, &f, &n, &line, &e)) != 1) {
		import_error(im, 1, got == 0 ? 1 : rd.line, "",
		             got == 0 ? "the file is empty; it needs a header line" : e.msg);
		return 1;
	}
	got = import_header(im, f, n);
	csv_fields_free(f, n);
	if (got == -1)
		return 1;
	while (ok && (got = csv_read(&rd, &f, &n, &line, &e)) == 1) {
		if (++row > IMPORT_ROWS + 1) {
			csv_fields_free(f, n);
			http_end_problem(
			    im->r, 413,
			    "more than 5000 people in one file; split it and import each");
			return 0;
		}
		ok = import_row(im, f, n, row, line);
		for (size_t i = 0; i < n; i++)
			sodium_memzero(f[i], strlen(f[i]));
		csv_fields_free(f, n);
	}
	if (ok && got == -1)
		import_error(im, row + 1, rd.line, "", e.msg);
	return ok;
}

/* The dry run's answer: each row's person as it would be stored, as the caller would see it. */
static json_t *
import_preview(const struct import *im)
{
	json_t *people = json_array();
	for (size_t i = 0; i < im->nrows; i++) {
		struct store_person *p = &im->rows[i];
		int open = api_person_readable(im->rd, p);
		json_t *j;
		p->opened = open < 0 ? 0 : (unsigned)open;
		j = api_person_json(p);
		json_object_del(j, "id"); /* none yet */
		json_object_set_new(j, "row", json_integer((json_int_t)i + 2));
		json_array_append_new(people, j);
	}
	return people;
}

/*
 * The write, on a worker: creating a person makes their person key and
 * seals their groups, some 0.7 ms each, so 5000 of them would hold the loop
 * for seconds. The job owns the checked rows; the worker creates them and
 * the audit event in one transaction over its own store connection
 * (http_worker_store), touching nothing of the request; the loop answers
 * when the job comes home.
 */
struct import_job {
	struct job job;
	struct http_req *r;
	struct store_person *rows; /* wiped when freed */
	size_t nrows;
	json_t *people; /* the answer's [{row, name}], ids added once written */
	char production[STORE_ID_LEN + 8], user[STORE_ID_LEN + 8];
	char peer[64], request_id[32]; /* for the audit event */
	int written;
	struct err e;
};

static void
import_write_work(struct job *j)
{
	struct import_job *ij = (struct import_job *)j;
	struct store *s;
	char obj[96];
	const struct audit_entry audit = {ij->user,  ij->peer,       "person.import", obj,
	                                  "success", ij->request_id, ij->production};

	snprintf(obj, sizeof(obj), "%s:%zu people", ij->production, ij->nrows);
	if ((s = http_worker_store(&ij->e)) == NULL)
		return;
	if (store_begin(s, &ij->e) == -1) {
		store_rollback(s);
		return;
	}
	for (size_t i = 0; i < ij->nrows; i++)
		if (store_person_create(s, &ij->rows[i], &ij->e) == -1) {
			store_rollback(s);
			return;
		}
	/* the people and their audit event commit together */
	if (audit_record(s, &audit, &ij->e) == -1 || store_commit(s, &ij->e) == -1) {
		store_rollback(s);
		return;
	}
	ij->written = 1;
}

static void
import_write_done(struct job *j)
{
	struct import_job *ij = (struct import_job *)j;

	if (!ij->written) {
		api_refuse(ij->r, &ij->e, "the import failed; nothing was imported");
	} else {
		for (size_t i = 0; i < ij->nrows; i++)
			json_object_set_new(json_array_get(ij->people, i), "id",
			                    json_string(ij->rows[i].id));
		http_end_reply_json(ij->r, 201,
		                    json_pack("{s:b, s:I, s:O}", "dry_run", 0, "imported",
		                              (json_int_t)ij->nrows, "people", ij->people));
	}
	json_decref(ij->people);
	wipe_free(ij->rows); /* zeroed as it is freed: the people's fields */
	free(ij);
}

/* Hands the checked rows (taken from im) to a worker to write; it answers. */
static void
import_write(struct import *im)
{
	struct http_req *r = im->r;
	struct import_job *ij = xcalloc(1, sizeof(*ij));

	ij->r = r;
	ij->rows = im->rows;
	ij->nrows = im->nrows;
	im->rows = NULL;
	ij->people = json_array();
	for (size_t i = 0; i < ij->nrows; i++)
		json_array_append_new(ij->people, json_pack("{s:I, s:s}", "row", (json_int_t)i + 2,
		                                            "name", ij->rows[i].name));
	snprintf(ij->production, sizeof(ij->production), "%s", im->rd->a.production.id);
	snprintf(ij->user, sizeof(ij->user), "%s", session_of(r)->session.user.id);
	snprintf(ij->peer, sizeof(ij->peer), "%s", r->peer);
	snprintf(ij->request_id, sizeof(ij->request_id), "%s", r->request_id);
	ij->job.work = import_write_work;
	ij->job.done = import_write_done;
	http_defer(r, &ij->job);
}

void
people_import(struct http_req *r)
{
	struct api_reader rd;
	struct import im;
	char flag[8];
	int dry_run = 0;

	if (import_may(r, &rd) == -1)
		return;
	memset(&im, 0, sizeof(im));
	im.r = r;
	im.rd = &rd;
	if (router_query_param(r->query, "dry_run", flag, sizeof(flag)) == 1) {
		if (strcmp(flag, "true") != 0 && strcmp(flag, "false") != 0) {
			api_bad_field(r, "?dry_run", "true or false");
			goto out;
		}
		dry_run = strcmp(flag, "true") == 0;
	}
	if (import_content_type(r) == -1)
		goto out;
	im.errs = json_array();
	im.emails = json_object();
	if (!import_read(&im, r->body ? r->body : "", r->body_len))
		goto out;
	if (json_array_size(im.errs) > 0) {
		int header =
		    json_integer_value(json_object_get(json_array_get(im.errs, 0), "row")) == 1;
		http_end_problem_errors(r, header ? 400 : 422,
		                        header ? "the file's header cannot be read"
		                        : dry_run
		                            ? "these rows would be refused; nothing was imported"
		                            : "these rows are refused; nothing was imported",
		                        im.errs);
		im.errs = NULL;
		goto out;
	}
	if (im.nrows == 0) {
		http_end_problem(r, 400, "the file has a header but no people");
		goto out;
	}
	if (dry_run) {
		http_end_reply_json(r, 200,
		                    json_pack("{s:b, s:I, s:o}", "dry_run", 1, "rows",
		                              (json_int_t)im.nrows, "people", import_preview(&im)));
		goto out;
	}
	import_write(&im);
out:
	json_decref(im.errs);
	json_decref(im.emails);
	wipe_free(im.rows); /* zeroed as it is freed: the people's fields */
	api_reader_free(&rd);
}
