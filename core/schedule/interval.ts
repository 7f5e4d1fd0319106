/**
 * Without an explicit schedule a policy starts a run every half RPO: a run that takes up to half the RPO, or
 * one failed run followed by a good one, still keeps the newest point inside the RPO.
 */
export function intervalMinutesFor(rpoMinutes: number): number {
  return Math.max(1, Math.floor(rpoMinutes / 2));
}
