/*
 * format.js — dates and times in the reader's locale (the browser's) and the
 * production's time zone. Call times arrive as the production's wall-clock
 * "HH:MM", past 24:00 for a call after midnight ("25:30" is 01:30 the next
 * day); instants (published_at, last_seen_at) as RFC 3339 UTC.
 */
import { t } from './text.js';

const locale = undefined; /* the browser's */

function safeZone(tz) {
  try {
    new Intl.DateTimeFormat(locale, { timeZone: tz });
    return tz;
  } catch {
    return 'UTC';
  }
}

/* "2027-03-01" → "Monday 1 March 2027" (the calendar date itself: no zone shift) */
export function formatDate(date) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date || '');
  if (!m) return date || '';
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeZone: 'UTC' }).format(d);
}

/* "06:30" → "06:30" or "6:30 AM" by locale; "25:30" → "01:30 (next day)" */
export function formatTime(hhmm) {
  const m = /^(\d{1,2}):(\d{2})/.exec(hhmm || '');
  if (!m) return hhmm || '';
  const hours = +m[1];
  const d = new Date(Date.UTC(1970, 0, 1, hours % 24, +m[2]));
  const s = new Intl.DateTimeFormat(locale, { timeStyle: 'short', timeZone: 'UTC' }).format(d);
  return hours >= 24 ? `${s} ${t('nextDay')}` : s;
}

/* an RFC 3339 instant in the production's zone (or the browser's) */
export function formatInstant(iso, tz) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso || '';
  const opts = { dateStyle: 'medium', timeStyle: 'short' };
  if (tz) opts.timeZone = safeZone(tz);
  return new Intl.DateTimeFormat(locale, opts).format(d);
}

/* seconds → "40 seconds" / "3 minutes" */
export function formatWait(secs) {
  if (secs < 90) return t('seconds', { n: secs });
  return t('minutes', { n: Math.ceil(secs / 60) });
}
