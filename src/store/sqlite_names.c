/*
 * sqlite_names.c — the display name of a record named by its id, for the
 * audit log's readers (api/audit.c).
 *
 * The audit log holds ids only, never names (audit/audit.h): names change,
 * and a person who is erased must stay erased in it. So a name is looked
 * up when the log is read, from the record as it is now. An id's prefix
 * says its kind (store_new_id); each kind has one query, always bounded to
 * the production (accounts are the exception: an account is not a record
 * of one production, and its display name is what its colleagues see in
 * the member list anyway). Only directory columns are read — nothing
 * sealed is opened, so a name here never costs a key.
 */
#include <assert.h>
#include <string.h>

#include "store/sqlite_int.h"
#include "store/store.h"
#include "util/nitems.h"

struct name_query {
	const char *prefix; /* with its '_' */
	const char *sql;    /* ?1 production id, ?2 the id; one row, one text column */
};

static const struct name_query queries[] = {
    {"usr_", "SELECT display_name FROM app_user WHERE ?1 IS NOT NULL AND id = ?2"},
    {"mem_", "SELECT u.display_name FROM membership m JOIN app_user u ON u.id = m.user_id "
             "WHERE m.production_id = ?1 AND m.id = ?2"},
    {"per_", "SELECT name FROM person WHERE production_id = ?1 AND id = ?2"},
    {"prd_", "SELECT name FROM production WHERE id = ?1 AND id = ?2"},
    {"dep_", "SELECT name FROM department WHERE production_id = ?1 AND id = ?2"},
    {"loc_", "SELECT name FROM location WHERE production_id = ?1 AND id = ?2"},
    {"day_", "SELECT day_date || ' ' || unit FROM shoot_day WHERE production_id = ?1 AND id = ?2"},
    {"scn_", "SELECT 'Scene ' || number FROM scene WHERE production_id = ?1 AND id = ?2"},
    {"cs_", "SELECT d.day_date || ' ' || d.unit || ', call sheet version ' || c.version "
            "FROM callsheet c JOIN shoot_day d ON d.id = c.day_id "
            "WHERE c.production_id = ?1 AND c.id = ?2"},
};

int
store_display_name(struct store *s, const char *production_id, const char *id, char *out,
                   size_t len, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	assert(out != NULL && len > 0);
	out[0] = '\0';
	if (id == NULL || production_id == NULL)
		return 0;
	for (size_t i = 0; i < nitems(queries); i++) {
		if (strncmp(id, queries[i].prefix, strlen(queries[i].prefix)) != 0)
			continue;
		rc = sq_row_in(s, queries[i].sql, production_id, id, "read a display name", &st, e);
		if (rc != 1)
			return rc;
		sq_copy_col(st, 0, out, len);
		sqlite3_reset(st);
		return 1;
	}
	return 0;
}
