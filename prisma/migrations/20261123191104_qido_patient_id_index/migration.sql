-- Raw-SQL index, not in schema.prisma (the QIDO work could not edit the schema): QIDO's most
-- common key, PatientID, matches "Patient".mrn across every issuer of the caller's hospitals,
-- which the unique (hospitalId, issuer, mrn) index cannot serve; without this, all patients are
-- read for one MRN (100,000 patients: 23 ms instead of under 1 ms). schema.snapshot.prisma is
-- the previous migration's, unchanged, so `migrate.mjs new` neither sees nor drops this index.
-- To move it into the schema: add `@@index([mrn])` to Patient (Prisma names it the same) and
-- make that migration's CREATE INDEX "Patient_mrn_idx" an IF NOT EXISTS.
CREATE INDEX IF NOT EXISTS "Patient_mrn_idx" ON "Patient"("mrn");
