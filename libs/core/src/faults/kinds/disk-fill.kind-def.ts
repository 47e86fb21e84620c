import { diskFillFaultSchema, FILL_ID, FILL_PATH } from '../disk-fill.schema';
import { ledgerPattern, type FaultKindDef } from './fault-kind-def';

/** the path as the spec takes it, checked again word by word (a row is data anyone may change) */
const PATH = ledgerPattern(FILL_PATH, 'PATH');
const ID = ledgerPattern(FILL_ID, 'ID');

/**
 * Disk fills are a file of ours in the target's filesystem, created and removed by a helper in
 * the target's PID namespace. From a row, a fresh such helper runs one command: gameday-fill
 * removing exactly `<path>/.gameday-fill-<id>` (it walks the path without following symlinks).
 * Nothing else, and never a shell or `rm` with a free path.
 */
export const diskFillKindDef = {
  name: 'disk-fill',
  schema: diskFillFaultSchema,
  ledgerArgv: {
    revert: [['gameday-fill', 'rm', PATH, ID]],
    verify: [],
  },
} as const satisfies FaultKindDef<'disk-fill'>;
