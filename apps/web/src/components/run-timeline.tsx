import type { RunDetail } from '../api';
import { eventStep } from '../lanes';
import { formatClock } from '../time';
import { Section } from '../ui';

/** The run's events as they came, each with how late it was against its planned instant. */
export function RunTimeline({ run }: { run: RunDetail }) {
  // an experiment with steps: a column naming each event's step, so the timeline reads by lane
  const withSteps = run.plan?.experiments.some((e) => e.steps?.length) ?? false;
  return (
    <Section title="Timeline" id="timeline">
      <table className="timeline">
        <thead>
          <tr>
            <th scope="col">At</th>
            <th scope="col">Late by</th>
            <th scope="col">Event</th>
            {withSteps && <th scope="col">Step</th>}
            <th scope="col">What happened</th>
          </tr>
        </thead>
        <tbody>
          {run.events.map((e) => (
            <tr key={e.id}>
              <td>{formatClock(e.at)}</td>
              <td>{e.plannedAt ? `${Date.parse(e.at) - Date.parse(e.plannedAt)} ms` : ''}</td>
              <td>
                <code>{e.type}</code>
              </td>
              {withSteps && <td>{eventStep(e) ?? ''}</td>}
              <td>{e.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
