// API entry point: `npm run api` (or `node dist/src/app/server.js`) against DATABASE_URL and TEMPORAL_ADDRESS.
import { loadConfigOrExit } from '../platform/config';
import { createDb, migrateLatest } from '../platform/db';
import { createLogger } from '../platform/logger';
import { startApi } from './system';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY, name: 'api' });
  if (!config.DATABASE_URL || !config.TEMPORAL_ADDRESS) {
    log.fatal(
      'the standalone API needs DATABASE_URL and TEMPORAL_ADDRESS (npm start runs everything locally)',
    );
    process.exit(1);
  }
  if (config.MIGRATE_ON_START) {
    const db = createDb(config.DATABASE_URL);
    const applied = await migrateLatest(db);
    await db.destroy();
    if (applied.length) log.info({ applied }, 'migrations applied');
  }
  const api = await startApi({
    config,
    databaseUrl: config.DATABASE_URL,
    temporalAddress: config.TEMPORAL_ADDRESS,
    log,
  });
  log.info({ url: api.url }, 'API listening');
  const stop = async () => {
    await api.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) void main();
