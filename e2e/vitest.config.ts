import { defineConfig } from 'vitest/config';

// Browser tests against the built platform: global-setup starts a database,
// the backend and the web app once; files run one after another (one browser each).
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
