import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { API_KEY_ALLOWED, PUBLIC_KEY, ROLES_KEY } from '../common/decorators.js';
import type { Principal } from '../common/principal.js';
import { requestContext } from '../common/request-context.js';
import type { Role } from '../generated/prisma/enums.js';
import { ApiKeyService } from './api-key.service.js';
import { AuthService } from './auth.service.js';

/**
 * Global guard: every HTTP route needs a caller unless marked @Public().
 * `Authorization: Bearer <jwt>` for people, `Authorization: ApiKey <key>` for
 * hospital machines on routes marked @AllowApiKey(); @Roles() limits by role.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly apiKeys: ApiKeyService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;

    const request = context.switchToHttp().getRequest<Request>();
    const principal = await this.authenticate(request.headers.authorization);
    requestContext.require().principal = principal;

    if (principal.kind === 'API_KEY') {
      if (!this.reflector.getAllAndOverride<boolean>(API_KEY_ALLOWED, targets)) {
        throw new ForbiddenException('API keys may not call this route; sign in as a user');
      }
      return true;
    }
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(principal.role)) {
      throw new ForbiddenException(`This route requires role ${roles.join(' or ')}`);
    }
    return true;
  }

  private async authenticate(header: string | undefined): Promise<Principal> {
    if (!header) throw new UnauthorizedException('Missing Authorization header (Bearer <accessToken> or ApiKey <key>)');
    const [scheme, value] = header.split(/\s+/, 2);
    if (!value) throw new UnauthorizedException('Malformed Authorization header');
    switch (scheme.toLowerCase()) {
      case 'bearer':
        return this.auth.principalFromAccessToken(value);
      case 'apikey': {
        const principal = await this.apiKeys.authenticate(value);
        if (!principal) throw new UnauthorizedException('Invalid or revoked API key');
        return principal;
      }
      default:
        throw new UnauthorizedException(`Unsupported authorization scheme "${scheme}"`);
    }
  }
}
