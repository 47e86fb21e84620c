import { clockOffset } from '@gameday/core';
import { useHelperFixture } from '../../support/helper-fixture';

/**
 * The engine's clock is measured through the helper at arming: on one host the two clocks agree,
 * so the measured offset stays within its own uncertainty and nothing is shifted.
 */
const fx = useHelperFixture('clock');

it('reads the helper clock and finds it in agreement with ours on one host', async () => {
  const helperId = await fx.newHelper();
  const readings = await fx.helpers.readClock(helperId, 3);
  expect(readings).toHaveLength(3);
  for (const r of readings) {
    expect(r.remoteAt).toBeGreaterThanOrEqual(r.sentAt - 5);
    expect(r.remoteAt).toBeLessThanOrEqual(r.receivedAt + 5);
  }
  const offset = clockOffset(readings);
  process.stdout.write(`helper clock offset ${offset.offsetMs} ms ± ${offset.uncertaintyMs} ms\n`);
  expect(Math.abs(offset.offsetMs)).toBeLessThanOrEqual(offset.uncertaintyMs + 5);
  expect(offset.correctionMs === 0 || Math.abs(offset.correctionMs) <= 5).toBe(true);
});
