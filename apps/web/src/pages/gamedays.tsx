import { useInfiniteQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, type GameDayFilters, type GameDayListItem, type Me } from '../api';
import { Sparkline } from '../components/charts';
import { Link } from '../router';
import { countdown, formatInZone } from '../time';
import { ErrorBox, Status, useNow, Verdict } from '../ui';

/** Last verdict and the deviation trend of a GameDay's recent runs (carried by the list's answer). */
function RecentRuns({ gameDay }: { gameDay: GameDayListItem }) {
  const runs = gameDay.recentRuns;
  const last = runs.find((r) => r.verdict);
  return (
    <>
      <td>{last ? <Verdict verdict={last.verdict} /> : <span className="muted">no verdict yet</span>}</td>
      <td>
        <Sparkline
          values={runs.map((r) => r.deviationRatio).reverse()}
          label={`deviation ratio of the last ${runs.length} runs of ${gameDay.name}`}
        />
      </td>
    </>
  );
}

/** The GameDays, one request per page of the list (never one per row: each item carries its recent runs). */
export function GameDaysPage({ me }: { me: Me }) {
  const [draft, setDraft] = useState<GameDayFilters>({});
  const [filters, setFilters] = useState<GameDayFilters>({});
  const list = useInfiniteQuery({
    queryKey: ['gamedays', filters],
    queryFn: ({ pageParam }) => api.listGameDays({ ...filters, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const now = useNow(1000);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters({ ...draft });
  };
  const field = (key: keyof GameDayFilters) => ({
    id: `filter-${key}`,
    value: draft[key] ?? '',
    onChange: (e: { target: { value: string } }) => setDraft({ ...draft, [key]: e.target.value }),
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];

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
      <ErrorBox error={list.error} />
      {list.isPending ? (
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
      {list.hasNextPage && (
        <button
          type="button"
          className="secondary"
          disabled={list.isFetchingNextPage}
          onClick={() => list.fetchNextPage()}
        >
          Load more
        </button>
      )}
    </main>
  );
}
