import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Whether this host's kernel can run netem: a throwaway network namespace gets a netem qdisc on
 * its loopback. Nothing outside that namespace is touched, and it is deleted right after.
 */
export async function hostHasNetem(): Promise<{ ok: boolean; detail: string }> {
  const ns = `gd-netem-probe-${process.pid}`;
  try {
    await run('ip', ['netns', 'add', ns]);
  } catch (e) {
    return {
      ok: false,
      detail: `cannot create a network namespace to probe (${(e as Error).message.split('\n')[0]}); run as root`,
    };
  }
  try {
    await run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms']);
    return { ok: true, detail: 'sch_netem available' };
  } catch (e) {
    const stderr = String((e as { stderr?: string }).stderr ?? (e as Error).message).trim();
    return { ok: false, detail: stderr || 'tc refused a netem qdisc' };
  } finally {
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  }
}
