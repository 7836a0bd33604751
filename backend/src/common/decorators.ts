import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Role } from '../generated/prisma/enums.js';
import { requestContext } from './request-context.js';
import type { Principal, UserPrincipal } from './principal.js';

export const PUBLIC_KEY = 'teleread:public';
export const ROLES_KEY = 'teleread:roles';
export const API_KEY_ALLOWED = 'teleread:api-key';

/** No authentication (login, refresh, health, metrics). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
/** Only these roles may call the route (checked by the global AuthGuard). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);
/** Hospital machines with an API key may call the route too (orders, STOW-RS). */
export const AllowApiKey = () => SetMetadata(API_KEY_ALLOWED, true);

/** The authenticated caller. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, _ctx: ExecutionContext): Principal => requestContext.require().principal!,
);

/** The authenticated person (routes that do not allow API keys). */
export const CurrentUser = createParamDecorator((_: unknown, _ctx: ExecutionContext): UserPrincipal => {
  const principal = requestContext.require().principal!;
  if (principal.kind !== 'USER') throw new Error('CurrentUser used on a route that allows API keys');
  return principal;
});
