import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { PasswordService } from './auth/password.service.js';
import { APP_CONFIG, type AppConfig } from './config/config.js';
import { PrismaService } from './database/prisma.service.js';
import { RoutingService } from './routing/routing.service.js';

/**
 * BOOTSTRAP_ADMIN_*: on an empty platform, create the network and its first admin.
 * Then every network without routing rules gets the default set.
 */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
    private readonly passwords: PasswordService,
    private readonly routing: RoutingService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.createAdmin();
    await this.routing.ensureDefaultsForEveryNetwork();
  }

  private async createAdmin(): Promise<void> {
    const { BOOTSTRAP_ADMIN_EMAIL: email, BOOTSTRAP_ADMIN_PASSWORD: password } = this.config;
    if (!email || !password) return;
    const passwordHash = await this.passwords.hash(password);
    // One transaction-scoped advisory lock so replicas starting together create one admin.
    const created = await this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(72707370)`;
      if ((await tx.user.count()) > 0) return false;
      const network = (await tx.network.findFirst()) ?? (await tx.network.create({ data: { name: 'Teleread network' } }));
      await tx.user.create({
        data: { email: email.toLowerCase(), displayName: 'Administrator', passwordHash, role: 'ADMIN', networkId: network.id },
      });
      return true;
    });
    if (created) this.logger.log(`created bootstrap admin ${email}`);
  }
}
