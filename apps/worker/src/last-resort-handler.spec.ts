import { EventEmitter } from 'node:events';
import { createMetrics } from '@gameday/metrics';
import { installLastResortHandler } from './last-resort-handler';

describe('installLastResortHandler', () => {
  function setUp() {
    const target = new EventEmitter();
    const logged: unknown[][] = [];
    const metrics = createMetrics({ defaults: false });
    const uninstall = installLastResortHandler(
      target as unknown as NodeJS.Process,
      { error: (...args: unknown[]) => logged.push(args) },
      metrics.uncaughtErrors,
    );
    return { target, logged, metrics, uninstall };
  }

  it('logs an escaped exception or rejection at error level with its stack, and counts it by kind', async () => {
    const { target, logged, metrics } = setUp();
    const error = new TypeError('Invalid character in header content ["X-A"]');
    target.emit('uncaughtException', error, 'uncaughtException');
    target.emit('unhandledRejection', 'a bare string', Promise.resolve());
    expect(logged).toEqual([
      [expect.stringContaining('uncaught exception escaped every handler'), error.stack],
      [expect.stringContaining('non-Error value: a bare string'), expect.any(String)],
    ]);
    expect(logged[0][0]).toContain('TypeError: Invalid character in header content');
    const text = await metrics.registry.metrics();
    expect(text).toContain('gameday_uncaught_errors_total{kind="exception"} 1');
    expect(text).toContain('gameday_uncaught_errors_total{kind="rejection"} 1');
  });

  it('survives a logger that throws', () => {
    const target = new EventEmitter();
    installLastResortHandler(
      target as unknown as NodeJS.Process,
      {
        error: () => {
          throw new Error('log sink gone');
        },
      },
      { inc: () => undefined },
    );
    expect(() => target.emit('uncaughtException', new Error('x'))).not.toThrow();
  });

  it('removes its handlers when asked', () => {
    const { target, uninstall } = setUp();
    expect(target.listenerCount('uncaughtException')).toBe(1);
    expect(target.listenerCount('unhandledRejection')).toBe(1);
    uninstall();
    expect(target.listenerCount('uncaughtException')).toBe(0);
    expect(target.listenerCount('unhandledRejection')).toBe(0);
  });
});
