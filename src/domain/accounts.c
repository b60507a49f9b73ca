/*
 * accounts.c — adding an account, the same way from the shell and the API
 * (the rules are in domain/accounts.h).
 */
#include "domain/accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "notify/notify.h"
#include "util/email.h"
#include "util/timefmt.h"
#include "util/xalloc.h"

int
accounts_prepare(struct accounts_new *n, const char *email, const char *name, const char *given,
                 int admin, struct err *e)
{
	memset(n, 0, sizeof(*n));
	if (email == NULL || !email_plausible(email))
		return err_field(e, 400, "/email", "an address like name@example.org");
	snprintf(n->u.email, sizeof(n->u.email), "%s", email);
	if (name != NULL)
		snprintf(n->u.display_name, sizeof(n->u.display_name), "%s", name);
	else
		snprintf(n->u.display_name, sizeof(n->u.display_name), "%.*s",
		         (int)(strchr(email, '@') - email), email);
	if (given != NULL) {
		if (password_acceptable(given, email, e) == -1)
			return -1;
		snprintf(n->password, sizeof(n->password), "%s", given);
		n->given = 1;
	} else {
		password_generate(n->password);
	}
	n->u.must_change_password = 1;
	n->u.is_instance_admin = admin != 0;
	return 0;
}

int
accounts_hash(struct accounts_new *n, const struct password_cost *cost, struct err *e)
{
	return password_hash(n->password, strlen(n->password), cost, n->u.password_hash, e);
}

int
accounts_create(struct store *s, struct accounts_new *n, struct err *e)
{
	if (store_user_create(s, &n->u, e) == -1) {
		if (e->status == 409)
			return err_field(e, 409, "/email", "an account with that email exists");
		return -1;
	}
	return 0;
}

const char *
accounts_action(const struct accounts_new *n)
{
	return n->u.is_instance_admin ? "user.add_admin" : "user.add";
}

json_t *
accounts_json(const struct accounts_new *n)
{
	json_t *j =
	    json_pack("{s:s, s:s, s:s, s:b}", "id", n->u.id, "email", n->u.email, "display_name",
	              n->u.display_name, "instance_admin", n->u.is_instance_admin);
	if (!n->given)
		json_object_set_new(j, "password", json_string(n->password));
	return j;
}

void
accounts_wipe(struct accounts_new *n)
{
	sodium_memzero(n, sizeof(*n));
}

/* The productions the account leads, gathered before counting (one query at a time). */
static void
add_led(const struct store_production *p, const char *role, void *arg)
{
	if (strcmp(role, "production_admin") == 0 || strcmp(role, "producer") == 0)
		json_array_append_new(arg, json_pack("{s:s, s:s, s:s}", "kind", "production", "id",
		                                     p->id, "name", p->name));
}

static int
last_leader_of(struct store *s, const char *user_id, json_t **held, struct err *e)
{
	json_t *led = json_array(), *alone = json_array(), *p;
	size_t i;
	long n;

	if (store_production_list(s, user_id, 0, add_led, led, e) == -1)
		goto fail;
	json_array_foreach (led, i, p) {
		if (store_membership_leaders(s, json_string_value(json_object_get(p, "id")), &n,
		                             e) == -1)
			goto fail;
		if (n <= 1)
			json_array_append(alone, p);
	}
	json_decref(led);
	if (json_array_size(alone) == 0) {
		json_decref(alone);
		return 0;
	}
	if (held != NULL)
		*held = alone;
	else
		json_decref(alone);
	return err_set(e, 409,
	               "the account is the last production admin or producer of a production "
	               "(see held_by): make someone else one first");
fail:
	json_decref(led);
	json_decref(alone);
	return -1;
}

int
accounts_close(struct store *s, const char *user_id, const char *email, int by_self, long long now,
               long long grace, const char *public_url, long long *due, json_t **held,
               struct err *e)
{
	char when[TIMEFMT_LEN], *body, *how;
	int rc;

	if (last_leader_of(s, user_id, held, e) == -1)
		return -1;
	*due = now + grace;
	if ((rc = store_user_close(s, user_id, now, *due, by_self, e)) != 1)
		return rc;
	time_rfc3339((time_t)*due, when);
	how = by_self ? xasprintf("Changed your mind? Sign in before then at %s/sign-in and "
	                          "confirm that you want to reopen your account.",
	                          public_url)
	              : xstrdup("An instance administrator closed it. To keep it, ask them to "
	                        "reopen it before then.");
	body = xasprintf(
	    "Your Slate account is closed. You are signed out everywhere and your API tokens no "
	    "longer work.\n\n"
	    "On %.10s (%s) Slate deletes your account and every person record linked to it, in "
	    "every production, and destroys the keys they are encrypted with, so that no copy, "
	    "backups included, can be read again.\n\n%s\n",
	    when, when, how);
	free(how);
	rc = notify_enqueue(s, email, "Your Slate account is closed", body, e);
	free(body);
	return rc == -1 ? -1 : 1;
}
