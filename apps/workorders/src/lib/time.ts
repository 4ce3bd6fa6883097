/** "just now", "3 min ago", "2 h ago", else a date: for "last synced" and history entries. */
export function ago(at: number, now: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 10) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(at).toLocaleDateString();
}

/** Local date and time of an ISO string or epoch ms, short. */
export function when(at: string | number): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime())
    ? String(at)
    : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
