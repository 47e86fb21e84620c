import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { secretWeakness } from '@gameday/config';

/**
 * Where the user set no secrets, the compose stack gets generated ones on first run: the script
 * that writes .env (the real one, run as a user would) replaces every placeholder, keeps what the
 * user set, says where the secrets are and never prints them.
 */
const root = path.resolve(__dirname, '../../..');
const script = path.join(root, 'scripts/compose-env.sh');
const placeholders = readFileSync(path.join(root, '.env.example'), 'utf8')
  .split('\n')
  .filter((l) => /^[A-Z_]+=change-me/.test(l))
  .map((l) => l.split('=')[0]);

const parse = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('compose secrets generated on first run', () => {
  let dir: string;
  let envFile: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gd-compose-env-'));
    envFile = path.join(dir, '.env');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = () => execFileSync('bash', [script, envFile], { encoding: 'utf8' });

  it('replaces every placeholder by a strong secret, owner-only, and names them without showing them', () => {
    expect(placeholders).toEqual(
      expect.arrayContaining(['POSTGRES_PASSWORD', 'REDIS_PASSWORD', 'GAMEDAY_ADMIN_TOKEN', 'GRAFANA_ADMIN_PASSWORD']),
    );
    const out = run();
    const env = parse(readFileSync(envFile, 'utf8'));
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    for (const key of placeholders) {
      expect(env[key]).toMatch(/^[0-9a-f]{64}$/);
      expect(secretWeakness(env[key])).toBeUndefined(); // the API would accept it as its admin token
      expect(out).toContain(key);
      expect(out).not.toContain(env[key]);
    }
    expect(new Set(placeholders.map((k) => env[k])).size).toBe(placeholders.length);
    expect(readFileSync(envFile, 'utf8')).not.toMatch(/change-me/);
    expect(out).toContain(envFile);
    expect(env.COMPOSE_PROJECT_NAME).toBe('gameday'); // the rest of the example is taken over
  });

  it('a second run changes nothing', () => {
    run();
    const first = readFileSync(envFile, 'utf8');
    expect(run()).toMatch(/nothing changed/);
    expect(readFileSync(envFile, 'utf8')).toBe(first);
  });

  it('keeps what the user set and fills in only what is missing or still a placeholder', () => {
    writeFileSync(envFile, 'POSTGRES_PASSWORD=my-own-postgres-password-9f2c\nREDIS_PASSWORD=change-me-redis\n');
    const out = run();
    const env = parse(readFileSync(envFile, 'utf8'));
    expect(env.POSTGRES_PASSWORD).toBe('my-own-postgres-password-9f2c');
    expect(env.REDIS_PASSWORD).toMatch(/^[0-9a-f]{64}$/);
    expect(env.GAMEDAY_ADMIN_TOKEN).toMatch(/^[0-9a-f]{64}$/);
    expect(out).not.toMatch(/POSTGRES_PASSWORD/);
  });
});
