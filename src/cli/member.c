/*
 * member.c — `slate member add|list|set-role|revoke|reinstate`: production
 * membership from the shell, with the same rules as the API (they live in
 * domain/members.c) and the same audit events, by actor "cli:<login>".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "crypto/keyring.h"
#include "domain/members.h"
#include "store/store.h"

static const char help[] =
    "usage: slate member add       --data DIR --production ID --email EMAIL --role ROLE\n"
    "                              [--department NAME]\n"
    "       slate member list      --data DIR --production ID [--json]\n"
    "       slate member set-role  --data DIR --production ID --email EMAIL --role ROLE\n"
    "                              [--department NAME]\n"
    "       slate member revoke    --data DIR --production ID --email EMAIL\n"
    "       slate member reinstate --data DIR --production ID --email EMAIL\n"
    "\n"
    "ROLE is production_admin, producer, ad, department_head, crew or cast (docs/ROLES.md).\n"
    "A revoked member is refused on their next request; when they belong to no other\n"
    "production their sessions end. `slate member list` without --production lists the\n"
    "productions and their ids.\n";

static int
failed(const struct err *e)
{
	if (e->field[0] != '\0')
		cli_error("member", "%s %s", e->field + 1, e->msg);
	else
		cli_error("member", "%s", e->msg);
	return e->status == 400 ? EXIT_USAGE : EXIT_FAIL;
}

static void
print_member(const struct store_membership *m, void *arg)
{
	json_t *arr = arg;
	if (arr != NULL) {
		json_array_append_new(arr,
		                      json_pack("{s:s, s:s, s:s, s:s, s:b}", "id", m->id, "email",
		                                m->user.email, "role", m->role, "department",
		                                m->department, "revoked", m->revoked));
		return;
	}
	printf("%-32s %-18s %-16s %s\n", m->user.email, m->role,
	       m->department[0] ? m->department : "-", m->revoked ? "revoked" : "active");
}

static void
print_production(const struct store_production *p, const char *role, void *arg)
{
	(void)role;
	(void)arg;
	printf("%-32s %s\n", p->id, p->name);
}

static int
list(struct store *s, const char *production, int as_json)
{
	json_t *arr = as_json ? json_array() : NULL;
	struct store_production p;
	struct err e;
	int rc, found;

	if (production == NULL) {
		printf("%-32s %s\n", "PRODUCTION", "NAME");
		rc = store_production_list(s, "", 1, print_production, NULL, &e);
		return rc == 0 ? EXIT_OK : failed(&e);
	}
	if ((found = store_production_get(s, production, &p, &e)) != 1) {
		json_decref(arr);
		if (found == 0)
			err_set(&e, 404, "there is no production %s", production);
		return failed(&e);
	}
	if (!as_json)
		printf("%-32s %-18s %-16s %s\n", "EMAIL", "ROLE", "DEPARTMENT", "STATUS");
	rc = store_membership_list(s, production, print_member, arr, &e);
	cli_print_json(arr, rc == 0);
	return rc == 0 ? EXIT_OK : failed(&e);
}

int
cmd_member(int argc, char **argv)
{
	static int as_json;
	static const char *production, *email, *role, *department;
	static const struct cli_flag flags[] = {
	    {"--data", "data", NULL, NULL},
	    {"--production", NULL, NULL, &production},
	    {"--email", NULL, NULL, &email},
	    {"--role", NULL, NULL, &role},
	    {"--department", NULL, NULL, &department},
	    {"--json", NULL, &as_json, NULL},
	    {NULL, NULL, NULL, NULL},
	};
	static const char *const subs[] = {"add", "list", "set-role", "revoke", "reinstate", NULL};
	const char *sub = argc > 0 ? argv[0] : "";
	struct store_membership m;
	struct config c;
	struct store *s = NULL;
	struct keyring *keys = NULL;
	struct err e;
	int done, rc, known = 0, ended;

	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	for (int i = 0; subs[i] != NULL; i++)
		known |= strcmp(sub, subs[i]) == 0;
	if (!known) {
		cli_error("member",
		          "say add, list, set-role, revoke or reinstate (see slate member --help)");
		return EXIT_USAGE;
	}
	rc = cli_config("member", argc - 1, argv + 1, flags, help, &c, &done);
	if (rc != EXIT_OK || done)
		goto out;
	if (strcmp(sub, "list") != 0 && (production == NULL || email == NULL)) {
		cli_error("member", "%s needs --production and --email", sub);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((strcmp(sub, "add") == 0 || strcmp(sub, "set-role") == 0) && role == NULL) {
		cli_error("member", "%s needs --role", sub);
		rc = EXIT_USAGE;
		goto out;
	}
	if ((s = cli_open_store("member", &c, &keys)) == NULL) {
		rc = EXIT_FAIL;
		goto out;
	}
	if (strcmp(sub, "list") == 0) {
		rc = list(s, production, as_json);
		goto out;
	}
	if (strcmp(sub, "add") == 0)
		rc = members_add_one(s, production, email, role, department, &m, NULL, &e);
	else if (strcmp(sub, "set-role") == 0)
		rc = members_change(s, production, email, 1, role, department, &m, NULL, &e);
	else
		rc = members_set_revoked(s, production, email, 1, strcmp(sub, "revoke") == 0,
		                         &ended, &m, NULL, &e);
	if (rc == -1) {
		rc = failed(&e);
		goto out;
	}
	cli_audit("member", s,
	          strcmp(sub, "add") == 0        ? "member.add"
	          : strcmp(sub, "set-role") == 0 ? "member.change"
	          : strcmp(sub, "revoke") == 0   ? "member.revoke"
	                                         : "member.reinstate",
	          m.id, production);
	printf("%s: %s is %s%s%s%s\n", production, m.user.email, m.role,
	       m.department[0] ? " in " : "", m.department, m.revoked ? " (revoked)" : "");
	if (strcmp(sub, "revoke") == 0 && ended)
		printf("%s belongs to no other production: their sessions have ended\n",
		       m.user.email);
	rc = EXIT_OK;
out:
	store_close(s);
	keyring_close(keys);
	config_free(&c);
	return rc;
}
