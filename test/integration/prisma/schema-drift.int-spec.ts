import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// the migrate engine needs a while
jest.setTimeout(120_000);

describe('prisma/schema.prisma and prisma/migrations', () => {
  it('agree: replaying the migrations yields exactly the schema (else create a migration)', () => {
    const root = join(__dirname, '..', '..', '..');
    const result = spawnSync('bash', [join(root, 'scripts', 'db-migrate.sh'), 'diff'], {
      cwd: root,
      env: process.env,
      encoding: 'utf8',
      timeout: 110_000,
    });
    if (result.status !== 0) {
      console.error(`db-migrate.sh diff exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
    }
    // 0 = in sync, 2 = differ (the diff is printed above), anything else = could not check
    expect(result.status).toBe(0);
  });
});
