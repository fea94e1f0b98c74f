-- AlterTable
ALTER TABLE "engagement_snapshots" ADD COLUMN     "via_batch" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "provider_batches" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "run_id" UUID NOT NULL,
    "provider_batch_id" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'in_progress',
    "requests" INTEGER NOT NULL,
    "processing" INTEGER NOT NULL DEFAULT 0,
    "succeeded" INTEGER NOT NULL DEFAULT 0,
    "errored" INTEGER NOT NULL DEFAULT 0,
    "canceled" INTEGER NOT NULL DEFAULT 0,
    "expired" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),
    "collected_at" TIMESTAMPTZ(3),

    CONSTRAINT "provider_batches_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "provider_batch_groups" (
    "batch_id" UUID NOT NULL,
    "custom_id" TEXT NOT NULL,
    "user_ids" UUID[],
    "signals" JSONB NOT NULL,

    CONSTRAINT "provider_batch_groups_pkey" PRIMARY KEY ("batch_id","custom_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "provider_batches_provider_batch_id_key" ON "provider_batches"("provider_batch_id");

-- CreateIndex
CREATE INDEX "provider_batches_run_id_idx" ON "provider_batches"("run_id");

-- AddForeignKey
ALTER TABLE "provider_batches" ADD CONSTRAINT "provider_batches_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "engagement_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "provider_batch_groups" ADD CONSTRAINT "provider_batch_groups_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "provider_batches"("id") ON DELETE CASCADE ON UPDATE CASCADE;
