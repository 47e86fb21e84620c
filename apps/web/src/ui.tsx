import { useEffect, useState, type ReactNode } from 'react';
import { ApiError } from './api';
import { nowMs } from './clock';

/** A failed call as a sentence. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    return `${error.problem.title ?? 'Error'} (${error.status})${error.problem.detail ? `: ${error.problem.detail}` : ''}`;
  }
  return (error as Error).message;
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {describeError(error)}
    </p>
  );
}

/** The current time, ticking every `everyMs` (countdowns). */
export function useNow(everyMs = 250): number {
  const [now, setNow] = useState(nowMs());
  useEffect(() => {
    const t = setInterval(() => setNow(nowMs()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

const VERDICT_LABEL: Record<string, string> = {
  hypothesis_held: 'held',
  hypothesis_violated: 'violated',
  aborted: 'aborted',
  inconclusive: 'inconclusive',
};

export function Verdict({ verdict }: { verdict: string | null | undefined }) {
  if (!verdict) return <span className="muted">–</span>;
  return <span className={`badge verdict-${verdict}`}>{VERDICT_LABEL[verdict] ?? verdict}</span>;
}

export function Status({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{status.replace('_', ' ')}</span>;
}

export function Section({ title, children, id }: { title: string; children: ReactNode; id?: string }) {
  const headingId = `${id ?? title.toLowerCase().replace(/\W+/g, '-')}-heading`;
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  );
}

export function ms(value: number | null | undefined, digits = 0): string {
  return value === null || value === undefined ? '–' : `${value.toFixed(digits)} ms`;
}
