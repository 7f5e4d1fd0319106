import type { BandwidthWindow } from '../contract/protection';

/**
 * The upload limit in force at `date` (local time), or null for unlimited. Windows may cross midnight
 * ("22:00"–"06:00" on Friday runs into Saturday morning); when windows overlap the lowest limit wins.
 */
export function bandwidthLimitAt(windows: readonly BandwidthWindow[], date: Date): number | null {
  const minute = date.getHours() * 60 + date.getMinutes();
  const day = date.getDay();
  let limit: number | null = null;
  for (const window of windows) {
    const from = toMinutes(window.from);
    const to = toMinutes(window.to);
    const inside =
      from < to
        ? window.days.includes(day) && minute >= from && minute < to
        : (window.days.includes(day) && minute >= from) || (window.days.includes((day + 6) % 7) && minute < to);
    if (inside) limit = limit === null ? window.bytesPerSecond : Math.min(limit, window.bytesPerSecond);
  }
  return limit;
}

function toMinutes(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return hours! * 60 + minutes!;
}
