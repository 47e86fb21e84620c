import { createMetrics } from './metrics';

describe('createMetrics', () => {
  it('registers every gameday_ metric of the design on its own registry', async () => {
    const m = createMetrics({ defaults: false });
    const names = (await m.registry.getMetricsAsJSON()).map((x) => x.name);
    for (const name of [
      'probe_duration_seconds',
      'probe_requests_total',
      'fault_active',
      'fault_injections_total',
      'fault_reverts_total',
      'injection_skew_seconds',
      'abort_latency_seconds',
      'runs_total',
      'steady_state_deviation_ratio',
      'resilience_score',
      'queue_jobs',
    ]) {
      expect(names).toContain(`gameday_${name}`);
    }
  });

  it('reads queue gauges at scrape time', async () => {
    const m = createMetrics({ defaults: false });
    m.watchQueues({ name: 'gameday-schedule', counts: async () => ({ waiting: 2, delayed: 5 }) });
    const text = await m.registry.metrics();
    expect(text).toContain('gameday_queue_jobs{queue="gameday-schedule",state="delayed"} 5');
    expect(text).toContain('gameday_queue_jobs{queue="gameday-schedule",state="active"} 0');
  });

  it('reads the safety lever at scrape time', async () => {
    const m = createMetrics({ defaults: false });
    let engaged = true;
    m.watchSafetyLever(async () => engaged);
    expect(await m.registry.metrics()).toContain('gameday_safety_lever_engaged 1');
    engaged = false;
    expect(await m.registry.metrics()).toContain('gameday_safety_lever_engaged 0');
  });

  it('builds independent registries', () => {
    expect(() => {
      createMetrics();
      createMetrics();
    }).not.toThrow();
  });
});
