import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { api, ENDED, type GameDay, type Me, type RunDetail, type RunNote, type Sample } from '../api';
import { nowMs } from '../clock';
import { LatencyChart } from '../components/charts';
import { PhaseProgress } from '../components/phase-progress';
import { RunScore } from '../components/resilience-score';
import { RunStepLanes } from '../components/step-lanes';
import { RunTimeline } from '../components/run-timeline';
import { stepLanes, stepMarks } from '../lanes';
import { Link } from '../router';
import { formatClock, formatInZone } from '../time';
import { ErrorBox, Section, Status, Verdict } from '../ui';

/** Follows the run over the API's event stream; reconnects (from scratch) if the stream drops. */
function useLiveRun(id: string) {
  const [run, setRun] = useState<RunDetail | null>(null);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [live, setLive] = useState(false);
  useEffect(() => {
    const stop = new AbortController();
    (async () => {
      while (!stop.signal.aborted) {
        setSamples([]);
        setLive(true);
        try {
          const how = await api.follow(
            id,
            { run: setRun, samples: (s) => setSamples((prev) => prev.concat(s)) },
            stop.signal,
          );
          if (how === 'ended') break;
        } catch (err) {
          if (stop.signal.aborted) break;
          setError(err);
          if ((err as { status?: number }).status) break;
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
      // an aborted loop belongs to an unmounted page (or a replaced effect): leave the state alone
      if (!stop.signal.aborted) setLive(false);
    })();
    return () => stop.abort();
  }, [id]);
  return { run, setRun, samples, error, live };
}

function Controls({
  run,
  gameDay,
  onRevealed,
}: {
  run: RunDetail;
  gameDay: GameDay | null;
  onRevealed: (g: GameDay) => void;
}) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [sent, setSent] = useState(false);
  const ended = ENDED.includes(run.status);
  const stop = async () => {
    setError(null);
    try {
      await api.abort(run.id, reason.trim() || undefined);
      setSent(true);
    } catch (err) {
      setError(err);
    }
  };
  const reveal = async () => {
    try {
      onRevealed(await api.reveal(run.gameDayId));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div className="controls">
      {!ended && (
        <div className="stop">
          <label htmlFor="abort-reason">Reason for stopping (optional)</label>
          <input id="abort-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
          <button type="button" className="danger" onClick={stop} disabled={sent || !!run.abortRequestedAt}>
            Emergency stop
          </button>
        </div>
      )}
      {(sent || run.abortRequestedAt) && (
        <p role="status">
          Emergency stop requested{run.abortReason ? `: ${run.abortReason}` : ''}. Reverting the fault now.
        </p>
      )}
      {gameDay?.mode === 'blind' && !gameDay.revealedAt && (
        <button type="button" onClick={reveal}>
          Reveal the fault to participants
        </button>
      )}
      <ErrorBox error={error} />
    </div>
  );
}

function Notes({ run, me, onAdded }: { run: RunDetail; me: Me; onAdded: (n: RunNote) => void }) {
  const [kind, setKind] = useState<RunNote['kind']>('note');
  const [text, setText] = useState('');
  const [owner, setOwner] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      onAdded(await api.addNote(run.id, { kind, text: text.trim(), ...(owner.trim() ? { owner: owner.trim() } : {}) }));
      setText('');
      setOwner('');
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Section title="Notes and action items" id="notes">
      {run.notes.length === 0 ? (
        <p className="muted">Nothing written yet.</p>
      ) : (
        <ul className="notes">
          {run.notes.map((n) => (
            <li key={n.id}>
              {n.kind === 'action_item' && (
                <input
                  type="checkbox"
                  aria-label={`done: ${n.text}`}
                  checked={n.done}
                  disabled={me.role === 'viewer'}
                  onChange={(e) => api.setNoteDone(run.id, n.id, e.target.checked).then(onAdded, setError)}
                />
              )}
              <span className={`badge kind-${n.kind}`}>{n.kind === 'action_item' ? 'action item' : 'note'}</span>{' '}
              <span className={n.done ? 'done-text' : undefined}>{n.text}</span>
              {n.owner && <span className="muted"> (owner: {n.owner})</span>}
              <span className="muted">
                {' '}
                by {n.author ?? 'someone'} at {formatClock(n.createdAt)}
              </span>
            </li>
          ))}
        </ul>
      )}
      {me.role !== 'viewer' && (
        <form onSubmit={submit} className="note-form">
          <div>
            <label htmlFor="note-kind">Kind</label>
            <select id="note-kind" value={kind} onChange={(e) => setKind(e.target.value as RunNote['kind'])}>
              <option value="note">note</option>
              <option value="action_item">action item</option>
            </select>
          </div>
          <div className="grow">
            <label htmlFor="note-text">Text</label>
            <input id="note-text" required value={text} onChange={(e) => setText(e.target.value)} />
          </div>
          <div>
            <label htmlFor="note-owner">Owner (action items)</label>
            <input id="note-owner" value={owner} onChange={(e) => setOwner(e.target.value)} />
          </div>
          <button type="submit" disabled={!text.trim()}>
            Add
          </button>
        </form>
      )}
      <ErrorBox error={error} />
    </Section>
  );
}

/**
 * Arming that ran past the baseline's planned start eats the baseline: said here as soon as the
 * worker reports it (the stream brings the event), then with what it cost once arming ended.
 */
function ArmingOverrun({ run }: { run: RunDetail }) {
  const notes = run.events.flatMap((e, i) => {
    if (e.type !== 'arming.overran') return [];
    const done = run.events
      .slice(i + 1)
      .find((d) => d.type === 'arming.done' && d.experimentIndex === e.experimentIndex);
    return [{ id: e.id, text: done ? done.message : e.message, ongoing: !done }];
  });
  if (notes.length === 0) return null;
  return (
    <div className="warning" role="alert" data-testid="arming-overrun">
      {notes.map((n) => (
        <p key={n.id}>
          <strong>{n.ongoing ? 'Arming overran its reserve' : 'Arming overran'}:</strong> {n.text}
        </p>
      ))}
    </div>
  );
}

function Guardrails({ run }: { run: RunDetail }) {
  const rails = (run.spec.experiments ?? []).flatMap(
    (e: { guardrails?: Record<string, unknown>[] }) => e.guardrails ?? [],
  );
  const breaches = run.events.filter((e) => e.type.startsWith('guardrail') || e.type === 'run.abort');
  if (rails.length === 0 && breaches.length === 0) return null;
  return (
    <Section title="Guardrails" id="guardrails">
      <ul>
        {rails.map((g: Record<string, unknown>, i: number) => (
          <li key={i}>
            <strong>{String(g.name)}</strong>: {String(g.metric)} over {String(g.threshold)} for {String(g.for ?? '0s')}{' '}
            (window {String(g.window)}) aborts the run
          </li>
        ))}
      </ul>
      {breaches.length > 0 ? (
        <p className="error">{breaches.map((b) => b.message).join('; ')}</p>
      ) : (
        <p className="ok-text">{ENDED.includes(run.status) ? 'No guardrail tripped.' : 'Within limits.'}</p>
      )}
    </Section>
  );
}

export function RunPage({ me, id }: { me: Me; id: string }) {
  const { run, setRun, samples, error, live } = useLiveRun(id);
  const queryClient = useQueryClient();
  // the GameDay only names the crumb and tells blind from announced: the page works without it
  const gameDayId = run?.gameDayId;
  const gameDay =
    useQuery({ queryKey: ['gameday', gameDayId], queryFn: () => api.gameDay(gameDayId!), enabled: !!gameDayId }).data ??
    null;
  const setGameDay = (g: GameDay) => queryClient.setQueryData(['gameday', g.id], g);

  if (!run)
    return <main>{error ? <ErrorBox error={error} /> : <p className="loading">Connecting to the run…</p>}</main>;
  const probes: string[] = Array.from(
    new Set([
      ...(run.spec.experiments ?? []).flatMap((e: { hypothesis?: { probes?: { name: string }[] } }) =>
        (e.hypothesis?.probes ?? []).map((p) => p.name),
      ),
      ...samples.map((s) => s.probe),
    ]),
  );
  // where each step really began and ended, on the charts (does not depend on the clock)
  const marks = stepMarks(stepLanes(run, nowMs(), ENDED.includes(run.status)));
  // a note added or ticked off here shows at once; the stream confirms it (or a reload, once ended)
  const addNote = (n: RunNote) =>
    setRun({
      ...run,
      notes: run.notes.some((x) => x.id === n.id) ? run.notes.map((x) => (x.id === n.id ? n : x)) : [...run.notes, n],
    });

  return (
    <main>
      <p className="crumbs">
        <Link href="/">GameDays</Link> ›{' '}
        <Link href={`/gamedays/${run.gameDayId}`}>{gameDay?.name ?? run.spec.name}</Link> › run
      </p>
      <div className="title-row">
        <h1>
          Run of {formatInZone(run.scheduledFor)} <Status status={run.status} />{' '}
          {run.verdict && <Verdict verdict={run.verdict} />}
        </h1>
        <span className={live ? 'live' : 'muted'} aria-live="off">
          {live ? '● live' : 'not live'}
        </span>
      </div>
      {run.error && <p className="error">Failed: {run.error}</p>}
      {run.finishedAt && run.score && <RunScore score={run.score} />}
      {run.plan && <PhaseProgress run={run} plan={run.plan} />}
      <ArmingOverrun run={run} />
      {me.role !== 'viewer' && <Controls run={run} gameDay={gameDay} onRevealed={setGameDay} />}
      <ErrorBox error={error} />
      <RunStepLanes run={run} />
      <Section title="Latency per probe" id="latency">
        {probes.map((p) => (
          <LatencyChart key={p} probe={p} samples={samples} plan={run.plan} marks={marks} />
        ))}
      </Section>
      <Guardrails run={run} />
      <Notes run={run} me={me} onAdded={addNote} />
      <RunTimeline run={run} />
      <p>
        <Link href={`/runs/${run.id}/report`}>Open the report</Link>
      </p>
    </main>
  );
}
