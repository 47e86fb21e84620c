import { faultSchema } from '../fault.schema';
import { leaseLedgerRefusal } from '../ledger-argv';
import { FAULT_KIND_DEFS, faultKindDef } from './fault-kind-def.registry';

describe('the registry of kind definitions', () => {
  it('lists each kind once, under the name its schema member answers to', () => {
    const names = FAULT_KIND_DEFS.map((def) => def.name);
    expect(new Set(names).size).toBe(names.length);
    for (const def of FAULT_KIND_DEFS) expect([...def.schema.shape.kind.values]).toEqual([def.name]);
  });

  it('the fault union is its members, in its order', () => {
    expect(faultSchema.options).toEqual(FAULT_KIND_DEFS.map((def) => def.schema));
  });

  it('finds a kind by name, and none for a name no kind answers to', () => {
    expect(faultKindDef('network')?.name).toBe('network');
    expect(faultKindDef('bogus')).toBeUndefined();
  });

  it("judges a lease of an unknown kind by every kind's commands, not as one that runs none", () => {
    expect(leaseLedgerRefusal({ kind: 'bogus' as never, revertArgv: [['sh', '-c', 'id']] })?.use).toBe('revert');
  });
});
