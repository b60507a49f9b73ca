/*
 * log.h — structured JSON log lines on stderr.
 *
 * One line per event: {"time":..., "level":..., "msg":..., <fields>}. Fields
 * are given as a NULL-terminated list of (key, type, value) triples built with
 * the LOG_STR / LOG_INT / LOG_DBL macros. Nothing here knows about requests:
 * callers decide what is safe to log, and the rule is that bodies, cookies,
 * tokens, passwords and personal data never are.
 */
#ifndef SLATE_UTIL_LOG_H
#define SLATE_UTIL_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_type { LOG_T_END, LOG_T_STR, LOG_T_INT, LOG_T_DBL };

#define LOG_STR(k, v) LOG_T_STR, (k), (const char *)(v)
#define LOG_INT(k, v) LOG_T_INT, (k), (long long)(v)
#define LOG_DBL(k, v) LOG_T_DBL, (k), (double)(v)
#define LOG_END       LOG_T_END

void log_set_level(enum log_level lvl);
int log_level_parse(const char *s, enum log_level *out);
int log_enabled(enum log_level lvl);
/* log_event(LOG_INFO, "listening", LOG_STR("https", addr), LOG_END); */
void log_event(enum log_level lvl, const char *msg, ...);

#endif
