-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN     "patientSetDigest" TEXT;

-- CreateTable
CREATE TABLE "AuditPatientSet" (
    "digest" TEXT NOT NULL,
    "patientIds" UUID[],
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditPatientSet_pkey" PRIMARY KEY ("digest")
);

-- CreateIndex
CREATE INDEX "AuditPatientSet_patientIds_idx" ON "AuditPatientSet" USING GIN ("patientIds");

-- CreateIndex
CREATE INDEX "AuditEvent_patientSetDigest_idx" ON "AuditEvent"("patientSetDigest");

-- Patient sets are part of the trail: append-only like the events (one function for both tables).
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "AuditPatientSet_append_only"
  BEFORE UPDATE OR DELETE ON "AuditPatientSet"
  FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();

CREATE TRIGGER "AuditPatientSet_no_truncate"
  BEFORE TRUNCATE ON "AuditPatientSet"
  FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
