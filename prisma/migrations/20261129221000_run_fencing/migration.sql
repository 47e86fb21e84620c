-- One executor per run: a fencing token raised by each executor that takes the run.
ALTER TABLE "Run" ADD COLUMN "executorEpoch" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "executorId" TEXT;
