import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import type { ApiKeyPrincipal } from '../common/principal.js';
import { sha256 } from './token.service.js';

const KEY_PATTERN = /^tr_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/;
/** lastUsedAt is written at most this often per key (an archive may call many times a second). */
const LAST_USED_EVERY_MS = 60_000;

/**
 * Per-hospital machine credentials: `tr_<prefix>_<secret>`. The prefix finds the row;
 * only a SHA-256 of the whole key is stored (256 random bits need no slow hash).
 */
@Injectable()
export class ApiKeyService {
  /** Key id → when this process last wrote its lastUsedAt. */
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(private readonly prisma: PrismaService) {}

  /** Creates a key; the plain key is returned once and never stored. */
  async create(hospitalId: string, name: string): Promise<{ id: string; key: string; prefix: string }> {
    const prefix = randomBytes(9).toString('base64url');
    const key = `tr_${prefix}_${randomBytes(32).toString('base64url')}`;
    const row = await this.prisma.apiKey.create({ data: { hospitalId, name, prefix, keyHash: sha256(key) } });
    return { id: row.id, key, prefix };
  }

  async authenticate(key: string): Promise<ApiKeyPrincipal | null> {
    const match = KEY_PATTERN.exec(key);
    if (!match) return null;
    // Read on every request (revocation is immediate); plain SQL on the pool, this is every API call's first step.
    const {
      rows: [row],
    } = await this.prisma.pool.query<{ id: string; hospitalId: string; name: string; keyHash: string; revokedAt: Date | null }>(
      'SELECT id::text AS id, "hospitalId"::text AS "hospitalId", name, "keyHash", "revokedAt" FROM "ApiKey" WHERE prefix = $1',
      [match[1]],
    );
    if (!row || row.revokedAt) return null;
    const expected = Buffer.from(row.keyHash, 'hex');
    const actual = Buffer.from(sha256(key), 'hex');
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
    this.touch(row.id);
    return { kind: 'API_KEY', apiKeyId: row.id, hospitalId: row.hospitalId, name: row.name };
  }

  /** Bookkeeping only (at most once a minute per key); never blocks the request. */
  private touch(id: string): void {
    const now = Date.now();
    if (now - (this.lastUsedWritten.get(id) ?? 0) < LAST_USED_EVERY_MS) return;
    if (this.lastUsedWritten.size > 10_000) this.lastUsedWritten.clear();
    this.lastUsedWritten.set(id, now);
    void this.prisma.apiKey.update({ where: { id }, data: { lastUsedAt: new Date(now) } }).catch(() => undefined);
  }
}
