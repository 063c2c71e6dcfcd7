const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

export function formatDateTime(iso: string | null | undefined, empty = '—'): string {
  if (!iso) return empty;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? empty : dateTime.format(d);
}

export function formatDate(iso: string | null | undefined, empty = '—'): string {
  if (!iso) return empty;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? empty : dateOnly.format(d);
}

const ROLE_LABELS: Record<string, string> = { owner: 'Owner', admin: 'Admin', member: 'Member', viewer: 'Viewer' };

export function roleLabel(role: string): string {
  return ROLE_LABELS[role] ?? role;
}

const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** Local wall-clock time, HH:MM (e.g. "rate limited until 14:05"). */
export function formatTime(iso: string | null | undefined, empty = '—'): string {
  if (!iso) return empty;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? empty : timeOnly.format(d);
}

/** "just now", "5 min ago", "3 h ago", "2 days ago"; the full date beyond a week. */
export function formatRelative(iso: string | null | undefined, empty = '—', now = Date.now()): string {
  if (!iso) return empty;
  const at = new Date(iso).getTime();
  if (Number.isNaN(at)) return empty;
  const seconds = Math.round((now - at) / 1000);
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days <= 7) return days === 1 ? 'yesterday' : `${days} days ago`;
  return formatDateTime(iso, empty);
}

const integer = new Intl.NumberFormat();

export function formatCount(n: number): string {
  return integer.format(n);
}

const timePrecise = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', fractionalSecondDigits: 3 });

/** Local wall-clock time with milliseconds, HH:MM:SS.mmm (run timelines). */
export function formatTimePrecise(iso: string | null | undefined, empty = '—'): string {
  if (!iso) return empty;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? empty : timePrecise.format(d);
}

/** "850 ms", "1.5 s", "42 s", "3 min 05 s", "2 h 10 min". */
export function formatDuration(ms: number | null | undefined, empty = '—'): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return empty;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Milliseconds between two ISO instants (the second defaults to now), or null when the first is missing. */
export function msBetween(from: string | null | undefined, to: string | null | undefined, now = Date.now()): number | null {
  if (!from) return null;
  const start = new Date(from).getTime();
  const end = to ? new Date(to).getTime() : now;
  return Number.isNaN(start) || Number.isNaN(end) ? null : Math.max(0, end - start);
}

/** A clock that ticks once a second: whole seconds ("0 s", "42 s", "3 min 05 s"). */
export function formatElapsed(ms: number | null | undefined, empty = '—'): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return empty;
  const seconds = Math.floor(ms / 1000);
  return seconds < 60 ? `${seconds} s` : formatDuration(seconds * 1000);
}

const utcDay = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });
const utcDayShort = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** A UTC calendar day (budget periods, spend days are UTC): "Nov 3, 2026". Accepts "2026-11-03" or an ISO instant. */
export function formatUtcDay(value: string | null | undefined, empty = '—'): string {
  if (!value) return empty;
  const d = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
  return Number.isNaN(d.getTime()) ? empty : utcDay.format(d);
}

/** "Nov 3" — for chart axes. */
export function formatUtcDayShort(value: string, empty = '—'): string {
  const d = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
  return Number.isNaN(d.getTime()) ? empty : utcDayShort.format(d);
}

/** Today's UTC day, "YYYY-MM-DD", moved by `offsetDays`. */
export function utcDayString(offsetDays = 0, now = Date.now()): string {
  return new Date(now + offsetDays * 86_400_000).toISOString().slice(0, 10);
}
