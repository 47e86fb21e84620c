-- The executor confirming a planned revert holds the lease for a moment: the backstops (revert job,
-- reaper) leave it alone until then instead of repeating the same checks on the engine at once.
ALTER TABLE "ActiveFault" ADD COLUMN "revertClaimedUntil" TIMESTAMPTZ(3);
