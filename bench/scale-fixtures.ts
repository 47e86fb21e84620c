// The scale bench's GameDays and its latency summary.
import { randomBytes } from 'node:crypto';
import { quantile } from '../tools/lab/stats';

export const round1 = (x: number) => Math.round(x * 10) / 10;

export interface Latency {
  n: number;
  p50: number;
  p99: number;
  max: number;
}
export const latencyOf = (xs: number[]): Latency => ({
  n: xs.length,
  p50: round1(quantile(xs, 0.5)),
  p99: round1(quantile(xs, 0.99)),
  max: round1(Math.max(...xs)),
});

/** A GameDay that never touches a container: its target's label matches nothing. */
export function gameDay(i: number, schedule: Record<string, unknown>, name = 'bench'): string {
  return JSON.stringify({
    name: `${name} ${i} ${randomBytes(3).toString('hex')}`,
    // three environments, for the filtered list
    environment: ['prod', 'staging', 'dev'][i % 3],
    timezone: 'UTC',
    schedule,
    experiments: [
      {
        name: 'latency',
        hypothesis: { description: 'bench', probes: [{ name: 'front', url: 'http://127.0.0.1:9/', timeoutMs: 500 }] },
        fault: { kind: 'network', target: { labels: { 'gameday.bench': 'none' } }, netem: { delay: '100ms' } },
        durations: { baseline: '10s', fault: '10s', recovery: '10s' },
      },
    ],
  });
}

/** Never due during the bench: a one-shot 2-30 days ahead, or a monthly cron on a day far from today. */
export function backgroundSchedule(i: number, now: Date): Record<string, unknown> {
  if (i % 2 === 0) return { at: new Date(now.getTime() + (2 + (i % 28)) * 86_400_000 + i * 1000).toISOString() };
  const day = ((now.getUTCDate() + 7 + (i % 14)) % 28) + 1;
  return { cron: `${i % 60} ${i % 24} ${day} * *`, timezone: ['UTC', 'Europe/Paris', 'America/New_York'][i % 3] };
}
