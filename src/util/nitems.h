/*
 * nitems.h — the number of elements of an array, the one spelling of it in
 * Slate. Only for arrays: on a pointer it would give a wrong count, and
 * -Wsizeof-pointer-div (in -Wall) says so at compile time.
 */
#ifndef SLATE_UTIL_NITEMS_H
#define SLATE_UTIL_NITEMS_H

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

#endif
