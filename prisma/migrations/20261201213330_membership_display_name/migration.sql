-- AlterTable
ALTER TABLE "memberships" ADD COLUMN     "display_name" TEXT;
