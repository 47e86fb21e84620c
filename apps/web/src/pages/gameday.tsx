import { useMutation, useQuery } from '@tanstack/react-query';
import { api, type Me, type Spec } from '../api';
import { TrendChart } from '../components/charts';
import { ScoreTrend } from '../components/resilience-score';
import { ExperimentView, inline } from '../components/spec-view';
import { Link, navigate } from '../router';
import { formatDuration, formatInZone, viewerTimeZone } from '../time';
import { ErrorBox, ms, Section, Status, Verdict } from '../ui';

function Schedule({
  spec,
  upcoming,
  timezone,
}: {
  spec: Spec;
  upcoming: { at: string; skippedBy: string | null }[];
  timezone: string;
}) {
  const s = spec.schedule ?? {};
  const zone = s.timezone ?? timezone;
  return (
    <Section title="Schedule" id="schedule">
      <p>
        {s.cron ? (
          <>
            Recurring: <code>{s.cron}</code> in {s.timezone}
            {s.startsAt && `, from ${formatInZone(s.startsAt, zone)}`}
            {s.endsAt && `, until ${formatInZone(s.endsAt, zone)}`}
          </>
        ) : (
          <>Once, at {formatInZone(s.at, zone)}</>
        )}
      </p>
      {upcoming.length === 0 ? (
        <p className="muted">No upcoming occurrence.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Your time ({viewerTimeZone()})</th>
              <th scope="col">GameDay time ({zone})</th>
              <th scope="col">Note</th>
            </tr>
          </thead>
          <tbody>
            {upcoming.map((o) => (
              <tr key={o.at}>
                <td>{formatInZone(o.at)}</td>
                <td>{formatInZone(o.at, zone)}</td>
                <td>{o.skippedBy ? `skipped: ${o.skippedBy}` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {spec.blackouts?.length > 0 && (
        <>
          <h3>Blackouts</h3>
          <ul>
            {spec.blackouts.map((b: Spec, i: number) => (
              <li key={i}>
                {b.name && <strong>{b.name}: </strong>}
                <code>{inline(b)}</code>
              </li>
            ))}
          </ul>
        </>
      )}
    </Section>
  );
}

function People({ spec }: { spec: Spec }) {
  const people: Spec[] = spec.participants ?? [];
  return (
    <Section title="People" id="people">
      <p>Champion: {spec.champion ?? <span className="muted">not named</span>}</p>
      {people.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Participant</th>
              <th scope="col">Contact</th>
              <th scope="col">Timezone</th>
              <th scope="col">Working hours</th>
            </tr>
          </thead>
          <tbody>
            {people.map((p, i) => (
              <tr key={i}>
                <td>{p.name}</td>
                <td>{p.contact ?? '–'}</td>
                <td>{p.timezone ?? '–'}</td>
                <td>{p.workingHours ? inline(p.workingHours) : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

export function GameDayPage({ me, id }: { me: Me; id: string }) {
  const gameDay = useQuery({ queryKey: ['gameday', id], queryFn: () => api.gameDay(id) });
  const runs = useQuery({ queryKey: ['gameday', id, 'runs'], queryFn: () => api.runs(id, 50) });
  const runNow = useMutation({ mutationFn: () => api.runNow(id), onSuccess: (run) => navigate(`/runs/${run.id}`) });
  const dryRun = useMutation({ mutationFn: () => api.dryRun(id) });
  const g = gameDay.data;
  if (!g)
    return <main>{gameDay.error ? <ErrorBox error={gameDay.error} /> : <p className="loading">Loading…</p>}</main>;
  const operator = me.role !== 'viewer';
  const busy = runNow.isPending || dryRun.isPending;
  const items = runs.data?.items ?? [];

  return (
    <main>
      <p className="crumbs">
        <Link href="/">GameDays</Link> › {g.name}
      </p>
      <div className="title-row">
        <h1>
          {g.name} <Status status={g.status} /> {g.mode === 'blind' && <span className="badge mode-blind">blind</span>}
        </h1>
        {operator && (
          <span className="actions">
            <button
              type="button"
              disabled={busy || g.status === 'cancelled'}
              onClick={() => {
                dryRun.reset();
                runNow.mutate();
              }}
            >
              Run now
            </button>
            <button
              type="button"
              className="secondary"
              disabled={busy}
              onClick={() => {
                runNow.reset();
                dryRun.mutate();
              }}
            >
              Dry run
            </button>
            <Link href={`/gamedays/${id}/edit`} className="button secondary">
              Edit
            </Link>
          </span>
        )}
      </div>
      <ErrorBox error={runNow.error ?? dryRun.error} />
      {g.spec.description && <p>{g.spec.description}</p>}
      <p className="muted">
        Environment {g.environment ?? '–'} · version {g.version} · timezone {g.spec.timezone}
        {g.mode === 'blind' &&
          (g.revealedAt ? ` · revealed ${formatInZone(g.revealedAt)}` : ' · fault not revealed yet')}
      </p>
      {dryRun.data && (
        <Section title="Dry run (nothing applied)" id="dry-run">
          <pre className="json">{JSON.stringify(dryRun.data, null, 2)}</pre>
        </Section>
      )}
      <Section title="Runs" id="runs">
        <ErrorBox error={runs.error} />
        {items.length === 0 ? (
          <p className="muted">No run yet.</p>
        ) : (
          <>
            <ScoreTrend gameDayId={id} />
            <TrendChart runs={items} />
            <table aria-label="Run history">
              <thead>
                <tr>
                  <th scope="col">Scheduled for</th>
                  <th scope="col">Trigger</th>
                  <th scope="col">Status</th>
                  <th scope="col">Verdict</th>
                  <th scope="col">Score</th>
                  <th scope="col">Deviation</th>
                  <th scope="col">Time to recover</th>
                  <th scope="col">p95 baseline / fault / recovery</th>
                  <th scope="col">Report</th>
                </tr>
              </thead>
              <tbody>
                {items.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <Link href={`/runs/${r.id}`}>{formatInZone(r.scheduledFor)}</Link>
                    </td>
                    <td>{r.trigger}</td>
                    <td>
                      <Status status={r.status} />
                    </td>
                    <td>
                      <Verdict verdict={r.verdict} />
                    </td>
                    <td>{r.summary?.score ?? '–'}</td>
                    <td>{r.summary?.deviationRatio != null ? `${r.summary.deviationRatio.toFixed(2)}×` : '–'}</td>
                    <td>{r.summary?.timeToRecoverMs != null ? formatDuration(r.summary.timeToRecoverMs) : '–'}</td>
                    <td>
                      {ms(r.summary?.p95Ms.baseline)} / {ms(r.summary?.p95Ms.fault)} / {ms(r.summary?.p95Ms.recovery)}
                    </td>
                    <td>{r.finishedAt ? <Link href={`/runs/${r.id}/report`}>report</Link> : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Section>
      <Section title="Experiments" id="experiments">
        {(g.spec.experiments ?? []).map((e: Spec, i: number) => (
          <ExperimentView key={i} experiment={e} index={i} />
        ))}
      </Section>
      <Schedule spec={g.spec} upcoming={g.upcoming ?? []} timezone={g.spec.timezone} />
      <People spec={g.spec} />
    </main>
  );
}
