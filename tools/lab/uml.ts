// runInUml(): boot the user-mode-linux lab kernel (which has sch_netem) on the host's own
// filesystem, run a shell payload as root inside it, power off, and return what it produced.
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bootUml, killUmlGroup, LAB_SCRIPTS_DIR, requireLabKernel, waitForExit } from './uml-process';

/** Modules a netem lab needs: netem, scoped (prio + u32), ingress via IFB, veth pairs, a bridge. */
export const NETEM_LAB_MODULES = [
  'sch_netem',
  'sch_prio',
  'cls_u32',
  'sch_ingress',
  'act_mirred',
  'ifb',
  'veth',
  'bridge',
  'ipv6',
] as const;

export interface UmlRunOptions {
  /** Shell script run by /bin/sh as root in the guest; its working directory is GD_LAB_DIR. */
  script: string;
  /** Extra environment for the script (any characters; never parsed by a shell). */
  env?: Record<string, string>;
  /** Files written into GD_LAB_DIR before boot (e.g. a plan.json for the guest agent). */
  files?: Record<string, string>;
  /** Kernel modules loaded before the payload runs (default NETEM_LAB_MODULES). */
  modules?: readonly string[];
  memMb?: number;
  /** Whole run including boot and power-off; the guest is killed when it is exceeded. */
  timeoutMs?: number;
}

export interface UmlRunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Files the payload wrote into $GD_LAB_OUT, by name. */
  outputs: Record<string, string>;
  /** Status lines of the guest's init (timestamps in ms since the epoch). */
  guestLog: string;
  timings: { bootMs: number; payloadMs: number; totalMs: number };
}

function tail(file: string, lines = 30): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n') : '(none)';
}

function guestMark(guestLog: string, label: string): number | undefined {
  const m = new RegExp(`^(\\d+) ${label}`, 'm').exec(guestLog);
  return m ? Number(m[1]) : undefined;
}

/**
 * Boots the lab kernel, runs `script` inside it and returns its exit code and output. The
 * payload sees GD_LAB_DIR (its working directory, shared with the host) and GD_LAB_OUT (a
 * directory whose files come back as `outputs`). Throws when the guest fails to boot or the
 * timeout passes; in every case the guest's processes are gone when this returns.
 * GAMEDAY_LAB_KEEP=1 keeps the run directory for inspection.
 */
export async function runInUml(opts: UmlRunOptions): Promise<UmlRunResult> {
  const modules = opts.modules ?? NETEM_LAB_MODULES;
  const kernel = requireLabKernel(modules);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gameday-lab-'));
  const out = path.join(dir, 'out');
  mkdirSync(out);
  try {
    writeFileSync(path.join(dir, 'payload.sh'), opts.script);
    const env = { ...opts.env, GD_LAB_DIR: dir, GD_LAB_OUT: out };
    writeFileSync(
      path.join(dir, 'env'),
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}\0`)
        .join(''),
    );
    for (const [name, content] of Object.entries(opts.files ?? {})) {
      if (name.includes('/') || name.startsWith('.'))
        throw new Error(`runInUml: file name ${name} must be a plain name`);
      writeFileSync(path.join(dir, name), content);
    }
    const started = Date.now();
    const child = bootUml({
      kernel,
      init: path.join(LAB_SCRIPTS_DIR, 'uml-init-run.sh'),
      dir,
      memMb: opts.memMb ?? 384,
      initEnv: { GD_LAB_MODULES: modules.join(',') },
    });
    const exited = await waitForExit(child, timeoutMs);
    killUmlGroup(child); // also reaps helper processes of a guest that halted uncleanly
    if (!exited) {
      await waitForExit(child, 5_000);
      throw new Error(
        `lab guest did not finish within ${timeoutMs} ms; console:\n${tail(path.join(dir, 'console.log'))}`,
      );
    }
    const totalMs = Date.now() - started;
    const guestLog = existsSync(path.join(dir, 'guest.log')) ? readFileSync(path.join(dir, 'guest.log'), 'utf8') : '';
    const codeFile = path.join(dir, 'exit-code');
    if (!existsSync(codeFile)) {
      const why = existsSync(path.join(dir, 'boot-error'))
        ? readFileSync(path.join(dir, 'boot-error'), 'utf8').trim()
        : 'no exit code recorded';
      throw new Error(
        `lab guest failed: ${why}; guest log:\n${guestLog}\nconsole:\n${tail(path.join(dir, 'console.log'))}`,
      );
    }
    const booted = guestMark(guestLog, 'booted') ?? started;
    const finished = guestMark(guestLog, 'payload exited') ?? Date.now();
    const outputs: Record<string, string> = {};
    for (const name of readdirSync(out)) outputs[name] = readFileSync(path.join(out, name), 'utf8');
    return {
      exitCode: Number(readFileSync(codeFile, 'utf8').trim()),
      stdout: readFileSync(path.join(dir, 'stdout'), 'utf8'),
      stderr: readFileSync(path.join(dir, 'stderr'), 'utf8'),
      outputs,
      guestLog,
      timings: { bootMs: booted - started, payloadMs: finished - booted, totalMs },
    };
  } finally {
    // Errors carry the logs that explain them; GAMEDAY_LAB_KEEP=1 keeps the whole directory.
    if (process.env.GAMEDAY_LAB_KEEP === '1') process.stdout.write(`lab run directory kept: ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
