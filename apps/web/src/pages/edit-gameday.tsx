import { useEffect, useState, type FormEvent } from 'react';
import { parse, stringify } from 'yaml';
import { api, ApiError, type FieldError, type GameDay, type Me, type Template } from '../api';
import { Link, navigate } from '../router';
import { nowMs } from '../clock';
import { ErrorBox } from '../ui';

/** A day ahead, on the minute: a schedule the API accepts and nobody is surprised by. */
const dayAhead = () => `${new Date(nowMs() + 24 * 3600_000).toISOString().slice(0, 16)}:00Z`;

const EXAMPLE = `# A GameDay in YAML (JSON works too)
name: service2 latency
timezone: UTC
schedule:
  at: "${dayAhead()}"
experiments:
  - name: latency
    hypothesis:
      description: errors within 300ms
      probes:
        - name: front
          url: http://127.0.0.1:8000/?timeout_ms=300
          timeoutMs: 1000
    fault:
      kind: network
      target:
        container: demo-service2-1
      netem:
        delay: 500ms
        jitter: 100ms
    durations:
      baseline: 30s
      fault: 2m
      recovery: 30s
`;

/**
 * A template's GameDay (its defaults) as YAML for the editor: its parameters listed on top as a
 * reminder of what to adapt (the CLI's `gameday new --set` sets them), scheduled a day ahead.
 */
export function templateText(t: Template): string {
  const params = t.parameters.map((p) => `#   ${p.name}: ${p.description} (default ${String(p.default)})`);
  const spec = { ...t.spec, schedule: { ...t.spec.schedule, at: dayAhead() } };
  return [
    `# From template ${t.name}: ${t.description}`,
    '# Parameters, set to their defaults below:',
    ...params,
    stringify(spec),
  ].join('\n');
}

/** JSON first (it is also YAML, but JSON's errors read better for JSON), then YAML. */
function parseSpec(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) return JSON.parse(trimmed);
  return parse(text);
}

/** PATCH replaces top-level fields: send only those the edit changed. */
function changedFields(before: Record<string, unknown>, after: unknown): unknown {
  if (!after || typeof after !== 'object' || Array.isArray(after)) return after;
  return Object.fromEntries(Object.entries(after).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(before[k])));
}

/** Create (no id) or edit a GameDay from pasted JSON or YAML; the API's field errors sit under the input. */
export function EditGameDayPage({ me, id }: { me: Me; id?: string }) {
  const [text, setText] = useState(id ? '' : EXAMPLE);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [original, setOriginal] = useState<Record<string, unknown>>({});
  // saved with warnings: they are shown here before going on to the GameDay
  const [saved, setSaved] = useState<GameDay | null>(null);
  const [templates, setTemplates] = useState<Template[]>([]);
  const [chosen, setChosen] = useState('');

  useEffect(() => {
    if (id) return;
    // the catalogue is a convenience: without it the page still works from the example
    api.templates().then(
      (r) => setTemplates(r.items),
      () => setTemplates([]),
    );
  }, [id]);

  useEffect(() => {
    if (!id) return;
    api.gameDay(id).then((g) => {
      setOriginal(g.spec);
      setText(stringify(g.spec));
    }, setError);
  }, [id]);

  if (me.role === 'viewer')
    return (
      <main>
        <p>Viewers cannot create or edit GameDays.</p>
      </main>
    );

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErrors([]);
    setError(null);
    let spec: unknown;
    try {
      spec = parseSpec(text);
    } catch (err) {
      setErrors([{ field: '(input)', message: `not valid JSON or YAML: ${(err as Error).message}` }]);
      return;
    }
    setBusy(true);
    try {
      const result = id ? await api.updateGameDay(id, changedFields(original, spec)) : await api.createGameDay(spec);
      if (result.warnings?.length) {
        setSaved(result);
        setBusy(false);
      } else navigate(`/gamedays/${result.id}`);
    } catch (err) {
      if (err instanceof ApiError && err.problem.errors?.length) {
        setErrors(err.problem.errors.map((x) => ({ field: x.field || '(body)', message: x.message })));
      } else setError(err);
      setBusy(false);
    }
  };

  return (
    <main>
      <p className="crumbs">
        <Link href="/">GameDays</Link> › {id ? <Link href={`/gamedays/${id}`}>GameDay</Link> : 'new'}
      </p>
      <h1>{id ? 'Edit GameDay' : 'New GameDay'}</h1>
      {!id && templates.length > 0 && (
        <div className="template-pick">
          <label htmlFor="template">New from template</label>{' '}
          <select id="template" value={chosen} onChange={(e) => setChosen(e.target.value)}>
            <option value="">(choose a template)</option>
            {templates.map((t) => (
              <option key={t.name} value={t.name}>
                {t.title} ({t.kinds.join(', ')})
              </option>
            ))}
          </select>{' '}
          <button
            type="button"
            disabled={!chosen}
            onClick={() => {
              const t = templates.find((x) => x.name === chosen);
              if (t) setText(templateText(t));
            }}
          >
            Fill the editor
          </button>
          {chosen && <p className="hint">{templates.find((x) => x.name === chosen)?.description}</p>}
        </div>
      )}
      <form onSubmit={submit} className="spec-form">
        <label htmlFor="spec">GameDay spec (JSON or YAML)</label>
        <textarea
          id="spec"
          rows={28}
          spellCheck={false}
          value={text}
          onChange={(e) => setText(e.target.value)}
          aria-invalid={errors.length > 0}
          aria-describedby={errors.length ? 'spec-errors' : undefined}
        />
        {errors.length > 0 && (
          <div id="spec-errors" className="field-errors" role="alert">
            <p>
              The API refused the spec ({errors.length} field{errors.length > 1 ? 's' : ''}):
            </p>
            <ul>
              {errors.map((x, i) => (
                <li key={i}>
                  <code>{x.field}</code>: {x.message}
                </li>
              ))}
            </ul>
          </div>
        )}
        {/* a created GameDay is not created twice: its warnings link on to it */}
        <button type="submit" disabled={busy || (!id && saved !== null)}>
          {id ? 'Save changes' : 'Create GameDay'}
        </button>
      </form>
      {saved && (
        <div className="warning" role="status" data-testid="spec-warnings">
          <p>Saved, with {saved.warnings!.length} warning(s):</p>
          <ul>
            {saved.warnings!.map((w, i) => (
              <li key={i}>
                <code>{w.field}</code>: {w.message}
              </li>
            ))}
          </ul>
          <Link href={`/gamedays/${saved.id}`}>Open the GameDay</Link>
        </div>
      )}
      <ErrorBox error={error} />
    </main>
  );
}
