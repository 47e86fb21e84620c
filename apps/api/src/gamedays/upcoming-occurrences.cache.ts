/**
 * The upcoming occurrences of a GameDay version, remembered between requests. Computing them
 * costs milliseconds for a monthly cron (cron-parser steps day by day, in the schedule's zone),
 * which made a page of 50 GameDays CPU-bound. The list computed from `from` is still the answer
 * at any later `now` while its first occurrence has not passed: nothing lies between.
 */
export class UpcomingCache<T extends { at: Date }> {
  private readonly entries = new Map<string, { from: number; items: T[] }>();

  constructor(private readonly capacity = 20_000) {}

  get(key: string, now: number, compute: (from: number) => T[]): T[] {
    const hit = this.entries.get(key);
    if (hit && hit.from <= now && (hit.items.length === 0 || hit.items[0].at.getTime() >= now)) return hit.items;
    const items = compute(now);
    // a Map iterates in insertion order: the oldest entry goes first once full
    if (!hit && this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { from: now, items });
    return items;
  }
}
