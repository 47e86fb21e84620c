import { useQuery } from '@tanstack/react-query';
import { api, type ResilienceScore } from '../api';
import { formatInZone } from '../time';
import { ErrorBox } from '../ui';
import { Sparkline } from './charts';

// The resilience score (0-100, see the README) of one run, and its trend over a GameDay's runs.

/** "60 / 100", with the points lost and why, or why there is no score. */
export function RunScore({ score }: { score: ResilienceScore }) {
  if (score.score === null)
    return (
      <p className="score">
        Resilience score: <span className="muted">none ({score.unscoredReason})</span>
      </p>
    );
  return (
    <div className="score">
      <p>
        Resilience score: <strong>{score.score}</strong> / 100
      </p>
      {score.deductions.length > 0 && (
        <details>
          <summary>Points lost ({score.deductions.length})</summary>
          <ul>
            {score.deductions.map((d, i) => (
              <li key={i}>
                −{d.points} <code>{d.code}</code> (experiment {d.experimentIndex + 1}): {d.reason}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

/** The latest finished runs' scores: latest, mean, a sparkline on a fixed 0-100 scale, and the values as text. */
export function ScoreTrend({ gameDayId, limit = 20 }: { gameDayId: string; limit?: number }) {
  const trend = useQuery({
    queryKey: ['gameday', gameDayId, 'scores', limit],
    queryFn: () => api.scores(gameDayId, limit),
  });
  const t = trend.data;
  if (!t) return <ErrorBox error={trend.error} />;
  const scored = t.items.filter((i) => i.score !== null);
  if (scored.length === 0) return <p className="muted score-trend">Resilience score: no scored run yet.</p>;
  const values = t.items.map((i) => i.score);
  return (
    <div className="score-trend">
      <p>
        Resilience score: latest <strong>{t.latest}</strong> / 100 · mean {t.mean} over {scored.length} scored run
        {scored.length === 1 ? '' : 's'}{' '}
        <Sparkline
          values={values}
          domain={[0, 100]}
          label={`resilience score of the last ${scored.length} scored runs, oldest first: ${scored.map((i) => i.score).join(', ')}`}
        />
      </p>
      <details>
        <summary>Scores by run</summary>
        <ul>
          {t.items.map((i) => (
            <li key={i.runId}>
              {formatInZone(i.scheduledFor)}:{' '}
              {i.score === null ? <span className="muted">none ({i.unscoredReason})</span> : i.score}
            </li>
          ))}
        </ul>
      </details>
    </div>
  );
}
