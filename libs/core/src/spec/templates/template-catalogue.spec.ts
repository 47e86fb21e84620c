import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAULT_KIND_DEFS } from '../../faults/kinds/fault-kind-def.registry';
import { stepPlan } from '../experiment-steps';
import { gameDaySpecSchema } from '../gameday.schema';
import { instantiateTemplate } from './gameday-template';
import { findTemplate, listTemplates, templateCatalogue } from './template-catalogue';

const example = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, '..', '..', '..', '..', '..', 'examples', file), 'utf8')) as Record<
    string,
    unknown
  >;

describe('the template catalogue', () => {
  const names = [...templateCatalogue().keys()];

  it('holds a template for the kinds that exist', () => {
    expect(names).toEqual([
      'service-latency',
      'database-unreachable',
      'process-crash',
      'container-pause',
      'container-restart',
      'partition',
      'noisy-neighbour',
      'connection-reset',
      'dns-outage',
      'disk-full',
      'bad-afternoon',
    ]);
    const kinds = new Set(listTemplates().flatMap((t) => t.kinds));
    expect([...kinds].sort()).toEqual(FAULT_KIND_DEFS.map((d) => d.name).sort());
  });

  it.each(names)('%s: with its defaults is a valid GameDay, and every parameter is described', (name) => {
    const t = findTemplate(name)!;
    const spec = instantiateTemplate(t);
    expect(gameDaySpecSchema.safeParse(spec).error?.issues ?? []).toEqual([]);
    for (const p of t.parameters) expect(p.description.length).toBeGreaterThan(3);
    expect(JSON.stringify(spec)).not.toContain('$param');
  });

  it('bad-afternoon: steps in parallel and in sequence, each planned inside the minute', () => {
    const spec = gameDaySpecSchema.parse(instantiateTemplate(findTemplate('bad-afternoon')!));
    expect(stepPlan(spec.experiments[0]).map((s) => [s.name, s.fault.kind, s.offsetMs, s.durationMs])).toEqual([
      ['target-slow', 'network', 0, 30_000],
      ['database-frozen', 'container', 10_000, 10_000],
      ['database-unreachable', 'blackhole', 30_000, 30_000],
    ]);
    expect(listTemplates().find((t) => t.name === 'bad-afternoon')?.kinds).toEqual([
      'network',
      'container',
      'blackhole',
    ]);
  });

  it('process-crash refuses an `every` as long as the window, naming the parameter', () => {
    expect(() => instantiateTemplate(findTemplate('process-crash')!, { every: '1m' })).toThrow(
      /^every: every \(1m\) must be shorter than the fault window/,
    );
  });

  // the examples/ files are the catalogue's defaults: the same experiment, written out
  it.each([
    ['service-latency', 'classic.gameday.json'],
    ['database-unreachable', 'database-unreachable.gameday.json'],
    ['process-crash', 'database-backends-killed.gameday.json'],
    ['noisy-neighbour', 'noisy-neighbour.gameday.json'],
    ['partition', 'partition.gameday.json'],
    ['dns-outage', 'dns-outage.gameday.json'],
    ['bad-afternoon', 'bad-afternoon.gameday.json'],
  ])('%s with its defaults runs the same experiment as examples/%s', (name, file) => {
    const spec = instantiateTemplate(findTemplate(name)!) as unknown as Record<string, unknown>;
    const ex = example(file);
    const [a] = spec.experiments as Record<string, unknown>[];
    const [b] = ex.experiments as Record<string, unknown>[];
    const strip = (e: Record<string, unknown>) => {
      const h = e.hypothesis as { probes: { name: string }[] };
      return JSON.parse(
        JSON.stringify({ ...e, name: undefined, hypothesis: { ...h, description: undefined } }).replace(
          /front-timeout-300ms|front-with-timeout/g,
          'PROBE',
        ),
      ) as unknown;
    };
    expect(strip(a)).toEqual(strip(b));
    expect(spec.schedule).toEqual(ex.schedule);
  });
});
