import { InvalidArgumentError } from 'commander';

/** Commander option parser: a whole number ≥ 1 (reported by commander as a usage error). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('must be a whole number ≥ 1');
  }
  return n;
}

/** Commander option parser: a polling interval in milliseconds, at least 100. */
export function intervalMs(value: string): number {
  const n = positiveInt(value);
  if (n < 100) throw new InvalidArgumentError('must be at least 100 (milliseconds)');
  return n;
}
