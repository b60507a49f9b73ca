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
/*
 * 1 when s may be the name of an uploaded file as people see it again
 * (Content-Disposition, the file list): 1 to 255 bytes of UTF-8 with no
 * control character (C0, DEL, C1), no bidirectional control (U+061C,
 * U+200E, U+200F, U+202A..U+202E, U+2066..U+2069: "\u202Etxt.exe" would
 * show as "exe.txt"), no path separator (/ or \) and not made of dots
 * only ("." and ".." name directories). The name is never a path on disk
 * (stored files get random names); this keeps it honest for the person
 * who downloads it and for the tools that save it.
 */
int validate_file_name(const char *s);
/*
 * Where text s holds a character no text field may hold, as a character
 * index (0-based), *cp set to it; -1 when s is clean. Refused: C0 controls
 * U+0000..U+001F, DEL U+007F, the bidirectional embeddings and overrides
 * U+202A..U+202E and isolates U+2066..U+2069 (and a byte that is not
 * UTF-8). multiline keeps TAB and LF, for the fields documented as
 * multi-line notes (docs/CONTRACT.md, "Text fields"); CR is refused there too.
 */
long validate_text(const char *s, int multiline, unsigned long *cp);
/* 1 when v is one of the NULL-terminated list allowed. */
int validate_one_of(const char *v, const char *const *allowed);
/* 1 when s is NULL, empty or only white space (Unicode White_Space, U+200B, U+FEFF). */
int validate_blank(const char *s);
/*
 * A date of birth and the like: 1 when date (YYYY-MM-DD) is no later than
 * today (YYYY-MM-DD), 0 when it is in the future, -1 when it is no date.
 */
int validate_date_not_after(const char *date, const char *today);

#endif
