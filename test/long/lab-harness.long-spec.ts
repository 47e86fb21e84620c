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
    expect(r.stdout).toMatch(/^from the host\n\d+\.\d+\.\d+\S*\n1\n$/);
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

describe('user-mode-linux lab harness: two guests of one process', () => {
  it('a guest started by a second copy of the harness module (another test file) leaves the first one its link', async () => {
    // Jest gives each test file its own module registry, so a per-module counter restarted at 0 in
    // every file: the demo's guest (e2e-classic) took the shared lab's tap name, deleted that tap
    // and left the shared guest cut off; the other lab lane's guest then got its address, and both
    // lanes' files ran on one engine, removing each other's containers.
    const { startUmlDocker: startA } =
      jest.requireActual<typeof import('../../tools/lab/uml-docker')>('../../tools/lab/uml-docker');
    let startB: typeof startA | undefined;
    jest.isolateModules(() => {
      startB =
        jest.requireActual<typeof import('../../tools/lab/uml-docker')>('../../tools/lab/uml-docker').startUmlDocker;
    });
    const a = await startA({ images: [] });
    try {
      const idA = (await a.docker.info()).ID as string;
      const b = await startB!({ images: [] });
      try {
        const idB = (await b.docker.info()).ID as string;
        process.stdout.write(
          `two guests: ${a.tap} ${a.host} (${idA.slice(0, 12)}), ${b.tap} ${b.host} (${idB.slice(0, 12)})\n`,
        );
        expect(b.tap).not.toBe(a.tap);
        expect(b.host).not.toBe(a.host);
        expect(idB).not.toBe(idA);
        // the first guest is still reached, and it is still the first guest
        expect(tapExists(a.tap)).toBe(true);
        expect((await a.docker.info()).ID).toBe(idA);
      } finally {
        await b.stop();
      }
      expect((await a.docker.info()).ID).toBe(idA);
    } finally {
      await a.stop();
    }
    expect(leakedUmlProcesses()).toEqual([]);
  }, 240_000);
});
