// `npm run migrate [-- down]`: applies (or rolls back) the knex migrations against DATABASE_URL.
import { loadConfigOrExit } from '../../platform/config';
import { createDb, migrateLatest, migrateRollbackAll } from '../../platform/db';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (!config.DATABASE_URL) {
    process.stderr.write('DATABASE_URL is required for `npm run migrate` (npm start migrates by itself).\n');
    process.exit(1);
  }
  const db = createDb(config.DATABASE_URL);
  try {
    if (process.argv[2] === 'down') {
      await migrateRollbackAll(db);
      process.stdout.write('rolled back all migrations\n');
    } else {
      const applied = await migrateLatest(db);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'already up to date\n');
    }
  } finally {
    await db.destroy();
  }
}

void main();
