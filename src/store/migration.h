/*
 * migration.h — schema migrations compiled into the binary.
 *
 * The table is generated at build time from store/migrations/NNNN_name.sql
 * (scripts/embed), in version order. Versions start at 1 and have no gaps.
 */
#ifndef SLATE_STORE_MIGRATION_H
#define SLATE_STORE_MIGRATION_H

#include <stddef.h>

struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration store_migrations[];
extern const size_t store_nmigrations;

#endif
