import path from 'node:path';
import { z } from 'zod';

/** Everything the backend reads from its environment, validated once at boot. */
const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgresql:// URL' }),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// URL' }).default('redis://127.0.0.1:6379'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /** DIMSE SCP port; 0 = any free port (DimseService.port reports the one bound). */
  DICOM_PORT: z.coerce.number().int().min(0).max(65535).default(11112),
  DICOM_AET: z
    .string()
    .regex(/^[\x20-\x5b\x5d-\x7e]{1,16}$/, 'must be 1-16 printable ASCII characters without backslash')
    .default('TELEREAD'),
  STORAGE_DIR: z.string().min(1).default('var/storage'),
  BOOTSTRAP_ADMIN_EMAIL: z.email().optional(),
  BOOTSTRAP_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  STUDY_STABLE_SECONDS: z.coerce.number().int().min(1).default(30),
  /** How often each registered hospital archive is polled for new studies (failing archives back off). */
  ARCHIVE_SYNC_SECONDS: z.coerce.number().int().min(1).default(10),
  /** How often SLA escalation jobs are re-scheduled from the database (Redis keeps nothing on disk). */
  SLA_SWEEP_SECONDS: z.coerce.number().int().min(1).default(300),
  /** BullMQ key prefix; separate platforms (or test runs) sharing one Redis use different ones. */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be letters, digits, - or _').default('teleread'),
  /** Run queue workers in this process (several API replicas may share the work). */
  WORKERS_ENABLED: z.stringbool().default(true),
  /** HMAC key for access tokens; when unset a key is generated once and kept in the database. */
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(5).max(3600).default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).default(7 * 24 * 3600),
  /** How often each live worklist socket re-checks the account and credentials behind its rooms. */
  WORKLIST_RESUBSCRIBE_SECONDS: z.coerce.number().int().min(1).default(60),
  /** Consecutive failed logins that lock an account, and for how long. */
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
  LOGIN_LOCK_SECONDS: z.coerce.number().int().min(1).default(15 * 60),
  /** Failed logins from one source address within the window before wrong passwords get 429. */
  LOGIN_IP_MAX_FAILURES: z.coerce.number().int().min(1).default(30),
  LOGIN_IP_WINDOW_SECONDS: z.coerce.number().int().min(1).default(15 * 60),
  /** Argon2id cost; the defaults follow OWASP's recommendation (19 MiB, 2 passes). */
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(1024).default(19456),
  ARGON2_TIME_COST: z.coerce.number().int().min(1).default(2),
  DB_POOL_SIZE: z.coerce.number().int().min(1).default(10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Comma-separated proxy hops to trust for the client address (express "trust proxy"). */
  TRUST_PROXY: z.string().default('loopback'),
  PUBLIC_URL: z.url().optional(),
  /** How long a claim holds without the viewer's heartbeat (the viewer renews it every minute). */
  CLAIM_LEASE_SECONDS: z.coerce.number().int().min(1).default(900),
  /** How long an auto-assigned reader has to open (heartbeat) the case before it is offered to someone else. */
  AUTO_ASSIGN_ACCEPT_SECONDS: z.coerce.number().int().min(1).default(300),
  /** When no eligible reader is on shift, how long before auto-assignment tries the case again. */
  AUTO_ASSIGN_RETRY_SECONDS: z.coerce.number().int().min(1).default(60),
  /**
   * How long a worklist page is served from memory at most (0: no cache). Every change made
   * through the platform drops the pages it affects at once; this only bounds changes made
   * around it (SQL by hand). Each expiry costs a query (~3-5 ms at 1M cases): 5 s with 256
   * readers cost about as much database time as the reads themselves.
   */
  WORKLIST_CACHE_SECONDS: z.coerce.number().min(0).default(120),
  /** Memory for cached worklist pages, per process. */
  WORKLIST_CACHE_MB: z.coerce.number().min(1).default(64),
  /**
   * How long an account and its access scope are reused at most (0: re-read every request). It
   * bounds only edits made around the platform: changes through it drop them at once in every
   * process, and a credential's expiry ends access at its time. At 2 s, 500 signed-in readers
   * re-read ~500 rows a second that had not changed.
   */
  ACCESS_CACHE_SECONDS: z.coerce.number().min(0).default(10),
});

export type AppConfig = z.infer<typeof EnvSchema> & { STORAGE_DIR: string };

export class ConfigError extends Error {}

/** Parses the environment; throws one line naming the first bad setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const result = EnvSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = issue.path.join('.');
    const detail = issue.code === 'invalid_type' && env[name] === undefined ? 'is required but not set' : issue.message;
    throw new ConfigError(`Invalid configuration: ${name} ${detail}`);
  }
  const config = result.data;
  if (Boolean(config.BOOTSTRAP_ADMIN_EMAIL) !== Boolean(config.BOOTSTRAP_ADMIN_PASSWORD)) {
    throw new ConfigError('Invalid configuration: BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD must be set together');
  }
  return { ...config, STORAGE_DIR: path.resolve(config.STORAGE_DIR) };
}

/** Injection token for the validated configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** For process entry points: the configuration, or one line on stderr and exit 1. */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}
