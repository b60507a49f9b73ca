/*
 * published.c — the schedule as last published, and calendars of it.
 *
 * Two views of a shoot day. The working draft is what the store holds now
 * (days, calls, department calls, as the AD edits them). The published view
 * is the latest call sheet version of the day (api/callsheets.c): its
 * frozen body, opened from the store and never rebuilt from the draft.
 *
 * Who sees which (docs/ROLES.md, "Published and draft"):
 *   - production admins, producers and ADs: the draft;
 *   - department heads: the schedule as published, and the calls of their
 *     own department (the only calls their `department` scope reads) as
 *     drafted, since they set those calls themselves;
 *   - crew and cast: the schedule and their calls as published;
 *   - a personal calendar feed (api/feeds.c) sets rd->published_only: it
 *     answers published data whatever the owner's role.
 * A day with no published version does not exist for a published reader:
 * it is absent from lists and a direct read answers 404.
 *
 * Calendars (calendar_write) hold one event per day (schedule) or per call
 * of one person, each with LOCATION (the day's locations as the reader may
 * see them: names always, an address only where the reader's role reads
 * addresses and, below AD, a confidential one only once published),
 * SEQUENCE (the version of the call sheet the event shows; 0 before the
 * first) and the day's scenes in DESCRIPTION.
 *
 * Memory: a sheet from api_published_sheet is a reference the caller
 * drops (json_decref); the thread keeps another in its table of opened
 * versions (memo_slot). Its opened JSON text is wiped before it is freed.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "api/view.h"
#include "domain/callsheet.h"
#include "domain/ical.h"
#include "util/xalloc.h"

int
api_reads_published_schedule(const struct api_reader *rd)
{
	return rd->published_only || api_below_ad(rd);
}

int
api_reads_published_calls(const struct api_reader *rd)
{
	return rd->published_only ||
	       (api_below_ad(rd) && !(rd->has_role && rd->role == POLICY_ROLE_DEPARTMENT_HEAD));
}

static void
newest(const struct store_callsheet *cs, void *arg)
{
	struct store_callsheet *out = arg;
	if (out->id[0] == '\0') /* the list runs newest first */
		*out = *cs;
}

/*
 * Opened sheets, by call sheet id. A published version never changes, so an
 * entry never goes stale: which version is the latest is asked of the store
 * on every call, only its body is remembered. One table per thread (a
 * pthread key, freed with the thread), so the jansson trees are never
 * shared between threads; a new entry replaces the one in its slot.
 */
#define MEMO_SLOTS 64

struct memo {
	char id[STORE_ID_LEN + 8];
	int version;
	json_t *sheet;
};

static pthread_key_t memo_key;
static pthread_once_t memo_once = PTHREAD_ONCE_INIT;

static void
memo_free(void *p)
{
	struct memo *m = p;
	for (size_t i = 0; i < MEMO_SLOTS; i++)
		json_decref(m[i].sheet);
	free(m);
}

static void
memo_init(void)
{
	if (pthread_key_create(&memo_key, memo_free) != 0)
		abort();
}

static struct memo *
memo_slot(const char *id)
{
	struct memo *m;
	uint32_t h = 2166136261u;
	pthread_once(&memo_once, memo_init);
	if ((m = pthread_getspecific(memo_key)) == NULL) {
		m = xcalloc(MEMO_SLOTS, sizeof(*m));
		if (pthread_setspecific(memo_key, m) != 0)
			abort();
	}
	for (const char *c = id; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	return &m[h % MEMO_SLOTS];
}

int
api_published_sheet(struct store *s, const char *production_id, const char *day_id, int *version,
                    json_t **sheet, struct err *e)
{
	struct store_callsheet latest, cs;
	struct memo *slot;
	json_error_t je;
	int found;

	*sheet = NULL;
	*version = 0;
	memset(&latest, 0, sizeof(latest));
	if (store_callsheet_list(s, production_id, day_id, newest, &latest, e) == -1)
		return -1;
	if (latest.id[0] == '\0')
		return 0;
	slot = memo_slot(latest.id);
	if (slot->sheet != NULL && strcmp(slot->id, latest.id) == 0) {
		*sheet = json_incref(slot->sheet);
		*version = slot->version;
		return 1;
	}
	if ((found = store_callsheet_get(s, production_id, latest.id, 1, &cs, e)) != 1)
		return found == 0 ? 0 : -1;
	*sheet = json_loads(cs.body, 0, &je);
	sodium_memzero(cs.body, strlen(cs.body));
	free(cs.body);
	if (*sheet == NULL)
		return err_set(e, 500, "call sheet %s is not JSON", cs.id);
	*version = cs.version;
	json_decref(slot->sheet);
	*slot = (struct memo){.version = cs.version, .sheet = json_incref(*sheet)};
	memcpy(slot->id, cs.id, sizeof(slot->id));
	return 1;
}

static const char *
text(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v != NULL ? v : "";
}

int
api_published_called(const json_t *sheet, const char *person_id)
{
	size_t i;
	const json_t *c;
	if (person_id == NULL || person_id[0] == '\0')
		return 0;
	json_array_foreach (json_object_get(sheet, "calls"), i, c)
		if (strcmp(text(c, "person_id"), person_id) == 0)
			return 1;
	return 0;
}

json_t *
api_published_day_json(const struct store_day *d, const json_t *sheet)
{
	/* cancelled as the sheet says: a day cancelled since is marked on its next version */
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:b}", "id", d->id, "date",
	                 text(sheet, "date"), "unit", text(sheet, "unit"), "general_call",
	                 text(sheet, "general_call"), "wrap_estimate", text(sheet, "wrap_estimate"),
	                 "number", json_integer_value(json_object_get(sheet, "day")), "total",
	                 json_integer_value(json_object_get(sheet, "of")), "cancelled",
	                 json_is_true(json_object_get(sheet, "cancelled")));
}

void
api_published_calls(const struct api_reader *rd, const char *day_id, const json_t *sheet,
                    json_t *arr)
{
	size_t i;
	const json_t *c;
	json_array_foreach (json_object_get(sheet, "calls"), i, c) {
		const char *from = text(c, "call_from");
		/* a published reader's call scope is self: the department is not asked */
		if (!api_allows(rd, POLICY_RESOURCE_CALL, POLICY_ACTION_READ, text(c, "person_id"),
		                NULL, 0))
			continue;
		json_array_append_new(
		    arr,
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "day_id", day_id,
		              "person_id", text(c, "person_id"), "call", text(c, "call"),
		              "call_from", from[0] ? from : "person", "pickup", text(c, "pickup"),
		              "hair_makeup", text(c, "hair_makeup"), "on_set", text(c, "on_set"),
		              "cast_status", text(c, "cast_status")));
	}
}

/* ---- calendars ---- */

/* One event's texts, kept until the calendar is serialised. */
struct cal_event {
	char uid[128], summary[320], *description, *location;
	char date[16], start[8], end[8];
	int sequence;
};

struct cal_build {
	struct store *s;
	struct api_reader *rd;
	const char *person_id; /* NULL: the schedule */
	int self_only;
	struct store_day *days;
	size_t ndays;
	struct cal_event *ev;
	size_t nev;
	/* while one event is assembled */
	FILE *desc, *loc;
	int nloc, failed;
	struct err e;
};

static void
keep_day(const struct store_day *d, void *arg)
{
	struct cal_build *b = arg;
	b->days = xrealloc(b->days, (b->ndays + 1) * sizeof(*b->days));
	b->days[b->ndays++] = *d;
}

static void
add_location(struct cal_build *b, const char *name, const char *address)
{
	fprintf(b->loc, "%s%s%s%s", b->nloc++ ? "; " : "", name, address[0] ? ", " : "", address);
}

static void
draft_location(const char *id, void *arg)
{
	struct cal_build *b = arg;
	struct store_location l;
	int v, found;
	if (b->failed)
		return;
	if ((found = store_location_get(b->s, b->rd->a.production.id, id, 1, &l, &b->e)) != 1) {
		b->failed = found == -1;
		return;
	}
	if ((v = api_location_view(b->s, b->rd, &l, &b->e)) == -2)
		b->failed = 1;
	else if (v >= 0)
		add_location(b, l.name, v == 1 ? l.address : "");
	sodium_memzero(&l, sizeof(l));
}

static void
scene_line(struct cal_build *b, const char *number, const char *int_ext, const char *set,
           const char *day_night)
{
	fprintf(b->desc, "\n%s %s %s, %s", number, int_ext, set, day_night);
}

static int
no_synopsis(const struct store_scene *sc, void *arg)
{
	(void)sc;
	(void)arg;
	return 0;
}

static void
draft_scene(const struct store_scene *sc, void *arg)
{
	scene_line(arg, sc->number, sc->int_ext, sc->set_name, sc->day_night);
}

/* The fields of one call, as the store or the sheet holds them. */
struct cal_call {
	const char *call, *pickup, *hair_makeup, *on_set;
};

struct found_call {
	const struct api_reader *rd;
	struct store_call c;
	int found;
};

static void
find_call(const struct store_call *c, void *arg)
{
	struct found_call *f = arg;
	if (!f->found && api_call_readable(f->rd, c)) {
		f->c = *c;
		f->found = 1;
	}
}

/* Opens the two text buffers of an event; 0, or -1 (out of memory). */
static int
event_open(struct cal_build *b, char **desc, size_t *dl, char **loc, size_t *ll)
{
	*desc = *loc = NULL;
	b->nloc = 0;
	if ((b->desc = open_memstream(desc, dl)) == NULL)
		return -1;
	if ((b->loc = open_memstream(loc, ll)) == NULL) {
		fclose(b->desc);
		free(*desc);
		return -1;
	}
	return 0;
}

/* Adds the event of day d (and the call cc when the calendar is a person's). */
static void
event_add(struct cal_build *b, const struct store_day *d, const char *date, const char *unit,
          long long number, long long total, const char *start, const char *end,
          const struct cal_call *cc, int sequence, char *desc, char *loc)
{
	const char *prod = b->rd->a.production.name;
	struct cal_event *ev;
	b->ev = xrealloc(b->ev, (b->nev + 1) * sizeof(*b->ev));
	ev = &b->ev[b->nev++];
	memset(ev, 0, sizeof(*ev));
	if (cc != NULL) {
		snprintf(ev->uid, sizeof(ev->uid), "%s.%s@slate", d->id, b->person_id);
		snprintf(ev->summary, sizeof(ev->summary), "%s: call, day %lld of %lld", prod,
		         number, total);
	} else {
		snprintf(ev->uid, sizeof(ev->uid), "%s@slate", d->id);
		snprintf(ev->summary, sizeof(ev->summary), "%s: day %lld of %lld (%s unit)", prod,
		         number, total, unit);
	}
	snprintf(ev->date, sizeof(ev->date), "%s", date);
	snprintf(ev->start, sizeof(ev->start), "%s", start);
	snprintf(ev->end, sizeof(ev->end), "%s", end);
	ev->sequence = sequence;
	ev->description = desc;
	ev->location = loc;
}

/* The description's head: the call's times (a person's calendar) or the general call. */
static void
describe_call(FILE *f, const struct cal_call *cc, const char *general_call)
{
	if (cc == NULL) {
		fprintf(f, "General call %s", general_call);
		return;
	}
	fprintf(f, "Call %s", cc->call);
	if (cc->pickup[0])
		fprintf(f, "\nPick-up %s", cc->pickup);
	if (cc->hair_makeup[0])
		fprintf(f, "\nHair and make-up %s", cc->hair_makeup);
	if (cc->on_set[0])
		fprintf(f, "\nOn set %s", cc->on_set);
}

/* The event of day d as last published (sheet, version); nothing when the reader has no call. */
static void
published_event(struct cal_build *b, const struct store_day *d, const json_t *sheet, int version)
{
	const json_t *line = NULL, *v;
	struct cal_call cc, *ccp = NULL;
	char *desc = NULL, *loc = NULL;
	size_t dl = 0, ll = 0, i;
	int addresses;

	if (b->person_id != NULL) {
		json_array_foreach (json_object_get(sheet, "calls"), i, v)
			if (line == NULL && strcmp(text(v, "person_id"), b->person_id) == 0)
				line = v;
		if (line == NULL || !api_allows(b->rd, POLICY_RESOURCE_CALL, POLICY_ACTION_READ,
		                                b->person_id, NULL, 0))
			return;
		cc = (struct cal_call){text(line, "call"), text(line, "pickup"),
		                       text(line, "hair_makeup"), text(line, "on_set")};
		ccp = &cc;
	}
	if (event_open(b, &desc, &dl, &loc, &ll) == -1) {
		b->failed = 1;
		err_set(&b->e, 500, "out of memory");
		return;
	}
	describe_call(b->desc, ccp, text(sheet, "general_call"));
	if (json_array_size(json_object_get(sheet, "scenes")) > 0)
		fputs("\nScenes:", b->desc);
	json_array_foreach (json_object_get(sheet, "scenes"), i, v) {
		scene_line(b, text(v, "number"), text(v, "int_ext"), text(v, "set"),
		           text(v, "day_night"));
	}
	/* a published sheet shows its locations to all it calls; the role decides addresses */
	addresses =
	    api_allows(b->rd, POLICY_RESOURCE_LOCATION_ADDRESS, POLICY_ACTION_READ, NULL, NULL, 1);
	json_array_foreach (json_object_get(sheet, "locations"), i, v) {
		add_location(b, text(v, "name"), addresses ? text(v, "address") : "");
	}
	fclose(b->desc);
	fclose(b->loc);
	event_add(b, d, text(sheet, "date"), text(sheet, "unit"),
	          json_integer_value(json_object_get(sheet, "day")),
	          json_integer_value(json_object_get(sheet, "of")),
	          ccp ? cc.call : text(sheet, "general_call"), text(sheet, "wrap_estimate"), ccp,
	          version, desc, loc);
}

/* The event of day d as drafted; nothing when the reader cannot see the call. */
static void
draft_event(struct cal_build *b, const struct store_day *d, int version)
{
	struct found_call fc = {.rd = b->rd};
	struct cal_call cc, *ccp = NULL;
	char *desc = NULL, *loc = NULL, call[8];
	size_t dl = 0, ll = 0;
	int dept;

	if (b->person_id != NULL) {
		if (store_call_list(b->s, b->rd->a.production.id, d->id, b->person_id, find_call,
		                    &fc, &b->e) == -1) {
			b->failed = 1;
			return;
		}
		if (!fc.found)
			return;
		snprintf(call, sizeof(call), "%s",
		         callsheet_effective_call(fc.c.call_time, fc.c.department_call, &dept));
		cc = (struct cal_call){call, fc.c.pickup, fc.c.hair_makeup, fc.c.on_set};
		ccp = &cc;
	}
	if (event_open(b, &desc, &dl, &loc, &ll) == -1) {
		b->failed = 1;
		err_set(&b->e, 500, "out of memory");
		return;
	}
	describe_call(b->desc, ccp, d->general_call);
	fputs("\nScenes:", b->desc);
	if (store_scene_list(b->s, b->rd->a.production.id, d->id, no_synopsis, draft_scene, b,
	                     &b->e) == -1 ||
	    store_day_locations(b->s, d->id, draft_location, b, &b->e) == -1)
		b->failed = 1;
	fclose(b->desc);
	fclose(b->loc);
	if (b->failed) {
		free(desc);
		free(loc);
		return;
	}
	/* no scene: drop the heading written before the list */
	if (dl >= 8 && strcmp(desc + dl - 8, "\nScenes:") == 0)
		desc[dl - 8] = '\0';
	event_add(b, d, d->date, d->unit, d->number, d->total, ccp ? cc.call : d->general_call,
	          d->wrap_estimate, ccp, version, desc, loc);
}

static void
event_free(struct cal_event *ev)
{
	if (ev->description != NULL)
		sodium_memzero(ev->description, strlen(ev->description));
	free(ev->description);
	free(ev->location);
}

int
calendar_write(FILE *f, struct store *s, struct api_reader *rd, const char *person_id,
               int self_only, struct err *e)
{
	struct cal_build b = {.s = s, .rd = rd, .person_id = person_id, .self_only = self_only};
	struct ical_event *ev = NULL;
	int published =
	    person_id != NULL ? api_reads_published_calls(rd) : api_reads_published_schedule(rd);
	char name[320], *cal;
	int rc = -1;

	if (store_day_list(s, rd->a.production.id, keep_day, &b, e) == -1)
		return -1;
	for (size_t i = 0; i < b.ndays && !b.failed; i++) {
		const struct store_day *d = &b.days[i];
		json_t *sheet = NULL;
		int version = 0, found, v, called;

		if ((found = api_published_sheet(s, rd->a.production.id, d->id, &version, &sheet,
		                                 &b.e)) == -1) {
			b.failed = 1;
			break;
		}
		/* the day must be one the reader sees, in the view they see it in (api_day_visible)
		 */
		if (api_reads_published_schedule(rd))
			called = found == 1 && api_published_called(sheet, rd->person_id);
		else
			called = api_reader_knows_calls(s, rd, d->id, &b.e);
		if (called == -1) {
			json_decref(sheet);
			b.failed = 1;
			break;
		}
		v = (found == 1 || !api_reads_published_schedule(rd)) &&
		    api_allows(rd, POLICY_RESOURCE_SCHEDULE, POLICY_ACTION_READ, NULL, NULL,
		               called);
		if (self_only)
			v = v && called;
		if (v == 1) {
			if (published && found == 1)
				published_event(&b, d, sheet, version);
			else if (!published)
				draft_event(&b, d, version);
		}
		json_decref(sheet);
	}
	if (b.failed) {
		*e = b.e;
		goto out;
	}
	ev = xcalloc(b.nev + 1, sizeof(*ev));
	for (size_t i = 0; i < b.nev; i++)
		ev[i] = (struct ical_event){.uid = b.ev[i].uid,
		                            .date = b.ev[i].date,
		                            .start = b.ev[i].start,
		                            .end = b.ev[i].end,
		                            .summary = b.ev[i].summary,
		                            .description = b.ev[i].description,
		                            .location = b.ev[i].location,
		                            .sequence = b.ev[i].sequence};
	snprintf(name, sizeof(name), "%s%s", rd->a.production.name, person_id ? ": calls" : "");
	if ((cal = ical_calendar(rd->a.production.timezone, name, ev, b.nev)) == NULL) {
		err_set(e, 500, "the calendar could not be built: a date or time is malformed");
		goto out;
	}
	fputs(cal, f);
	sodium_memzero(cal, strlen(cal));
	free(cal);
	rc = 0;
out:
	for (size_t i = 0; i < b.nev; i++)
		event_free(&b.ev[i]);
	free(b.ev);
	free(ev);
	free(b.days);
	return rc;
}
