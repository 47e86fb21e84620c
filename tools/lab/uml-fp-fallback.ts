// Whether the lab kernel can keep a guest's FPU state on this host, and what to do when it cannot.
//
// user-mode-linux 6.1 (Debian bookworm's) writes a guest's FPU registers with a fixed 832-byte
// XSTATE buffer; a host whose XSAVE area is larger (AVX-512, AMX) refuses it and the guest's init
// dies at once ("ptrace set fp regs failed, errno = 14"). Newer kernels size the buffer from the
// host (6.13+) but Debian builds them without any IPv4 firewall (no iptables, no nf_tables ip
// family), which the lab needs. On such a host the kernel is started by uml-fxsave-launcher.py,
// which refuses its XSTATE probe so that it falls back to the legacy FXSAVE requests: x87 and SSE
// state only. Guest threads of one process then share the upper halves of the AVX registers
// (measured: glibc's memcpy in two threads corrupted 45 of 420 000 copies in 6 s), so the guest's
// programs are told not to use them: glibc's string functions (GLIBC_TUNABLES), Go's runtime
// (dockerd, containerd, runc: GODEBUG) and the guest agent's Node (flags, see netns-topology.ts).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const LAUNCHER = path.resolve(__dirname, 'uml-fxsave-launcher.py');

/** Environment for the guest's PID 1 (inherited by every guest process) when only SSE state is kept. */
export const GUEST_NO_WIDE_VECTORS_ENV: Readonly<Record<string, string>> = {
  GLIBC_TUNABLES:
    'glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,-AVX512CD,-FMA,-AVX_Fast_Unaligned_Load',
  GODEBUG: 'cpu.all=off',
  GD_LAB_NO_WIDE_VECTORS: '1',
};

export interface FpMode {
  /** argv put before the kernel binary: empty when the kernel runs as it is */
  launcher: string[];
  /** KEY=VALUE for the guest's PID 1 */
  guestEnv: Record<string, string>;
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** Boots the kernel once with init=/bin/true and reads whether its FPU register writes failed. */
function probeFails(uml: string): boolean {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gameday-uml-fp-'));
  try {
    const r = spawnSync(
      uml,
      [
        'mem=64M',
        'root=/dev/root',
        'rootfstype=hostfs',
        'hostfs=/',
        'rw',
        'init=/bin/true',
        `uml_dir=${dir}`,
        'con=null',
        'con0=fd:0,fd:1',
      ],
      { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return /set fp regs failed/.test(`${r.stdout}${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * How to start `uml` on this host: probed once per host boot and kernel binary (a boot of about a
 * second), the answer kept in the temporary directory.
 */
export function labFpMode(uml: string): FpMode {
  const st = statSync(uml);
  const key = createHash('sha256').update(`${bootId()} ${uml} ${st.size} ${st.mtimeMs}`).digest('hex').slice(0, 16);
  const cache = path.join(os.tmpdir(), `gameday-uml-fp-${key}.json`);
  let fallback: boolean;
  try {
    fallback = (JSON.parse(readFileSync(cache, 'utf8')) as { fallback: boolean }).fallback;
  } catch {
    fallback = probeFails(uml);
    writeFileSync(cache, JSON.stringify({ fallback }));
  }
  return fallback
    ? { launcher: ['python3', LAUNCHER], guestEnv: { ...GUEST_NO_WIDE_VECTORS_ENV } }
    : { launcher: [], guestEnv: {} };
}
