-- CreateIndex
CREATE INDEX "Study_hospitalId_receivedAt_id_idx" ON "Study"("hospitalId", "receivedAt", "id");

-- CreateIndex
CREATE INDEX "Study_receivedAt_id_idx" ON "Study"("receivedAt", "id");

-- CreateIndex
CREATE INDEX "Series_seriesInstanceUid_idx" ON "Series"("seriesInstanceUid");

-- CreateIndex
CREATE INDEX "Instance_sopInstanceUid_idx" ON "Instance"("sopInstanceUid");
