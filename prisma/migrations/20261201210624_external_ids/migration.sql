-- AlterTable
ALTER TABLE "events" ADD COLUMN     "external_id" TEXT;

-- AlterTable
ALTER TABLE "memberships" ADD COLUMN     "external_id" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "events_org_id_external_id_key" ON "events"("org_id", "external_id");

-- CreateIndex
CREATE UNIQUE INDEX "memberships_org_id_external_id_key" ON "memberships"("org_id", "external_id");
