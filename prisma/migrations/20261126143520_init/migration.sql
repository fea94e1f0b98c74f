-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "MembershipRole" AS ENUM ('admin', 'member');

-- CreateEnum
CREATE TYPE "MembershipStatus" AS ENUM ('active', 'left');

-- CreateEnum
CREATE TYPE "RegistrationStatus" AS ENUM ('registered', 'attended', 'no_show', 'cancelled');

-- CreateEnum
CREATE TYPE "EngagementLevel" AS ENUM ('highly_engaged', 'moderate', 'at_risk', 'new', 'inactive');

-- CreateEnum
CREATE TYPE "EngagementSource" AS ENUM ('rules', 'llm', 'fallback', 'carried');

-- CreateEnum
CREATE TYPE "OverrideAction" AS ENUM ('set', 'cleared', 'expired');

-- CreateEnum
CREATE TYPE "RunTrigger" AS ENUM ('scheduled', 'manual');

-- CreateEnum
CREATE TYPE "RunStatus" AS ENUM ('queued', 'running', 'completed', 'failed');

-- CreateTable
CREATE TABLE "organizations" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "organizations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "memberships" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "role" "MembershipRole" NOT NULL DEFAULT 'member',
    "status" "MembershipStatus" NOT NULL DEFAULT 'active',
    "joined_at" TIMESTAMPTZ(3) NOT NULL,
    "left_at" TIMESTAMPTZ(3),

    CONSTRAINT "memberships_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "events" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "org_id" UUID NOT NULL,
    "title" TEXT NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "ends_at" TIMESTAMPTZ(3) NOT NULL,
    "cancelled_at" TIMESTAMPTZ(3),

    CONSTRAINT "events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "registrations" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "event_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "status" "RegistrationStatus" NOT NULL DEFAULT 'registered',
    "registered_at" TIMESTAMPTZ(3) NOT NULL,
    "checked_in_at" TIMESTAMPTZ(3),

    CONSTRAINT "registrations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "member_engagements" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "level" "EngagementLevel" NOT NULL,
    "source" "EngagementSource" NOT NULL,
    "admin_explanation" TEXT NOT NULL,
    "member_explanation" TEXT NOT NULL,
    "key_factors" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "signals" JSONB NOT NULL,
    "inputs_fingerprint" TEXT NOT NULL,
    "model" TEXT,
    "fallback_reason" TEXT,
    "input_tokens" INTEGER NOT NULL DEFAULT 0,
    "output_tokens" INTEGER NOT NULL DEFAULT 0,
    "cache_read_tokens" INTEGER NOT NULL DEFAULT 0,
    "cache_write_tokens" INTEGER NOT NULL DEFAULT 0,
    "computed_at" TIMESTAMPTZ(3) NOT NULL,
    "run_id" UUID,
    "override_level" "EngagementLevel",
    "override_note" TEXT,
    "overridden_by" UUID,
    "overridden_at" TIMESTAMPTZ(3),
    "override_expires_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "member_engagements_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "engagement_override_history" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "action" "OverrideAction" NOT NULL,
    "previous_level" "EngagementLevel",
    "new_level" "EngagementLevel",
    "note" TEXT,
    "actor_id" UUID,
    "expires_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "engagement_override_history_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "engagement_snapshots" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "run_id" UUID NOT NULL,
    "level" "EngagementLevel" NOT NULL,
    "source" "EngagementSource" NOT NULL,
    "signals" JSONB NOT NULL,
    "fallback_reason" TEXT,
    "llm_calls" INTEGER NOT NULL DEFAULT 0,
    "input_tokens" INTEGER NOT NULL DEFAULT 0,
    "output_tokens" INTEGER NOT NULL DEFAULT 0,
    "cache_read_tokens" INTEGER NOT NULL DEFAULT 0,
    "cache_write_tokens" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "engagement_snapshots_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "engagement_runs" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "org_id" UUID NOT NULL,
    "run_key" TEXT NOT NULL,
    "trigger" "RunTrigger" NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'queued',
    "force" BOOLEAN NOT NULL DEFAULT false,
    "as_of" TIMESTAMPTZ(3),
    "members_total" INTEGER NOT NULL DEFAULT 0,
    "count_highly_engaged" INTEGER NOT NULL DEFAULT 0,
    "count_moderate" INTEGER NOT NULL DEFAULT 0,
    "count_at_risk" INTEGER NOT NULL DEFAULT 0,
    "count_new" INTEGER NOT NULL DEFAULT 0,
    "count_inactive" INTEGER NOT NULL DEFAULT 0,
    "counts_by_source" JSONB NOT NULL DEFAULT '{}',
    "llm_calls" INTEGER NOT NULL DEFAULT 0,
    "input_tokens" INTEGER NOT NULL DEFAULT 0,
    "output_tokens" INTEGER NOT NULL DEFAULT 0,
    "cache_read_tokens" INTEGER NOT NULL DEFAULT 0,
    "cache_write_tokens" INTEGER NOT NULL DEFAULT 0,
    "errors" INTEGER NOT NULL DEFAULT 0,
    "error_details" JSONB NOT NULL DEFAULT '{}',
    "expired_overrides" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "engagement_runs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "organizations_slug_key" ON "organizations"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE INDEX "memberships_org_id_status_idx" ON "memberships"("org_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "memberships_user_id_org_id_key" ON "memberships"("user_id", "org_id");

-- CreateIndex
CREATE INDEX "events_org_id_starts_at_idx" ON "events"("org_id", "starts_at");

-- CreateIndex
CREATE INDEX "registrations_user_id_event_id_idx" ON "registrations"("user_id", "event_id");

-- CreateIndex
CREATE UNIQUE INDEX "registrations_event_id_user_id_key" ON "registrations"("event_id", "user_id");

-- CreateIndex
CREATE INDEX "member_engagements_org_id_level_idx" ON "member_engagements"("org_id", "level");

-- CreateIndex
CREATE INDEX "member_engagements_org_id_override_level_idx" ON "member_engagements"("org_id", "override_level");

-- CreateIndex
CREATE INDEX "member_engagements_org_id_computed_at_idx" ON "member_engagements"("org_id", "computed_at");

-- CreateIndex
CREATE UNIQUE INDEX "member_engagements_user_id_org_id_key" ON "member_engagements"("user_id", "org_id");

-- CreateIndex
CREATE INDEX "engagement_override_history_org_id_user_id_created_at_idx" ON "engagement_override_history"("org_id", "user_id", "created_at");

-- CreateIndex
CREATE INDEX "engagement_snapshots_run_id_level_idx" ON "engagement_snapshots"("run_id", "level");

-- CreateIndex
CREATE INDEX "engagement_snapshots_org_id_user_id_created_at_idx" ON "engagement_snapshots"("org_id", "user_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "engagement_snapshots_user_id_org_id_run_id_key" ON "engagement_snapshots"("user_id", "org_id", "run_id");

-- CreateIndex
CREATE INDEX "engagement_runs_org_id_created_at_idx" ON "engagement_runs"("org_id", "created_at");

-- CreateIndex
CREATE INDEX "engagement_runs_status_idx" ON "engagement_runs"("status");

-- CreateIndex
CREATE UNIQUE INDEX "engagement_runs_org_id_run_key_key" ON "engagement_runs"("org_id", "run_key");

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "events" ADD CONSTRAINT "events_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registrations" ADD CONSTRAINT "registrations_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "events"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registrations" ADD CONSTRAINT "registrations_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "member_engagements" ADD CONSTRAINT "member_engagements_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "member_engagements" ADD CONSTRAINT "member_engagements_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "member_engagements" ADD CONSTRAINT "member_engagements_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "engagement_runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "member_engagements" ADD CONSTRAINT "member_engagements_overridden_by_fkey" FOREIGN KEY ("overridden_by") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "engagement_override_history" ADD CONSTRAINT "engagement_override_history_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "engagement_override_history" ADD CONSTRAINT "engagement_override_history_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "engagement_override_history" ADD CONSTRAINT "engagement_override_history_actor_id_fkey" FOREIGN KEY ("actor_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "engagement_snapshots" ADD CONSTRAINT "engagement_snapshots_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "engagement_snapshots" ADD CONSTRAINT "engagement_snapshots_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "engagement_snapshots" ADD CONSTRAINT "engagement_snapshots_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "engagement_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "engagement_runs" ADD CONSTRAINT "engagement_runs_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;
