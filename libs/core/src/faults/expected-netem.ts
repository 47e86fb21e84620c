import { parseDurationUs } from '../units/duration';
import { parseRateBitsPerSecond, type NetemSpec } from './network.schema';
import type { ExpectedNetem } from './network-fault.types';

/** A netem spec as `tc -j qdisc show` reports it back (fractions 0..1, seconds, bytes/s). */

function fraction(percent: number | undefined): number | undefined {
  return percent === undefined ? undefined : percent / 100;
}

export function expectedNetem(netem: NetemSpec, limit: number): ExpectedNetem {
  const e: ExpectedNetem = { limit };
  if (netem.delay !== undefined) {
    e.delaySeconds = parseDurationUs(netem.delay)! / 1e6;
    e.jitterSeconds = netem.jitter ? parseDurationUs(netem.jitter)! / 1e6 : 0;
    if (netem.correlation !== undefined) e.delayCorrelation = fraction(netem.correlation);
  }
  const loss = netem.loss;
  if (typeof loss === 'number') e.lossRandom = { loss: loss / 100 };
  else if (loss?.model === 'random')
    e.lossRandom = { loss: loss.percent / 100, correlation: fraction(loss.correlation) };
  else if (loss?.model === 'state')
    e.lossState = {
      p13: fraction(loss.p13),
      p31: fraction(loss.p31),
      p32: fraction(loss.p32),
      p23: fraction(loss.p23),
      p14: fraction(loss.p14),
    };
  else if (loss?.model === 'gemodel')
    e.lossGemodel = { p: loss.p / 100, r: fraction(loss.r), '1-h': fraction(loss.h), '1-k': fraction(loss.k) };
  if (netem.duplicate !== undefined) e.duplicate = netem.duplicate / 100;
  if (netem.corrupt !== undefined) e.corrupt = netem.corrupt / 100;
  if (netem.reorder !== undefined) {
    e.reorder = { reorder: netem.reorder.percent / 100, correlation: fraction(netem.reorder.correlation) };
    if (netem.reorder.gap !== undefined) e.gap = netem.reorder.gap;
  }
  if (netem.rate !== undefined) e.rateBytesPerSecond = parseRateBitsPerSecond(netem.rate)! / 8;
  return e;
}
