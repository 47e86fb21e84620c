import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';
import { closedPort, runCli } from './cli-process';

// The `gameday` CLI as a child process against the real API (Postgres, Redis) on a real port.
// Nothing here needs a worker: runs stay `scheduled`; the live run tests are in cli-watch.

describe('gameday CLI: apply, get, runs, run, token, report, abort, errors', () => {
  const marker = `cli-${randomUUID().slice(0, 8)}`;
  const stack = useStack({ name: 'cli', api: { listen: true }, marker });
  const { prisma, tokenIds } = stack;
  const dir = mkdtempSync(join(tmpdir(), 'gameday-cli-'));
  let env: Record<string, string>;

  beforeAll(() => {
    env = { GAMEDAY_URL: stack.url, GAMEDAY_TOKEN: ADMIN_TOKEN };
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const yamlSpec = (name: string, description: string, fault = '2m') => `
# as a Chaos Toolkit / Chaos Mesh user would write it
name: ${name}
description: ${description}
timezone: UTC
schedule:
  at: ${new Date(Date.now() + 7 * 24 * 3600_000).toISOString()}
experiments:
  - name: latency
    hypothesis:
      description: errors within 300ms
      probes:
        - name: front
          url: "http://127.0.0.1:8000/?timeout_ms=300"
          timeoutMs: 1000
    fault:
      kind: network
      target: { container: demo-service2-1 }
      netem: { delay: 500ms, jitter: 100ms }
    durations: { baseline: 30s, fault: ${fault}, recovery: 30s }
`;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  let gameDayId = '';
  let runId = '';

  it('apply -f file.yaml creates the GameDay, then updates it by name', async () => {
    const name = `${marker} latency`;
    const created = await runCli(['apply', '-f', file('g.yaml', yamlSpec(name, 'first'))], env);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const match = /^created GameDay ([0-9a-f-]{36}) "(.+)" \(version 1, active, next run \S+ \S+\)\n$/.exec(
      created.stdout,
    );
    expect(match?.[2]).toBe(name);
    gameDayId = match![1];

    const updated = await runCli(['apply', '-f', file('g.yaml', yamlSpec(name, 'second')), '--output', 'json'], env);
    expect(updated.code).toBe(0);
    const body = JSON.parse(updated.stdout);
    expect(body.action).toBe('updated');
    expect(body.gameDay).toMatchObject({ id: gameDayId, name, version: 2 });
    expect(body.gameDay.spec.description).toBe('second');

    const rows = await prisma.gameDay.findMany({ where: { name } });
    expect(rows.map((r) => r.id)).toEqual([gameDayId]);
    expect((rows[0].spec as { description: string }).description).toBe('second');
  });

  it('apply reads JSON files and stdin too', async () => {
    const name = `${marker} json`;
    const json = JSON.stringify({ ...(await specOf(yamlSpec(name, 'from json'))) });
    const fromFile = await runCli(['apply', '-f', file('g.json', json)], env);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toMatch(/^created GameDay /);
    const fromStdin = await runCli(['apply', '-f', '-'], env, yamlSpec(name, 'from stdin'));
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toMatch(/^updated GameDay .* \(version 2, /);
  });

  it('get lists GameDays (human and json) and shows one with its spec as YAML', async () => {
    const list = await runCli(['get', '-q', marker], env);
    expect(list.code).toBe(0);
    const [header, ...lines] = list.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+NAME\s+STATUS\s+MODE\s+VERSION\s+NEXT RUN$/);
    expect(lines.find((l) => l.startsWith(gameDayId))).toMatch(
      new RegExp(`^${gameDayId}\\s+${marker} latency\\s+active\\s+announced\\s+2\\s+`),
    );

    const json = JSON.parse((await runCli(['get', '--query', marker, '--output', 'json'], env)).stdout);
    expect(json.items.map((g: { id: string }) => g.id)).toContain(gameDayId);
    expect(json).toHaveProperty('nextCursor');

    const one = await runCli(['get', gameDayId], env);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(`id:          ${gameDayId}\n`);
    // the spec as YAML, indented under "spec:" (Postgres jsonb decides the key order)
    const spec = one.stdout.slice(one.stdout.indexOf('\nspec:\n') + 7);
    expect(spec).toContain(`\n  name: ${marker} latency\n`);
    expect(spec).toMatch(/\n {6}durations:\n( {8}\w+: \w+\n){3}/);
    expect(spec).toContain('\n        baseline: 30s\n');

    const oneJson = JSON.parse((await runCli(['get', gameDayId, '--output', 'json'], env)).stdout);
    expect(oneJson).toMatchObject({ id: gameDayId, version: 2 });
  });

  it('run starts a run now; runs lists it (human and json)', async () => {
    const started = await runCli(['run', gameDayId], env);
    expect(started.code).toBe(0);
    runId = /^started run ([0-9a-f-]{36}) \(scheduled, scheduled for /.exec(started.stdout)![1];

    const runs = await runCli(['runs', gameDayId], env);
    expect(runs.code).toBe(0);
    expect(runs.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+VERDICT\s+TRIGGER\s+SCHEDULED FOR\s+FINISHED$/);
    expect(runs.stdout).toMatch(new RegExp(`\\n${runId}\\s+scheduled\\s+-\\s+manual\\s+`));

    const json = JSON.parse((await runCli(['runs', gameDayId, '--output', 'json', '--limit', '5'], env)).stdout);
    expect(json.items[0]).toMatchObject({ id: runId, gameDayId, status: 'scheduled', trigger: 'manual' });
  });

  it('report -o writes HTML or Markdown by the file extension', async () => {
    const html = join(dir, 'report.html');
    const wrote = await runCli(['report', runId, '-o', html], env);
    expect(wrote.code).toBe(0);
    expect(wrote.stdout).toMatch(
      new RegExp(`^wrote the html report of run ${runId} to .*report\\.html \\(\\d+ bytes\\)\\n$`),
    );
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);

    const md = join(dir, 'report.md');
    expect((await runCli(['report', runId, '-o', md], env)).code).toBe(0);
    const markdown = readFileSync(md, 'utf8');
    expect(markdown).toMatch(/^# /);
    expect(markdown).not.toMatch(/<html/i);

    const stdout = await runCli(['report', runId], env);
    const undated = (text: string) => text.replace(/_Generated [^_]+_/, '');
    expect(undated(stdout.stdout)).toBe(undated(markdown));

    const unknown = await runCli(['report', runId, '-o', join(dir, 'report.pdf')], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/cannot tell the format from "\.pdf"/);
  });

  it('abort stops one run; abort --all answers with the runs it stopped', async () => {
    const one = await runCli(['abort', runId, '--reason', 'cli test'], env);
    expect(one).toMatchObject({ code: 0, stderr: '' });
    expect(one.stdout).toBe(`abort requested for run ${runId} (requested); its faults are being reverted\n`);
    expect((await prisma.run.findUniqueOrThrow({ where: { id: runId } })).abortReason).toBe('cli test');

    const all = await runCli(['abort', '--all', '--output', 'json'], env);
    expect(all.code).toBe(0);
    const body = JSON.parse(all.stdout);
    expect(Array.isArray(body.runIds)).toBe(true);
    expect(body.runIds).not.toContain(runId); // already requested
    expect(Date.parse(body.requestedAt)).not.toBeNaN();

    const usage = await runCli(['abort'], env);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toBe('error: abort: give a RUN_ID or --all (not both)\n');
  });

  it('a 400 lists the invalid fields by name and exits 1', async () => {
    const bad = file(
      'bad.yaml',
      yamlSpec(`${marker} bad`, 'bad', 'two minutes').replace('timezone: UTC', 'timezone: Mars/Olympus_Mons'),
    );
    const res = await runCli(['apply', '-f', bad], env);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    const lines = res.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('error: Invalid request (HTTP 400)');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}- timezone: .+/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}- experiments\[0\]\.durations\.fault: .+/));
    // nothing half-applied
    expect(await prisma.gameDay.count({ where: { name: `${marker} bad` } })).toBe(0);

    // an update is validated whole as well, and leaves the stored GameDay as it was
    const update = await runCli(['apply', '-f', file('g2.yaml', yamlSpec(`${marker} latency`, 'x', '2 m'))], env);
    expect(update.code).toBe(1);
    expect(update.stderr).toMatch(/\n {2}- experiments\[0\]\.durations\.fault: /);
    expect((await prisma.gameDay.findUniqueOrThrow({ where: { id: gameDayId } })).version).toBe(2);
  });

  it('a file that is not YAML, or has no name, is refused before any request (exit 1)', async () => {
    const res = await runCli(['apply', '-f', file('broken.yaml', 'name: [unclosed\n')], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: .*broken\.yaml: not valid YAML:\n {2}- /);
    const noName = await runCli(['apply', '-f', file('noname.yaml', 'timezone: UTC\n')], env);
    expect(noName.code).toBe(1);
    expect(noName.stderr).toMatch(/noname\.yaml: name: required/);
    const missing = await runCli(['apply', '-f', join(dir, 'nope.yaml')], env);
    expect(missing).toMatchObject({ code: 1, stderr: expect.stringMatching(/cannot read .*nope\.yaml: ENOENT/) });
    const usage = await runCli(['apply'], env);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/required option '-f, --file <path>' not specified/);
  });

  it('token create prints the secret alone on stdout, once; the new token works with its role', async () => {
    const res = await runCli(['token', 'create', '--name', `${marker} viewer`, '--role', 'viewer'], env);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^\S{20,}\n$/);
    expect(res.stderr).toMatch(
      /^created viewer token ([0-9a-f-]{36}) ".+ viewer"; store the secret now, it is not shown again:\n$/,
    );
    tokenIds.push(/token ([0-9a-f-]{36})/.exec(res.stderr)![1]);
    const secret = res.stdout.trim();

    const viewer = { ...env, GAMEDAY_TOKEN: undefined };
    const read = await runCli(['get', gameDayId, '--token', secret, '--output', 'json'], viewer);
    expect(read.code).toBe(0);
    expect(JSON.parse(read.stdout).id).toBe(gameDayId);

    const write = await runCli(['run', gameDayId], { ...env, GAMEDAY_TOKEN: secret });
    expect(write.code).toBe(3);
    expect(write.stderr).toMatch(
      /^error: Forbidden \(HTTP 403\)\n(.+\n)*hint: your token’s role is not allowed to do this\n$/,
    );

    const json = await runCli(
      ['token', 'create', '--name', `${marker} ops`, '--role', 'operator', '--output', 'json'],
      env,
    );
    const body = JSON.parse(json.stdout);
    tokenIds.push(body.id);
    expect(body).toMatchObject({ name: `${marker} ops`, role: 'operator', token: expect.any(String) });

    // list shows the prefix, never the secret; revoke stops the token at once
    const list = await runCli(['token', 'list'], env);
    expect(list.code).toBe(0);
    const row = list.stdout.split('\n').find((l) => l.startsWith(tokenIds[0]))!;
    expect(row).toMatch(new RegExp(`^${tokenIds[0]}\\s+${marker} viewer\\s+viewer\\s+${secret.slice(0, 10)}\\s+`));
    expect(list.stdout).not.toContain(secret);
    expect(await runCli(['token', 'revoke', tokenIds[0]], env)).toMatchObject({
      code: 0,
      stdout: `revoked token ${tokenIds[0]}\n`,
    });
    expect((await runCli(['get', gameDayId], { ...env, GAMEDAY_TOKEN: secret })).code).toBe(3);

    const badRole = await runCli(['token', 'create', '--name', 'x', '--role', 'root'], env);
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toMatch(/option '--role <role>' argument 'root' is invalid/);
  });

  it('API errors, a missing token and an unreachable API are clear, each with its exit code', async () => {
    const notFound = await runCli(['get', randomUUID()], env);
    expect(notFound.code).toBe(3);
    expect(notFound.stderr).toMatch(/^error: Not Found \(HTTP 404\)\nno GameDay /);

    const badId = await runCli(['runs', 'not-a-uuid'], env);
    expect(badId.code).toBe(1);
    expect(badId.stderr).toMatch(/\n {2}- id: must be a UUID\n$/);

    const wrongToken = await runCli(['get'], { ...env, GAMEDAY_TOKEN: 'not-a-real-token-0123456789' });
    expect(wrongToken.code).toBe(3);
    expect(wrongToken.stderr).toMatch(/\(HTTP 401\)[\s\S]*hint: check GAMEDAY_TOKEN or --token\n$/);

    const noToken = await runCli(['get'], { GAMEDAY_URL: env.GAMEDAY_URL });
    expect(noToken).toMatchObject({ code: 1, stderr: 'error: no API token: set GAMEDAY_TOKEN or pass --token\n' });

    const port = await closedPort();
    const down = await runCli(['get', '--url', `http://127.0.0.1:${port}`], env);
    expect(down.code).toBe(4);
    expect(down.stderr).toBe(
      `error: cannot reach the GameDay API at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );

    const badUrl = await runCli(['get', '--url', 'localhost:8080'], env);
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toMatch(/--url \/ GAMEDAY_URL: "localhost:8080" must be http:\/\/ or https:\/\//);
  });
});

async function specOf(yaml: string): Promise<Record<string, unknown>> {
  const { parse } = await import('yaml');
  return parse(yaml) as Record<string, unknown>;
}
