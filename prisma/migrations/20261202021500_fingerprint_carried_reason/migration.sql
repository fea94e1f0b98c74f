-- AlterTable
ALTER TABLE "engagement_runs" ADD COLUMN     "counts_by_carried_reason" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "engagement_snapshots" ADD COLUMN     "carried_reason" TEXT;

-- AlterTable
ALTER TABLE "member_engagements" ALTER COLUMN "inputs_fingerprint" DROP NOT NULL;
