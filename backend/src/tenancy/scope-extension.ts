import { NotFoundException } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';

type Where = Record<string, unknown>;

/**
 * How each patient-data model belongs to a hospital. Every query on these
 * models made through TenancyService.db() is narrowed to the caller's hospitals:
 * a row outside the scope behaves exactly like a row that does not exist.
 */
const TENANT_FILTERS: Partial<Record<Prisma.ModelName, (ids: string[]) => Where>> = {
  Hospital: (ids) => ({ id: { in: ids } }),
  Archive: (ids) => ({ hospitalId: { in: ids } }),
  ApiKey: (ids) => ({ hospitalId: { in: ids } }),
  Patient: (ids) => ({ hospitalId: { in: ids } }),
  Study: (ids) => ({ hospitalId: { in: ids } }),
  Series: (ids) => ({ study: { hospitalId: { in: ids } } }),
  Instance: (ids) => ({ study: { hospitalId: { in: ids } } }),
  Order: (ids) => ({ hospitalId: { in: ids } }),
  WorklistItem: (ids) => ({ hospitalId: { in: ids } }),
  Report: (ids) => ({ hospitalId: { in: ids } }),
  ConsultSession: (ids) => ({ hospitalId: { in: ids } }),
};

const FILTERED = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
  'groupBy',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'delete',
  'deleteMany',
  'upsert',
]);
const CREATES = new Set(['create', 'createMany', 'createManyAndReturn', 'upsert']);

function assertCreatable(model: string, data: unknown, ids: string[]): void {
  const rows = Array.isArray(data) ? data : [data];
  for (const row of rows as Where[]) {
    const hospitalId = (row?.hospitalId ?? (row?.hospital as Where)?.connect) as unknown;
    const id = typeof hospitalId === 'string' ? hospitalId : (hospitalId as Where | undefined)?.id;
    if (model === 'Hospital' || typeof id !== 'string' || !ids.includes(id)) {
      throw new NotFoundException('Hospital not found');
    }
  }
}

export function scopeExtension(hospitalIds: readonly string[]) {
  const ids = [...hospitalIds];
  return Prisma.defineExtension({
    name: 'tenant-scope',
    query: {
      $allModels: {
        async $allOperations({ model, operation, args, query }) {
          const filter = TENANT_FILTERS[model as Prisma.ModelName];
          if (!filter) return query(args);
          const a = (args ?? {}) as Where;
          if (CREATES.has(operation)) {
            if (model === 'Series' || model === 'Instance') {
              throw new Error(`${model} rows are written by ingestion, not through a caller's scope`);
            }
            assertCreatable(model, operation === 'upsert' ? a.create : a.data, ids);
          }
          if (FILTERED.has(operation)) {
            const where = (a.where ?? {}) as Where;
            const and = where.AND === undefined ? [] : Array.isArray(where.AND) ? where.AND : [where.AND];
            // Unique fields stay at the top level so findUnique/update keep their unique lookup.
            a.where = { ...where, AND: [...and, filter(ids)] };
          }
          return query(a);
        },
      },
    },
  });
}
