import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { FAULT_KINDS } from './fault-kind.registry';

const ROOT = join(__dirname, '../../../..');
/** A kind is one module: its name is compared only inside it, and in core's pure parts of it. */
const ALLOWED = ['libs/faults/src/kinds/', 'libs/core/src/faults/'];

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
    .filter((f) => !ALLOWED.some((a) => f.startsWith(a)))
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

describe('a fault kind is one module', () => {
  const names = FAULT_KINDS.join('|');

  it('no product file outside the kinds compares a fault kind by name', () => {
    const q = `['"\`]`;
    const branch = new RegExp(`\\bkind\\s*[!=]==?\\s*${q}(${names})${q}|\\bcase\\s+${q}(${names})${q}\\s*:`);
    expect(offenders(branch, SOURCES)).toEqual([]);
  });

  it('the worker asks a fault who keeps its clock instead of comparing its strategy', () => {
    expect(offenders(/\bstrategy\s*[!=]==?\s*['"`]sidecar['"`]/, ['apps/worker/src'])).toEqual([]);
  });

  it('finds a branch where there is one (the check itself can fail)', () => {
    expect("if (lease.kind === 'network') x();").toMatch(new RegExp(`\\bkind\\s*[!=]==?\\s*['"\`](${names})['"\`]`));
  });
});
