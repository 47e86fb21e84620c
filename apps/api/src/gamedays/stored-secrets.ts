import { type FieldError, type GameDaySpec, formatPath } from '@gameday/core';
import { SECRET_PLACEHOLDER } from '../common/visibility';

/**
 * THE rule for keeping a secret the client cannot see: it goes on to the destination it was given
 * for, and nowhere else. Scheme, host and port (the URL's origin) must be unchanged; the path and
 * query may change. Otherwise whoever can edit the GameDay could point the request at a server of
 * theirs and have the worker hand it the stored token. Webhooks, probes and load all use it.
 */
export function sameDestination(a: unknown, b: unknown): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  try {
    const [x, y] = [new URL(a), new URL(b)];
    // URL.origin is "null" for schemes without one: those never match anything
    return x.origin !== 'null' && x.origin === y.origin;
  } catch {
    return false;
  }
}

/**
 * The write side of redactSecrets: a client that edits what it read sends the placeholders back.
 * Each placeholder is replaced by the stored secret it stands for (same experiment, probe/load and
 * header name; same webhook origin), so reading and saving a GameDay never loses its secrets, as
 * long as the request still goes where the secret was given for (sameDestination). A placeholder
 * with no stored secret behind it, or one whose request now goes elsewhere, is refused rather than
 * stored as "***" or sent to the new destination.
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
      // the placeholder URL keeps the origin ("https://hooks.example.com/***"): the stored URL it
      // stands for is one with that same destination
      const candidates = stored.webhooks ?? [];
      const same = candidates[i] && sameDestination(candidates[i].url, w.url) ? candidates[i] : undefined;
      const match = same ?? candidates.find((s) => sameDestination(s.url, w.url));
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

type StoredRequest = { url?: string; headers?: Record<string, string>; body?: string };

function restoreRequest(value: unknown, stored: StoredRequest | undefined, at: string, errors: FieldError[]): unknown {
  if (!isObject(value)) return value;
  const copy: Record<string, unknown> = { ...value };
  // a stored secret is only ever handed to the destination it was stored for
  const keeps = sameDestination(stored?.url, value.url);
  if (isObject(value.headers)) {
    copy.headers = Object.fromEntries(
      Object.entries(value.headers).map(([name, v]) => {
        if (v !== SECRET_PLACEHOLDER) return [name, v];
        const kept = Object.entries(stored?.headers ?? {}).find(([n]) => n.toLowerCase() === name.toLowerCase());
        const field = `${at}.${formatPath(['headers', name])}`;
        if (!kept) errors.push(missing(field));
        else if (!keeps) errors.push(elsewhere(field, stored?.url, value.url));
        return [name, kept && keeps ? kept[1] : v];
      }),
    );
  }
  if (value.body === SECRET_PLACEHOLDER) {
    if (stored?.body === undefined) errors.push(missing(`${at}.body`));
    else if (!keeps) errors.push(elsewhere(`${at}.body`, stored?.url, value.url));
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

function elsewhere(field: string, was: unknown, now: unknown): FieldError {
  return {
    field,
    message: `is the redacted placeholder "${SECRET_PLACEHOLDER}" but the request now goes to ${originOf(now)} instead of ${originOf(was)} (scheme, host or port changed): a stored secret only goes where it was given for; send the value`,
  };
}

function originOf(url: unknown): string {
  try {
    return new URL(String(url)).origin;
  } catch {
    return 'no valid URL';
  }
}
