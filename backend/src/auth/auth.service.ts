import { HttpException, HttpStatus, Inject, Injectable, UnauthorizedException, ForbiddenException } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { AccountCache } from '../cache/account-cache.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { requestContext } from '../common/request-context.js';
import type { UserPrincipal } from '../common/principal.js';
import type { User } from '../generated/prisma/client.js';
import { UsersRepository } from '../users/users.repository.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { PasswordService } from './password.service.js';
import { TokenService } from './token.service.js';

export function toPrincipal(user: Pick<User, 'id' | 'role' | 'email' | 'displayName' | 'networkId' | 'hospitalId'>): UserPrincipal {
  return {
    kind: 'USER',
    userId: user.id,
    role: user.role,
    email: user.email,
    displayName: user.displayName,
    networkId: user.networkId,
    hospitalId: user.hospitalId,
  };
}

@Injectable()
export class AuthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersRepository,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly throttle: LoginThrottleService,
    private readonly audit: AuditService,
    private readonly accounts: AccountCache,
  ) {}

  async login(email: string, password: string) {
    const ip = requestContext.current()?.sourceIp ?? null;
    const [throttled, user] = await Promise.all([this.throttle.isThrottled(ip), this.users.findByEmail(email)]);
    const fail = (outcome: 'DENIED' | 'FAILURE', reason: string) =>
      this.audit.record({ action: 'auth.login', objectType: 'User', objectId: user?.id, outcome, detail: { email, reason } });

    if (user?.lockedUntil && user.lockedUntil > new Date()) {
      await fail('DENIED', 'locked');
      throw new HttpException(
        `Account locked after too many failed sign-in attempts; try again after ${user.lockedUntil.toISOString()} or ask an administrator`,
        HttpStatus.LOCKED,
      );
    }
    const ok = await this.passwords.verify(user?.passwordHash ?? null, password);
    if (!ok || !user) {
      await this.throttle.recordFailure(ip);
      if (user) await this.users.recordFailedLogin(user.id, this.config.LOGIN_MAX_FAILURES, this.config.LOGIN_LOCK_SECONDS);
      await fail('FAILURE', 'wrong credentials');
      if (throttled) {
        throw new HttpException('Too many failed sign-in attempts from your address; wait a few minutes', HttpStatus.TOO_MANY_REQUESTS);
      }
      throw new UnauthorizedException('Wrong email or password');
    }
    if (!user.active) {
      await fail('DENIED', 'deactivated');
      throw new ForbiddenException('This account has been deactivated');
    }
    await this.users.clearFailedLogins(user.id);
    const pair = await this.tokens.issuePair(user.id, user.role, ip);
    requestContext.require().principal = toPrincipal(user);
    await this.audit.record({ action: 'auth.login', objectType: 'User', objectId: user.id });
    return { ...pair, user: this.publicUser(user) };
  }

  async refresh(refreshToken: string) {
    const { userId, familyId } = await this.tokens.consumeRefresh(refreshToken);
    const user = await this.users.findById(userId);
    if (!user || !user.active) {
      await this.tokens.revokeFamily(familyId);
      throw new UnauthorizedException('Account no longer active');
    }
    const pair = await this.tokens.issuePair(user.id, user.role, requestContext.current()?.sourceIp ?? null, familyId);
    requestContext.require().principal = toPrincipal(user);
    await this.audit.record({ action: 'auth.refresh', objectType: 'User', objectId: user.id });
    return { ...pair, user: this.publicUser(user) };
  }

  async logout(refreshToken: string): Promise<void> {
    await this.tokens.revokeByToken(refreshToken);
    await this.audit.record({ action: 'auth.logout', objectType: 'User' });
  }

  /**
   * Resolves a bearer token to the caller. The account is re-read at most every
   * ACCESS_CACHE_SECONDS, and at once after a change made through the platform (AccountCache).
   */
  async principalFromAccessToken(token: string): Promise<UserPrincipal> {
    const claims = this.tokens.verifyAccess(token);
    const user = await this.accounts.find(claims.sub);
    if (!user || !user.active) throw new UnauthorizedException('Account no longer active');
    return toPrincipal(user);
  }

  publicUser(user: User) {
    return { id: user.id, email: user.email, role: user.role, displayName: user.displayName, hospitalId: user.hospitalId };
  }
}
