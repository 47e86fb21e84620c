-- The GameDay list at 100 000 rows: each filter gets an index in the list's order (createdAt, id:
-- read backwards for newest first) so a page is a short range scan; the name search (ILIKE %q%)
-- gets a trigram index. pg_trgm ships with Postgres (contrib; Debian's postgresql-15 has it).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateIndex
CREATE INDEX "GameDay_status_createdAt_id_idx" ON "GameDay"("status", "createdAt", "id");

-- CreateIndex
CREATE INDEX "GameDay_environment_createdAt_id_idx" ON "GameDay"("environment", "createdAt", "id");

-- CreateIndex
CREATE INDEX "GameDay_scheduleKind_createdAt_id_idx" ON "GameDay"("scheduleKind", "createdAt", "id");

-- CreateIndex
CREATE INDEX "GameDay_mode_createdAt_id_idx" ON "GameDay"("mode", "createdAt", "id");

-- CreateIndex
CREATE INDEX "GameDay_name_trgm_idx" ON "GameDay" USING GIN ("name" gin_trgm_ops);
