-- Raw-SQL indexes, not in schema.prisma (Prisma cannot declare partial indexes); the snapshot
-- beside this file is the previous migration's schema, so `migrate.mjs new` neither sees nor
-- drops them. The job sweep (backend/src/jobs/job-sweep.service.ts) pages through the open cases
-- and the studies still receiving in id order, every few minutes: with these it reads those
-- rows only, not the whole (mostly final) table.
CREATE INDEX IF NOT EXISTS "WorklistItem_open_id_idx" ON "WorklistItem" (id)
  WHERE state IN ('UNREAD', 'CLAIMED', 'PRELIMINARY');
CREATE INDEX IF NOT EXISTS "Study_receiving_id_idx" ON "Study" (id) WHERE status = 'RECEIVING';
