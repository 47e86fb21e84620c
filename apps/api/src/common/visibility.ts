import { isPrometheusProbe, type GameDaySpec } from '@gameday/core';
import type { GameDay, Run } from '@gameday/db';
import type { Principal } from '../auth/auth.decorators';
import { ROLE_RANK } from '../auth/token-hash';

// Who sees what: every read of the API goes through these rules (one function per rule).

/**
 * THE blind-mode rule: participants (viewers) must not learn a blind GameDay's fault until the
 * champion reveals it. Operators and admins always see it.
 */
export function blindTo(gameDay: { mode: string; revealedAt: Date | null }, principal: Principal): boolean {
  return gameDay.mode === 'blind' && gameDay.revealedAt === null && principal.role === 'viewer';
}

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

type Exp = GameDaySpec['experiments'][number];
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
      hypothesis: {
        ...e.hypothesis,
        probes: e.hypothesis?.probes?.map((p) => (isPrometheusProbe(p) ? p : redactRequest(p))),
      },
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

/** Keys of worker output that locate a container on its host: its PID and network namespace. */
const HOST_DETAIL_KEYS = new Set(['pid', 'netnsId', 'netnsInode']);
const PROC_PATH = /\/proc\/\d+\//g;
const NETNS_PATH = /\/(?:var\/)?run\/(?:docker\/)?netns\/[^\s"',;)]+/g;
const NETNS_INODE = /net:\[\d+\]/g;
const PID_WORD = /\bPID \d+/g;
/** argv options whose next word is a host PID (nsenter -t PID). */
const PID_OPTIONS = new Set(['-t', '--target']);

/**
 * THE rule for host details in worker output (dry runs, run results, event data and messages):
 * host PIDs and network namespace paths (/proc/<pid>/ns/net, /var/run/docker/netns/…) tell a
 * reader where to reach a container from the host, so viewers do not get them; operators and
 * admins, who run and debug the faults, do.
 */
export function redactHostDetails<T>(value: T, principal: Principal): T {
  if (ROLE_RANK[principal.role] >= ROLE_RANK.operator) return value;
  return scrubHostDetails(value, 0) as T;
}

function scrubHostDetails(value: unknown, depth: number): unknown {
  if (typeof value === 'string')
    return value
      .replace(PROC_PATH, '/proc/<pid>/')
      .replace(NETNS_PATH, '<netns>')
      .replace(NETNS_INODE, 'net:[<inode>]')
      .replace(PID_WORD, 'PID <pid>');
  if (depth > 32 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value))
    return value.map((v, i) =>
      typeof v === 'string' && /^\d+$/.test(v) && PID_OPTIONS.has(value[i - 1] as string)
        ? '<pid>'
        : scrubHostDetails(v, depth + 1),
    );
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !HOST_DETAIL_KEYS.has(k))
      .map(([k, v]) => [k, scrubHostDetails(v, depth + 1)]),
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
  if (!blindTo({ mode, revealedAt }, principal)) return spec;
  return {
    ...spec,
    experiments: spec.experiments.map((e) => {
      const hide = (f: { kind: string }) => ({ kind: f.kind, hidden: true }) as unknown as NonNullable<Exp['fault']>;
      return e.steps
        ? // their timing too: when each step fires tells what it is
          {
            ...e,
            steps: e.steps.map((s) =>
              s.fault ? { name: s.name, fault: hide(s.fault) } : { name: s.name, gate: s.gate },
            ),
          }
        : { ...e, fault: e.fault && hide(e.fault) };
    }),
  };
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
  return r.finishedAt === null && gameDay !== undefined && blindTo(gameDay, principal);
}

/** Event types whose message names targets or the fault (their data always carries them). */
export function isRevealingEvent(type: string): boolean {
  return type.startsWith('fault.') || type.startsWith('targets.') || type.startsWith('arming.');
}

export const HIDDEN_EVENT_MESSAGE = 'fault details hidden until revealed';

/** The run result without the resolved targets of each experiment. */
export function redactResult(result: unknown): unknown {
  const experiments = (result as { experiments?: unknown } | null)?.experiments;
  if (!Array.isArray(experiments)) return result;
  // a step's targets and timing tell the fault as well as the fault itself
  return {
    ...(result as object),
    experiments: experiments.map((e) => ({ ...(e as object), targets: undefined, steps: undefined })),
  };
}
