// Typed builders for the plans run by tools/lab/guest/guest-agent.mjs inside a lab guest, and the
// shapes of its results. Commands are argv arrays end to end: the plan travels as JSON.
import path from 'node:path';
import { LAB_SCRIPTS_DIR } from './uml-process';

export const GUEST_AGENT = path.join(LAB_SCRIPTS_DIR, 'guest-agent.mjs');

export type PlanStep =
  | { id: string; op: 'exec'; argv: string[]; netns?: string; allowFail?: boolean; timeoutMs?: number }
  | { id: string; op: 'spawn'; argv: string[]; netns?: string }
  | { id: string; op: 'sleep'; ms: number }
  | {
      id: string;
      op: 'http';
      url: string;
      count: number;
      concurrency?: number;
      staggerMs?: number;
      netns?: string;
      localAddress?: string;
      timeoutMs?: number;
    }
  | { id: string; op: 'waitHttp'; url: string; netns?: string; timeoutMs?: number }
  | { id: string; op: 'ping'; dest: string; count: number; intervalS?: number; netns?: string };

export interface Plan {
  steps: PlanStep[];
  /** Always run, even after a failed step (reverts, cleanup). */
  finally?: PlanStep[];
}

interface StepBase {
  ok: boolean;
  startedAt: number;
  endedAt: number;
  error?: string;
}
export interface ExecResult extends StepBase {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}
export interface HttpResult extends StepBase {
  samples: number[];
  errors: string[];
}
export interface PingResult extends StepBase {
  transmitted: number;
  received: number;
  rtts: number[];
}
export interface AgentOutput {
  error?: string;
  cleanupError?: string;
  results: Record<string, StepBase & Record<string, unknown>>;
}

/** Steps that run each argv of a compiled fault script, in order, inside `netns`. */
export function execAll(
  idPrefix: string,
  argvs: readonly (readonly string[])[],
  netns?: string,
  allowFail = false,
): PlanStep[] {
  return argvs.map((argv, i) => ({ id: `${idPrefix}.${i}`, op: 'exec' as const, argv: [...argv], netns, allowFail }));
}

export class AgentResults {
  constructor(readonly raw: AgentOutput) {}

  private get(id: string): StepBase & Record<string, unknown> {
    const r = this.raw.results[id];
    if (!r) throw new Error(`guest step ${id} did not run (plan error: ${this.raw.error ?? 'none'})`);
    if (!r.ok) throw new Error(`guest step ${id} failed: ${r.error}`);
    return r;
  }
  exec(id: string): ExecResult {
    return this.get(id) as unknown as ExecResult;
  }
  http(id: string): HttpResult {
    return this.get(id) as unknown as HttpResult;
  }
  ping(id: string): PingResult {
    return this.get(id) as unknown as PingResult;
  }
}
