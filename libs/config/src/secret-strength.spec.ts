import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, parseConfig } from './config.schema';
import { estimateSecretBits, secretWeakness } from './secret-strength';

const env = (token: string) => ({ DATABASE_URL: 'postgres://x/y', GAMEDAY_ADMIN_TOKEN: token });

function envExampleValue(name: string): string {
  const text = readFileSync(path.join(__dirname, '../../../.env.example'), 'utf8');
  const line = text.split('\n').find((l) => l.startsWith(`${name}=`));
  if (!line) throw new Error(`${name} is not in .env.example`);
  return line.slice(name.length + 1);
}

describe('GAMEDAY_ADMIN_TOKEN strength', () => {
  it('refuses the placeholder from .env.example with a ConfigError naming the variable', () => {
    const placeholder = envExampleValue('GAMEDAY_ADMIN_TOKEN');
    expect(() => parseConfig(env(placeholder))).toThrow(ConfigError);
    expect(() => parseConfig(env(placeholder))).toThrow(/GAMEDAY_ADMIN_TOKEN is a placeholder/);
    // the error never echoes the secret itself
    expect(() => parseConfig(env(placeholder))).not.toThrow(placeholder);
  });

  it.each([
    ['one character repeated', 'a'.repeat(40)],
    ['two characters alternating', 'ab'.repeat(20)],
    ['digits only, short', '1234567812345678'],
    ['a short random hex', '0a3f562f082e0027'],
    ['another placeholder', 'changeme-changeme-changeme'],
    ['your-token', 'your-admin-token-goes-here-please'],
    // sequences and words that a per-character estimate scored as strong
    ['a hex-alphabet sequence', '0123456789abcdef'],
    ['a descending sequence, twice', 'fedcba9876543210fedcba9876543210'],
    ['the old integration tests token', 'test-admin-token-0123456789abcdef'],
    ['the old lab token', 'lab-admin-token-0123456789abcdef'],
    ['words and a sequence', 'gameday-admin-secret-token-abcdefghijkl'],
    ['a repeated random chunk', 'd13cccbbed2e4e2b'.repeat(4)],
    ['16 random bytes in hex (128 bits, scored below them)', '0a3f562f082e0027b1c9d4e6f7a85b13'],
  ])('refuses %s', (_label, token) => {
    expect(() => parseConfig(env(token))).toThrow(/GAMEDAY_ADMIN_TOKEN (is a placeholder|is too easy to guess)/);
  });

  it.each([
    ['openssl rand -hex 24', 'd13cccbbed2e4e2b41ddcf80214e2549ed55799febe24487'],
    ['a generated token', 'gd_4cJ8m0qf3ZbR2kTn9vXyWp1LsAeHdUoG7iQ5tBcNzKx'],
    ['openssl rand -hex 32', '997cb4e930b888dd57487f05237251dd4fd0f05c711b190969977912835eb01f'],
    ['openssl rand -base64 32', 'q1Xv0z3kR9mJ2wYb8cTn5LhD7fGs4ApE6uVoKiWxZyM='],
  ])('accepts %s', (_label, token) => {
    expect(parseConfig(env(token)).GAMEDAY_ADMIN_TOKEN).toBe(token);
  });

  it('accepts every one of 2000 `openssl rand -hex 32` values (scored ≥ 190 bits, 128 needed)', () => {
    const scores = Array.from({ length: 2000 }, () => estimateSecretBits(randomBytes(32).toString('hex')));
    expect(Math.min(...scores)).toBeGreaterThan(190);
  });

  it('estimates bits conservatively', () => {
    expect(estimateSecretBits('')).toBe(0);
    expect(estimateSecretBits('aaaaaaaa')).toBeLessThan(10);
    expect(estimateSecretBits('0123456789abcdef')).toBeLessThan(16);
    expect(estimateSecretBits('d13cccbbed2e4e2b41ddcf80214e2549ed55799febe24487')).toBeGreaterThan(150);
    expect(secretWeakness('d13cccbbed2e4e2b41ddcf80214e2549ed55799febe24487')).toBeUndefined();
  });
});
