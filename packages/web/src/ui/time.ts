/** How the app writes times and durations. */

/** A message's or call's time of day, e.g. "14:05". */
export function clockTime(ts: number): string {
  return new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** A length of time, e.g. "0:07", "2:05", "1:02:03". */
export function duration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** When something last happened, as people say it: "just now", "5 minutes ago", "3 hours ago", "yesterday", else the date. */
export function timeAgo(ts: number, now: number): string {
  const s = Math.max(0, Math.floor((now - ts) / 1000));
  if (s < 60) return 'just now';
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'} ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} hour${h === 1 ? '' : 's'} ago`;
  if (h < 48) return 'yesterday';
  return calendarDate(ts);
}

/** A day, e.g. "3 Dec 2026" (in the browser's language). */
export function calendarDate(ts: number): string {
  return new Date(ts).toLocaleDateString([], { day: 'numeric', month: 'short', year: 'numeric' });
}

/** A day separator's label: "Today", "Yesterday", the weekday within a week, else the date. */
export function dayLabel(ts: number, now: number): string {
  const days = Math.round((dayStart(now) - dayStart(ts)) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  if (days > 1 && days < 7) return new Date(ts).toLocaleDateString([], { weekday: 'long' });
  return calendarDate(ts);
}

/** Local midnight of `ts`'s day (ms): equal for two times on the same calendar day. */
export function dayStart(ts: number): number {
  const d = new Date(ts);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}
