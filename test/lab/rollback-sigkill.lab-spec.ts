// Lab tier, issue acceptance: SIGKILL the worker that drives a run while its fault is active,
// GAMEDAY_LAB_SIGKILL_TRIALS times (one per kind by default, sized for CI's time budget; the
// acceptance figure is taken with 20), cycling through GAMEDAY_LAB_TRIAL_FAULTS: netem `delay
// 200ms` (every new HTTP connection ≥ 400 ms, against ~2 ms), a blackhole rejecting port 80 (every
// new connection refused) and a process kill of the target's httpd (refused between kills) by
// default here; on request any kind of tools/lab/trial-faults.ts (a container pause: requests time
// out until the unpause). The trials themselves: tools/lab/sigkill-trials.ts.
// In `npm test` (CI) the kinds are the lab sample's two, rotated by commit (tools/lab/lab-sample.js);
// GAMEDAY_LAB_SAMPLE=all runs the three above.
import { describeSigkillTrials } from '../../tools/lab/sigkill-trials';
import { trialFaults } from '../../tools/lab/trial-faults';
import { labSample } from '../../tools/lab/lab-sample';

const faults = trialFaults(
  process.env.GAMEDAY_LAB_TRIAL_FAULTS ?? labSample().sigkillKinds?.join(',') ?? 'netem,blackhole,process-kill',
);

describeSigkillTrials({
  name: 'sigkill',
  redisDb: 8,
  faults,
  trials: Number(process.env.GAMEDAY_LAB_SIGKILL_TRIALS ?? faults.length),
});
