// Starts the worker from its TypeScript sources in a child process (`node -r @swc-node/register
// tools/lab/worker-entry.ts`), so a lab run exercises the code of the working tree rather
// than whatever `npm run build` last left in dist/.
import '../nodenext-resolve';

// after the hook: the entry's own imports go through it
void import('../../apps/worker/src/main.js');
