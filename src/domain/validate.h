/*
 * validate.h — the shapes production data must have. Pure code: no I/O.
 */
#ifndef SLATE_DOMAIN_VALIDATE_H
#define SLATE_DOMAIN_VALIDATE_H

/*
 * A local time of a shoot day, "HH:MM", as minutes after midnight, or -1.
 * Hours run to 35 so that a night shoot's wrap past midnight reads as one
 * day ("26:30" is 02:30 the next morning), as call sheets write it.
 */
int validate_time(const char *s);
/* 1 when s is a real calendar date "YYYY-MM-DD" between 1900 and 2199. */
int validate_date(const char *s);
/* 1 when s is a telephone number: 3 to 40 of digits, spaces, + ( ) - . and at least 3 digits. */
int validate_phone(const char *s);

#endif
