import { ENDED, type RunDetail } from '../api';
import type { ExperimentLanes, Lane } from '../lanes';
import { barOf, offset, outcomeText, skew, stepLanes } from '../lanes';
import { formatClock } from '../time';
import { useNow } from '../ui';

/** "12:00:03.012 (+0.0 s, 12 ms late)": an actual instant with its place in the window and its skew. */
function Instant({ at, windowStart, skewMs }: { at: number | null; windowStart: number; skewMs?: number | null }) {
  if (at === null) return <span className="muted">–</span>;
  const late = skew(skewMs ?? null);
  return (
    <>
      {formatClock(at)}{' '}
      <span className="muted">
        ({offset(at, windowStart)}
        {late ? `, ${late}` : ''})
      </span>
    </>
  );
}

/** The lane itself: the planned span as an outline, the actual span filled over it (text says it all). */
function LaneBar({ lane, e, now }: { lane: Lane; e: ExperimentLanes; now: number | null }) {
  const planned = barOf(lane.plannedStart, lane.plannedEnd, e.windowStart, e.windowEnd)!;
  // a step in place (or a gate open) grows until now, while the run is live
  const growing = now !== null && (lane.outcome === 'in_place' || lane.outcome === 'open');
  const actual = barOf(lane.actualStart, lane.actualEnd ?? (growing ? now : null), e.windowStart, e.windowEnd);
  return (
    <div className="lane" aria-hidden="true">
      <div className="lane-planned" style={{ left: `${planned.left}%`, width: `${planned.width}%` }} />
      {actual && (
        <div
          className={`lane-actual lane-${lane.kind} outcome-${lane.outcome}`}
          style={{ left: `${actual.left}%`, width: `${actual.width}%` }}
        />
      )}
    </div>
  );
}

/**
 * The steps of each experiment as lanes on its fault window: planned against actual, every figure
 * in text (the bars repeat them for the eye), live from the events and from the result once ended.
 */
export function StepLanes({ experiments, now }: { experiments: ExperimentLanes[]; now: number | null }) {
  if (experiments.length === 0) return null;
  return (
    <section aria-labelledby="steps-heading" className="step-lanes">
      <h2 id="steps-heading">Steps</h2>
      {experiments.map((e) => (
        // scrollable on a narrow screen: focusable so the keyboard can scroll it
        <div
          key={e.index}
          className="lanes-scroll"
          role="region"
          tabIndex={0}
          aria-label={`steps of experiment ${e.index + 1}`}
        >
          <table className="lanes" data-testid={`lanes-${e.index}`}>
            <caption>
              Experiment {e.index + 1}: fault window {formatClock(e.windowStart)} → {formatClock(e.windowEnd)}; planned
              span outlined, actual span filled
            </caption>
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Planned</th>
                <th scope="col">Actual start</th>
                <th scope="col">Actual end</th>
                <th scope="col">Outcome</th>
                <th scope="col" className="lane-col">
                  Lane
                </th>
              </tr>
            </thead>
            <tbody>
              {e.lanes.map((l) => (
                <tr key={l.name} data-step={l.name} data-outcome={l.outcome}>
                  <th scope="row">
                    {l.name} <span className="muted">({l.kind === 'gate' ? 'gate' : l.faultKind})</span>
                    {l.condition && <div className="muted">{l.condition}</div>}
                  </th>
                  <td>
                    {offset(l.plannedStart, e.windowStart)} → {offset(l.plannedEnd, e.windowStart)}
                  </td>
                  <td className="lane-start">
                    {l.kind === 'gate' ? (
                      <span>{l.actualStart === null ? '–' : 'opened as planned'}</span>
                    ) : (
                      <Instant at={l.actualStart} windowStart={e.windowStart} skewMs={l.startSkewMs} />
                    )}
                  </td>
                  <td className="lane-end">
                    {l.kind === 'gate' ? (
                      <Instant at={l.actualEnd} windowStart={e.windowStart} />
                    ) : (
                      <Instant at={l.actualEnd} windowStart={e.windowStart} skewMs={l.endSkewMs} />
                    )}
                  </td>
                  <td className={`lane-outcome outcome-${l.outcome}`}>{outcomeText(l)}</td>
                  <td className="lane-col">
                    <LaneBar lane={l} e={e} now={now} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}

/** The lanes of a run, live (a bar in place grows with the clock) or as the run ended (nothing grows). */
export function RunStepLanes({ run }: { run: RunDetail }) {
  const now = useNow(500);
  const ended = ENDED.includes(run.status);
  return <StepLanes experiments={stepLanes(run, now, ended)} now={ended ? null : now} />;
}
