-- One fault owner per target network namespace: "engine|netns" while a lease is open.
ALTER TABLE "ActiveFault" ADD COLUMN "netnsLock" TEXT;

-- Leases open today take their lock (the oldest one wins should two already share a netns).
UPDATE "ActiveFault" a SET "netnsLock" = a."engine" || '|' || a."netnsId"
WHERE a."revertedAt" IS NULL AND a."netnsId" IS NOT NULL
  AND a."id" = (
    SELECT b."id" FROM "ActiveFault" b
    WHERE b."revertedAt" IS NULL AND b."engine" = a."engine" AND b."netnsId" = a."netnsId"
    ORDER BY b."createdAt" ASC LIMIT 1
  );

-- CreateIndex
CREATE UNIQUE INDEX "ActiveFault_netnsLock_key" ON "ActiveFault"("netnsLock");
