-- CreateEnum
CREATE TYPE "Role" AS ENUM ('viewer', 'operator', 'admin');

-- CreateEnum
CREATE TYPE "GameDayMode" AS ENUM ('announced', 'blind');

-- CreateEnum
CREATE TYPE "GameDayStatus" AS ENUM ('active', 'cancelled', 'finished');

-- CreateEnum
CREATE TYPE "ScheduleKind" AS ENUM ('at', 'cron');

-- CreateEnum
CREATE TYPE "RunStatus" AS ENUM ('scheduled', 'arming', 'baseline', 'injecting', 'observing', 'rolling_back', 'recovery', 'completed', 'aborted', 'failed', 'cancelled', 'skipped');

-- CreateEnum
CREATE TYPE "RunTrigger" AS ENUM ('schedule', 'manual', 'catch_up');

-- CreateEnum
CREATE TYPE "Verdict" AS ENUM ('hypothesis_held', 'hypothesis_violated', 'aborted', 'inconclusive');

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "createdById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMPTZ(3),
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GameDay" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "champion" TEXT,
    "environment" TEXT,
    "mode" "GameDayMode" NOT NULL DEFAULT 'announced',
    "status" "GameDayStatus" NOT NULL DEFAULT 'active',
    "timezone" TEXT NOT NULL,
    "scheduleKind" "ScheduleKind" NOT NULL,
    "runAt" TIMESTAMPTZ(3),
    "cron" TEXT,
    "cronTimezone" TEXT,
    "startsAt" TIMESTAMPTZ(3),
    "endsAt" TIMESTAMPTZ(3),
    "spec" JSONB NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "nextRunAt" TIMESTAMPTZ(3),
    "revealedAt" TIMESTAMPTZ(3),
    "createdById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "cancelledAt" TIMESTAMPTZ(3),

    CONSTRAINT "GameDay_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Run" (
    "id" UUID NOT NULL,
    "gameDayId" UUID NOT NULL,
    "scheduledFor" TIMESTAMPTZ(3) NOT NULL,
    "trigger" "RunTrigger" NOT NULL DEFAULT 'schedule',
    "status" "RunStatus" NOT NULL DEFAULT 'scheduled',
    "spec" JSONB NOT NULL,
    "gameDayVersion" INTEGER NOT NULL,
    "experimentIndex" INTEGER NOT NULL DEFAULT 0,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),
    "verdict" "Verdict",
    "result" JSONB,
    "error" TEXT,
    "abortRequestedAt" TIMESTAMPTZ(3),
    "abortReason" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Run_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RunEvent" (
    "id" BIGSERIAL NOT NULL,
    "runId" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "phase" "RunStatus",
    "experimentIndex" INTEGER,
    "plannedAt" TIMESTAMPTZ(3),
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "message" TEXT NOT NULL,
    "data" JSONB,

    CONSTRAINT "RunEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ActiveFault" (
    "id" UUID NOT NULL,
    "runId" UUID,
    "experimentIndex" INTEGER NOT NULL DEFAULT 0,
    "kind" TEXT NOT NULL,
    "strategy" TEXT NOT NULL,
    "engine" TEXT NOT NULL,
    "containerId" TEXT NOT NULL,
    "containerName" TEXT NOT NULL,
    "netnsId" TEXT,
    "device" TEXT,
    "handle" TEXT,
    "helperContainerId" TEXT,
    "applyArgv" JSONB NOT NULL,
    "verifyArgv" JSONB,
    "revertArgv" JSONB NOT NULL,
    "details" JSONB,
    "plannedAt" TIMESTAMPTZ(3),
    "injectedAt" TIMESTAMPTZ(3),
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "revertedAt" TIMESTAMPTZ(3),
    "revertReason" TEXT,
    "revertAttempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ActiveFault_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProbeSample" (
    "id" BIGSERIAL NOT NULL,
    "runId" UUID NOT NULL,
    "experimentIndex" INTEGER NOT NULL,
    "probe" TEXT NOT NULL,
    "phase" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "durationMs" DOUBLE PRECISION NOT NULL,
    "status" INTEGER,
    "ok" BOOLEAN NOT NULL,
    "errorKind" TEXT,

    CONSTRAINT "ProbeSample_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RunNote" (
    "id" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "owner" TEXT,
    "doneAt" TIMESTAMPTZ(3),
    "author" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RunNote_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");

-- CreateIndex
CREATE INDEX "GameDay_status_nextRunAt_idx" ON "GameDay"("status", "nextRunAt");

-- CreateIndex
CREATE INDEX "GameDay_createdAt_id_idx" ON "GameDay"("createdAt", "id");

-- CreateIndex
CREATE INDEX "Run_status_idx" ON "Run"("status");

-- CreateIndex
CREATE INDEX "Run_gameDayId_scheduledFor_idx" ON "Run"("gameDayId", "scheduledFor" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "Run_gameDayId_scheduledFor_key" ON "Run"("gameDayId", "scheduledFor");

-- CreateIndex
CREATE INDEX "RunEvent_runId_id_idx" ON "RunEvent"("runId", "id");

-- CreateIndex
CREATE INDEX "ActiveFault_revertedAt_expiresAt_idx" ON "ActiveFault"("revertedAt", "expiresAt");

-- CreateIndex
CREATE INDEX "ActiveFault_runId_idx" ON "ActiveFault"("runId");

-- CreateIndex
CREATE INDEX "ProbeSample_runId_experimentIndex_at_idx" ON "ProbeSample"("runId", "experimentIndex", "at");

-- CreateIndex
CREATE INDEX "RunNote_runId_createdAt_idx" ON "RunNote"("runId", "createdAt");

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_gameDayId_fkey" FOREIGN KEY ("gameDayId") REFERENCES "GameDay"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RunEvent" ADD CONSTRAINT "RunEvent_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ActiveFault" ADD CONSTRAINT "ActiveFault_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProbeSample" ADD CONSTRAINT "ProbeSample_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RunNote" ADD CONSTRAINT "RunNote_runId_fkey" FOREIGN KEY ("runId") REFERENCES "Run"("id") ON DELETE CASCADE ON UPDATE CASCADE;
