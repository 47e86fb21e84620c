import {
  compileReset,
  PeerResolutionError,
  type FaultLease,
  type LeaseDetails,
  type ResetFaultSpec,
  type VerifyOutcome,
} from '@gameday/core';
import type { FaultEngine } from '../../engine/fault-engine';
import { applyNowViaHelper } from '../../engine/helper-handover';
import { armSidecar } from '../../engine/sidecar-arming';
import { BLACKHOLE_HELPER_CAPS, resolvePeers } from '../blackhole/blackhole-arm';
import { probeSocketDestroy } from '../blackhole/blackhole-probe';
import { resetIssues } from '../blackhole/blackhole-verify';
import type { FaultKind } from '../fault-kind';
import { helperSchedule } from '../helper-clock';
import { revertHelperPlan } from '../../engine/helper-revert';
import { resetArmed, type ResetArmed, type ResetDryRunPart, type ResetLeasePart } from './reset-part';

const steps = (argv: string[]) => ({ apply: [argv], undo: [null] });

/** The peers as resolved when armed, with the compile's warnings (nothing to revert, nothing to read back). */
const stepDetails = (compiled: ResetArmed): LeaseDetails<ResetLeasePart> => ({
  kindPart: compiled.peers ? { peers: compiled.peers } : {},
  warnings: compiled.warnings,
});

/** The helper's record: the reset ran at T0 with status 0 (a helper gone: nothing is known). */
async function verifyReset(engine: FaultEngine, lease: FaultLease): Promise<VerifyOutcome> {
  const helper = await engine.helperOf(lease);
  if (!helper?.State?.Running) return { ok: false, reasons: [`no helper of ${lease.containerName} is running`] };
  const reasons = await resetIssues(await engine.helperRunner(lease));
  return reasons.length ? { ok: false, reasons } : { ok: true };
}

/**
 * Resets: the target's matching established TCP connections destroyed at T0 (as a blackhole's
 * resetEstablished does, without the rules: clients may reconnect at once). The sidecar helper's
 * timer does it by its own clock through sock_diag; nothing stays to remove, so a revert only
 * ends the helper's plan (before T0 it cancels the reset), and verify reads the helper's record.
 */
export const resetKind: FaultKind<ResetFaultSpec, ResetArmed, ResetLeasePart, ResetDryRunPart> = {
  name: 'reset',
  dedupeNetns: true,
  // the reset happens once: nothing to re-check during the window
  capabilities: () => ({ clock: 'helper', verifiable: true, reverify: false }),

  async dryRunTarget(engine, spec, target) {
    const peers = await resolvePeers(engine, spec, target);
    const problems = (peers?.problems ?? []).map((p) => `arming would refuse this fault: ${p}`);
    const usable = peers?.peers.filter((p) => p.addresses.length > 0);
    const runner = ['docker', 'exec', `<helper in netns of ${target.containerName}>`];
    if (usable?.length === 0)
      return { target, strategy: 'sidecar', runner, apply: [], verify: [], revert: [], warnings: problems };
    const compiled = compileReset(spec, usable);
    return {
      target,
      strategy: 'sidecar',
      runner,
      apply: [compiled.argv],
      verify: [['gameday-helper', 'status']],
      revert: [],
      ...(peers ? { peers: peers.peers } : {}),
      warnings: [...problems, ...compiled.warnings, ...(peers?.notes ?? [])],
    };
  },

  async prepare(engine, spec, base, options) {
    const peers = await resolvePeers(engine, spec, base.target);
    if (peers?.problems.length) throw new PeerResolutionError(peers.problems, engine.id);
    const { helperId, offset } = await armSidecar(
      engine,
      base.target,
      options,
      (runner) => probeSocketDestroy(runner, engine.id),
      BLACKHOLE_HELPER_CAPS,
    );
    const compiled = compileReset(spec, peers?.peers);
    const armed = { ...compiled, warnings: [...compiled.warnings, ...(peers?.notes ?? [])] };
    return { ...base, strategy: 'sidecar', armed, helperContainerId: helperId, clockOffset: offset };
  },

  draftLease(prepared) {
    const compiled = resetArmed(prepared);
    return {
      kind: 'reset',
      handle: 'reset',
      applyArgv: [compiled.argv],
      verifyArgv: null,
      revertArgv: [],
      details: {
        ...stepDetails(compiled),
        selfExpiryAt: new Date(prepared.expiresAt.getTime() + prepared.graceMs).toISOString(),
        clockCorrectionMs: prepared.clockOffset?.correctionMs ?? 0,
      },
    };
  },

  async apply(engine, prepared, lease) {
    await engine.assertArmedNetns(lease);
    return applyNowViaHelper(engine, prepared, steps(resetArmed(prepared).argv));
  },

  nothingApplied: () => false,

  schedule: helperSchedule({
    steps: (prepared) => steps(resetArmed(prepared).argv),
    details: (prepared) => stepDetails(resetArmed(prepared)),
  }),

  verify: verifyReset,
  // nothing to undo in the target: a revert ends the helper's plan (as for a process kill)
  // nothing lasting in the target: a revert before T0 cancels the reset still to come
  revert: (engine, lease, reason) => revertHelperPlan(engine, lease, reason, 'no reset is still to come'),
};
