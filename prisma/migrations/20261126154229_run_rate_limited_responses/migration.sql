-- AlterTable
ALTER TABLE "engagement_runs" ADD COLUMN     "rate_limited_responses" INTEGER NOT NULL DEFAULT 0;
