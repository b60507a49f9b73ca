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

#endif
