// Lab tier: the SIGKILL rollback trials (tools/lab/sigkill-trials.ts) for the kinds whose fault
// shows only inside the target, each seen from the host through one of the target's CGI probes
// (LAB_TARGET_PROBES): a dns NXDOMAIN for the other target's name (the target's resolver), a
// partition rejecting TCP between the two targets (the target calling its peer; two leases), a
// disk fill of the target's /data to 50 % (its df), a CPU stress at 80 % in the target's cgroup
// (its cpu.stat). One trial each by default (GAMEDAY_LAB_KINDS_TRIALS; the acceptance series is
// 20 of each: GAMEDAY_LAB_KINDS_FAULTS=dns GAMEDAY_LAB_KINDS_TRIALS=20). GAMEDAY_LAB_KINDS_PG_DOWN=1
// also stops Postgres from the kill until T1 + 2 s (a cluster of the lab's own). In `npm test` the
// lab sample (tools/lab/lab-sample.js) runs these kinds' trials in rollback-sigkill instead.
import { describeSigkillTrials } from '../../tools/lab/sigkill-trials';
import { trialFaults } from '../../tools/lab/trial-faults';

const faults = trialFaults(process.env.GAMEDAY_LAB_KINDS_FAULTS ?? 'dns,partition,disk-fill,stress');

describeSigkillTrials({
  name: 'sigkillkinds',
  redisDb: 7,
  faults,
  trials: Number(process.env.GAMEDAY_LAB_KINDS_TRIALS ?? faults.length),
  postgresDown: process.env.GAMEDAY_LAB_KINDS_PG_DOWN === '1',
});
