import { compileNetworkFault, faultSchema, type NetworkFaultSpec } from '@gameday/core';
import { probeSteps } from './engine/capability-probe';
import { containerSteps } from './kinds';
import { encodeHelperSteps } from './engine/helper-protocol';

describe('encodeHelperSteps', () => {
  it('length-prefixes every step and its undo (0 words when a later undo covers it)', () => {
    expect(
      encodeHelperSteps(
        [
          ['ip', 'link', 'add', 'x', 'type', 'ifb'],
          ['ip', 'link', 'set', 'x', 'up'],
        ],
        [['ip', 'link', 'del', 'x'], null],
      ),
    ).toEqual([
      '2',
      '6',
      'ip',
      'link',
      'add',
      'x',
      'type',
      'ifb',
      '4',
      'ip',
      'link',
      'del',
      'x',
      '5',
      'ip',
      'link',
      'set',
      'x',
      'up',
      '0',
    ]);
  });

  it('encodes a compiled fault: apply and undo stay aligned', () => {
    const spec = faultSchema.parse({
      kind: 'network',
      target: { container: 'x' },
      netem: { delay: '500ms', jitter: '100ms' },
    }) as NetworkFaultSpec;
    const c = compileNetworkFault(spec);
    const words = encodeHelperSteps(c.apply, c.undo);
    expect(words[0]).toBe('1');
    expect(words.slice(2, 2 + Number(words[1]))).toEqual(c.apply[0]);
  });

  it('refuses words with a newline or NUL (the helper stores one word per line)', () => {
    expect(() => encodeHelperSteps([['tc', 'a\nb']], [null])).toThrow(/newline/);
    expect(() => encodeHelperSteps([['tc']], [['x\0']])).toThrow(/NUL/);
  });
});

describe('probeSteps', () => {
  it('probes netem on a throwaway veth only, and always deletes it', () => {
    const p = probeSteps({ prio: false, ingress: false }, 'abc123');
    expect(p.steps.map((s) => s.feature ?? '-')).toEqual(['-', 'sch_netem', '-']);
    expect(p.steps[0].argv).toEqual(['ip', 'link', 'add', 'gdpabc123a', 'type', 'veth', 'peer', 'name', 'gdpabc123b']);
    expect(p.steps.every((s) => !s.argv.includes('eth0'))).toBe(true);
    expect(p.cleanup).toEqual([['ip', 'link', 'del', 'gdpabc123a']]);
    expect(probeSteps({ prio: false, ingress: false }).steps[0].argv[3]).toMatch(/^gdp[0-9a-f]{6}a$/);
  });

  it('adds prio/u32 and ifb/ingress/mirred probes when the fault needs them', () => {
    const p = probeSteps({ prio: true, ingress: true }, 'abc123');
    expect(p.steps.map((s) => s.feature ?? '-')).toEqual([
      '-',
      'sch_netem',
      '-',
      'sch_prio',
      'cls_u32',
      'ifb',
      'sch_ingress',
      'act_mirred',
    ]);
    expect(p.cleanup).toEqual([
      ['ip', 'link', 'del', 'gdpabc123a'],
      ['ip', 'link', 'del', 'gdpabc123i'],
    ]);
  });
});

describe('containerSteps', () => {
  it.each([
    ['pause', {}, ['docker', 'pause', 'id1'], ['docker', 'unpause', 'id1']],
    ['stop', {}, ['docker', 'stop', 'id1'], ['docker', 'start', 'id1']],
    ['kill', { signal: 'SIGTERM' }, ['docker', 'kill', '--signal', 'SIGTERM', 'id1'], ['docker', 'start', 'id1']],
    ['kill', {}, ['docker', 'kill', '--signal', 'SIGKILL', 'id1'], ['docker', 'start', 'id1']],
    ['restart', {}, ['docker', 'restart', 'id1'], ['docker', 'start', 'id1']],
  ])('%s %j', (action, extra, apply, revert) => {
    const spec = faultSchema.parse({ kind: 'container', target: { container: 'x' }, action, ...extra });
    expect(containerSteps(spec as never, 'id1')).toEqual({ apply, revert });
  });
});
