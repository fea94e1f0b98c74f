-- AlterTable
ALTER TABLE "api_key_audit" ADD COLUMN     "actor_erasure_id" UUID;

-- AlterTable
ALTER TABLE "api_keys" ADD COLUMN     "created_by_erasure_id" UUID;

-- AlterTable
ALTER TABLE "engagement_override_history" ADD COLUMN     "actor_erasure_id" UUID;

-- AlterTable
ALTER TABLE "member_engagements" ADD COLUMN     "overridden_by_erasure_id" UUID;

-- CreateTable
CREATE TABLE "erasures" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "org_id" UUID,
    "actor_id" UUID,
    "actor_erasure_id" UUID,
    "counts" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lifted_at" TIMESTAMPTZ(3),
    "lifted_by" UUID,

    CONSTRAINT "erasures_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "erasure_tombstones" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "erasure_id" UUID NOT NULL,
    "org_id" UUID,
    "kind" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "erasure_tombstones_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deployment_secrets" (
    "name" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "deployment_secrets_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "erasures_created_at_idx" ON "erasures"("created_at");

-- CreateIndex
CREATE INDEX "erasure_tombstones_hash_idx" ON "erasure_tombstones"("hash");

-- CreateIndex
CREATE INDEX "erasure_tombstones_erasure_id_idx" ON "erasure_tombstones"("erasure_id");

-- AddForeignKey
ALTER TABLE "member_engagements" ADD CONSTRAINT "member_engagements_overridden_by_erasure_id_fkey" FOREIGN KEY ("overridden_by_erasure_id") REFERENCES "erasures"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "engagement_override_history" ADD CONSTRAINT "engagement_override_history_actor_erasure_id_fkey" FOREIGN KEY ("actor_erasure_id") REFERENCES "erasures"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_created_by_erasure_id_fkey" FOREIGN KEY ("created_by_erasure_id") REFERENCES "erasures"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_key_audit" ADD CONSTRAINT "api_key_audit_actor_erasure_id_fkey" FOREIGN KEY ("actor_erasure_id") REFERENCES "erasures"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "erasures" ADD CONSTRAINT "erasures_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "erasures" ADD CONSTRAINT "erasures_actor_erasure_id_fkey" FOREIGN KEY ("actor_erasure_id") REFERENCES "erasures"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "erasure_tombstones" ADD CONSTRAINT "erasure_tombstones_erasure_id_fkey" FOREIGN KEY ("erasure_id") REFERENCES "erasures"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "erasure_tombstones" ADD CONSTRAINT "erasure_tombstones_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
