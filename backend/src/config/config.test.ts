import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const base = { DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/teleread' };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({ PORT: 4000, DICOM_PORT: 11112, DICOM_AET: 'TELEREAD', REDIS_URL: 'redis://127.0.0.1:6379', STUDY_STABLE_SECONDS: 30 });
    expect(c.STORAGE_DIR).toMatch(/^\//);
  });

  it.each([
    [{}, 'Invalid configuration: DATABASE_URL is required but not set'],
    [{ ...base, DATABASE_URL: 'mysql://x/y' }, 'Invalid configuration: DATABASE_URL must be a postgresql:// URL'],
    [{ ...base, PORT: 'eighty' }, 'Invalid configuration: PORT'],
    [{ ...base, DICOM_AET: 'THIS_AE_TITLE_IS_TOO_LONG' }, 'Invalid configuration: DICOM_AET must be 1-16 printable ASCII characters'],
    [{ ...base, JWT_SECRET: 'short' }, 'Invalid configuration: JWT_SECRET must be at least 32 characters'],
    [{ ...base, BOOTSTRAP_ADMIN_EMAIL: 'a@b.example' }, 'BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD must be set together'],
  ])('stops with one line naming the setting: %j', (env, message) => {
    let error: unknown;
    try {
      loadConfig(env as NodeJS.ProcessEnv);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain('\n');
  });
});
