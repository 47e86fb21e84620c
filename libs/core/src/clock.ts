/**
 * Time source behind an interface so schedule and lifecycle logic can be driven by tests. `now()`
 * is wall time (instants: plans, records, other processes); `monotonicMs()` only measures how long
 * something took here, unmoved by a wall clock that is stepped (NTP) while it runs.
 */
export interface Clock {
  now(): Date;
  /** milliseconds from an arbitrary origin, never going back: subtract two readings for a duration */
  monotonicMs(): number;
}

export const systemClock: Clock = { now: () => new Date(), monotonicMs: () => performance.now() };

/** A clock that only moves when told to: `advance` is time passing, `set` steps the wall clock alone. */
export class ManualClock implements Clock {
  private elapsed = 0;
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  monotonicMs(): number {
    return this.elapsed;
  }
  set(at: Date): void {
    this.current = new Date(at.getTime());
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
    this.elapsed += ms;
  }
}
