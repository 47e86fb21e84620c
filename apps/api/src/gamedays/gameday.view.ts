import { findBlackout, nextOccurrences, planRun, runDurationMs, type GameDaySpec, type RunPlan } from '@gameday/core';
import type { GameDay, Run, RunEvent, RunNote } from '@gameday/db';
import type { Principal } from '../auth/auth.decorators';
import { ROLE_RANK } from '../auth/token-hash';

/** What a secret reads as. A PATCH that sends it back keeps the stored secret. */
export const SECRET_PLACEHOLDER = '***';

/** Scheme and host only: the path and query of a webhook URL are its credential (Slack, Teams...). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/${SECRET_PLACEHOLDER}`;
  } catch {
    return SECRET_PLACEHOLDER;
  }
}

type HttpRequestSpec = { headers?: Record<string, string>; body?: string };

function redactRequest<T extends HttpRequestSpec>(r: T): T {
  return {
    ...r,
    headers: r.headers && Object.fromEntries(Object.keys(r.headers).map((k) => [k, SECRET_PLACEHOLDER])),
    body: r.body === undefined ? undefined : SECRET_PLACEHOLDER,
  };
}

/**
 * THE rule for secrets in a spec, applied to every read (GameDay, list, runs, reports): header
 * values, request bodies and webhook URLs are write-only for every role; participants' contacts
 * are for operators and admins only.
 */
export function redactSecrets(spec: GameDaySpec, principal: Principal): GameDaySpec {
  const seesContacts = ROLE_RANK[principal.role] >= ROLE_RANK.operator;
  // a snapshot is whatever was stored: no experiments, nothing to redact
  if (!Array.isArray(spec?.experiments)) return spec;
  return {
    ...spec,
    participants: spec.participants?.map((p) => (seesContacts ? p : { ...p, contact: undefined })),
    webhooks: spec.webhooks?.map((w) => ({ ...w, url: redactUrl(w.url) })),
    experiments: spec.experiments.map((e) => ({
      ...e,
      hypothesis: { ...e.hypothesis, probes: e.hypothesis?.probes?.map(redactRequest) },
      load: e.load && redactRequest(e.load),
    })),
  };
}

/** Container labels may carry secrets (credentials in env-like labels): only ours and Compose's show. */
const SHOWN_LABEL = /^(gameday\.|com\.docker\.compose\.(project|service)$)/;

/** Every `labels` map inside worker output (dry runs, run results, event data), filtered. */
export function redactContainerLabels(value: unknown, depth = 0): unknown {
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactContainerLabels(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) =>
      k === 'labels' && v !== null && typeof v === 'object' && !Array.isArray(v)
        ? [k, Object.fromEntries(Object.entries(v).filter(([name]) => SHOWN_LABEL.test(name)))]
        : [k, redactContainerLabels(v, depth + 1)],
    ),
  );
}

/**
 * Secrets are redacted for everyone (redactSecrets). In blind mode participants must not learn
 * the fault from the API either: viewers get the fault's kind only, until the champion reveals it.
 */
export function redactSpec(
  spec: GameDaySpec,
  mode: string,
  revealedAt: Date | null,
  principal: Principal,
): GameDaySpec {
  spec = redactSecrets(spec, principal);
  if (mode !== 'blind' || revealedAt !== null || principal.role !== 'viewer') return spec;
  return {
    ...spec,
    experiments: spec.experiments.map((e) => ({
      ...e,
      fault: { kind: e.fault.kind, hidden: true } as unknown as GameDaySpec['experiments'][number]['fault'],
    })),
  };
}

/** How many next occurrences a GameDay view lists (a calendar for people, not for the scheduler). */
const UPCOMING = 5;

/** The next occurrences of an active GameDay, each with the blackout that will skip it, if any. */
export function upcomingOccurrences(g: Pick<GameDay, 'status' | 'spec'>, now = Date.now()) {
  if (g.status !== 'active') return [];
  const spec = g.spec as unknown as GameDaySpec;
  try {
    const length = runDurationMs(spec);
    return nextOccurrences(spec.schedule, now, UPCOMING).map((at) => ({
      at: new Date(at),
      skippedBy: findBlackout(spec.blackouts, { start: at, end: at + length })?.reason ?? null,
    }));
  } catch {
    return [];
  }
}

export function gameDayView(g: GameDay, principal: Principal) {
  return {
    id: g.id,
    name: g.name,
    status: g.status,
    mode: g.mode,
    environment: g.environment,
    champion: g.champion,
    version: g.version,
    nextRunAt: g.nextRunAt,
    createdAt: g.createdAt,
    updatedAt: g.updatedAt,
    cancelledAt: g.cancelledAt,
    revealedAt: g.revealedAt,
    upcoming: upcomingOccurrences(g),
    spec: redactSpec(g.spec as unknown as GameDaySpec, g.mode, g.revealedAt, principal),
  };
}

export function runView(r: Run, principal: Principal, gameDay?: Pick<GameDay, 'mode' | 'revealedAt'>) {
  const finished = r.finishedAt !== null;
  return {
    id: r.id,
    gameDayId: r.gameDayId,
    scheduledFor: r.scheduledFor,
    trigger: r.trigger,
    status: r.status,
    gameDayVersion: r.gameDayVersion,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    verdict: r.verdict,
    error: r.error,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    // a finished run reveals its fault: the GameDay is over for that occurrence
    spec:
      finished || !gameDay
        ? redactSecrets(r.spec as unknown as GameDaySpec, principal)
        : redactSpec(r.spec as unknown as GameDaySpec, gameDay.mode, gameDay.revealedAt, principal),
    summary: runSummary(r.result),
  };
}

/** Per-run figures for trends across runs (first experiment's windows; the run's deviation). */
export function runSummary(result: unknown) {
  const stored = (result ?? {}) as {
    deviationRatio?: number | null;
    experiments?: {
      stats?: Record<string, { p95Ms?: number | null } | undefined>;
      timeToRecoverMs?: number | null;
    }[];
  };
  const first = stored.experiments?.[0];
  const p95 = (w: string) => first?.stats?.[w]?.p95Ms ?? null;
  return {
    deviationRatio: stored.deviationRatio ?? null,
    timeToRecoverMs: first?.timeToRecoverMs ?? null,
    p95Ms: { baseline: p95('baseline'), fault: p95('fault'), recovery: p95('recovery') },
  };
}

/** The planned instants of a run, so clients can count down to injection and rollback. */
export function runPlan(r: Pick<Run, 'scheduledFor' | 'spec'>): RunPlan | null {
  try {
    return planRun(r.scheduledFor.getTime(), (r.spec as unknown as GameDaySpec).experiments);
  } catch {
    // a snapshot that no longer plans (should not happen) is shown without countdowns
    return null;
  }
}

/**
 * The one blind-mode rule for run details (timeline data, targets, argv, reports): hidden from
 * viewers while the run is not finished and the champion has not revealed the GameDay.
 */
export function faultDetailsHidden(
  r: Pick<Run, 'finishedAt'>,
  gameDay: Pick<GameDay, 'mode' | 'revealedAt'> | undefined,
  principal: Principal,
): boolean {
  return (
    r.finishedAt === null && gameDay?.mode === 'blind' && gameDay.revealedAt === null && principal.role === 'viewer'
  );
}

/** Event types whose message names targets or the fault (their data always carries them). */
export function isRevealingEvent(type: string): boolean {
  return type.startsWith('fault.') || type.startsWith('targets.') || type.startsWith('arming.');
}

export const HIDDEN_EVENT_MESSAGE = 'fault details hidden until revealed';

/** The run result without the resolved targets of each experiment. */
function redactResult(result: unknown): unknown {
  const experiments = (result as { experiments?: unknown } | null)?.experiments;
  if (!Array.isArray(experiments)) return result;
  return { ...(result as object), experiments: experiments.map((e) => ({ ...(e as object), targets: undefined })) };
}

export function noteView(n: RunNote) {
  return {
    id: n.id,
    runId: n.runId,
    kind: n.kind,
    text: n.text,
    owner: n.owner,
    done: n.doneAt !== null,
    doneAt: n.doneAt,
    author: n.author,
    createdAt: n.createdAt,
  };
}

export function runDetailView(
  r: Run & { events: RunEvent[] },
  principal: Principal,
  gameDay?: Pick<GameDay, 'mode' | 'revealedAt'>,
  notes: RunNote[] = [],
) {
  // event details carry tc argv and targets: hidden from blind viewers like the fault itself
  const hideDetails = faultDetailsHidden(r, gameDay, principal);
  return {
    ...runView(r, principal, gameDay),
    result: redactContainerLabels(hideDetails ? redactResult(r.result) : r.result),
    plan: runPlan(r),
    abortRequestedAt: r.abortRequestedAt,
    abortReason: r.abortReason,
    events: r.events.map((e) => ({
      id: e.id.toString(),
      type: e.type,
      phase: e.phase,
      experimentIndex: e.experimentIndex,
      plannedAt: e.plannedAt,
      at: e.at,
      message: hideDetails && isRevealingEvent(e.type) ? HIDDEN_EVENT_MESSAGE : e.message,
      data: hideDetails ? null : redactContainerLabels(e.data),
    })),
    notes: notes.map(noteView),
  };
}
