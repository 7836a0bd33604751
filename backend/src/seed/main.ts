import 'reflect-metadata';
import { loadConfigOrExit } from '../config/config.js';
import { PrismaService } from '../database/prisma.service.js';
import { FileImageStore } from '../storage/file-image-store.js';
import type { DemoHospitalKey } from './demo-network.js';
import { DEMO_PASSWORD, DEMO_USERS } from './demo-network.js';
import { seedDemo } from './demo-seed.js';

/**
 * `npm run db:seed`: load the demo network into DATABASE_URL / STORAGE_DIR.
 * DEMO_ARCHIVES="stmary=http://127.0.0.1:8043/dicom-web/,pacific=..." registers running archives.
 */
function printLogins() {
  console.log(`demo logins (password "${DEMO_PASSWORD}"):`);
  for (const u of DEMO_USERS) console.log(`  ${u.role.padEnd(15)} ${u.email.padEnd(28)} ${u.displayName}`);
}

async function main() {
  if (process.argv.includes('--logins')) return printLogins();
  const config = loadConfigOrExit();
  const archives = Object.fromEntries(
    (process.env.DEMO_ARCHIVES ?? '')
      .split(',')
      .filter(Boolean)
      .map((pair) => pair.split('=') as [DemoHospitalKey, string]),
  );
  const prisma = new PrismaService(config);
  try {
    const started = Date.now();
    await seedDemo(prisma, new FileImageStore(config.STORAGE_DIR), { archives, studies: Number(process.env.DEMO_STUDIES ?? 48), log: console.log });
    console.log(`seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    printLogins();
  } finally {
    await prisma.$disconnect();
  }
}

void main();
