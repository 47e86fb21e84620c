// The one module that talks to the GameDay REST API (same origin, Bearer token).
import type { ApiSchemas } from '@gameday/api-types';

// The answers' shapes are generated from the API's OpenAPI document (libs/api-types); the aliases
// below only name them for the pages.
export type Me = ApiSchemas['Me'];
export type Role = Me['role'];
export interface FieldError {
  field: string;
  message: string;
}
export interface Problem {
  title?: string;
  status?: number;
  detail?: string;
  errors?: FieldError[];
}

/** Planned instants (epoch ms); arming sits between armAt and baselineAt. */
export type RunPlan = ApiSchemas['RunPlan'];
export type SpecWarning = ApiSchemas['SpecWarning'];
export type RunSummary = ApiSchemas['RunSummary'];
// The spec is shown as the API returns it (redacted for the caller); pages read its fields defensively.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Spec = Record<string, any>;
type WithSpec<T> = Omit<T, 'spec'> & { spec: Spec };

/** A GameDay as read, written (with `warnings`) or revealed. */
export type GameDay = WithSpec<ApiSchemas['GameDayView']> &
  Partial<Pick<ApiSchemas['GameDayWritten'], 'warnings'> & Pick<ApiSchemas['GameDayRead'], 'safetyLever'>>;
/** A GameDay as a list page has it: with its last runs (verdict, deviation), newest first. */
export type GameDayListItem = GameDay & Pick<ApiSchemas['GameDayListItem'], 'recentRuns'>;
/** A catalogue template: its parameters and the GameDay its defaults make. */
export type Template = WithSpec<ApiSchemas['TemplateView']>;
export type RunEvent = ApiSchemas['RunEventView'];
export type RunNote = ApiSchemas['RunNoteView'];
export type Run = WithSpec<ApiSchemas['RunView']>;
export type RunDetail = WithSpec<ApiSchemas['RunDetailView']>;
export type ResilienceScore = ApiSchemas['ResilienceScore'];
export type ScoreTrend = ApiSchemas['ScoreTrend'];
export type ReportFormat = 'html' | 'markdown' | 'junit' | 'json';
const REPORT_ACCEPT: Record<ReportFormat, string> = {
  html: 'text/html',
  markdown: 'text/markdown',
  junit: 'application/xml',
  json: 'application/json',
};
/** A probe sample as the run's event stream sends it (Server-Sent Events, outside OpenAPI). */
export interface Sample {
  experimentIndex: number;
  probe: string;
  phase: string;
  at: number;
  durationMs: number;
  ok: boolean;
  status: number | null;
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export interface GameDayFilters {
  q?: string;
  status?: string;
  environment?: string;
  mode?: string;
  scheduleKind?: string;
  cursor?: string;
}

export const ENDED = ['completed', 'aborted', 'failed', 'cancelled', 'skipped'];

const TOKEN_KEY = 'gameday.token';

/** The token lives in sessionStorage: closing the tab signs out, and it never goes in a URL. */
export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = session.token();
  return { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...extra };
}

/** Fired when the API refuses the token (revoked, expired): the app goes back to sign-in. */
export const UNAUTHORIZED_EVENT = 'gameday:unauthorized';

async function fail(res: Response): Promise<never> {
  if (res.status === 401) window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  let problem: Problem = { status: res.status, title: res.statusText };
  try {
    problem = await res.json();
  } catch {
    // not a problem document: keep the status line
  }
  throw new ApiError(res.status, problem);
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: headers(body === undefined ? { Accept: 'application/json' } : { 'Content-Type': 'application/json' }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) return fail(res);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : '';
}

export const api = {
  me: () => call<Me>('GET', '/api/v1/me'),
  listGameDays: (f: GameDayFilters, limit = 20) =>
    call<Page<GameDayListItem>>('GET', `/api/v1/gamedays${query({ ...f, limit })}`),
  gameDay: (id: string) => call<GameDay>('GET', `/api/v1/gamedays/${id}`),
  templates: () => call<{ items: Template[] }>('GET', '/api/v1/templates'),
  createGameDay: (spec: unknown) => call<GameDay>('POST', '/api/v1/gamedays', spec),
  updateGameDay: (id: string, patch: unknown) => call<GameDay>('PATCH', `/api/v1/gamedays/${id}`, patch),
  runs: (gameDayId: string, limit = 20) =>
    call<Page<Run>>('GET', `/api/v1/gamedays/${gameDayId}/runs${query({ limit })}`),
  scores: (gameDayId: string, limit = 20) =>
    call<ScoreTrend>('GET', `/api/v1/gamedays/${gameDayId}/scores${query({ limit })}`),
  runNow: (gameDayId: string) => call<Run>('POST', `/api/v1/gamedays/${gameDayId}/runs`, {}),
  dryRun: (gameDayId: string) => call<ApiSchemas['DryRunReport']>('POST', `/api/v1/gamedays/${gameDayId}/dry-run`, {}),
  reveal: (gameDayId: string) => call<GameDay>('POST', `/api/v1/gamedays/${gameDayId}/reveal`, {}),
  run: (id: string) => call<RunDetail>('GET', `/api/v1/runs/${id}`),
  abort: (id: string, reason?: string) =>
    call<ApiSchemas['AbortAnswer']>('POST', `/api/v1/runs/${id}/abort`, reason ? { reason } : {}),
  addNote: (id: string, note: { kind: RunNote['kind']; text: string; owner?: string }) =>
    call<RunNote>('POST', `/api/v1/runs/${id}/notes`, note),
  setNoteDone: (id: string, noteId: string, done: boolean) =>
    call<RunNote>('PATCH', `/api/v1/runs/${id}/notes/${noteId}`, { done }),
  async report(id: string, format: ReportFormat): Promise<string> {
    const res = await fetch(`/api/v1/runs/${id}/report`, {
      headers: headers({ Accept: REPORT_ACCEPT[format] }),
    });
    if (!res.ok) return fail(res);
    return res.text();
  },

  /**
   * Follows a run over Server-Sent Events, read with fetch so the token travels in the
   * Authorization header. Resolves when the run ends or `signal` aborts.
   */
  async follow(
    id: string,
    on: { run: (r: RunDetail) => void; samples: (s: Sample[]) => void },
    signal: AbortSignal,
  ): Promise<'ended' | 'closed'> {
    const res = await fetch(`/api/v1/runs/${id}/events/stream`, {
      headers: headers({ Accept: 'text/event-stream' }),
      signal,
    });
    if (!res.ok || !res.body) return fail(res);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return 'closed';
      buffer += value;
      for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
        const frame = parseFrame(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
        if (frame?.event === 'run') on.run(frame.data as RunDetail);
        else if (frame?.event === 'samples') on.samples(frame.data as Sample[]);
        else if (frame?.event === 'end') return 'ended';
      }
    }
  },
};

/** One SSE frame ("event: x\ndata: {...}"); comments (keep-alives) give null. */
export function parseFrame(frame: string): { event: string; data: unknown } | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
  }
  return data.length ? { event, data: JSON.parse(data.join('\n')) } : null;
}
