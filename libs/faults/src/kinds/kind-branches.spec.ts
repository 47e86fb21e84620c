import { offendingLines, PRODUCT_SOURCES } from '../../../../test/support/product-files';
import { FAULT_KINDS } from './fault-kind.registry';

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

const offenders = (pattern: RegExp, dirs: readonly string[]) => offendingLines(pattern, dirs, allowed);

const q = `['"\`]`;
const BRANCH = new RegExp(`\\bkind\\s*[!=]==?\\s*${q}(${names})${q}|\\bcase\\s+${q}(${names})${q}\\s*:`);
const MEMBER = new RegExp(`\\bliteral\\(\\s*${q}(${names})${q}`);

describe('a fault kind is one module', () => {
  it('no product file outside the kinds compares a fault kind by name', () => {
    expect(offenders(BRANCH, PRODUCT_SOURCES)).toEqual([]);
  });

  it("no product file outside the kinds declares a kind's schema member (the union is built from core's registry)", () => {
    expect(offenders(MEMBER, PRODUCT_SOURCES)).toEqual([]);
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
