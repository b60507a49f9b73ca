/*
 * fuzz_import.c — libFuzzer harness for the import of a production's JSON
 * export (src/api/import.c): the file an instance administrator is handed
 * by whoever held the production before.
 *
 * The input is the export's text. One encrypted store (a keystore under a
 * fixed master key, bytes 0..31) is made once per process in a directory
 * of its own, with one account (admin@fuzz.invalid) that records without an
 * author are attributed to, and member@fuzz.invalid so that members can
 * match. Each input that parses as JSON is imported into it. What is
 * checked: a refusal is a 400 or 409 naming a JSON pointer (or "" for the
 * document), never a store error a check should have caught first (500/503),
 * and leaves no transaction open (the next begin succeeds); an import that
 * succeeds answers a report with the production's id and counts. The
 * sanitizers and LeakSanitizer judge the rest. Productions imported stay
 * in the store (an input importing the same id again is refused 409).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "api/import.h"
#include "crypto/keyring.h"
#include "fuzz_common.h"
#include "store/store.h"
#include "util/secret.h"

static char dir[64];
static struct keyring *keys;
static struct store *store;
static char actor[STORE_ID_LEN + 8];

static void
cleanup(void)
{
	char path[128];
	store_close(store);
	keyring_close(keys);
	for (const char *const *n =
	         (const char *const[]){"slate.db", "slate.db-wal", "slate.db-shm", "keys.db",
	                               "keys.db-wal", "keys.db-shm", NULL};
	     *n; n++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *n);
		unlink(path);
	}
	rmdir(dir);
}

static void
account(const char *email, int admin, char *id)
{
	struct store_user u;
	struct err e;
	memset(&u, 0, sizeof(u));
	snprintf(u.email, sizeof(u.email), "%s", email);
	snprintf(u.display_name, sizeof(u.display_name), "Fuzz");
	snprintf(u.password_hash, sizeof(u.password_hash), "!");
	u.is_instance_admin = admin;
	CHECK(store_user_create(store, &u, &e) == 0);
	if (id != NULL)
		snprintf(id, STORE_ID_LEN + 8, "%s", u.id);
}

static void
setup(void)
{
	struct secret kek;
	struct err e;
	char path[128];

	CHECK(sodium_init() >= 0);
	snprintf(dir, sizeof(dir), "/tmp/fuzz-import-%d", (int)getpid());
	CHECK(mkdir(dir, 0700) == 0);
	secret_alloc(&kek, 32);
	for (size_t i = 0; i < kek.len; i++)
		kek.p[i] = (unsigned char)i;
	snprintf(path, sizeof(path), "%s/keys.db", dir);
	CHECK((keys = keyring_open(path, &kek, NULL, 1, &e)) != NULL);
	secret_free(&kek);
	snprintf(path, sizeof(path), "%s/slate.db", dir);
	CHECK((store = store_open(path, 1, keys, &e)) != NULL);
	atexit(cleanup);
	account("admin@fuzz.invalid", 1, actor);
	account("member@fuzz.invalid", 0, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	json_t *set, *report;
	struct err e;

	if (!ready) {
		setup();
		ready = 1;
	}
	if ((set = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return 0;
	memset(&e, 0, sizeof(e));
	report = import_dataset(store, set, actor, NULL, &e);
	if (report == NULL) {
		if (e.status != 400 && e.status != 409)
			fprintf(stderr, "import refused %d %s: %s\n", e.status, e.field, e.msg);
		CHECK(e.status == 400 || e.status == 409);
		CHECK(e.field[0] == '\0' || e.field[0] == '/');
		CHECK(e.msg[0] != '\0');
	} else {
		const json_t *prod = json_object_get(report, "production");
		CHECK(json_string_value(json_object_get(prod, "id")) != NULL);
		CHECK(json_is_object(json_object_get(report, "imported")));
		CHECK(json_is_object(json_object_get(report, "not_imported")));
	}
	/* no transaction was left open */
	CHECK(store_begin(store, &e) == 0);
	store_rollback(store);
	json_decref(report);
	json_decref(set);
	return 0;
}
