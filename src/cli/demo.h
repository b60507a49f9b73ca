/*
 * demo.h — the demo production of a development data directory.
 */
#ifndef SLATE_CLI_DEMO_H
#define SLATE_CLI_DEMO_H

#include "store/store.h"

/* Fills production prod with the demo shoot (people, locations, days, scenes, calls). */
int demo_load(struct store *s, const char *prod, struct err *e);

#endif
