/**
 * How long, for people: `45 s`, `40 min`, `2 h`, `2 h 5 min`. Seconds below two minutes,
 * minutes below two hours, then hours and minutes, each rounded. The one way buildfleet writes
 * a duration: decision messages and the status pages use it alike.
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}
