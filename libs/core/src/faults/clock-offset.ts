/**
 * The helper on the engine keeps the fault's clock (applies at T0, reverts at T1 by its own time).
 * When the engine's clock differs from the worker's, T0 must be handed over in the helper's time,
 * or the fault starts during the baseline. The offset is measured at arming from a read of the
 * helper's clock between two reads of ours.
 */
export interface ClockReading {
  /** worker clock before the request, epoch ms */
  sentAt: number;
  /** the helper's clock, epoch ms */
  remoteAt: number;
  /** worker clock after the answer, epoch ms */
  receivedAt: number;
}

export interface ClockOffset {
  /** helper clock minus worker clock, ms (positive: the engine is ahead) */
  offsetMs: number;
  /** half the round trip: the offset is known to ± this */
  uncertaintyMs: number;
  /** what instants handed to the helper are shifted by: 0 when the clocks agree within the uncertainty */
  correctionMs: number;
}

/** The reading with the shortest round trip decides (the least uncertain). */
export function clockOffset(readings: readonly ClockReading[]): ClockOffset {
  if (readings.length === 0) throw new Error('no clock reading');
  const best = [...readings].sort((a, b) => a.receivedAt - a.sentAt - (b.receivedAt - b.sentAt))[0];
  const uncertaintyMs = Math.max(0, (best.receivedAt - best.sentAt) / 2);
  const offsetMs = Math.round(best.remoteAt - (best.sentAt + best.receivedAt) / 2);
  return { offsetMs, uncertaintyMs, correctionMs: Math.abs(offsetMs) <= uncertaintyMs ? 0 : offsetMs };
}

/**
 * Whether the engine's clock is certainly off by more than the bound: a reading whose round trip
 * was slow (a busy engine) gives a wide uncertainty, and an offset within it is no evidence.
 */
export function clockOffsetTooLarge(offset: ClockOffset, maxOffsetMs: number): boolean {
  return Math.abs(offset.offsetMs) - offset.uncertaintyMs > maxOffsetMs;
}

export class ClockOffsetError extends Error {
  constructor(
    readonly engine: string,
    readonly offset: ClockOffset,
    readonly maxOffsetMs: number,
  ) {
    super(
      `the clock of engine ${engine} is ${offset.offsetMs} ms ${offset.offsetMs > 0 ? 'ahead of' : 'behind'} the worker's (± ${Math.round(offset.uncertaintyMs)} ms), more than the ${maxOffsetMs} ms allowed: nothing was armed; synchronise the engine's clock (NTP) or raise GAMEDAY_MAX_CLOCK_OFFSET_MS`,
    );
    this.name = 'ClockOffsetError';
  }
}
