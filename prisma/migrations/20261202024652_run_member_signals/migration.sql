-- CreateTable
CREATE TABLE "run_member_signals" (
    "run_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "signals" JSONB NOT NULL,

    CONSTRAINT "run_member_signals_pkey" PRIMARY KEY ("run_id","user_id")
);

-- AddForeignKey
ALTER TABLE "run_member_signals" ADD CONSTRAINT "run_member_signals_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "engagement_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
