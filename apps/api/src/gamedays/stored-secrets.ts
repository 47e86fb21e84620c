import type { FieldError, GameDaySpec } from '@gameday/core';
import { SECRET_PLACEHOLDER, redactUrl } from '../common/visibility';

/**
 * The write side of redactSecrets: a client that edits what it read sends the placeholders back.
 * Each placeholder is replaced by the stored secret it stands for (same experiment, probe/load and
 * header name; same webhook host), so reading and saving a GameDay never loses its secrets. A
 * placeholder with no stored secret behind it is refused rather than stored as "***".
 */
export function keepStoredSecrets(
  patch: Record<string, unknown>,
  stored: GameDaySpec,
): { patch: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const out = { ...patch };
  if (Array.isArray(patch.webhooks)) {
    out.webhooks = patch.webhooks.map((w: unknown, i) => {
      if (!isObject(w) || typeof w.url !== 'string' || !isPlaceholderUrl(w.url)) return w;
      const candidates = stored.webhooks ?? [];
      const same = candidates[i] && redactUrl(candidates[i].url) === w.url ? candidates[i] : undefined;
      const match = same ?? candidates.find((s) => redactUrl(s.url) === w.url);
      if (!match) errors.push(missing(`webhooks[${i}].url`));
      return match ? { ...w, url: match.url } : w;
    });
  }
  if (Array.isArray(patch.experiments)) {
    out.experiments = patch.experiments.map((e: unknown, i) => {
      if (!isObject(e)) return e;
      const was = byNameOrIndex(stored.experiments, e.name, i);
      const copy: Record<string, unknown> = { ...e };
      const hypothesis = e.hypothesis;
      if (isObject(hypothesis) && Array.isArray(hypothesis.probes)) {
        copy.hypothesis = {
          ...hypothesis,
          probes: hypothesis.probes.map((p: unknown, j) =>
            restoreRequest(
              p,
              byNameOrIndex(was?.hypothesis.probes, isObject(p) ? p.name : undefined, j) as StoredRequest | undefined,
              `experiments[${i}].hypothesis.probes[${j}]`,
              errors,
            ),
          ),
        };
      }
      if (e.load !== undefined) copy.load = restoreRequest(e.load, was?.load, `experiments[${i}].load`, errors);
      return copy;
    });
  }
  return { patch: out, errors };
}

type StoredRequest = { headers?: Record<string, string>; body?: string };

function restoreRequest(value: unknown, stored: StoredRequest | undefined, at: string, errors: FieldError[]): unknown {
  if (!isObject(value)) return value;
  const copy: Record<string, unknown> = { ...value };
  if (isObject(value.headers)) {
    copy.headers = Object.fromEntries(
      Object.entries(value.headers).map(([name, v]) => {
        if (v !== SECRET_PLACEHOLDER) return [name, v];
        const kept = Object.entries(stored?.headers ?? {}).find(([n]) => n.toLowerCase() === name.toLowerCase());
        if (!kept)
          errors.push(
            missing(`${at}.headers${/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`}`),
          );
        return [name, kept ? kept[1] : v];
      }),
    );
  }
  if (value.body === SECRET_PLACEHOLDER) {
    if (stored?.body === undefined) errors.push(missing(`${at}.body`));
    else copy.body = stored.body;
  }
  return copy;
}

function byNameOrIndex<T extends { name?: string }>(
  list: T[] | undefined,
  name: unknown,
  index: number,
): T | undefined {
  return list?.find((x) => x.name === name) ?? list?.[index];
}

function isPlaceholderUrl(url: string): boolean {
  return url === SECRET_PLACEHOLDER || url.endsWith(`/${SECRET_PLACEHOLDER}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function missing(field: string): FieldError {
  return {
    field,
    message: `is the redacted placeholder "${SECRET_PLACEHOLDER}" but no stored secret matches it; send the real value`,
  };
}
