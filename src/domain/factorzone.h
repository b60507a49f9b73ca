/*
 * factorzone.h — which emission factor set a new production starts with,
 * from the one thing Slate knows of where it shoots: its IANA time zone.
 *
 * A production in a United States zone starts with the US EPA set; every
 * other production (the United Kingdom, the rest of Europe, anywhere else)
 * with the UK DESNZ set, the broadest Slate ships. The zones counted as the
 * United States are those tzdata's zone.tab gives country code US, their
 * backward-compatible names (America/Indianapolis, Navajo, …), every
 * US/… name and the POSIX US rules zones (EST5EDT, CST6CDT, MST7MDT,
 * PST8PDT). US territories with their own country code (Puerto Rico, Guam)
 * are not. docs/SUSTAINABILITY.md shows the mapping to people. Pure code.
 */
#ifndef SLATE_DOMAIN_FACTORZONE_H
#define SLATE_DOMAIN_FACTORZONE_H

#define FACTORZONE_SET_UK "uk-desnz-2024"
#define FACTORZONE_SET_US "us-epa-2025"

/* 1 when tz is a United States zone as above, else 0 (NULL too). */
int factorzone_is_us(const char *tz);
/* The factor set id a production in zone tz starts with. */
const char *factorzone_default_set(const char *tz);

#endif
