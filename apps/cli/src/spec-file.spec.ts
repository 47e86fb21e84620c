import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from './cli-error';
import { parseSpec, readSpecFile, specFormatOf } from './spec-file';

const yamlSpec = `
name: service2 latency
timezone: UTC
schedule:
  at: 2030-01-01T10:00:00.000Z
experiments:
  - name: latency
    hypothesis:
      description: errors within 300ms
      probes:
        - { name: front, url: "http://127.0.0.1:8000/?timeout_ms=300", timeoutMs: 1000 }
    fault:
      kind: network
      target: { container: demo-service2-1 }
      netem: { delay: 500ms, jitter: 100ms }
    durations: { baseline: 30s, fault: 2m, recovery: 30s }
`;

describe('specFormatOf', () => {
  it.each([
    ['a.json', 'json'],
    ['A.JSON', 'json'],
    ['a.yaml', 'yaml'],
    ['a.yml', 'yaml'],
    ['-', 'yaml'],
    ['noext', 'yaml'],
  ])('%s → %s', (path, format) => expect(specFormatOf(path)).toBe(format));
});

describe('parseSpec', () => {
  it('reads YAML 1.2: instants, durations and numbers stay as the API expects', () => {
    const spec = JSON.parse(JSON.stringify(parseSpec(yamlSpec, 'yaml', 'g.yaml')));
    expect(spec.schedule.at).toBe('2030-01-01T10:00:00.000Z');
    expect(spec.experiments[0].durations).toEqual({ baseline: '30s', fault: '2m', recovery: '30s' });
    expect(spec.experiments[0].hypothesis.probes[0].timeoutMs).toBe(1000);
    expect(spec.experiments[0].fault.netem.delay).toBe('500ms');
  });

  it('reads JSON, and YAML reads the same JSON too', () => {
    const json = JSON.stringify(parseSpec(yamlSpec, 'yaml', 'g.yaml'));
    expect(parseSpec(json, 'json', 'g.json')).toEqual(parseSpec(json, 'yaml', '-'));
  });

  it.each([
    ['{"name": ', 'json', /^g: not valid JSON: /],
    ['name: [unclosed', 'yaml', /^g: not valid YAML:\n {2}- /],
    ['', 'yaml', /^g: empty file$/],
    ['# only a comment\n', 'yaml', /^g: empty file$/],
    ['name: a\n---\nname: b\n', 'yaml', /^g: holds 2 YAML documents; apply takes one GameDay per file$/],
    ['- name: a\n', 'yaml', /^g: a GameDay must be an object \(a mapping\), not a list$/],
    ['"text"', 'json', /^g: a GameDay must be an object \(a mapping\), not a string$/],
    ['timezone: UTC\n', 'yaml', /^g: name: required/],
    ['name: "  "\n', 'yaml', /^g: name: required/],
  ] as const)('rejects %j with a message naming the file', (text, format, message) => {
    expect(() => parseSpec(text, format, 'g')).toThrow(CliError);
    expect(() => parseSpec(text, format, 'g')).toThrow(message);
  });
});

describe('readSpecFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gameday-cli-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file by its extension, and stdin for "-"', async () => {
    const path = join(dir, 'g.yml');
    writeFileSync(path, yamlSpec);
    expect((await readSpecFile(path)).name).toBe('service2 latency');
    expect((await readSpecFile('-', async () => '{"name": "from stdin"}')).name).toBe('from stdin');
  });

  it('says which file cannot be read', async () => {
    await expect(readSpecFile(join(dir, 'missing.yaml'))).rejects.toThrow(/^cannot read .*missing\.yaml: ENOENT$/);
  });
});
