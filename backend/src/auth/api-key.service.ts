import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import type { ApiKeyPrincipal } from '../common/principal.js';
import { sha256 } from './token.service.js';

const KEY_PATTERN = /^tr_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/;

/**
 * Per-hospital machine credentials: `tr_<prefix>_<secret>`. The prefix finds the row;
 * only a SHA-256 of the whole key is stored (256 random bits need no slow hash).
 */
@Injectable()
export class ApiKeyService {
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
    const row = await this.prisma.apiKey.findUnique({ where: { prefix: match[1] } });
    if (!row || row.revokedAt) return null;
    const expected = Buffer.from(row.keyHash, 'hex');
    const actual = Buffer.from(sha256(key), 'hex');
    if (!timingSafeEqual(expected, actual)) return null;
    // Bookkeeping only; never block the request on it.
    void this.prisma.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => undefined);
    return { kind: 'API_KEY', apiKeyId: row.id, hospitalId: row.hospitalId, name: row.name };
  }
}
