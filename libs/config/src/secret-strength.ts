/**
 * Why a secret from the environment is too weak to accept, or undefined when it is fine.
 * A copied placeholder (".env.example" says change-me) or a guessable value must stop the
 * process at start, not become the admin credential of a live install.
 */
export const MIN_SECRET_BITS = 128;

const PLACEHOLDER =
  /change[-_ ]?me|changeit|placeholder|example|your[-_]?(admin[-_]?)?token|replace[-_]?me|^x+$|^(secret|password|token|admin)\d*$/i;

/** Words people build "random-looking" secrets from; each counts as one pick from this list. */
const WORDS = [
  'admin',
  'token',
  'test',
  'secret',
  'password',
  'passwd',
  'gameday',
  'bootstrap',
  'bearer',
  'default',
  'local',
  'demo',
  'prod',
  'staging',
  'root',
  'user',
  'key',
  'api',
  'lab',
  'dev',
  'letmein',
  'qwerty',
  'welcome',
  'master',
];
const WORD_BITS = Math.log2(WORDS.length) + 1; // + 1: its case

/** Alphabets in which "…789abc…" or "FEDCBA" are runs; anything else runs by code point. */
const ORDERS = ['0123456789abcdefghijklmnopqrstuvwxyz', '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'];

/** Length of the run from `i` with a constant step of -1, 0 or +1 (abc, 3210, aaaa), at least 1. */
function runLength(chars: string[], i: number): number {
  let best = 1;
  const positions = [...ORDERS.map((o) => (c: string) => o.indexOf(c)), (c: string) => c.codePointAt(0)!];
  for (const pos of positions) {
    if (i + 1 >= chars.length || pos(chars[i]) < 0 || pos(chars[i + 1]) < 0) continue;
    const step = pos(chars[i + 1]) - pos(chars[i]);
    if (Math.abs(step) > 1) continue;
    let end = i + 2;
    while (end < chars.length && pos(chars[end]) >= 0 && pos(chars[end]) - pos(chars[end - 1]) === step) end++;
    best = Math.max(best, end - i);
  }
  return best;
}

/** Length of the longest earlier copy of the text at `i` (it may overlap: "abcabcabc"). */
function repeatLength(text: string, i: number): number {
  let best = 0;
  for (let j = 0; j < i; j++) {
    let k = 0;
    while (i + k < text.length && text[j + k] === text[i + k]) k++;
    best = Math.max(best, k);
  }
  return best;
}

function shannonBitsPerChar(chars: string[]): number {
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / chars.length) * Math.log2(n / chars.length);
  return bits;
}

/**
 * A conservative strength estimate in bits. Each character counts for the smaller of its pool
 * (the classes used: lower, upper, digits, other) and the Shannon entropy of the value's own
 * character distribution, except what a guesser would try first, which counts for almost
 * nothing: runs ("0123456789abcdef", "zyx", "aaaa"), repeats of earlier text ("abcabc") and
 * common words ("admin", "token", "test"). Read greedily from the left, longest match first.
 */
export function estimateSecretBits(value: string): number {
  const chars = [...value];
  if (chars.length === 0) return 0;
  const text = chars.join('');
  const lower = text.toLowerCase();
  const pool =
    (/[a-z]/.test(value) ? 26 : 0) +
    (/[A-Z]/.test(value) ? 26 : 0) +
    (/[0-9]/.test(value) ? 10 : 0) +
    (/[^a-zA-Z0-9]/.test(value) ? 33 : 0);
  const poolBits = Math.log2(Math.max(pool, 1));
  const perChar = Math.min(poolBits, shannonBitsPerChar(chars));
  let bits = 0;
  for (let i = 0; i < chars.length;) {
    // chars and text index alike for the ASCII secrets these patterns concern; others fall through
    const word = chars.length === text.length ? WORDS.find((w) => lower.startsWith(w, i)) : undefined;
    const run = runLength(chars, i);
    const repeat = chars.length === text.length ? repeatLength(text, i) : 0;
    const options: [number, number][] = [[1, perChar]];
    if (word) options.push([word.length, WORD_BITS]);
    if (run >= 3) options.push([run, poolBits + Math.log2(run) + 1]);
    if (repeat >= 3) options.push([repeat, Math.log2(i + 1) + Math.log2(repeat)]);
    const [length, cost] = options.reduce((a, b) => (b[0] > a[0] || (b[0] === a[0] && b[1] < a[1]) ? b : a));
    bits += Math.min(cost, length * perChar);
    i += length;
  }
  return bits;
}

export function secretWeakness(value: string): string | undefined {
  if (PLACEHOLDER.test(value))
    return 'is a placeholder (e.g. the value from .env.example); generate one with: openssl rand -hex 32';
  const bits = estimateSecretBits(value);
  if (bits < MIN_SECRET_BITS)
    return `is too easy to guess (about ${Math.floor(bits)} bits, at least ${MIN_SECRET_BITS} needed; runs, repeats and common words count for almost nothing); generate one with: openssl rand -hex 32`;
  return undefined;
}
