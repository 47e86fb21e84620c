// The lab tier's files share one booted lab engine per test process (tools/lab/shared-lab.ts):
// power it off once they are done, and any a killed earlier run left behind.
import { stopSharedLabs } from '../../tools/lab/shared-lab';

export default async function labGlobalTeardown(): Promise<void> {
  await stopSharedLabs({ mine: true });
}
