/*
 * user.c — `slate user add|list|disable|close|reopen`: accounts from the shell.
 *
 * Works on the data directory directly (SQLite in WAL mode lets it run
 * beside a serving `slate serve`); a disabled account's sessions end at
 * once, so its next request is refused. Every change is audited with the
 * actor "cli:<login name>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit/audit.h"
#include "backup/erasure.h"
#include "cli/cli.h"
#include "crypto/keyring.h"
#include "crypto/password.h"
#include "domain/accounts.h"
#include "store/store.h"
#include "util/timefmt.h"

static const char help[] =
    "usage: slate user add     --data DIR --email EMAIL [--name NAME] [--admin] [--json]\n"
    "       slate user list    --data DIR [--json]\n"
    "       slate user disable --data DIR --email EMAIL\n"
    "       slate user close   --data DIR --email EMAIL\n"
    "       slate user reopen  --data DIR --email EMAIL\n"
    "\n"
    "add:     creates an account with a one-time password (printed once, or taken from\n"
    "         SLATE_USER_PASSWORD) that must be changed at first sign-in; --admin makes\n"
    "         it an instance administrator\n"
    "list:    every account with its status\n"
    "disable: the account can no longer sign in; its sessions end now\n"
    "close:   closes the account: it can no longer sign in, and after deletion_grace_days\n"
    "         (SLATE_DELETION_GRACE_DAYS, default 30) the deletion job deletes it with\n"
    "         every person record linked to it and destroys their keys (slate purge)\n"
    "reopen:  calls a closure off before the deletion is due\n";

/* The rules are domain/accounts.h's, shared with POST /api/v1/admin/users. */
static int
add(struct store *s, const struct password_cost *cost, const char *email, const char *name,
    int admin, int as_json)
{
	struct accounts_new n;
	struct err e;
	int rc = EXIT_FAIL;

	if (accounts_prepare(&n, email, name, getenv("SLATE_USER_PASSWORD"), admin, &e) == -1) {
		if (strcmp(e.field, "/email") == 0) {
			cli_error("user", "--email needs an address like name@example.org");
			rc = EXIT_USAGE;
		} else {
			cli_error("user", "SLATE_USER_PASSWORD: %s", e.msg);
		}
		goto out;
	}
	if (accounts_hash(&n, cost, &e) == -1 || accounts_create(s, &n, &e) == -1) {
		cli_error("user", "%s", e.msg);
		goto out;
	}
	cli_audit("user", s, accounts_action(&n), n.u.id, NULL);
	if (as_json) {
		cli_print_json(accounts_json(&n), 1);
	} else {
		printf("Added %s (%s)%s\n", n.u.email, n.u.id,
		       admin ? " as an instance administrator" : "");
		if (!n.given)
			printf(
			    "One-time password: %s\n(shown only now; it must be changed at first "
			    "sign-in)\n",
			    n.password);
	}
	rc = EXIT_OK;
out:
	accounts_wipe(&n);
	return rc;
}

static void
print_user(const struct store_user *u, void *arg)
{
	json_t *arr = arg;
	if (arr != NULL) {
		json_array_append_new(
		    arr, json_pack("{s:s, s:s, s:s, s:b, s:b, s:b}", "id", u->id, "email", u->email,
		                   "display_name", u->display_name, "instance_admin",
		                   u->is_instance_admin, "disabled", u->disabled,
		                   "must_change_password", u->must_change_password));
		return;
	}
	printf("%-32s %-24s %-6s %s\n", u->email, u->display_name,
	       u->is_instance_admin ? "admin" : "-",
	       u->disabled               ? "disabled"
	       : u->must_change_password ? "must change password"
	                                 : "active");
}

static int
list(struct store *s, int as_json)
{
	json_t *arr = as_json ? json_array() : NULL;
	struct err e;
	int rc;

	if (!as_json)
		printf("%-32s %-24s %-6s %s\n", "EMAIL", "NAME", "ROLE", "STATUS");
	rc = store_user_list(s, print_user, arr, &e);
	if (rc == -1)
		cli_error("user", "%s", e.msg);
	cli_print_json(arr, rc == 0);
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}

/* The account with this email: EXIT_OK, or an exit code after one clear line. */
static int
find(struct store *s, const char *sub, const char *email, struct store_user *u)
{
	struct err e;
	int found;
	if (email == NULL) {
		cli_error("user", "%s needs --email", sub);
		return EXIT_USAGE;
	}
	if ((found = store_user_by_email(s, email, u, &e)) != 1) {
		cli_error("user", "%s", found == 0 ? "there is no account with that email" : e.msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int
disable(struct store *s, const char *email)
{
	struct store_user u;
	struct err e;
	int found;

	if ((found = find(s, "disable", email, &u)) != EXIT_OK)
		return found;
	if (store_begin(s, &e) == -1 ||
	    (found = store_user_disable(s, u.id, time(NULL), &e)) == -1 ||
	    store_commit(s, &e) == -1) {
		store_rollback(s);
		cli_error("user", "%s", e.msg);
		return EXIT_FAIL;
	}
	if (found == 0) {
		printf("%s was already disabled\n", u.email);
		return EXIT_OK;
	}
	cli_audit("user", s, "user.disable", u.id, NULL);
	printf("Disabled %s; its sessions have ended\n", u.email);
	return EXIT_OK;
}

static int
close_account(struct store *s, const struct config *c, const char *email)
{
	struct audit_entry a = {cli_actor(), "cli", "account.close", NULL, "success", NULL, NULL};
	long long now = (long long)time(NULL), due = 0;
	char when[TIMEFMT_LEN];
	struct store_user u;
	json_t *held = NULL;
	struct err e;
	int rc;

	if ((rc = find(s, "close", email, &u)) != EXIT_OK)
		return rc;
	rc = -1; /* accounts_close's answer from here */
	a.object = u.id;
	if (store_begin(s, &e) == -1 ||
	    (rc = accounts_close(s, u.id, u.email, 0, now, erasure_grace(c), c->public_url, &due,
	                         &held, &e)) != 1 ||
	    audit_record(s, &a, &e) == -1 || store_commit(s, &e) == -1) {
		store_rollback(s);
		if (rc == 0) {
			printf("%s was already closed\n", u.email);
			return EXIT_OK;
		}
		if (held != NULL) {
			size_t i;
			json_t *p;
			json_array_foreach (held, i, p) {
				cli_error("user",
				          "%s is the last production admin or producer of %s (%s): "
				          "make someone else one first",
				          u.email, json_string_value(json_object_get(p, "name")),
				          json_string_value(json_object_get(p, "id")));
			}
			json_decref(held);
		} else {
			cli_error("user", "%s", e.msg);
		}
		return EXIT_FAIL;
	}
	time_rfc3339((time_t)due, when);
	printf("Closed %s; its sessions have ended. It will be deleted for good at %s (slate "
	       "purge); slate user reopen calls that off.\n",
	       u.email, when);
	return EXIT_OK;
}

static int
reopen_account(struct store *s, const char *email)
{
	struct audit_entry a = {cli_actor(), "cli", "account.reopen", NULL, "success", NULL, NULL};
	struct store_user u;
	struct err e;
	int rc;

	if ((rc = find(s, "reopen", email, &u)) != EXIT_OK)
		return rc;
	rc = -1; /* store_user_reopen's answer from here */
	a.object = u.id;
	if (store_begin(s, &e) == -1 ||
	    (rc = store_user_reopen(s, u.id, (long long)time(NULL), &e)) != 1 ||
	    audit_record(s, &a, &e) == -1 || store_commit(s, &e) == -1) {
		store_rollback(s);
		cli_error("user", "%s",
		          rc == 0 ? "the account is not closed, or its deletion is due already"
		                  : e.msg);
		return EXIT_FAIL;
	}
	printf("Reopened %s; it can sign in again\n", u.email);
	return EXIT_OK;
}

int
cmd_user(int argc, char **argv)
{
	static int as_json, admin;
	static const char *email, *name;
	static const struct cli_flag flags[] = {
	    {"--data", "data", NULL, NULL},   {"--email", NULL, NULL, &email},
	    {"--name", NULL, NULL, &name},    {"--admin", NULL, &admin, NULL},
	    {"--json", NULL, &as_json, NULL}, {NULL, NULL, NULL, NULL},
	};
	struct config c;
	struct store *s;
	struct keyring *keys = NULL;
	const char *sub = argc > 0 ? argv[0] : "";
	int done, rc;

	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "disable") != 0 &&
	    strcmp(sub, "close") != 0 && strcmp(sub, "reopen") != 0) {
		cli_error("user",
		          "say add, list, disable, close or reopen (see slate user --help)");
		return EXIT_USAGE;
	}
	rc = cli_config("user", argc - 1, argv + 1, flags, help, &c, &done);
	if (rc != EXIT_OK || done)
		goto out;
	if ((s = cli_open_store("user", &c, &keys)) == NULL) {
		rc = EXIT_FAIL;
		goto out;
	}
	if (strcmp(sub, "add") == 0) {
		struct password_cost cost = password_cost_of(&c);
		rc = add(s, &cost, email, name, admin, as_json);
	} else if (strcmp(sub, "list") == 0)
		rc = list(s, as_json);
	else if (strcmp(sub, "close") == 0)
		rc = close_account(s, &c, email);
	else if (strcmp(sub, "reopen") == 0)
		rc = reopen_account(s, email);
	else
		rc = disable(s, email);
	store_close(s);
	keyring_close(keys);
out:
	config_free(&c);
	return rc;
}
