import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentUser, Public } from '../common/decorators.js';
import type { UserPrincipal } from '../common/principal.js';
import { PrismaService } from '../database/prisma.service.js';
import { AuthService } from './auth.service.js';

const LoginSchema = z.strictObject({
  email: z.email().max(254).transform((e) => e.toLowerCase()),
  password: z.string().min(1).max(1024),
});
const RefreshSchema = z.strictObject({ refreshToken: z.string().min(1).max(512) });

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly prisma: PrismaService,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in: returns an access token (short-lived) and a refresh token (rotating)' })
  login(@Body({ schema: LoginSchema }) body: z.infer<typeof LoginSchema>) {
    return this.auth.login(body.email, body.password);
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange a refresh token for a new pair; the old refresh token stops working' })
  refresh(@Body({ schema: RefreshSchema }) body: z.infer<typeof RefreshSchema>) {
    return this.auth.refresh(body.refreshToken);
  }

  @Public()
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke the refresh token and every token rotated from the same sign-in' })
  async logout(@Body({ schema: RefreshSchema }) body: z.infer<typeof RefreshSchema>) {
    await this.auth.logout(body.refreshToken);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The signed-in user' })
  async me(@CurrentUser() user: UserPrincipal) {
    const hospital = user.hospitalId
      ? await this.prisma.hospital.findUnique({ where: { id: user.hospitalId }, select: { name: true } })
      : null;
    return {
      id: user.userId,
      email: user.email,
      role: user.role,
      displayName: user.displayName,
      hospitalId: user.hospitalId,
      hospitalName: hospital?.name ?? null,
    };
  }
}
