/**
 * Why a secret from the environment is too weak to accept, or undefined when it is fine.
 * A copied placeholder (".env.example" says change-me) or a guessable value must stop the
 * process at start, not become the admin credential of a live install.
 */
export const MIN_SECRET_BITS = 64;

const PLACEHOLDER =
  /change[-_ ]?me|changeit|placeholder|example|your[-_]?(admin[-_]?)?token|replace[-_]?me|^x+$|^(secret|password|token|admin)\d*$/i;

/**
 * A conservative strength estimate in bits: length × per-character entropy, where a character
 * counts for the smaller of its pool (the classes used: lower, upper, digits, other) and the
 * Shannon entropy of the value's own character distribution, so "aaaa…" or "abab…" score low
 * however long they are.
 */
export function estimateSecretBits(value: string): number {
  const chars = [...value];
  if (chars.length === 0) return 0;
  const pool =
    (/[a-z]/.test(value) ? 26 : 0) +
    (/[A-Z]/.test(value) ? 26 : 0) +
    (/[0-9]/.test(value) ? 10 : 0) +
    (/[^a-zA-Z0-9]/.test(value) ? 33 : 0);
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let shannon = 0;
  for (const n of counts.values()) {
    const p = n / chars.length;
    shannon -= p * Math.log2(p);
  }
  return chars.length * Math.min(Math.log2(Math.max(pool, 1)), shannon);
}

export function secretWeakness(value: string): string | undefined {
  if (PLACEHOLDER.test(value))
    return 'is a placeholder (e.g. the value from .env.example); generate one with: openssl rand -hex 32';
  const bits = estimateSecretBits(value);
  if (bits < MIN_SECRET_BITS)
    return `is too easy to guess (about ${Math.floor(bits)} bits, at least ${MIN_SECRET_BITS} needed); generate one with: openssl rand -hex 32`;
  return undefined;
}
