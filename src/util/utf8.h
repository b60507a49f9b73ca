/*
 * utf8.h — strict UTF-8 validation (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF).
 */
#ifndef SLATE_UTIL_UTF8_H
#define SLATE_UTIL_UTF8_H

#include <stddef.h>

/* Length of the valid sequence starting at s (NUL-terminated input), or 0. */
size_t utf8_seq_len(const unsigned char *s);
/* 1 when the n bytes at s are valid UTF-8 with no NUL byte. */
int utf8_valid(const char *s, size_t n);
/* The characters of valid UTF-8 text s (NUL-terminated). */
size_t utf8_chars(const char *s);
/*
 * Folds valid UTF-8 text s to lower case in place, for matching without
 * regard to case (a search on names): ASCII, Latin-1, Latin Extended-A,
 * Greek and Cyrillic capitals become their small letters (final sigma
 * becomes sigma). Each folded letter keeps its byte length, so s keeps
 * its length; every other character is left as it is.
 */
void utf8_fold(char *s);

#endif
