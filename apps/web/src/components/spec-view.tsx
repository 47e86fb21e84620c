import type { Spec } from '../api';

/** "delay=500ms jitter=100ms" for small objects; nested objects in braces. */
export function inline(value: unknown): string {
  if (value === null || value === undefined) return '–';
  if (Array.isArray(value)) return value.map(inline).join(', ');
  if (typeof value !== 'object') return String(value);
  return Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${k}=${v !== null && typeof v === 'object' && !Array.isArray(v) ? `{${inline(v)}}` : inline(v)}`)
    .join(' ');
}

function Fault({ fault }: { fault: Spec }) {
  if (!fault) return null;
  if (fault.hidden)
    return <p className="muted">A {fault.kind} fault, hidden until the champion reveals it (blind mode).</p>;
  const { kind, target, between, ...rest } = fault;
  return (
    <dl className="pairs">
      <dt>Fault</dt>
      <dd>
        <strong>{kind}</strong> {rest.action ? `(${rest.action})` : ''}
      </dd>
      {/* a partition names two groups where other kinds name one target */}
      <dt>{Array.isArray(between) ? 'Between' : 'Target'}</dt>
      <dd>
        <code>{Array.isArray(between) ? between.map(inline).join(' | ') : inline(target)}</code>
      </dd>
      {Object.entries(rest)
        .filter(([k]) => k !== 'action')
        .map(([k, v]) => (
          <div key={k} className="pair">
            <dt>{k}</dt>
            <dd>
              <code>{inline(v)}</code>
            </dd>
          </div>
        ))}
    </dl>
  );
}

/** One experiment for people: hypothesis, probes, tolerances, fault, durations, guardrails, load. */
export function ExperimentView({ experiment, index }: { experiment: Spec; index: number }) {
  const h = experiment.hypothesis ?? {};
  const tolerances = Object.entries((h.tolerances ?? {}) as Record<string, Record<string, unknown>>);
  return (
    <article className="experiment">
      <h3>
        {index + 1}. {experiment.name}
      </h3>
      <p>
        <em>Hypothesis:</em> {h.description}
      </p>
      <dl className="pairs">
        <dt>Durations</dt>
        <dd>
          baseline {experiment.durations?.baseline}, fault {experiment.durations?.fault}, recovery{' '}
          {experiment.durations?.recovery}
        </dd>
      </dl>
      <Fault fault={experiment.fault} />
      {(experiment.steps ?? []).map((s: Spec) => (
        <section key={s.name} className="step">
          <h4>
            Step {s.name}{' '}
            <span className="muted">
              {s.after ? `after ${s.after}` : `at +${s.at ?? '0s'}`}
              {s.duration ? `, for ${s.duration}` : ', to the end of the fault window'}
            </span>
          </h4>
          <Fault fault={s.fault} />
        </section>
      ))}
      <h4>Probes</h4>
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Request</th>
            <th scope="col">Timeout</th>
            <th scope="col">Every</th>
          </tr>
        </thead>
        <tbody>
          {(h.probes ?? []).map((p: Spec) => (
            <tr key={p.name}>
              <td>{p.name}</td>
              <td>
                {p.kind === 'prometheus' ? (
                  <code>
                    PromQL {p.query}
                    {p.min !== undefined || p.max !== undefined
                      ? ` (healthy in [${p.min ?? '−∞'}, ${p.max ?? '∞'}])`
                      : ''}
                  </code>
                ) : (
                  <code>
                    {p.method ?? 'GET'} {p.url}
                  </code>
                )}
              </td>
              <td>{p.timeoutMs ? `${p.timeoutMs} ms` : '–'}</td>
              <td>{p.interval ?? '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Tolerances</h4>
      {tolerances.length === 0 ? (
        <p className="muted">None: the verdict only needs samples.</p>
      ) : (
        <ul>
          {tolerances.map(([window, t]) => (
            <li key={window}>
              <strong>{window}</strong>: <code>{inline(t)}</code>
            </li>
          ))}
        </ul>
      )}
      {experiment.guardrails?.length > 0 && (
        <>
          <h4>Guardrails</h4>
          <ul>
            {experiment.guardrails.map((g: Spec, i: number) => (
              <li key={i}>
                <code>{inline(g)}</code>
              </li>
            ))}
          </ul>
        </>
      )}
      {experiment.load && (
        <p>
          <em>Load:</em> <code>{inline(experiment.load)}</code>
        </p>
      )}
    </article>
  );
}
