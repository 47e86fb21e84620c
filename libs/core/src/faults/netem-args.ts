import { formatDurationUs, parseDurationUs } from '../units/duration';
import { parseRateBitsPerSecond, type LossSpec, type NetemSpec } from './network.schema';

/** netem's own default queue length (packets). */
export const NETEM_DEFAULT_LIMIT = 1000;

export interface NetemLimitOptions {
  /** Packet size used to turn a rate into packets per second. */
  mtuBytes?: number;
  /**
   * Line rate assumed when the fault sets no `rate`: netem holds every packet for the delay, so a
   * busy link needs rate × delay packets of queue or it silently drops (which looks like loss).
   */
  assumedLinkRate?: string;
}

export interface NetemLimitDecision {
  limit: number;
  /** Set when the limit was raised over the requested (or default) value, with the reason. */
  raisedBecause?: string;
  /** Set when an explicit limit is lower than the delay needs (kept: the user asked for it). */
  warning?: string;
}

const HEADROOM = 1.25;
const MAX_LIMIT = 10_000_000;

/** Packets that can sit in the netem queue: rate × (delay + jitter) with headroom. */
export function decideNetemLimit(netem: NetemSpec, options: NetemLimitOptions = {}): NetemLimitDecision {
  const mtu = options.mtuBytes ?? 1500;
  const rateText = netem.rate ?? options.assumedLinkRate ?? '100mbit';
  const bits = parseRateBitsPerSecond(rateText);
  if (bits === undefined) throw new Error(`assumedLinkRate "${rateText}" is not a rate with a unit`);
  const holdUs =
    (netem.delay ? parseDurationUs(netem.delay)! : 0) + (netem.jitter ? parseDurationUs(netem.jitter)! : 0);
  const needed = Math.min(MAX_LIMIT, Math.ceil(((bits / 8 / mtu) * holdUs * HEADROOM) / 1_000_000));
  if (netem.limit !== undefined) {
    return netem.limit < needed
      ? {
          limit: netem.limit,
          warning: `limit ${netem.limit} is below the ${needed} packets that ${rateText} × ${formatDurationUs(holdUs)} needs: expect drops that look like loss`,
        }
      : { limit: netem.limit };
  }
  if (needed > NETEM_DEFAULT_LIMIT) {
    return {
      limit: needed,
      raisedBecause: `${rateText} × ${formatDurationUs(holdUs)} needs ${needed} packets of queue (default ${NETEM_DEFAULT_LIMIT})`,
    };
  }
  return { limit: NETEM_DEFAULT_LIMIT };
}

/** tc percentages: never exponent notation, always with "%". */
export function formatPercent(value: number): string {
  const fixed = Number(value.toFixed(6));
  return `${fixed.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 6 })}%`;
}

function lossArgs(loss: LossSpec): string[] {
  if (typeof loss === 'number') return ['loss', 'random', formatPercent(loss)];
  switch (loss.model) {
    case 'random':
      return [
        'loss',
        'random',
        formatPercent(loss.percent),
        ...(loss.correlation !== undefined ? [formatPercent(loss.correlation)] : []),
      ];
    case 'state': {
      const ordered = [loss.p13, loss.p31, loss.p32, loss.p23, loss.p14];
      const given = ordered.slice(
        0,
        ordered.findIndex((p) => p === undefined) === -1 ? 5 : ordered.findIndex((p) => p === undefined),
      );
      return ['loss', 'state', ...given.map((p) => formatPercent(p!))];
    }
    case 'gemodel': {
      const ordered = [loss.p, loss.r, loss.h, loss.k];
      const end = ordered.findIndex((p) => p === undefined);
      const given = ordered.slice(0, end === -1 ? 4 : end);
      return ['loss', 'gemodel', ...given.map((p) => formatPercent(p!))];
    }
  }
}

/**
 * The netem options as tc argv words, every value with an explicit unit (tc reads a bare time as
 * microseconds and a bare rate as bytes per second).
 */
export function netemArgs(netem: NetemSpec, limit: number): string[] {
  const args: string[] = ['limit', String(limit)];
  if (netem.delay !== undefined) {
    args.push('delay', formatDurationUs(parseDurationUs(netem.delay)!));
    if (netem.jitter !== undefined) {
      args.push(formatDurationUs(parseDurationUs(netem.jitter)!));
      if (netem.correlation !== undefined) args.push(formatPercent(netem.correlation));
    }
    // "uniform" is netem's built-in behaviour; tc has no uniform table to load.
    if (netem.distribution !== undefined && netem.distribution !== 'uniform')
      args.push('distribution', netem.distribution);
  }
  if (netem.loss !== undefined) args.push(...lossArgs(netem.loss));
  if (netem.duplicate !== undefined) args.push('duplicate', formatPercent(netem.duplicate));
  if (netem.corrupt !== undefined) args.push('corrupt', formatPercent(netem.corrupt));
  if (netem.reorder !== undefined) {
    args.push('reorder', formatPercent(netem.reorder.percent));
    if (netem.reorder.correlation !== undefined) args.push(formatPercent(netem.reorder.correlation));
    if (netem.reorder.gap !== undefined) args.push('gap', String(netem.reorder.gap));
  }
  if (netem.rate !== undefined) args.push('rate', netem.rate);
  return args;
}
