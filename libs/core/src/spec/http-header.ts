/**
 * HTTP's own rules for the header fields a spec may carry (probes, load), written as plain
 * functions so the API (at create and edit) and the worker (before it sends anything) apply the
 * same ones. Anything these accept Node's http client sends as written; anything else would
 * either throw inside the client or, in a client that writes raw bytes, become a second header
 * or a second request on the connection.
 */

/** RFC 9110 §5.1: a field name is a token. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
export const MAX_HEADER_NAME_LENGTH = 128;

/**
 * RFC 9110 §5.5 field value restricted to US-ASCII: visible characters, spaces and tabs. CR, LF
 * and NUL are never allowed by HTTP; other control characters are not field content either; and
 * obs-text (0x80-0xFF) is refused too: RFC 9110 tells senders not to generate it, Node sends it
 * as Latin-1 while a raw client sends UTF-8, and nothing above 0xFF can be sent at all.
 */
export const HEADER_VALUE = /^[\t\x20-\x7e]*$/;
export const HEADER_VALUE_RULE =
  'must be visible ASCII characters, spaces or tabs (RFC 9110 field value): no CR, LF, NUL, other control characters or non-ASCII characters';

/**
 * Fields the client derives from the request itself: the destination (Host: the URL alone decides
 * where a request goes, or it would aim past the egress check) and the message framing and
 * connection (a Content-Length or Transfer-Encoding that disagrees with the body, or a
 * Connection/Upgrade, would let the body be read as a second request on the same connection).
 */
const CLIENT_OWNED = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'upgrade',
  'te',
  'trailer',
]);

/** Why `name` cannot be a header name of a spec, or undefined when it can. */
export function headerNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a header name cannot be empty';
  if (name.length > MAX_HEADER_NAME_LENGTH) return `header names are at most ${MAX_HEADER_NAME_LENGTH} characters`;
  if (!TOKEN.test(name)) return "must be an HTTP header name (RFC 9110 token: letters, digits and !#$%&'*+.^_`|~-)";
  // a JSON key that would become an object's prototype, never a header
  if (name === '__proto__') return '"__proto__" cannot be a header name';
  const lower = name.toLowerCase();
  if (lower === 'host') return 'a Host header cannot be set: the URL decides the destination';
  if (CLIENT_OWNED.has(lower))
    return `a ${name} header cannot be set: the client sets message framing and connection fields from the request itself`;
  return undefined;
}

/** Why `value` cannot be a header value, or undefined when it can. */
export function headerValueProblem(value: string): string | undefined {
  return HEADER_VALUE.test(value) ? undefined : HEADER_VALUE_RULE;
}

/**
 * The first problem of a set of headers as sent (not only as validated: a row stored before these
 * rules, or changed behind the API's back, reaches the worker as it is), or undefined.
 */
export function headersProblem(headers: unknown): string | undefined {
  if (headers === undefined) return undefined;
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) return 'headers must be an object';
  for (const [name, value] of Object.entries(headers)) {
    const nameProblem = headerNameProblem(name);
    if (nameProblem) return `header ${JSON.stringify(name)}: ${nameProblem}`;
    if (typeof value !== 'string') return `header ${JSON.stringify(name)}: the value must be text`;
    const valueProblem = headerValueProblem(value);
    if (valueProblem) return `header ${JSON.stringify(name)}: ${valueProblem}`;
  }
  return undefined;
}
