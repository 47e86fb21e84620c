import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { FAULT_KINDS } from './fault-kind.registry';

const ROOT = join(__dirname, '../../../..');
const names = FAULT_KINDS.join('|');
/**
 * A kind is one module: its name is compared only inside it, and in core's pure parts of it (its
 * kind-def, listed in core's one registry, and the files named after it: `blackhole.compiler.ts`,
 * `network.schema.ts`). Core's shared fault code (the union, the ledger's allow-list) names none.
 */
const ALLOWED = [
  /^libs\/faults\/src\/kinds\//,
  /^libs\/core\/src\/faults\/kinds\//,
  new RegExp(`^libs/core/src/faults/(${names})[.-]`),
];
const allowed = (file: string) => ALLOWED.some((a) => a.test(file));

function productFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return ['node_modules', 'generated', 'dist'].includes(e.name) ? [] : productFiles(path);
    return /\.tsx?$/.test(e.name) && !/\.spec\.tsx?$/.test(e.name) ? [path] : [];
  });
}

function offenders(pattern: RegExp, under: string[]): string[] {
  return under
    .flatMap((d) => productFiles(join(ROOT, d)))
    .map((f) => relative(ROOT, f))
    .filter((f) => !allowed(f))
    .flatMap((f) =>
      readFileSync(join(ROOT, f), 'utf8')
        .split('\n')
        .flatMap((line, i) => (pattern.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
    );
}

const SOURCES = [
  ...readdirSync(join(ROOT, 'apps')).map((a) => `apps/${a}/src`),
  ...readdirSync(join(ROOT, 'libs')).map((l) => `libs/${l}/src`),
].filter((d) => {
  try {
    return readdirSync(join(ROOT, d)).length > 0;
  } catch {
    return false;
  }
});

const q = `['"\`]`;
const BRANCH = new RegExp(`\\bkind\\s*[!=]==?\\s*${q}(${names})${q}|\\bcase\\s+${q}(${names})${q}\\s*:`);
const MEMBER = new RegExp(`\\bliteral\\(\\s*${q}(${names})${q}`);

describe('a fault kind is one module', () => {
  it('no product file outside the kinds compares a fault kind by name', () => {
    expect(offenders(BRANCH, SOURCES)).toEqual([]);
  });

  it("no product file outside the kinds declares a kind's schema member (the union is built from core's registry)", () => {
    expect(offenders(MEMBER, SOURCES)).toEqual([]);
  });

  it('the worker asks a fault who keeps its clock instead of comparing its strategy', () => {
    expect(offenders(/\bstrategy\s*[!=]==?\s*['"`]sidecar['"`]/, ['apps/worker/src'])).toEqual([]);
  });

  it('finds a branch where there is one (the check itself can fail)', () => {
    expect("if (lease.kind === 'network') x();").toMatch(BRANCH);
    expect("case 'blackhole':").toMatch(BRANCH);
    expect("kind: z.literal('container'),").toMatch(MEMBER);
    expect(allowed('libs/core/src/faults/ledger-argv.ts')).toBe(false);
    expect(allowed('libs/core/src/faults/fault.schema.ts')).toBe(false);
    expect(allowed('libs/core/src/faults/blackhole.compiler.ts')).toBe(true);
  });
});
