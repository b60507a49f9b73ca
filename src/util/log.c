/*
 * log.c — JSON log lines. Each line is built in a local buffer and written
 * with one write(2), so lines from different threads never interleave.
 */
#include "util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/json_escape.h"
#include "util/timefmt.h"

static _Atomic int min_level = LOG_INFO;
static const char *const names[] = {"debug", "info", "warn", "error"};

void
log_set_level(enum log_level lvl)
{
	atomic_store(&min_level, (int)lvl);
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int
log_enabled(enum log_level lvl)
{
	return (int)lvl >= atomic_load(&min_level);
}

void
log_event(enum log_level lvl, const char *msg, ...)
{
	char line[2048];
	struct jbuf b = {line, sizeof(line) - 2, 0};
	char when[TIMEFMT_LEN];
	va_list ap;
	int t;

	if (!log_enabled(lvl))
		return;
	time_rfc3339_ms_now(when);
	jbuf_printf(&b, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":", when, names[lvl]);
	jbuf_str(&b, msg);
	va_start(ap, msg);
	while ((t = va_arg(ap, int)) != LOG_T_END) {
		const char *k = va_arg(ap, const char *);
		jbuf_printf(&b, ",\"%s\":", k);
		if (t == LOG_T_STR) {
			const char *v = va_arg(ap, const char *);
			if (v == NULL)
				jbuf_printf(&b, "null");
			else
				jbuf_str(&b, v);
		} else if (t == LOG_T_INT) {
			jbuf_printf(&b, "%lld", va_arg(ap, long long));
		} else {
			jbuf_printf(&b, "%.3f", va_arg(ap, double));
		}
	}
	va_end(ap);
	jbuf_printf(&b, "}");
	if (b.len >= b.cap) /* truncated: keep it one line and say so */
		b.len = b.cap;
	line[b.len++] = '\n';
	(void)!write(STDERR_FILENO, line, b.len);
}
