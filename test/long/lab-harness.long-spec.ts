// Long tier: the user-mode-linux lab harness itself. Other lab tests rely on it never leaving a guest
// or a tap device behind, and on payload input reaching the guest without shell parsing.
import { execFileSync } from 'node:child_process';
import { runInUml } from '../../tools/lab/uml';
import { startUmlDocker } from '../../tools/lab/uml-docker';
import { leakedUmlProcesses } from '../../tools/lab/uml-process';

function tapExists(tap: string): boolean {
  try {
    execFileSync('ip', ['link', 'show', 'dev', tap], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('user-mode-linux lab harness', () => {
  afterAll(() => {
    expect(leakedUmlProcesses()).toEqual([]);
  });

  it('runs a payload with environment and files passed verbatim, and returns its outputs and exit code', async () => {
    const tricky = `a b'c"d $(touch /tmp/never) \`x\` ; |`;
    const r = await runInUml({
      script:
        'printf "%s" "$TRICKY" >"$GD_LAB_OUT/env.txt"; cat input.txt; uname -r; grep -c netem /proc/modules; exit 7',
      env: { TRICKY: tricky },
      files: { 'input.txt': 'from the host\n' },
      modules: ['sch_netem'],
      timeoutMs: 60_000,
    });
    process.stdout.write(
      `runInUml: boot ${r.timings.bootMs} ms, payload ${r.timings.payloadMs} ms, total ${r.timings.totalMs} ms\n`,
    );
    expect(r.exitCode).toBe(7);
    expect(r.outputs['env.txt']).toBe(tricky);
    expect(r.stdout).toMatch(/^from the host\n6\.\d+\.\d+\S*\n1\n$/);
  }, 90_000);

  it('kills the guest when the timeout passes', async () => {
    const started = Date.now();
    await expect(runInUml({ script: 'sleep 120', modules: [], timeoutMs: 5_000 })).rejects.toThrow(
      /did not finish within 5000 ms/,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(leakedUmlProcesses()).toEqual([]);
  }, 30_000);

  it('names a kernel module the lab kernel does not have, before booting', async () => {
    await expect(runInUml({ script: 'true', modules: ['sch_does_not_exist'] })).rejects.toThrow(
      /has no module\(s\) sch_does_not_exist/,
    );
  });

  it('startUmlDocker: a failure after boot (unknown image) stops the guest and removes the tap', async () => {
    const tap = `gdlabh${process.pid % 1000}`;
    await expect(startUmlDocker({ images: ['gameday/lab-no-such-image:0'], tap })).rejects.toThrow(/no-such-image/);
    expect(tapExists(tap)).toBe(false);
    expect(leakedUmlProcesses()).toEqual([]);
  }, 120_000);
});
