import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useMemo, useState, type FormEvent } from 'react';
import { parse, stringify } from 'yaml';
import { api, ApiError, type FieldError, type GameDay, type Me, type Template } from '../api';
import { Link, navigate } from '../router';
import { nowMs } from '../clock';
import { toErrorSchema } from '../spec-form/field-errors';
import { ErrorBox } from '../ui';

// the form and its precompiled validators are a chunk of their own, loaded by this page only
const SpecForm = lazy(() => import('../spec-form/spec-form'));
type Tab = 'form' | 'yaml';

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

/** A template's GameDay (its defaults), scheduled a day ahead. */
const templateSpec = (t: Template) => ({ ...t.spec, schedule: { ...t.spec.schedule, at: dayAhead() } });

/**
 * A template's GameDay (its defaults) as YAML for the editor: its parameters listed on top as a
 * reminder of what to adapt (the CLI's `gameday new --set` sets them), scheduled a day ahead.
 */
export function templateText(t: Template): string {
  const params = t.parameters.map((p) => `#   ${p.name}: ${p.description} (default ${String(p.default)})`);
  return [
    `# From template ${t.name}: ${t.description}`,
    '# Parameters, set to their defaults below:',
    ...params,
    stringify(templateSpec(t)),
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

/** The API's field errors, listed (both views) and, in the form, under each field. */
function FieldErrors({ errors }: { errors: FieldError[] }) {
  if (!errors.length) return null;
  return (
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
  );
}

/**
 * Create (no id) or edit a GameDay in a form generated from the spec's schema, or as JSON/YAML
 * text; both views edit one value. The API's field errors sit under their fields.
 */
export function EditGameDayPage({ me, id }: { me: Me; id?: string }) {
  const queryClient = useQueryClient();
  const [tab, setTab] = useState<Tab>('form');
  const [value, setValue] = useState<unknown>(() => (id ? undefined : parse(EXAMPLE)));
  const [text, setText] = useState(id ? '' : EXAMPLE);
  const [errors, setErrors] = useState<FieldError[]>([]);
  // saved with warnings: they are shown here before going on to the GameDay
  const [saved, setSaved] = useState<GameDay | null>(null);
  const [chosen, setChosen] = useState('');
  // the catalogue is a convenience: without it the page still works from the example
  const templates = useQuery({ queryKey: ['templates'], queryFn: api.templates, enabled: !id });
  const current = useQuery({ queryKey: ['gameday', id], queryFn: () => api.gameDay(id!), enabled: !!id });
  const original = current.data?.spec ?? {};

  useEffect(() => {
    if (!current.data) return;
    setValue(current.data.spec);
    setText(stringify(current.data.spec));
  }, [current.data]);

  const save = useMutation({
    mutationFn: (spec: unknown) =>
      id ? api.updateGameDay(id, changedFields(original, spec)) : api.createGameDay(spec),
    onSuccess: async (result) => {
      await queryClient.invalidateQueries({ queryKey: ['gamedays'] });
      queryClient.setQueryData(['gameday', result.id], result);
      if (result.warnings?.length) setSaved(result);
      else navigate(`/gamedays/${result.id}`);
    },
    onError: (err) => {
      if (err instanceof ApiError && err.problem.errors?.length)
        setErrors(err.problem.errors.map((x) => ({ field: x.field || '(body)', message: x.message })));
    },
  });
  const errorSchema = useMemo(() => toErrorSchema(errors), [errors]);

  if (me.role === 'viewer')
    return (
      <main>
        <p>Viewers cannot create or edit GameDays.</p>
      </main>
    );

  const submit = (spec: unknown) => {
    setErrors([]);
    save.reset();
    save.mutate(spec);
  };
  const submitText = (e: FormEvent) => {
    e.preventDefault();
    try {
      const spec = parseSpec(text);
      setValue(spec);
      submit(spec);
    } catch (err) {
      setErrors([{ field: '(input)', message: `not valid JSON or YAML: ${(err as Error).message}` }]);
    }
  };
  /** Switching keeps the value: the text is written from it, or read back into it. */
  const show = (next: Tab) => {
    if (next === tab) return;
    if (next === 'yaml') setText(value === undefined ? '' : stringify(value));
    else {
      try {
        setValue(parseSpec(text));
      } catch (err) {
        setErrors([{ field: '(input)', message: `not valid JSON or YAML: ${(err as Error).message}` }]);
        return;
      }
    }
    setErrors([]);
    setTab(next);
  };
  const busy = save.isPending || (!id && saved !== null);
  const button = (
    <button type="submit" disabled={busy}>
      {id ? 'Save changes' : 'Create GameDay'}
    </button>
  );
  const tabButton = (t: Tab, label: string) => (
    <button
      type="button"
      role="tab"
      id={`tab-${t}`}
      aria-selected={tab === t}
      aria-controls={`panel-${t}`}
      className={tab === t ? 'tab current' : 'tab'}
      onClick={() => show(t)}
    >
      {label}
    </button>
  );
  const list = templates.data?.items ?? [];

  return (
    <main>
      <p className="crumbs">
        <Link href="/">GameDays</Link> › {id ? <Link href={`/gamedays/${id}`}>GameDay</Link> : 'new'}
      </p>
      <h1>{id ? 'Edit GameDay' : 'New GameDay'}</h1>
      {!id && list.length > 0 && (
        <div className="template-pick">
          <label htmlFor="template">New from template</label>{' '}
          <select id="template" value={chosen} onChange={(e) => setChosen(e.target.value)}>
            <option value="">(choose a template)</option>
            {list.map((t) => (
              <option key={t.name} value={t.name}>
                {t.title} ({t.kinds.join(', ')})
              </option>
            ))}
          </select>{' '}
          <button
            type="button"
            disabled={!chosen}
            onClick={() => {
              const t = list.find((x) => x.name === chosen);
              if (!t) return;
              setValue(templateSpec(t));
              setText(templateText(t));
            }}
          >
            Fill the editor
          </button>
          {chosen && <p className="hint">{list.find((x) => x.name === chosen)?.description}</p>}
        </div>
      )}
      <div role="tablist" aria-label="Editor view" className="tabs">
        {tabButton('form', 'Form')}
        {tabButton('yaml', 'YAML')}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'form' ? (
          <>
            <FieldErrors errors={errors} />
            {value === undefined ? (
              <p className="loading">Loading…</p>
            ) : (
              <Suspense fallback={<p className="loading">Loading the form…</p>}>
                <SpecForm value={value} onChange={setValue} onSubmit={submit} errors={errorSchema}>
                  {button}
                </SpecForm>
              </Suspense>
            )}
          </>
        ) : (
          <form onSubmit={submitText} className="spec-form">
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
            <FieldErrors errors={errors} />
            {/* a created GameDay is not created twice: its warnings link on to it */}
            {button}
          </form>
        )}
      </div>
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
      <ErrorBox
        error={
          current.error ?? (save.error instanceof ApiError && save.error.problem.errors?.length ? null : save.error)
        }
      />
    </main>
  );
}
