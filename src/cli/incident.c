/*
 * incident.c — `slate incident open|list|show|update|notify-authority|
 * close|affected|notify-draft|notifications|notify-send`: the incident register from the shell,
 * with the rules and audit events of the API (domain/incidents.h), by actor "cli:<login>". The
 * shell is the way in when the server is what the incident is about.
 *
 * `list` shows each incident's 72-hour clock: the hours left, WARNING past
 * 48 hours, OVERDUE past 72, "stopped" once the authority's notification
 * is recorded.
 *
 * `notify-draft` drafts the message to each affected person from the
 * incident's text (domain/incident_notice.c), `notifications` lists them
 * for review, `notify-send` queues the drafts in the mail outbox (the
 * notifier of `slate serve` delivers them); a second send sends only new
 * drafts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/cli.h"
#include "crypto/keyring.h"
#include "domain/incidents.h"
#include "store/store.h"

static const char help[] =
    "usage: slate incident open     --data DIR --discovered-at TIME --aware-at TIME\n"
    "                               --nature TEXT --contact TEXT [--data-categories TEXT]\n"
    "                               [--people-categories TEXT] [--approx-people TEXT]\n"
    "                               [--approx-records TEXT] [--consequences TEXT]\n"
    "                               [--measures TEXT] [--advice TEXT] [--json]\n"
    "       slate incident list     --data DIR [--json]\n"
    "       slate incident show     --data DIR --id ID [--json]\n"
    "       slate incident update   --data DIR --id ID [--status contained] [any text\n"
    "                               option of open]\n"
    "       slate incident notify-authority --data DIR --id ID --reference REF\n"
    "                               [--at TIME] [--reason TEXT (required past 72 hours)]\n"
    "       slate incident close    --data DIR --id ID [--reason TEXT (required when the\n"
    "                               authority was not notified)]\n"
    "       slate incident affected --data DIR --id ID (--account EMAIL | --token ID)\n"
    "                               --from TIME --to TIME\n"
    "       slate incident notify-draft  --data DIR --id ID [--json]\n"
    "       slate incident notifications --data DIR --id ID [--json]\n"
    "       slate incident notify-send   --data DIR --id ID [--json]\n"
    "\n"
    "TIME is RFC 3339, e.g. 2026-12-01T09:30:00Z. The 72-hour clock of GDPR Article 33\n"
    "starts at --aware-at; an incident moves open -> contained -> notified -> closed.\n"
    "`affected` records the people whose private fields the account or API token read\n"
    "in the window, from the audit log. `notify-draft` drafts a message to each of them\n"
    "(set --advice, what they can do, first), `notifications` shows the drafts, and\n"
    "`notify-send` queues them in the mail outbox. Incidents are never deleted.\n";

/* The text options, in the order of their JSON names. */
#define NTEXT 9
static const char *opt_text[NTEXT];
static const char *const text_names[NTEXT] = {
    "nature",        "contact",        "data_categories", "people_categories",
    "approx_people", "approx_records", "consequences",    "measures",
    "advice",
};

/* An option given on the command line into the body the domain reads (NULL: not given). */
static void
put(json_t *in, const char *key, const char *value)
{
	if (value != NULL)
		json_object_set_new(in, key, json_string(value));
}

static int
failed(const struct err *e)
{
	if (e->field[0] != '\0')
		cli_error("incident", "%s %s", e->field + 1, e->msg);
	else
		cli_error("incident", "%s", e->msg);
	return e->status == 400 ? EXIT_USAGE : EXIT_FAIL;
}

/* "71.5h left", "WARNING 20.0h left", "OVERDUE 3.0h late", "stopped", … */
static void
clock_text(const json_t *clock, char *out, size_t len)
{
	const char *state = json_string_value(json_object_get(clock, "state"));
	double left = json_number_value(json_object_get(clock, "hours_left"));

	if (state == NULL)
		snprintf(out, len, "-");
	else if (strcmp(state, "stopped") == 0)
		snprintf(out, len, "stopped%s",
		         json_is_true(json_object_get(clock, "late")) ? " (late)" : "");
	else if (strcmp(state, "OVERDUE") == 0)
		snprintf(out, len, "OVERDUE %.1fh late", -left);
	else if (strcmp(state, "WARNING") == 0)
		snprintf(out, len, "WARNING %.1fh left", left);
	else if (strcmp(state, "running") == 0)
		snprintf(out, len, "%.1fh left", left);
	else
		snprintf(out, len, "%s", state);
}

static void
print_row(const json_t *inc)
{
	char clock[64];
	clock_text(json_object_get(inc, "clock"), clock, sizeof(clock));
	printf("%-32s %-10s %-21s %s\n", json_string_value(json_object_get(inc, "id")),
	       json_string_value(json_object_get(inc, "status")),
	       json_string_value(json_object_get(inc, "aware_at")), clock);
}

static void
print_one(const json_t *inc)
{
	const json_t *aff = json_object_get(inc, "affected"), *h, *p;
	size_t i;

	print_row(inc);
	for (size_t k = 0; k < NTEXT; k++) {
		const char *v = json_string_value(json_object_get(inc, text_names[k]));
		if (v != NULL)
			printf("  %-18s %s\n", text_names[k], v);
	}
	printf("  %-18s %s\n", "discovered_at",
	       json_string_value(json_object_get(inc, "discovered_at")));
	if (json_is_string(json_object_get(inc, "notified_at")))
		printf("  %-18s %s (reference %s)\n", "notified_at",
		       json_string_value(json_object_get(inc, "notified_at")),
		       json_string_value(json_object_get(inc, "authority_reference")));
	if (json_is_object(aff)) {
		printf("  affected people    %zu\n",
		       json_array_size(json_object_get(aff, "people")));
		json_array_foreach (json_object_get(aff, "people"), i, p) {
			printf("    %s in %s\n", json_string_value(json_object_get(p, "person_id")),
			       json_string_value(json_object_get(p, "production_id")));
		}
	}
	json_array_foreach (json_object_get(inc, "history"), i, h) {
		printf("  %s %s %s\n", json_string_value(json_object_get(h, "at")),
		       json_string_value(json_object_get(h, "actor")),
		       json_string_value(json_object_get(json_object_get(h, "change"), "action")));
	}
}

/* One line per notice: its status, person, and recipient or why there is none. */
static void
print_notices(const json_t *out)
{
	const json_t *n, *c = json_object_get(out, "counts");
	size_t i;

	if (json_is_integer(json_object_get(out, "queued")))
		printf("queued now: %lld\n",
		       (long long)json_integer_value(json_object_get(out, "queued")));
	printf("drafts %lld, not notifiable %lld, queued or later %lld, sent %lld\n",
	       (long long)json_integer_value(json_object_get(c, "draft")),
	       (long long)json_integer_value(json_object_get(c, "not_notifiable")),
	       (long long)json_integer_value(json_object_get(c, "queued_or_later")),
	       (long long)json_integer_value(json_object_get(c, "sent")));
	json_array_foreach (json_object_get(out, "notifications"), i, n) {
		const char *to = json_string_value(json_object_get(n, "recipient"));
		const char *why = json_string_value(json_object_get(n, "reason"));
		printf("%-32s %-14s %s\n", json_string_value(json_object_get(n, "person_id")),
		       json_string_value(json_object_get(n, "status")),
		       to != NULL    ? to
		       : why != NULL ? why
		                     : "-");
	}
}

int
cmd_incident(int argc, char **argv)
{
	static int as_json;
	static const char *id, *discovered, *aware, *status, *reference, *at, *reason, *account,
	    *token, *from, *to;
	static const struct cli_flag flags[] = {
	    {"--data", "data", NULL, NULL},
	    {"--id", NULL, NULL, &id},
	    {"--discovered-at", NULL, NULL, &discovered},
	    {"--aware-at", NULL, NULL, &aware},
	    {"--nature", NULL, NULL, &opt_text[0]},
	    {"--contact", NULL, NULL, &opt_text[1]},
	    {"--data-categories", NULL, NULL, &opt_text[2]},
	    {"--people-categories", NULL, NULL, &opt_text[3]},
	    {"--approx-people", NULL, NULL, &opt_text[4]},
	    {"--approx-records", NULL, NULL, &opt_text[5]},
	    {"--consequences", NULL, NULL, &opt_text[6]},
	    {"--measures", NULL, NULL, &opt_text[7]},
	    {"--advice", NULL, NULL, &opt_text[8]},
	    {"--status", NULL, NULL, &status},
	    {"--reference", NULL, NULL, &reference},
	    {"--at", NULL, NULL, &at},
	    {"--reason", NULL, NULL, &reason},
	    {"--account", NULL, NULL, &account},
	    {"--token", NULL, NULL, &token},
	    {"--from", NULL, NULL, &from},
	    {"--to", NULL, NULL, &to},
	    {"--json", NULL, &as_json, NULL},
	    {NULL, NULL, NULL, NULL},
	};
	static const char *const subs[] = {
	    "open",  "list",     "show",         "update",        "notify-authority",
	    "close", "affected", "notify-draft", "notifications", "notify-send",
	    NULL};
	const char *sub = argc > 0 ? argv[0] : "";
	struct incidents_who who = {cli_actor(), "cli", NULL};
	struct config c;
	struct store *s = NULL;
	struct keyring *keys = NULL;
	struct err e;
	json_t *in = json_object(), *out = NULL;
	long long now = (long long)time(NULL);
	int done, rc, known = 0, found;

	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(help, stdout);
		json_decref(in);
		return EXIT_OK;
	}
	for (int i = 0; subs[i] != NULL; i++)
		known |= strcmp(sub, subs[i]) == 0;
	if (!known) {
		cli_error("incident", "say open, list, show, update, notify-authority, close, "
		                      "affected, notify-draft, notifications or notify-send (see "
		                      "slate incident --help)");
		json_decref(in);
		return EXIT_USAGE;
	}
	rc = cli_config("incident", argc - 1, argv + 1, flags, help, &c, &done);
	if (rc != EXIT_OK || done)
		goto out;
	if (strcmp(sub, "open") != 0 && strcmp(sub, "list") != 0 && id == NULL) {
		cli_error("incident", "%s needs --id (slate incident list shows them)", sub);
		rc = EXIT_USAGE;
		goto out;
	}
	if (strcmp(sub, "open") == 0 && (discovered == NULL || aware == NULL)) {
		cli_error("incident", "open needs --discovered-at and --aware-at (RFC 3339 times)");
		rc = EXIT_USAGE;
		goto out;
	}
	if (strcmp(sub, "open") != 0 && (discovered != NULL || aware != NULL)) {
		cli_error("incident", "--discovered-at and --aware-at are set when the incident is "
		                      "opened, and kept");
		rc = EXIT_USAGE;
		goto out;
	}
	for (size_t k = 0; k < NTEXT; k++)
		put(in, text_names[k], opt_text[k]);
	put(in, "discovered_at", discovered);
	put(in, "aware_at", aware);
	if ((s = cli_open_store("incident", &c, &keys)) == NULL) {
		rc = EXIT_FAIL;
		goto out;
	}
	if (strcmp(sub, "list") == 0) {
		size_t i;
		json_t *inc;
		if (incidents_list(s, now, &out, &e) == -1) {
			rc = failed(&e);
			goto out;
		}
		if (as_json) {
			cli_print_json(out, 1);
			out = NULL;
		} else {
			printf("%-32s %-10s %-21s %s\n", "INCIDENT", "STATUS", "AWARE AT",
			       "72-HOUR CLOCK");
			json_array_foreach (out, i, inc) {
				print_row(inc);
			}
		}
		rc = EXIT_OK;
		goto out;
	}
	if (strcmp(sub, "notify-draft") == 0 || strcmp(sub, "notify-send") == 0 ||
	    strcmp(sub, "notifications") == 0) {
		if (strcmp(sub, "notifications") == 0) {
			if ((found = incidents_notice_list(s, id, &out, &e)) != 1) {
				if (found == 0)
					err_set(&e, 404, "there is no incident %s", id);
				rc = failed(&e);
				goto out;
			}
		} else if ((strcmp(sub, "notify-draft") == 0
		                ? incidents_notice_draft(s, &who, id, in, now, &out, &e)
		                : incidents_notice_send(s, &who, id, in, now, &out, &e)) == -1) {
			rc = failed(&e);
			goto out;
		}
		if (as_json) {
			cli_print_json(out, 1);
			out = NULL;
		} else {
			print_notices(out);
		}
		rc = EXIT_OK;
		goto out;
	}
	if (strcmp(sub, "show") == 0) {
		if ((found = incidents_get(s, id, now, &out, &e)) != 1) {
			if (found == 0)
				err_set(&e, 404, "there is no incident %s", id);
			rc = failed(&e);
			goto out;
		}
	} else if (strcmp(sub, "open") == 0) {
		rc = incidents_open(s, &who, in, now, &out, &e);
	} else if (strcmp(sub, "update") == 0 || strcmp(sub, "close") == 0) {
		if (strcmp(sub, "close") == 0)
			status = "closed";
		put(in, "status", status);
		put(in, "no_notification_reason", reason);
		rc = incidents_update(s, &who, id, in, now, &out, &e);
	} else if (strcmp(sub, "notify-authority") == 0) {
		json_object_clear(in);
		put(in, "reference", reference);
		put(in, "notified_at", at);
		put(in, "late_reason", reason);
		rc = incidents_notify(s, &who, id, in, now, &out, &e);
	} else {
		json_object_clear(in);
		put(in, "account", account);
		put(in, "token", token);
		put(in, "from", from);
		put(in, "to", to);
		rc = incidents_affected(s, &who, id, in, now, &out, &e);
	}
	if (rc == -1) {
		rc = failed(&e);
		goto out;
	}
	if (as_json) {
		cli_print_json(out, 1);
		out = NULL;
	} else {
		print_one(out);
	}
	rc = EXIT_OK;
out:
	json_decref(in);
	json_decref(out);
	store_close(s);
	keyring_close(keys);
	config_free(&c);
	return rc;
}
