import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, OnModuleInit, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { PrismaService } from '../database/prisma.service.js';
import type { Role } from '../generated/prisma/enums.js';

export interface AccessTokenClaims {
  sub: string;
  role: Role;
  typ: 'access';
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** Access tokens remembered as verified, per process (a signed-in person's tab sends the same one for minutes). */
const VERIFIED_TOKENS = 20_000;

/**
 * Short-lived JWT access tokens and rotating refresh tokens.
 * A refresh token is random, stored only as a hash, used once: refreshing
 * rotates it, and presenting an already-rotated token revokes its whole
 * family (it was stolen, or replayed).
 */
@Injectable()
export class TokenService implements OnModuleInit {
  private secret!: string;
  /**
   * Tokens whose signature was checked, until their expiry: the same token string can only verify
   * the same way, and the check (jsonwebtoken with an HMAC secret) was the largest cost of a cached read.
   */
  private readonly verified = new Map<string, AccessTokenClaims & { exp: number }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly jwt: JwtService,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.JWT_SECRET) {
      this.secret = this.config.JWT_SECRET;
      return;
    }
    // No configured key: generate one once and share it through the database, so every
    // backend process verifies every other's tokens and restarts keep sessions.
    const name = 'jwt-signing-key';
    await this.prisma.platformSecret.createMany({
      data: [{ name, value: randomBytes(48).toString('base64url') }],
      skipDuplicates: true,
    });
    this.secret = (await this.prisma.platformSecret.findUniqueOrThrow({ where: { name } })).value;
  }

  signAccess(userId: string, role: Role, ttlSeconds = this.config.ACCESS_TOKEN_TTL_SECONDS): string {
    const claims: AccessTokenClaims = { sub: userId, role, typ: 'access' };
    return this.jwt.sign(claims, { secret: this.secret, expiresIn: ttlSeconds, algorithm: 'HS256' });
  }

  verifyAccess(token: string): AccessTokenClaims {
    const known = this.verified.get(token);
    if (known && known.exp * 1000 > Date.now()) return known;
    if (known) this.verified.delete(token);
    let claims: AccessTokenClaims & { exp: number };
    try {
      claims = this.jwt.verify<AccessTokenClaims & { exp: number }>(token, { secret: this.secret, algorithms: ['HS256'] });
    } catch (err) {
      const expired = (err as Error).name === 'TokenExpiredError';
      throw new UnauthorizedException(expired ? 'Access token expired' : 'Invalid access token');
    }
    if (claims.typ !== 'access') throw new UnauthorizedException('Invalid access token');
    if (typeof claims.exp === 'number') {
      if (this.verified.size >= VERIFIED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, claims);
    }
    return claims;
  }

  async issuePair(userId: string, role: Role, sourceIp: string | null, familyId: string = randomUUID()): Promise<TokenPair> {
    const refreshToken = `rt_${randomBytes(32).toString('base64url')}`;
    await this.prisma.refreshToken.create({
      data: {
        userId,
        familyId,
        tokenHash: sha256(refreshToken),
        expiresAt: new Date(Date.now() + this.config.REFRESH_TOKEN_TTL_SECONDS * 1000),
        sourceIp,
      },
    });
    return { accessToken: this.signAccess(userId, role), refreshToken, expiresIn: this.config.ACCESS_TOKEN_TTL_SECONDS };
  }

  /** Marks the token used and returns its owner; exactly one concurrent caller wins. */
  async consumeRefresh(refreshToken: string): Promise<{ userId: string; familyId: string }> {
    const row = await this.prisma.refreshToken.findUnique({ where: { tokenHash: sha256(refreshToken) } });
    if (!row) throw new UnauthorizedException('Invalid refresh token');
    if (row.revokedAt) throw new UnauthorizedException('Refresh token revoked');
    if (row.expiresAt <= new Date()) throw new UnauthorizedException('Refresh token expired');
    const won = await this.prisma.refreshToken.updateMany({
      where: { id: row.id, rotatedAt: null, revokedAt: null },
      data: { rotatedAt: new Date() },
    });
    if (won.count !== 1) {
      // Reuse of a rotated token: someone else holds this login. End it everywhere.
      await this.revokeFamily(row.familyId);
      throw new UnauthorizedException('Refresh token already used; this login has been signed out');
    }
    return { userId: row.userId, familyId: row.familyId };
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.prisma.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: new Date() } });
  }

  async revokeByToken(refreshToken: string): Promise<boolean> {
    const row = await this.prisma.refreshToken.findUnique({ where: { tokenHash: sha256(refreshToken) } });
    if (!row) return false;
    await this.revokeFamily(row.familyId);
    return true;
  }

  async revokeAllForUser(userId: string): Promise<void> {
    await this.prisma.refreshToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } });
  }
}
