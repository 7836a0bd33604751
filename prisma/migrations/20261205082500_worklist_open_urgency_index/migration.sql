-- Raw-SQL index, not in schema.prisma (Prisma cannot declare a partial index); the snapshot
-- beside this file is the previous migration's schema, so `migrate.mjs new` neither sees nor
-- drops it. The worklist's first page in its default order (priority class, then due time) over
-- the open cases only: PostgreSQL walks it in order and stops after a page of the reader's
-- eligible cases, instead of reading every eligible open case and sorting them (1,000,000
-- studies with 50,000 open: 17 ms → well under 1 ms for a reader eligible for a few thousand).
CREATE INDEX IF NOT EXISTS "WorklistItem_open_urgency_idx"
  ON "WorklistItem" (priority, "dueAt", id, "hospitalId", subspecialty)
  WHERE state IN ('UNREAD', 'CLAIMED', 'PRELIMINARY');
