/*
 * callsheet.h — the calls on a call sheet: whose time is whose, and in what
 * order. Pure code: the caller (api/callsheets.c) reads the store.
 *
 * A person called on a day follows their department's call unless they
 * have their own (an override). On the sheet the calls run department by
 * department in the production's call-sheet order of departments (people
 * without a department last), then by call time (a night shoot's 25:30
 * after 23:00), then by name.
 */
#ifndef SLATE_DOMAIN_CALLSHEET_H
#define SLATE_DOMAIN_CALLSHEET_H

#include <stddef.h>

struct callsheet_line {
	const char *name;
	int department_position;     /* the department's call-sheet position, -1 for none */
	const char *own_call;        /* "HH:MM", or "" to follow the department */
	const char *department_call; /* the department's call that day, or "" */
	/* filled by callsheet_order */
	const char *call; /* the time the person is called: own, else the department's, else "" */
	int from_department;
	void *data; /* the caller's */
};

/* The call a person follows: own, else the department's (*from_department 1), else "". */
const char *callsheet_effective_call(const char *own, const char *department_call,
                                     int *from_department);
/* Fills each line's call and sorts the lines into call-sheet order. */
void callsheet_order(struct callsheet_line *lines, size_t n);

#endif
