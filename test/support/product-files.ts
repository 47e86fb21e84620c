import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * The product's own TypeScript, for the guard specs that hold it to a rule (a kind's name only in
 * its module, lease writes only in the ledger): one walk, so every guard looks at the same files.
 */
const ROOT = join(__dirname, '../..');
const SKIPPED_DIRS = ['node_modules', 'generated', 'dist'];

/** Every product's source tree that has files: apps/<app>/src and libs/<lib>/src, from the root. */
export const PRODUCT_SOURCES: readonly string[] = [
  ...readdirSync(join(ROOT, 'apps')).map((a) => `apps/${a}/src`),
  ...readdirSync(join(ROOT, 'libs')).map((l) => `libs/${l}/src`),
].filter((d) => {
  try {
    return readdirSync(join(ROOT, d)).length > 0;
  } catch {
    return false;
  }
});

/** The .ts/.tsx files under `dir` (from the root), specs, generated code and builds left out. */
export function productFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = relative(ROOT, join(ROOT, dir, e.name));
    if (e.isDirectory()) return SKIPPED_DIRS.includes(e.name) ? [] : productFiles(path);
    return /\.tsx?$/.test(e.name) && !/\.spec\.tsx?$/.test(e.name) ? [path] : [];
  });
}

/**
 * Each line matching `pattern` in the product files under `dirs`, but in the files `exempt`
 * accepts, as "file:line: text" (what a failing guard lists).
 */
export function offendingLines(
  pattern: RegExp,
  dirs: readonly string[],
  exempt: (file: string) => boolean = () => false,
): string[] {
  return dirs
    .flatMap((d) => productFiles(d))
    .filter((f) => !exempt(f))
    .flatMap((f) =>
      readFileSync(join(ROOT, f), 'utf8')
        .split('\n')
        .flatMap((line, i) => (pattern.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])),
    );
}
