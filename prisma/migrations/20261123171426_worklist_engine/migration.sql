-- CreateEnum
CREATE TYPE "ClaimSource" AS ENUM ('CLAIM', 'NEXT', 'AUTO', 'REASSIGN');

-- CreateEnum
CREATE TYPE "SlaLevel" AS ENUM ('WARN_50', 'WARN_80', 'BREACH');

-- DropIndex
DROP INDEX "RoutingRule_rank_idx";

-- AlterTable
ALTER TABLE "Hospital" ADD COLUMN     "autoAssignSubspecialties" "Subspecialty"[] DEFAULT ARRAY[]::"Subspecialty"[];

-- AlterTable
ALTER TABLE "RoutingRule" ADD COLUMN     "minPatientAgeYears" INTEGER,
ADD COLUMN     "networkId" UUID NOT NULL,
ADD COLUMN     "procedureCodePattern" TEXT,
ADD COLUMN     "updatedAt" TIMESTAMP(3) NOT NULL;

-- AlterTable
ALTER TABLE "WorklistItem" ADD COLUMN     "breachedAt" TIMESTAMP(3),
ADD COLUMN     "claimSource" "ClaimSource",
ADD COLUMN     "declinedByIds" UUID[] DEFAULT ARRAY[]::UUID[],
ADD COLUMN     "workUnits" DOUBLE PRECISION NOT NULL DEFAULT 1;

-- CreateTable
CREATE TABLE "SlaEscalation" (
    "id" UUID NOT NULL,
    "worklistItemId" UUID NOT NULL,
    "level" "SlaLevel" NOT NULL,
    "dueAt" TIMESTAMP(3) NOT NULL,
    "firedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "notifiedUserIds" UUID[] DEFAULT ARRAY[]::UUID[],

    CONSTRAINT "SlaEscalation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Notification" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "worklistItemId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "readAt" TIMESTAMP(3),

    CONSTRAINT "Notification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "SlaEscalation_worklistItemId_level_dueAt_key" ON "SlaEscalation"("worklistItemId", "level", "dueAt");

-- CreateIndex
CREATE INDEX "Notification_userId_createdAt_idx" ON "Notification"("userId", "createdAt");

-- CreateIndex
CREATE INDEX "RoutingRule_networkId_rank_idx" ON "RoutingRule"("networkId", "rank");

-- CreateIndex
CREATE INDEX "WorklistItem_state_leaseExpiresAt_idx" ON "WorklistItem"("state", "leaseExpiresAt");

-- AddForeignKey
ALTER TABLE "RoutingRule" ADD CONSTRAINT "RoutingRule_networkId_fkey" FOREIGN KEY ("networkId") REFERENCES "Network"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SlaEscalation" ADD CONSTRAINT "SlaEscalation_worklistItemId_fkey" FOREIGN KEY ("worklistItemId") REFERENCES "WorklistItem"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Notification" ADD CONSTRAINT "Notification_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
