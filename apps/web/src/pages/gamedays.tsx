import { useEffect, useState, type FormEvent } from 'react';
import { api, type GameDay, type GameDayFilters, type Me, type Run } from '../api';
import { Sparkline } from '../components/charts';
import { Link } from '../router';
import { countdown, formatInZone } from '../time';
import { ErrorBox, Status, useLoad, useNow, Verdict } from '../ui';

const RECENT = 10;

/** Last verdict and the deviation trend of a GameDay's recent runs. */
function RecentRuns({ gameDay }: { gameDay: GameDay }) {
  const [runs, setRuns] = useState<Run[] | null>(null);
  useEffect(() => {
    api.runs(gameDay.id, RECENT).then(
      (p) => setRuns(p.items),
      () => setRuns([]),
    );
  }, [gameDay.id]);
  if (!runs)
    return (
      <td colSpan={2} className="muted">
        …
      </td>
    );
  const last = runs.find((r) => r.verdict);
  return (
    <>
      <td>{last ? <Verdict verdict={last.verdict} /> : <span className="muted">no verdict yet</span>}</td>
      <td>
        <Sparkline
          values={runs.map((r) => r.summary?.deviationRatio ?? null).reverse()}
          label={`deviation ratio of the last ${runs.length} runs of ${gameDay.name}`}
        />
      </td>
    </>
  );
}

export function GameDaysPage({ me }: { me: Me }) {
  const [draft, setDraft] = useState<GameDayFilters>({});
  const [filters, setFilters] = useState<GameDayFilters>({});
  const [more, setMore] = useState<GameDay[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const page = useLoad(() => api.listGameDays(filters), [JSON.stringify(filters)]);
  const now = useNow(1000);

  useEffect(() => {
    setMore([]);
    setCursor(page.data?.nextCursor ?? null);
  }, [page.data]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters({ ...draft });
  };
  const loadMore = async () => {
    if (!cursor) return;
    const next = await api.listGameDays({ ...filters, cursor });
    setMore((m) => [...m, ...next.items]);
    setCursor(next.nextCursor);
  };
  const field = (key: keyof GameDayFilters) => ({
    id: `filter-${key}`,
    value: draft[key] ?? '',
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [key]: e.target.value }),
  });
  const items = [...(page.data?.items ?? []), ...more];

  return (
    <main>
      <div className="title-row">
        <h1>GameDays</h1>
        {me.role !== 'viewer' && (
          <Link href="/gamedays/new" className="button">
            New GameDay
          </Link>
        )}
      </div>
      <form className="filters" onSubmit={apply} aria-label="Filter GameDays">
        <div>
          <label htmlFor="filter-q">Name contains</label>
          <input type="search" {...field('q')} />
        </div>
        <div>
          <label htmlFor="filter-status">Status</label>
          <select {...field('status')}>
            <option value="">any</option>
            <option value="active">active</option>
            <option value="finished">finished</option>
            <option value="cancelled">cancelled</option>
          </select>
        </div>
        <div>
          <label htmlFor="filter-environment">Environment</label>
          <input type="text" {...field('environment')} />
        </div>
        <div>
          <label htmlFor="filter-mode">Mode</label>
          <select {...field('mode')}>
            <option value="">any</option>
            <option value="announced">announced</option>
            <option value="blind">blind</option>
          </select>
        </div>
        <div>
          <label htmlFor="filter-scheduleKind">Schedule</label>
          <select {...field('scheduleKind')}>
            <option value="">any</option>
            <option value="at">one-off</option>
            <option value="cron">recurring</option>
          </select>
        </div>
        <button type="submit">Apply filters</button>
      </form>
      <ErrorBox error={page.error} />
      {page.loading && !page.data ? (
        <p className="loading">Loading…</p>
      ) : items.length === 0 ? (
        <p>No GameDay matches.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Environment</th>
              <th scope="col">Status</th>
              <th scope="col">Next occurrence</th>
              <th scope="col">Last verdict</th>
              <th scope="col">Deviation trend</th>
            </tr>
          </thead>
          <tbody>
            {items.map((g) => (
              <tr key={g.id}>
                <td>
                  <Link href={`/gamedays/${g.id}`}>{g.name}</Link>
                  {g.mode === 'blind' && <span className="badge mode-blind">blind</span>}
                </td>
                <td>{g.environment ?? <span className="muted">–</span>}</td>
                <td>
                  <Status status={g.status} />
                </td>
                <td>
                  {g.nextRunAt ? (
                    <>
                      {formatInZone(g.nextRunAt)}{' '}
                      <span className="muted">({countdown(Date.parse(g.nextRunAt), now)})</span>
                    </>
                  ) : (
                    <span className="muted">none</span>
                  )}
                </td>
                <RecentRuns gameDay={g} />
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button type="button" className="secondary" onClick={loadMore}>
          Load more
        </button>
      )}
    </main>
  );
}
