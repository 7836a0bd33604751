import { defineConfig } from 'prisma/config';

// `prisma generate` needs no database; fall back to a placeholder so CI and
// Docker builds work without DATABASE_URL. Migrations always get the real one.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/teleread' },
});
