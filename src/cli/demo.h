/*
 * demo.h — the demo production of a development data directory.
 */
#ifndef SLATE_CLI_DEMO_H
#define SLATE_CLI_DEMO_H

#include "store/store.h"

/*
 * Fills production prod with the demo shoot (people, locations, days, scenes,
 * calls, and the footprint so far: activity entries made by user_id).
 */
int demo_load(struct store *s, const char *prod, const char *user_id, struct err *e);

#endif
