-- AlterTable
ALTER TABLE "engagement_runs" ADD COLUMN     "llm_stopped_at" TIMESTAMPTZ(3),
ADD COLUMN     "llm_stopped_reason" TEXT;
