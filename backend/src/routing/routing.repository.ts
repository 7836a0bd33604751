import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import type { Prisma } from '../generated/prisma/client.js';
import { ensureDefaultRules, lockNetworkRules, writeDefaultRules } from './default-rules.js';

const RULE = {
  id: true,
  rank: true,
  name: true,
  subspecialty: true,
  modalities: true,
  bodyPartPattern: true,
  descriptionPattern: true,
  procedureCodePattern: true,
  minPatientAgeYears: true,
  maxPatientAgeYears: true,
  enabled: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.RoutingRuleSelect;

export type RoutingRuleRow = Prisma.RoutingRuleGetPayload<{ select: typeof RULE }>;
export type RuleChanges = Omit<Prisma.RoutingRuleUncheckedUpdateInput, 'id' | 'networkId' | 'rank' | 'createdAt' | 'updatedAt'>;

type Tx = Prisma.TransactionClient;

// Equal ranks (possible only through hand edits) still give one stable order.
const ORDER: Prisma.RoutingRuleOrderByWithRelationInput[] = [{ rank: 'asc' }, { createdAt: 'asc' }, { id: 'asc' }];

/**
 * Routing rules of one network. Ranks are kept dense (1..n): every change that moves, adds or
 * removes a rule renumbers the others in the same transaction, under a per-network lock.
 * Not patient data, so the unscoped client with an explicit networkId in every query.
 */
@Injectable()
export class RoutingRepository {
  constructor(private readonly prisma: PrismaService) {}

  list(networkId: string): Promise<RoutingRuleRow[]> {
    return this.prisma.routingRule.findMany({ where: { networkId }, select: RULE, orderBy: ORDER });
  }

  async networkIds(): Promise<string[]> {
    return (await this.prisma.network.findMany({ select: { id: true } })).map((n) => n.id);
  }

  ensureDefaults(networkId: string): Promise<boolean> {
    return ensureDefaultRules(this.prisma, networkId);
  }

  /** Adds a rule at `position` (1-based; absent or past the end = last). */
  create(networkId: string, data: Omit<Prisma.RoutingRuleUncheckedCreateInput, 'networkId' | 'rank'>, position?: number): Promise<RoutingRuleRow> {
    return this.prisma.$transaction(async (tx) => {
      await lockNetworkRules(tx, networkId);
      const { id } = await tx.routingRule.create({ data: { ...data, networkId, rank: 2 ** 31 - 1 }, select: { id: true } });
      await this.renumber(tx, networkId, { id, position });
      return tx.routingRule.findUniqueOrThrow({ where: { id }, select: RULE });
    });
  }

  /**
   * Changes a rule of this network, moving it to `position` if given; `check` sees the rule
   * before and after the change and may throw to refuse it. Null: no such rule in this network.
   */
  update(
    networkId: string,
    id: string,
    changes: RuleChanges,
    position: number | undefined,
    check: (before: RoutingRuleRow) => void,
  ): Promise<{ before: RoutingRuleRow; after: RoutingRuleRow } | null> {
    return this.prisma.$transaction(async (tx) => {
      await lockNetworkRules(tx, networkId);
      const before = await tx.routingRule.findFirst({ where: { id, networkId }, select: RULE });
      if (!before) return null;
      check(before);
      if (Object.keys(changes).length) await tx.routingRule.update({ where: { id }, data: changes });
      if (position !== undefined) await this.renumber(tx, networkId, { id, position });
      return { before, after: await tx.routingRule.findUniqueOrThrow({ where: { id }, select: RULE }) };
    });
  }

  /** Deletes a rule unless it is the network's last one ("no rules" means "the defaults"). */
  remove(networkId: string, id: string): Promise<RoutingRuleRow | 'not-found' | 'last-rule'> {
    return this.prisma.$transaction(async (tx) => {
      await lockNetworkRules(tx, networkId);
      const rule = await tx.routingRule.findFirst({ where: { id, networkId }, select: RULE });
      if (!rule) return 'not-found';
      if ((await tx.routingRule.count({ where: { networkId } })) === 1) return 'last-rule';
      await tx.routingRule.delete({ where: { id } });
      await this.renumber(tx, networkId);
      return rule;
    });
  }

  /** Replaces every rule of the network with the default set. */
  resetToDefaults(networkId: string): Promise<RoutingRuleRow[]> {
    return this.prisma.$transaction(async (tx) => {
      await lockNetworkRules(tx, networkId);
      await tx.routingRule.deleteMany({ where: { networkId } });
      await writeDefaultRules(tx, networkId);
      return tx.routingRule.findMany({ where: { networkId }, select: RULE, orderBy: ORDER });
    });
  }

  /**
   * Procedure Code Sequence and Patient's Age from one instance of a study, for studies whose
   * study-level DICOM JSON does not carry them (ingest keeps only the QIDO study attributes there).
   */
  async instanceRoutingTags(studyId: string): Promise<Record<string, unknown>> {
    const rows = await this.prisma.$queryRaw<{ codes: unknown; age: unknown }[]>`
      SELECT "dicomJson"->'00081032' AS codes, "dicomJson"->'00101010' AS age
      FROM "Instance"
      WHERE "studyId" = ${studyId}::uuid AND ("dicomJson"->'00081032' IS NOT NULL OR "dicomJson"->'00101010' IS NOT NULL)
      LIMIT 1`;
    const row = rows[0];
    if (!row) return {};
    return { ...(row.codes ? { '00081032': row.codes } : {}), ...(row.age ? { '00101010': row.age } : {}) };
  }

  /** Ranks 1..n in current order, with `moved` taken out and put back at its position. */
  private async renumber(tx: Tx, networkId: string, moved?: { id: string; position?: number }): Promise<void> {
    const rows = await tx.routingRule.findMany({ where: { networkId }, select: { id: true, rank: true }, orderBy: ORDER });
    if (moved) {
      const from = rows.findIndex((r) => r.id === moved.id);
      const [row] = rows.splice(from, 1);
      rows.splice(Math.min((moved.position ?? Infinity) - 1, rows.length), 0, row);
    }
    const changed = rows.map((r, i) => ({ id: r.id, rank: i + 1, was: r.rank })).filter((r) => r.rank !== r.was);
    if (changed.length === 0) return;
    await tx.$executeRaw`
      UPDATE "RoutingRule" AS r SET rank = v.rank
      FROM unnest(${changed.map((c) => c.id)}::uuid[], ${changed.map((c) => c.rank)}::int[]) AS v(id, rank)
      WHERE r.id = v.id`;
  }
}
