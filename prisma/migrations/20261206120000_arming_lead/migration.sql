-- The arming a run reserves ahead of baselines that give no durations.arming, learned per engine
-- when the run first starts; and an index to read an engine's recent armings (arming.done events).
-- AlterTable
ALTER TABLE "Run" ADD COLUMN     "armingLeadMs" INTEGER;

-- CreateIndex
CREATE INDEX "RunEvent_type_id_idx" ON "RunEvent"("type", "id");
