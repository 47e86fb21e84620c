-- The load generator's answers as per-second aggregates (a histogram each), not a row per request;
-- and an index for sample retention (runs that ended long ago).
-- CreateTable
CREATE TABLE "LoadAggregate" (
    "id" BIGSERIAL NOT NULL,
    "runId" UUID NOT NULL,
    "experimentIndex" INTEGER NOT NULL,
    "phase" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "count" INTEGER NOT NULL,
    "errors" INTEGER NOT NULL,
    "sumMs" DOUBLE PRECISION NOT NULL,
    "minMs" DOUBLE PRECISION NOT NULL,
    "maxMs" DOUBLE PRECISION NOT NULL,
    "errorsByKind" JSONB NOT NULL,
    "statusCounts" JSONB NOT NULL,
    "buckets" JSONB NOT NULL,

    CONSTRAINT "LoadAggregate_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "LoadAggregate_runId_experimentIndex_at_idx" ON "LoadAggregate"("runId", "experimentIndex", "at");

-- CreateIndex
CREATE INDEX "Run_finishedAt_idx" ON "Run"("finishedAt");

-- AddForeignKey
ALTER TABLE "LoadAggregate" ADD CONSTRAINT "LoadAggregate_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
