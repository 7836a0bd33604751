-- One audit event per access, naming every patient it touched (was: one row per patient, so a
-- worklist page of 50 cases wrote 50 rows on every read). Existing events keep their patient.
ALTER TABLE "AuditEvent" ADD COLUMN "patientIds" UUID[] DEFAULT ARRAY[]::UUID[];

-- The trail is append-only (trigger); moving the column's values is the one sanctioned rewrite.
ALTER TABLE "AuditEvent" DISABLE TRIGGER "AuditEvent_append_only";
UPDATE "AuditEvent" SET "patientIds" = ARRAY["patientId"] WHERE "patientId" IS NOT NULL;
ALTER TABLE "AuditEvent" ENABLE TRIGGER "AuditEvent_append_only";

-- DropIndex
DROP INDEX "AuditEvent_patientId_at_idx";

-- AlterTable
ALTER TABLE "AuditEvent" DROP COLUMN "patientId";

-- CreateIndex (IF NOT EXISTS: migration 20261123191104_qido_patient_id_index made it by hand)
CREATE INDEX IF NOT EXISTS "Patient_mrn_idx" ON "Patient"("mrn");

-- CreateIndex
CREATE INDEX "AuditEvent_patientIds_idx" ON "AuditEvent" USING GIN ("patientIds");
