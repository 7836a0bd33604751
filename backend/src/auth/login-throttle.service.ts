import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { RedisService } from '../redis/redis.service.js';

/**
 * Counts failed sign-ins per source address. Past the limit, *wrong* passwords from
 * that address are answered 429; a correct password still succeeds, so a hospital
 * behind one NAT address is never locked out by volume alone. (Per-account lockout
 * lives on the user row; see AuthService.)
 */
@Injectable()
export class LoginThrottleService {
  private readonly logger = new Logger(LoginThrottleService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisService,
  ) {}

  private key(ip: string) {
    return `teleread:login-failures:ip:${ip}`;
  }

  async isThrottled(ip: string | null): Promise<boolean> {
    if (!ip) return false;
    try {
      const count = Number(await this.redis.get(this.key(ip)));
      return count >= this.config.LOGIN_IP_MAX_FAILURES;
    } catch (err) {
      // Redis down: fail open; per-account lockout (in PostgreSQL) still protects accounts.
      this.logger.warn({ err }, 'login throttle unavailable');
      return false;
    }
  }

  async recordFailure(ip: string | null): Promise<void> {
    if (!ip) return;
    try {
      await this.redis.multi().incr(this.key(ip)).expire(this.key(ip), this.config.LOGIN_IP_WINDOW_SECONDS, 'NX').exec();
    } catch (err) {
      this.logger.warn({ err }, 'login throttle unavailable');
    }
  }
}
