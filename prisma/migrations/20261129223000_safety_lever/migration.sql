-- CreateTable
CREATE TABLE "SafetyLever" (
    "id" TEXT NOT NULL DEFAULT 'global',
    "engaged" BOOLEAN NOT NULL DEFAULT false,
    "reason" TEXT,
    "engagedAt" TIMESTAMPTZ(3),
    "engagedBy" TEXT,
    "releasedAt" TIMESTAMPTZ(3),
    "releasedBy" TEXT,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SafetyLever_pkey" PRIMARY KEY ("id")
);
