/*
 * accounts.c — adding an account, the same way from the shell and the API
 * (the rules are in domain/accounts.h).
 */
#include "domain/accounts.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "util/email.h"

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
