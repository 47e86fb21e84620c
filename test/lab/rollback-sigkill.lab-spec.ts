// Lab tier, issue acceptance: SIGKILL the worker that drives a run while its fault is active,
// GAMEDAY_LAB_SIGKILL_TRIALS times (3 by default, one per kind, sized for CI's time budget; the
// acceptance figure is taken with 20), cycling through GAMEDAY_LAB_TRIAL_FAULTS: netem `delay
// 200ms` (every new HTTP connection ≥ 400 ms, against ~2 ms), a blackhole rejecting port 80 (every
// new connection refused) and a process kill of the target's httpd (refused between kills) by
// default here; on request any kind of tools/lab/trial-faults.ts (a container pause: requests time
// out until the unpause). The trials themselves: tools/lab/sigkill-trials.ts.
import { describeSigkillTrials } from '../../tools/lab/sigkill-trials';
import { trialFaults } from '../../tools/lab/trial-faults';

describeSigkillTrials({
  name: 'sigkill',
  redisDb: 8,
  faults: trialFaults(process.env.GAMEDAY_LAB_TRIAL_FAULTS ?? 'netem,blackhole,process-kill'),
  trials: Number(process.env.GAMEDAY_LAB_SIGKILL_TRIALS ?? 3),
});
