import type { RunDetail, RunPlan } from '../api';
import { ENDED } from '../api';
import { countdown, planProgress, planSegments } from '../time';
import { useNow } from '../ui';

const PHASES = ['scheduled', 'arming', 'baseline', 'injecting', 'observing', 'rolling_back', 'recovery', 'completed'];

/** The run against its plan: where it is, where it should be, and how long until the fault moves. */
export function PhaseProgress({ run, plan }: { run: RunDetail; plan: RunPlan }) {
  const now = useNow();
  const ended = ENDED.includes(run.status);
  const end = ended && run.finishedAt ? Date.parse(run.finishedAt) : now;
  const p = planProgress(plan, end);
  // a phase is done when the timeline shows the run entered it (an abort skips the rest)
  const seen = new Set([
    'scheduled',
    ...run.events.filter((e) => e.type.startsWith('phase.')).map((e) => e.type.slice(6)),
  ]);
  return (
    <section aria-labelledby="progress-heading" className="progress">
      <h2 id="progress-heading">Progress against the plan</h2>
      <div className="bar" aria-hidden="true">
        {planSegments(plan).map((s, i) => (
          <div
            key={i}
            className={`segment seg-${s.window}`}
            style={{ left: `${s.from * 100}%`, width: `${(s.to - s.from) * 100}%` }}
          >
            {s.window}
          </div>
        ))}
        <div className="now" style={{ left: `${p.fraction * 100}%` }} />
      </div>
      <div className="countdowns">
        {ended ? (
          <span>
            Ended ({run.status}) {countdown(end, now)}
          </span>
        ) : (
          <>
            <span>
              Planned window: <strong>{p.window}</strong>
            </span>
            <span data-testid="countdown-inject">
              Injection: {p.nextInjectAt ? <strong>{countdown(p.nextInjectAt, now)}</strong> : 'done'}
            </span>
            <span data-testid="countdown-revert">
              Rollback: {p.nextRevertAt ? <strong>{countdown(p.nextRevertAt, now)}</strong> : 'done'}
            </span>
            <span>End {countdown(plan.endAt, now)}</span>
          </>
        )}
      </div>
      <ol className="phases" aria-label="Run phases">
        {PHASES.map((phase) => (
          <li
            key={phase}
            className={phase === run.status ? 'current' : seen.has(phase) ? 'done' : ''}
            aria-current={phase === run.status ? 'step' : undefined}
          >
            {phase.replace('_', ' ')}
          </li>
        ))}
        {ended && run.status !== 'completed' && (
          <li className="current" aria-current="step">
            {run.status}
          </li>
        )}
      </ol>
    </section>
  );
}
